"""Loads extract files into ``raw``: once, whole, fast, losing nothing.

Each file is one transaction: COPY of its good records into
``raw.<source>__<object>`` (every delivered column as text, plus load
metadata), its bad records into ``ops.rejected_rows`` and a row in
``ops.load_ledger`` keyed by the file's SHA-256. A file whose content is in the
ledger is skipped, whatever its name; two loaders given the same file at once
serialise on an advisory lock and the second skips it. A crash at any point
rolls the transaction back: no rows, no ledger entry. A file that cannot be
loaded at all (unknown object, unreadable header, missing required column,
records none of which can be read, anything the warehouse refuses) is recorded
in ``ops.quarantined_files``, whatever the error: one file never fails its batch.
A file of an object revalign does not use (a weekly Data Export holds every object
of the org) is acknowledged as ignored, in the ledger, and not loaded. Only a
warehouse that went away fails the load, to be run again.

Records go to COPY as delivered, PostgreSQL parsing them: a file is loaded at the
speed of a plain COPY. A scan (``revalign.ingest.record_scan``) cuts the file into
records on the way and flags those COPY must not get; each is judged alone by the
careful reader (``csv_records.judge``) and rejected, or written anew, so a few bad
records cost a few records' time, not the file's. What the scan cannot cut (a quote
left open for megabytes), or what PostgreSQL still refuses, sends the whole file down
the careful path, record by record in Python, with the same guarantees.

A report export (headers that are field labels, ``revalign.ingest.report_exports``)
is read record by record: labels become API names, local dates ISO 8601, and a
record with a value that cannot be read is rejected naming its line and field.

No message of this module quotes a record's values: they name the file, the line
and the field (records set aside are kept whole in ``ops.rejected_rows``).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
from psycopg2 import sql

from revalign import progress, settings
from revalign.errors import RevalignError
from revalign.ingest import csv_records, landing, report_exports
from revalign.ingest.csv_records import HeaderError, Rejected
from revalign.settings import ConnectionInfo
from revalign.warehouse import db, deliveries, ops_tables, raw_tables, sources
from revalign.warehouse.raw_tables import METADATA_COLUMNS
from revalign.warehouse.sources import raw_column

MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
ROW_TOO_BIG = "54000"  # program_limit_exceeded: "row is too big" (a page holds one row)
COPY_CHUNK = 1 << 18
MARKER_FILES = {"_SUCCESS", "_manifest.json"}
_BATCH_TIME = re.compile(r"(\d{8}T\d{6}Z)$")


@dataclass
class FileResult:
    path: Path
    status: str  # loaded, skipped, ignored, quarantined
    source: str | None = None
    object: str | None = None
    raw_table: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str | None = None
    columns_added: list[str] = field(default_factory=list)
    columns_dropped: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    report_export: str | None = None  # the date order a report export was read with
    footer_lines: int = 0

    def summary(self) -> str:
        name = (
            self.path.name
            if self.path.parent.name == ""
            else f"{self.path.parent.name}/{self.path.name}"
        )
        if self.status == "loaded":
            line = (
                f"loaded      {name} -> raw.{self.raw_table}: {self.rows_loaded} rows"
                f" of {self.rows_in}, {self.rows_rejected} rejected"
            )
            if self.rows_in == 0:
                line += " (header only: the file delivers no records)"
            if self.report_export:
                line += f"; a report export (labels as headers, dates {self.report_export})"
                if self.footer_lines:
                    line += f", its {self.footer_lines} footer line(s) left out"
            if self.columns_added:
                line += f"; {len(self.columns_added)} new column(s): {_shorten(self.columns_added)}"
            if self.columns_dropped:
                line += (
                    f"; {len(self.columns_dropped)} unknown column(s) not loaded "
                    f"({_shorten(self.columns_dropped)}): past PostgreSQL's limits on a "
                    "table's columns or a row's size"
                )
            return line
        if self.status == "skipped":
            return f"skipped     {name}: {self.reason}"
        if self.status == "ignored":
            return f"ignored     {name}: {self.reason}"
        return f"quarantined {name}: {self.reason}"


def _shorten(names: list[str], shown: int = 5) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


class WarehouseUnavailable(RevalignError):
    """The warehouse went away during a load: nothing of the file was kept; load it again."""


#: SQLSTATE classes of a warehouse that went away: connection exception, insufficient
#: resources, operator intervention (shutdown, terminated backend), system error.
_TRANSIENT = ("08", "53", "57", "58")


def _is_transient(exc: psycopg2.Error) -> bool:
    """The connection broke, or the server ran out of resources or stopped: not the file's fault."""
    code = exc.pgcode or ""
    if isinstance(exc, psycopg2.InterfaceError):
        return True
    return isinstance(exc, psycopg2.OperationalError) and (not code or code[:2] in _TRANSIENT)


