"""Reads a delivered CSV file record by record, setting malformed records aside.

This is the loader's careful reader: it judges the records the scan flags
(``judge``), and whole files PostgreSQL would not COPY as they are
(``careful_records``). It keeps the raw text and starting line of every record, so a
bad one (bytes that are not UTF-8 or a NUL, a quote left open, a field over the size
limit, the wrong number of fields) is stored with its reason and the rest still loads.
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


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    raw: str
    fields: int | None = None  # a record of the wrong width: how many fields it had


#: The csv module's own ceiling, as a multiple of the configured field limit: it bounds
#: the memory a quote left open can take; fields between the two are rejected by name.
HARD_LIMIT_FACTOR = 16
#: The csv module's words for text that ends inside a quoted field.
OPEN_AT_END = "malformed CSV: unexpected end of data"


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


def careful_records(
    path: Path, header: list[str], max_chars: int, sourced: bool = False
) -> Iterator[list[str] | tuple[int, str, list[str]] | Rejected]:
    """Every data record, or a Rejected for each malformed one, with its raw text.

    ``sourced``: each record as (its first line, its raw text, its fields), for callers
    that judge its values and may reject it.
    """
    csv.field_size_limit(max_chars * HARD_LIMIT_FACTOR)
    with open(path, encoding=ENCODING, errors="surrogateescape", newline="") as handle:
        yield from _judged(handle, header, max_chars, sourced, header_first=True)


def judge(
    raw: bytes, header: list[str], max_chars: int, line: int
) -> Iterator[list[str] | Rejected]:
    """The records in ``raw`` (the bytes of one suspect record, starting on file line
    ``line``), judged as ``careful_records`` judges a file's."""
    csv.field_size_limit(max_chars * HARD_LIMIT_FACTOR)
    text = raw.decode("utf-8", "surrogateescape")
    yield from _judged(io.StringIO(text, newline=""), header, max_chars, first_line=line)


def ends_inside_quotes(judged: list) -> bool:
    """Whether the text judged ended inside a quoted field (more text may close it)."""
    return bool(judged) and isinstance(judged[-1], Rejected) and judged[-1].reason == OPEN_AT_END


def _judged(
    source: Iterator[str],
    header: list[str],
    max_chars: int,
    sourced: bool = False,
    header_first: bool = False,
    first_line: int = 1,
) -> Iterator[list[str] | tuple[int, str, list[str]] | Rejected]:
    width = len(header)
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in source:
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), strict=True)
    if header_first:
        with contextlib.suppress(csv.Error):  # read_header() already vouched for the header
            next(reader, None)
        consumed.clear()
    while True:
        start = reader.line_num + first_line
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = f"malformed CSV: {exc}"
            if str(exc).startswith("field larger than field limit"):
                reason = (
                    f"a field has {max_chars * HARD_LIMIT_FACTOR} characters or more, over "
                    f"the limit of {max_chars} (REVALIGN_MAX_FIELD_CHARS)"
                )
            yield Rejected(start, reason, _text(consumed))
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
        if "\x00" in raw:
            yield Rejected(start, "a NUL byte, which PostgreSQL cannot store in text", _text([raw]))
            continue
        if len(row) != width:
            reason = f"{len(row)} fields where the header has {width}"
            yield Rejected(start, reason, raw, fields=len(row))
            continue
        longest = max(range(width), key=lambda i: len(row[i]))
        if len(row[longest]) > max_chars:
            reason = (
                f"field {header[longest]!r} has {len(row[longest])} characters, "
                f"over the limit of {max_chars} (REVALIGN_MAX_FIELD_CHARS)"
            )
            yield Rejected(start, reason, raw)
            continue
        yield (start, raw, row) if sourced else row


def _text(parts: list[str]) -> str:
    """Raw text safe to store: undecodable bytes and NUL shown as \\xNN."""
    joined = "".join(parts)
    text = joined.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text.replace("\x00", "\\x00")
