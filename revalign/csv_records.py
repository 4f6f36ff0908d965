"""Reads a delivered CSV file record by record, setting malformed records aside.

The fast path reads with the C ``csv`` module and no per-line bookkeeping. The
first sign of trouble (bytes that are not UTF-8, a quote left open, a field
over the size limit, a record with the wrong number of fields) makes the caller
restart the file on the careful path, which keeps the raw text and starting
line of every record so a bad one can be stored with its reason.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ENCODING = "utf-8-sig"  # a byte-order mark is common in Salesforce exports
MAX_HEADER_LINES = 50
MAX_HEADER_BYTES = 1 << 20


class HeaderError(ValueError):
    """The file has no usable header: it is quarantined whole."""


class NeedsCarefulRead(Exception):
    """The fast path met a malformed record."""


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    raw: str


def set_field_limit(max_chars: int) -> None:
    csv.field_size_limit(max_chars)


def read_header(path: Path) -> list[str]:
    """Column names as delivered (the byte-order mark removed); only the header is decoded."""
    raw = b""
    with open(path, "rb") as handle:
        for _ in range(MAX_HEADER_LINES):
            line = handle.readline(MAX_HEADER_BYTES)
            if not line:
                break
            raw += line
            try:
                text = raw.decode(ENCODING)
            except UnicodeDecodeError:
                raise HeaderError("the header is not UTF-8 text") from None
            try:
                header = next(csv.reader(io.StringIO(text), strict=True), None)
            except csv.Error:
                continue  # a quoted column name spanning lines: read on
            if header and any(name.strip() for name in header):
                return header
            break
    raise HeaderError("the file is empty or its header is blank")


def fast_records(path: Path, width: int) -> Iterator[list[str]]:
    """Every data record; raises NeedsCarefulRead at the first malformed one."""
    try:
        with open(path, encoding=ENCODING, errors="strict", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            next(reader, None)
            for row in reader:
                if len(row) != width:
                    if not row:
                        continue  # a blank line is no record
                    raise NeedsCarefulRead
                yield row
    except (UnicodeDecodeError, csv.Error):
        raise NeedsCarefulRead from None


def careful_records(path: Path, width: int) -> Iterator[list[str] | Rejected]:
    """Every data record, or a Rejected for each malformed one, with its raw text."""
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        with open(path, encoding=ENCODING, errors="surrogateescape", newline="") as handle:
            for line in handle:
                consumed.append(line)
                yield line

    reader = csv.reader(lines(), strict=True)
    with contextlib.suppress(csv.Error):  # read_header() already vouched for the header
        next(reader, None)
    consumed.clear()
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejected(start, f"malformed CSV: {exc}", _text(consumed))
            consumed.clear()
            continue
        raw = "".join(consumed)
        consumed.clear()
        if not row:
            continue
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            yield Rejected(start, "bytes that are not UTF-8", _text([raw]))
            continue
        if len(row) != width:
            yield Rejected(start, f"{len(row)} fields where the header has {width}", raw)
            continue
        yield row


def _text(parts: list[str]) -> str:
    """Raw text safe to store: undecodable bytes shown as \\xNN."""
    joined = "".join(parts)
    return joined.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