@dataclass(frozen=True)
class Batch:
    """Where a file was delivered: its batch id and extraction time."""

    batch_id: str | None
    extracted_at: datetime | None

    @classmethod
    def of(cls, path: Path) -> Batch:
        folder = path.parent
        manifest = folder / "_manifest.json"
        extracted = None
        if manifest.exists():
            try:
                text = json.loads(manifest.read_text()).get("extracted_at")
                extracted = sources.parse_timestamp(text) if text else None
            except (ValueError, AttributeError):
                extracted = None
        if extracted is None:
            match = _BATCH_TIME.search(folder.name)
            if match:
                stamp = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ")
                extracted = stamp.replace(tzinfo=UTC)
        if extracted is None:
            extracted = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        return cls(batch_id=folder.name or None, extracted_at=extracted)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_header(header: list[str], decl: sources.SourceObject) -> tuple[list[str], bool]:
    """The raw column of each header name, and whether any was a report label."""
    mapped = [decl.column_for(name) for name in header]
    columns = [column for column, _ in mapped]
    labelled = any(label for _, label in mapped)
    for position, column in enumerate(columns, start=1):
        if not column:
            raise HeaderError(f"column {position} of the header has no name")
        if len(column.encode()) > MAX_IDENTIFIER_BYTES:
            raise HeaderError(f"column name {column[:30]!r}... is longer than 63 bytes")
        if column in METADATA_COLUMNS or column == "_loaded_at":
            raise HeaderError(f"column {column!r} clashes with revalign's load metadata")
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise HeaderError(f"the header repeats column(s) {', '.join(duplicates)}")
    missing = [f for f in decl.required if raw_column(f) not in columns]
    if missing:
        raise HeaderError(
            f"missing required column(s) {', '.join(missing)}: no figure can use "
            f"{decl.object} records without them"
        )
    return columns, labelled


def _stamp_loaded_at(cur, decl: sources.SourceObject) -> None:
    """Give this load's rows a ``_loaded_at`` read after the table's lock was taken.

    Loads into one table hold its lock until they commit, so these stamps grow in
    commit order: a reader that has seen a load has seen every load stamped before
    it, and incremental dbt models use ``max(_loaded_at)`` as a watermark safely.
    (``now()``, the transaction's start, could be older than a load committed first.)
    """
    cur.execute("select clock_timestamp()")
    stamp = cur.fetchone()[0]
    cur.execute(
        sql.SQL("alter table {} alter column _loaded_at set default {}::timestamptz").format(
            sql.Identifier("raw", decl.raw_table), sql.Literal(stamp.isoformat())
        )
    )


