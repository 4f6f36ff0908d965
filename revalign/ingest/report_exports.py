"""Report exports: files whose headers are field labels and whose dates are local.

A Salesforce report's "Export details" writes the labels of its columns (``Lead ID``,
``Created Date``, ``Lead Owner``) and dates as the exporting user's locale shows them
(``02/23/26 08:55 PM``, ``23/02/2026``), with a few footer lines after the records
(the report's name, a copyright line, who generated it). The loader maps the labels to
API names (the ``labels`` of the source declaration) and reads each record here: every
declared field typed and written back in the form staging reads (ISO 8601 dates, ids
of 18 characters), and a record with a value that cannot be read is rejected with the
file's line and the field, never loaded half-read.

Day and month order is the setting REVALIGN_DATE_ORDER (per source); ``auto`` reads it
from the file: a first number above 12 means day first, a second above 12 month first.
A file whose dates never tell is not guessed at: its load names the setting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from revalign.ingest.csv_records import Rejected
from revalign.warehouse import salesforce_ids, sources

_LOCAL = re.compile(
    r"^(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})"
    r"(?:,?[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?\s?[Mm]\.?)?)?$"
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: Footer lines of a report export: one field each, after the records.
_FOOTER_WIDTH = 1


class UndecidedDateOrder(ValueError):
    """The file's dates fit day-first and month-first alike (or neither)."""


@dataclass(frozen=True)
class Column:
    position: int
    header: str  # as delivered
    field: sources.Field


def typed_columns(
    header: list[str], columns: list[str], decl: sources.SourceObject
) -> list[Column]:
    """The delivered columns that are declared fields of a type other than text."""
    by_raw = {sources.raw_column(f.name): f for f in decl.fields}
    found = []
    for position, column in enumerate(columns):
        declared = by_raw.get(column)
        if declared is not None and declared.type != "text":
            found.append(Column(position, header[position], declared))
    return found


def date_order(records: Iterable, columns: list[Column], setting: str, source: str) -> str:
    """MDY, DMY or YMD: the setting, or (auto) what the file's local dates show."""
    if setting != "auto":
        return setting
    dated = [c for c in columns if c.field.type in ("date", "timestamp")]
    seen = {"MDY": False, "DMY": False, "any": False}
    first_line = None
    for record in records:
        if isinstance(record, Rejected):
            continue
        _, _, record = record
        for column in dated:
            match = _LOCAL.match(record[column.position].strip())
            if not match or len(match.group(1)) > 2:
                continue  # empty, ISO or year-first: says nothing of day and month
            seen["any"] = True
            first, second = int(match.group(1)), int(match.group(3))
            seen["DMY"] |= first > 12
            seen["MDY"] |= second > 12
            if first_line is None:
                first_line = column.header
    if seen["MDY"] and seen["DMY"]:
        raise UndecidedDateOrder(
            f"its dates put the day first in some records and the month first in others: "
            f"set REVALIGN_DATE_ORDER={source}=MDY (or DMY) and load it again"
        )
    if seen["DMY"]:
        return "DMY"
    if seen["MDY"] or not seen["any"]:
        return "MDY"
    raise UndecidedDateOrder(
        f"none of its dates (column {first_line!r}) tells day from month, both being 12 or "
        f"less: set REVALIGN_DATE_ORDER={source}=MDY (or DMY, as the exporting user's locale "
        "writes them) and load it again"
    )


def local_datetime(text: str, order: str) -> datetime:
    """A report export's date or date-time, UTC (a date is its midnight)."""
    value = " ".join(text.split())
    if _ISO.match(value) or sources.EPOCH_MILLISECONDS.match(value):
        return sources.parse_timestamp(value)
    match = _LOCAL.match(value)
    if not match:
        raise ValueError("not a date or time in a form revalign reads")
    a, b, c = int(match.group(1)), int(match.group(3)), int(match.group(4))
    year, month, day = {"MDY": (c, a, b), "DMY": (c, b, a), "YMD": (a, b, c)}[order]
    if year < 100:
        year += 2000 if year < 70 else 1900  # two-digit years as Python's %y reads them
    hour, minute, second = (int(match.group(i) or 0) for i in (5, 6, 7))
    meridiem = (match.group(8) or "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError("not a time of a 12-hour clock")
        hour = hour % 12 + (12 if meridiem == "P" else 0)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise ValueError(f"no such day or time when read as {order}") from None


def _normalised(kind: str, text: str, order: str) -> str:
    value = text.strip()
    if value == "":
        return ""
    if kind == "timestamp":
        return local_datetime(value, order).isoformat()
    if kind == "date":
        return local_datetime(value, order).date().isoformat()
    if kind == "id":
        return salesforce_ids.to_18(value)
    if kind == "boolean":
        return "true" if sources.parse_value("boolean", value) else "false"
    sources.parse_value(kind, value)  # number, integer, month: checked, kept as delivered
    return value


def typed_records(
    records: Iterator, columns: list[Column], order: str, footer: list[Rejected]
) -> Iterator:
    """Each record (of ``careful_records(..., sourced=True)``) with its typed fields
    normalised, or a Rejected naming its line and the field.

    One-field lines after the last record (a report's footer) are collected in
    ``footer``, not counted as records.
    """
    pending: list[Rejected] = []
    for record in records:
        if isinstance(record, Rejected):
            if record.fields == _FOOTER_WIDTH:
                pending.append(record)
                continue
            yield from pending
            pending.clear()
            yield record
            continue
        yield from pending
        pending.clear()
        line, raw, record = record
        problem = None
        for column in columns:
            try:
                record[column.position] = _normalised(
                    column.field.type, record[column.position], order
                )
            except ValueError as exc:
                problem = f"field {column.header!r} ({column.field.name}): {_reason(exc)}"
                break
        if problem is None:
            yield record
        else:
            yield Rejected(line, problem, raw)
    footer.extend(pending)


def _reason(exc: ValueError) -> str:
    """The problem without the value (messages never quote a record's values)."""
    return str(exc).split(":", 1)[0]