class _CopyFeed:
    """A file-like object COPY reads: CSV records with the load metadata in front."""

    def __init__(self, records: Iterator, prefix: list[str], keep: list[int] | None = None):
        self.records = records
        self.keep = keep  # the positions of the columns loaded (None: all)
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")
        prefix_buffer = io.StringIO()
        csv.writer(prefix_buffer, lineterminator="").writerow([*prefix, ""])
        self.prefix = prefix_buffer.getvalue()  # the constant fields, each followed by a comma
        self.rows_in = 0
        self.loaded = 0
        self.rejected: list[Rejected] = []
        self.done = False

    def read(self, size: int = -1) -> str:
        limit = size if size and size > 0 else COPY_CHUNK
        buffer, writer, prefix = self.buffer, self.writer, self.prefix
        while not self.done and buffer.tell() < limit:
            try:
                record = next(self.records)
            except StopIteration:
                self.done = True
                break

            self.rows_in += 1
            if isinstance(record, Rejected):
                self.rejected.append(record)
                continue
            self.loaded += 1
            buffer.write(prefix)
            if self.keep is not None:
                record = [record[i] for i in self.keep]
            record.insert(0, str(self.rows_in))
            writer.writerow(record)
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data


def _copy(cur, decl: sources.SourceObject, columns: list[str], feed: _CopyFeed) -> None:
    target = [*METADATA_COLUMNS, *columns]
    statement = sql.SQL("copy {} ({}) from stdin with (format csv)").format(
        sql.Identifier("raw", decl.raw_table),
        sql.SQL(", ").join(sql.Identifier(c) for c in target),
    )
    with _no_stray_tracebacks():
        cur.copy_expert(statement, feed, size=COPY_CHUNK)


@contextlib.contextmanager
def _no_stray_tracebacks():
    """Keep psycopg2 from printing a server error's CONTEXT (which quotes the record COPY
    was reading) when the connection breaks mid-COPY: its C code prints the error through
    ``sys.excepthook`` before it raises another. Here that prints nothing; the error
    raised is reported by the caller, in one line."""
    previous = sys.excepthook

    def silent(kind, exc, traceback) -> None:
        return None

    sys.excepthook = silent
    try:
        yield
    finally:
        sys.excepthook = previous


@dataclass
class _Sorted:
    """What the sorting COPY did: records read, rows loaded, records rejected."""

    rows_in: int = 0
    loaded: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    failure: Exception | None = None  # what stopped reading the file, raised as itself


class _Feed:
    """A file-like object COPY reads. What stops it reading is kept in the tally:
    psycopg2 reports any error raised there as a cancelled query, which would read as
    the warehouse's doing."""

    tally: _Sorted

    def read(self, size: int = -1) -> bytes:
        try:
            return self._read()
        except Exception as exc:
            self.tally.failure = exc
            raise

    def _read(self) -> bytes:
        raise NotImplementedError


class _AsDelivered(_Feed):
    """COPY's input up to the first flagged record: the file's own bytes, untouched."""

    def __init__(self, blocks, tally: _Sorted):
        self.blocks = blocks
        self.tally = tally
        self.stopped = None  # (block, index of its first flagged record), when there is one

    def _read(self) -> bytes:
        if self.stopped is not None:
            return b""
        block = next(self.blocks, None)
        if block is None:
            return b""
        if not block.flagged:
            self.tally.rows_in += block.records
            return block.data
        first = min(block.flagged)
        self.stopped = (block, first)
        self.tally.rows_in += first
        return block.data[: block.bounds[first]]  # empty: COPY's input ends here


class _Numbered(_Feed):
    """COPY's input from the first flagged record on: each record with its number in front
    (a rejected record keeps its number, as in the careful path), the flagged ones judged
    by the careful reader and written anew, the rest as delivered.

    Where a quote stray inside a field made PostgreSQL's reading (the scan's) end a
    record inside what Python reads as a quoted field, the careful reader reads on: the
    rest of the block, and block after block while it is still inside (up to the field
    limit), is judged with it.
    """

    def __init__(self, blocks, first, header, limit: int, eol: bytes, tally: _Sorted):
        self.pending = [first]  # (block, index to start at)
        self.blocks = blocks
        self.header, self.limit, self.eol = header, limit, eol
        self.tally = tally
        self.open: tuple[bytes, int] | None = None  # a stretch Python reads on past, its line

    def _read(self) -> bytes:
        while True:
            if self.pending:
                block, index = self.pending.pop()
            else:
                block = next(self.blocks, None)
                if block is None:
                    if self.open is None:
                        return b""
                    (raw, line), self.open = self.open, None
                    return self._written(csv_records.judge(raw, self.header, self.limit, line))
                index = 0
            data = self._numbered(block, index)
            if data:
                return data

    def _numbered(self, block, index: int) -> bytes:
        data, flagged = block.data, block.flagged
        bounds = block.bounds.tolist()
        if self.open is not None:
            raw, line = self.open
            return self._stretch(raw + data[bounds[index] :], line)
        tally, parts = self.tally, []
        start = index
        for at in [*sorted(k for k in flagged if k >= index), len(bounds) - 1]:
            first = tally.rows_in + 1  # the run of well-formed records before ``at``
            parts.extend(
                piece
                for number, begin, end in zip(
                    range(first, first + at - start),
                    bounds[start:at],
                    bounds[start + 1 : at + 1],
                    strict=True,
                )
                for piece in (b"%d," % number, data[begin:end])
            )
            tally.rows_in += at - start
            if at == len(bounds) - 1:
                break
            judged = list(csv_records.judge(block.record(at), self.header, self.limit, flagged[at]))
            if csv_records.ends_inside_quotes(judged):
                parts.append(self._stretch(data[bounds[at] :], flagged[at]))
                break
            parts.append(self._written(judged))
            start = at + 1
        return b"".join(parts)

    def _stretch(self, raw: bytes, line: int) -> bytes:
        """Records from one Python reads inside a quote at: judged together, or kept for
        the next block while Python is still inside."""
        judged = list(csv_records.judge(raw, self.header, self.limit, line))
        limit = self.limit * csv_records.HARD_LIMIT_FACTOR
        if csv_records.ends_inside_quotes(judged) and len(raw) < limit:
            self.open = (raw, line)
            return b""
        self.open = None
        return self._written(judged)

    def _written(self, judged) -> bytes:
        """Judged records numbered: the rows as CSV, the rejected kept in the tally."""
        tally, parts = self.tally, []
        for item in judged:
            tally.rows_in += 1
            if isinstance(item, Rejected):
                tally.rejected.append(item)
            else:
                parts.append(_csv_line([str(tally.rows_in), *item], self.eol))
        return b"".join(parts)


def _csv_line(fields: list[str], eol: bytes) -> bytes:
    """One CSV record as COPY reads it: an empty field is NULL, as when delivered."""
    quoted = [
        '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n\\') else value
        for value in fields
    ]
    return ",".join(quoted).encode() + eol


def _server_parsed_copy(
    cur,
    decl: sources.SourceObject,
    columns: list[str],
    header: list[str],
    path: Path,
    prefix: list[str],
    digest=None,
) -> _Sorted | None:
    """COPY the file's records as delivered, PostgreSQL parsing them; None: the careful path.

    This is the path of every file the scan can cut into records (``record_scan``), at
    the speed of a plain COPY. The records it flags (a few in a real export) are judged
    one by one: after the first, a second COPY takes the rest of the file with each
    record's number in front, so numbers stay those of the careful path. Anything
    PostgreSQL still refuses rolls back to the savepoint, and the file takes the careful
    path whole.
    """
    from revalign.ingest import record_scan

    batch_id, file_name, extracted_at = prefix
    table = sql.Identifier("raw", decl.raw_table)
    cur.execute("savepoint fast_path")
    # The file's metadata as constant column defaults, for this transaction only (dropped
    # again below, before commit): PostgreSQL fills them in at no per-row cost.
    cur.execute(
        sql.SQL(
            "alter table {} alter column _batch_id set default {}, "
            "alter column _file set default {}, alter column _extracted_at set default {}"
        ).format(
            table,
            sql.Literal(batch_id or None),
            sql.Literal(file_name),
            sql.SQL("{}::timestamptz").format(sql.Literal(extracted_at or None)),
        )
    )
    cur.execute("select setval(%s, 1, false)", (f"raw.{decl.raw_table}_row_number_seq",))
    limit = settings.max_field_chars()
    tally = _Sorted()

    def copy(target: list[str], feed) -> int:
        statement = sql.SQL("copy {} ({}) from stdin with (format csv)").format(
            table, sql.SQL(", ").join(sql.Identifier(c) for c in target)
        )
        cur.copy_expert(statement, feed, size=COPY_CHUNK)
        return cur.rowcount

    with open(path, "rb") as handle, _no_stray_tracebacks():
        scanner = record_scan.RecordScanner(handle, len(header), limit, digest=digest)
        blocks = record_scan.read_ahead(scanner.blocks())
        try:
            delivered = _AsDelivered(blocks, tally)
            tally.loaded = copy(columns, delivered)
            if delivered.stopped is not None:
                feed = _Numbered(blocks, delivered.stopped, header, limit, scanner.eol, tally)
                tally.loaded += copy(["_row_number", *columns], feed)
        except psycopg2.Error as exc:
            gave_up = isinstance(tally.failure, record_scan.GaveUp)
            if tally.failure is not None and not gave_up:
                raise tally.failure from None  # not the warehouse's doing: the file's error
            refused = isinstance(exc, psycopg2.DataError) or exc.pgcode == ROW_TOO_BIG
            if not (refused or gave_up):
                raise
            cur.execute("rollback to savepoint fast_path")
            return None
    cur.execute(
        sql.SQL(
            "alter table {} alter column _batch_id drop default, "
            "alter column _file drop default, alter column _extracted_at drop default"
        ).format(table)
    )
    return tally


def _quarantine(conn: ConnectionInfo, result: FileResult, sha: str | None, batch: Batch) -> None:
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            "insert into ops.quarantined_files "
            "(file_sha256, source, batch_id, file_name, file_path, reason) "
            "values (%s, %s, %s, %s, %s, %s)",
            (sha, result.source, batch.batch_id, result.path.name, str(result.path), result.reason),
        )


def _record_rejects(cur, sha: str, result: FileResult) -> None:
    if not result.rejected:
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for item in result.rejected:
        writer.writerow(
            [sha, result.source, result.object, result.path.name, item.line, item.reason, item.raw]
        )
    buffer.seek(0)
    cur.copy_expert(
        "copy ops.rejected_rows (file_sha256, source, object, file_name, line, reason, "
        "raw_record) from stdin with (format csv)",
        buffer,
    )


def load_file(
    conn: ConnectionInfo, path: Path, source: sources.Source, batch: Batch | None = None
) -> FileResult:
    """Load one file of ``source`` into raw; see the module docstring for the guarantees.

    Whatever goes wrong with the file itself quarantines it (the result says why); a
    warehouse that goes away raises WarehouseUnavailable, with nothing of the file kept.
    The ops tables must exist (``load`` and ``revalign warehouse init`` create them).
    """
    try:
        return _load_file(conn, path, source, batch)
    except psycopg2.Error as exc:
        if _is_transient(exc):
            raise WarehouseUnavailable(
                f"{path}: the warehouse went away while loading it ({db.error_line(exc)}); "
                "nothing of the file was kept: load it again once the warehouse is back"
            ) from None
        reason = f"the warehouse refused it: {db.error_line(exc)}"
    except OSError as exc:
        reason = f"it could not be read: {exc.strerror or type(exc).__name__}"
    except Exception as exc:  # any other failure is this file's alone: the batch goes on
        reason = f"it could not be loaded: {type(exc).__name__}: {db.error_line(exc)}"
    result = FileResult(path=path, status="quarantined", source=source.name, reason=reason)
    decl = source.object_for_file(path.name)
    if decl is not None:
        result.object, result.raw_table = decl.object, decl.raw_table
    _quarantine(conn, result, _sha_or_none(path), batch or Batch(path.parent.name or None, None))
    return result


def _sha_or_none(path: Path) -> str | None:
    """The file's SHA-256 for the quarantine, or None when it cannot be read."""
    try:
        return file_sha256(path)
    except OSError:
        return None


def _load_file(
    conn: ConnectionInfo, path: Path, source: sources.Source, batch: Batch | None
) -> FileResult:
    batch = batch or Batch.of(path)
    result = FileResult(path=path, status="quarantined", source=source.name)
    decl = source.object_for_file(path.name)
    size = path.stat().st_size
    if decl is None:
        result.status, result.object = "ignored", path.stem
        result.reason = f"not used by revalign (no {source.name} object revalign reads)"
        _acknowledge_ignored(conn, result, file_sha256(path), batch, size)
        return result
    result.object, result.raw_table = decl.object, decl.raw_table
    # A file of a size no loaded file had is new: it is hashed as it loads (the hash
    # decides at the end, under its lock). Another is hashed first, to skip it cheaply.
    sha = file_sha256(path) if _size_loaded_before(conn, size) else None
    previous = _ledger_entry(conn, sha) if sha else None
    if previous:
        result.status, result.reason = "skipped", previous
        return result
    try:
        header = csv_records.read_header(path)
        columns, labelled = _check_header(header, decl)
        read_records = _record_reader(path, header, columns, decl, source, labelled, result)
    except (HeaderError, report_exports.UndecidedDateOrder) as exc:
        result.reason = str(exc)
        _quarantine(conn, result, sha or file_sha256(path), batch)
        return result
    added, dropped = raw_tables.ensure(conn, decl, columns)
    prefix = [
        batch.batch_id or "",
        path.name,
        batch.extracted_at.isoformat() if batch.extracted_at else "",
    ]
    with db.connect(conn) as pg, pg.cursor() as cur:
        # Loads into one table take its lock first, then the content's: one order, so
        # two loaders never wait on each other in a circle.
        cur.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"raw.{decl.raw_table}",))
        if sha is None and _size_loaded_before(conn, size, cur):
            sha = file_sha256(path)  # a loader before us may have loaded this very file
        previous = _claimed(cur, sha) if sha is not None else None
        if previous:
            result.status, result.reason = "skipped", previous
            return result
        _stamp_loaded_at(cur, decl)
        fast = not dropped and not labelled
        digest = hashlib.sha256() if sha is None else None
        sorted_ = (
            _server_parsed_copy(cur, decl, columns, header, path, prefix, digest) if fast else None
        )
        if sha is None:
            sha = digest.hexdigest() if sorted_ is not None else file_sha256(path)
            previous = _claimed(cur, sha)
            if previous:  # loaded meanwhile by another loader, or before under another size
                pg.rollback()
                result.status, result.reason = "skipped", previous
                return result
        if sorted_ is not None:
            result.rows_in, result.rows_loaded = sorted_.rows_in, sorted_.loaded
            result.rows_rejected, result.rejected = len(sorted_.rejected), sorted_.rejected
        else:
            feed = _careful_copy(cur, decl, columns, dropped, read_records, prefix)
            if isinstance(feed, str):
                pg.rollback()
                result.reason = feed
                _quarantine(conn, result, sha, batch)
                return result
            result.rows_in, result.rows_loaded = feed.rows_in, feed.loaded
            result.rows_rejected, result.rejected = len(feed.rejected), feed.rejected
            added = [c for c in added if c not in dropped]
        if result.rows_loaded == 0 and result.rows_rejected > 0:
            pg.rollback()
            first = result.rejected[0]
            result.reason = (
                f"none of its {result.rows_in} records could be read "
                f"(line {first.line}: {first.reason})"
            )
            _quarantine(conn, result, sha, batch)
            return result
        _record_rejects(cur, sha, result)
        cur.execute(  # the same content seen before as an ignored object: loaded now
            "delete from ops.load_ledger where file_sha256 = %s and status = 'ignored'", (sha,)
        )
        cur.execute(
            sql.SQL("alter table {} alter column _loaded_at set default now()").format(
                sql.Identifier("raw", decl.raw_table)
            )
        )
        cur.execute(
            "insert into ops.load_ledger (file_sha256, source, object, raw_table, batch_id, "
            "file_name, file_path, extracted_at, rows_in, rows_loaded, rows_rejected, "
            "columns_added, columns_dropped, columns, file_bytes) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                sha,
                source.name,
                decl.object,
                decl.raw_table,
                batch.batch_id,
                path.name,
                str(path),
                batch.extracted_at,
                result.rows_in,
                result.rows_loaded,
                result.rows_rejected,
                added,
                dropped,
                [c for c in columns if c not in dropped],
                size,
            ),
        )
    result.status, result.columns_added, result.columns_dropped = "loaded", added, dropped
    return result


def _record_reader(
    path: Path,
    header: list[str],
    columns: list[str],
    decl: sources.SourceObject,
    source: sources.Source,
    labelled: bool,
    result: FileResult,
):
    """A function giving the file's records afresh for the careful path: as delivered, or
    (a report export) typed and normalised, its footer counted in ``result``."""
    limit = settings.max_field_chars()
    if not labelled:
        return lambda: csv_records.careful_records(path, header, limit)
    typed = report_exports.typed_columns(header, columns, decl)
    order = report_exports.date_order(
        csv_records.careful_records(path, header, limit, sourced=True),
        typed,
        settings.date_order(source.name),
        source.name,
    )
    result.report_export = f"read as {order}"

    def records():
        footer: list[Rejected] = []
        yield from report_exports.typed_records(
            csv_records.careful_records(path, header, limit, sourced=True), typed, order, footer
        )
        result.footer_lines = len(footer)

    return records


def _careful_copy(
    cur,
    decl: sources.SourceObject,
    columns: list[str],
    dropped: list[str],
    read_records,
    prefix: list[str],
) -> _CopyFeed | str:
    """COPY the file record by record (rejects set aside); a str says why nothing could be.

    Columns in ``dropped`` are left out. When rows are too big for a page with every
    unknown column, the file is loaded again with its declared columns only, and the
    unknown ones join ``dropped``.
    """
    declared = {raw_column(f.name) for f in decl.fields}
    for attempt in ("every column that fits", "declared columns only"):
        keep = [i for i, c in enumerate(columns) if c not in dropped]
        feed = _CopyFeed(read_records(), prefix, keep if dropped else None)
        cur.execute("savepoint careful_path")
        try:
            _copy(cur, decl, [columns[i] for i in keep], feed)
        except psycopg2.DataError as exc:
            cur.execute("rollback to savepoint careful_path")
            return f"PostgreSQL refused its data: {db.error_line(exc)}"
        except psycopg2.OperationalError as exc:
            if exc.pgcode != ROW_TOO_BIG or attempt == "declared columns only":
                raise
            cur.execute("rollback to savepoint careful_path")
            left_out = {*dropped, *(c for c in columns if c not in declared)}
            dropped[:] = [c for c in columns if c in left_out]  # in the file's order
            continue
        return feed
    raise AssertionError("not reached")


def _acknowledge_ignored(
    conn: ConnectionInfo, result: FileResult, sha: str, batch: Batch, size: int
) -> None:
    """Keep an ignored file in the ledger (once per content), loaded nowhere."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            "insert into ops.load_ledger (file_sha256, source, object, raw_table, batch_id, "
            "file_name, file_path, extracted_at, rows_in, rows_loaded, rows_rejected, status, "
            "file_bytes) values (%s, %s, %s, null, %s, %s, %s, %s, 0, 0, 0, 'ignored', %s) "
            "on conflict (file_sha256) do nothing",
            (
                sha,
                result.source,
                result.object,
                batch.batch_id,
                result.path.name,
                str(result.path),
                batch.extracted_at,
                size,
            ),
        )


def _size_loaded_before(conn: ConnectionInfo, size: int, cur=None) -> bool:
    """Whether a loaded file had this size. (A file loaded before sizes were recorded
    and delivered again is found by its hash after its COPY, and rolled back.)"""
    statement = (
        "select exists (select 1 from ops.load_ledger where status = 'loaded' and file_bytes = %s)"
    )
    if cur is not None:
        cur.execute(statement, (size,))
        return cur.fetchone()[0]
    with db.connect(conn) as pg, pg.cursor() as own:
        own.execute(statement, (size,))
        return own.fetchone()[0]


def _claimed(cur, sha: str) -> str | None:
    """Take the content's lock (held to commit: loaders of one content take turns), then
    say where it was loaded already, if it was."""
    cur.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (sha,))
    return _ledger_entry_in(cur, sha)


def _ledger_entry(conn: ConnectionInfo, sha: str) -> str | None:
    with db.connect(conn) as pg, pg.cursor() as cur:
        return _ledger_entry_in(cur, sha)


def _ledger_entry_in(cur, sha: str) -> str | None:
    cur.execute(
        "select file_name, batch_id, loaded_at from ops.load_ledger "
        "where file_sha256 = %s and status = 'loaded'",
        (sha,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    name, batch_id, loaded_at = row
    return f"already loaded as {batch_id}/{name} at {loaded_at:%Y-%m-%d %H:%M:%S %Z}"


# --- paths, batches, sources ----------------------------------------------------------


def data_files(path: Path) -> list[Path]:
    """The extract files under ``path``: a file, a batch folder, or folders of batches."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist")
    found = []
    for child in sorted(path.iterdir(), key=landing.batch_order):
        if child.name.startswith(".") or child.name in MARKER_FILES:
            continue
        if child.is_symlink() and (child.is_dir() or child.suffix.lower() == ".csv"):
            found.append(child)  # never followed: load() quarantines it
        elif child.is_dir():
            if child.name in ("archive", "quarantine"):
                continue
            found.extend(data_files(child))
        elif child.suffix.lower() == ".csv":
            found.append(child)
    return found


def source_of(path: Path, declared: dict[str, sources.Source]) -> sources.Source | None:
    """``<landing>/<source>/<batch>/<file>``, else the one source declaring such a file name."""
    for folder in (path.parent.parent.name, path.parent.name):
        if folder in declared:
            return declared[folder]
    matches = [s for s in declared.values() if s.object_for_file(path.name)]
    return matches[0] if len(matches) == 1 else None


def load(conn: ConnectionInfo, paths: list[Path], source: str | None = None) -> list[FileResult]:
    """Load every extract file under ``paths``, in path order (batch order)."""
    ops_tables.ensure(conn)
    declared = sources.load_sources()
    if source is not None and source not in declared:
        raise ValueError(f"unknown source {source!r}; declared: {', '.join(sorted(declared))}")
    results = []
    files = [(Path(root), path) for root in paths for path in data_files(Path(root))]
    for root, path in files:
        progress.count("load files", len(results), len(files))
        if path != root and path.is_symlink():
            result = FileResult(path=path, status="quarantined")
            result.reason = (
                "it is a symbolic link: revalign loads only files delivered in the folder"
            )
            _quarantine(conn, result, None, Batch(path.parent.name or None, None))
            results.append(result)
            continue
        chosen = declared[source] if source else source_of(path, declared)
        if chosen is None:
            result = FileResult(path=path, status="quarantined")
            result.reason = (
                "cannot tell its source: put it under <landing>/<source>/<batch>/ or pass --source"
            )
            _quarantine(conn, result, _sha_or_none(path), Batch.of(path))
            results.append(result)
            continue
        results.append(load_file(conn, path, chosen))
    progress.count("load files", len(results), len(files))
    if any(r.status == "loaded" for r in results):
        deliveries.refresh(conn)  # what each source has now delivered (ops.delivered_fields)
    return results
