"""The raw tables: ``raw.<source>__<object>``, one per declared object, every delivered
column as text plus the load metadata. Created and widened here, by the loader as files
arrive and by ``revalign warehouse init`` for every declared object (so staging can read
a table no file has reached yet)."""

from __future__ import annotations

from psycopg2 import sql

from revalign.settings import ConnectionInfo
from revalign.warehouse import db, sources
from revalign.warehouse.sources import raw_column

#: What the loader adds to each row; no delivered column may take these names.
METADATA_COLUMNS = ("_batch_id", "_file", "_extracted_at", "_row_number")
#: PostgreSQL's MaxHeapAttributeNumber; dropped columns count too.
MAX_TABLE_COLUMNS = 1600


def ensure(
    conn: ConnectionInfo, decl: sources.SourceObject, columns: list[str]
) -> tuple[list[str], list[str]]:
    """Create the raw table (declared columns) and add delivered ones it lacks.

    Returns the unknown columns added, and those left out: a table holds at most 1,600
    columns (dropped ones included), so past that the file's further unknown columns
    are not loaded. Declared columns always are.
    """
    table = sql.Identifier("raw", decl.raw_table)
    sequence = sql.Identifier("raw", f"{decl.raw_table}_row_number_seq")
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"raw.{decl.raw_table}",))
        # The fast path numbers rows with this sequence, restarted at 1 for each file
        # under the table's lock; its cache keeps nextval() cheap.
        cur.execute(sql.SQL("create sequence if not exists {} cache 10000").format(sequence))
        cur.execute(
            sql.SQL(
                "create table if not exists {table} (_batch_id text, _file text, "
                "_extracted_at timestamptz, _row_number bigint default nextval({seq}), "
                "_loaded_at timestamptz not null default now())"
            ).format(table=table, seq=sql.Literal(f"raw.{decl.raw_table}_row_number_seq"))
        )
        cur.execute(
            "select attname, attisdropped from pg_attribute "
            "where attrelid = %s::regclass and attnum > 0",
            (f"raw.{decl.raw_table}",),
        )
        attributes = cur.fetchall()
        existing = {name for name, dropped in attributes if not dropped}
        room = MAX_TABLE_COLUMNS - len(attributes)  # dropped columns count against the limit
        declared = [raw_column(f.name) for f in decl.fields]
        wanted = [c for c in dict.fromkeys([*declared, *columns]) if c not in existing]
        missing_declared = [c for c in wanted if c in declared]
        unknown = [c for c in wanted if c not in declared]
        fits = max(room - len(missing_declared), 0)
        added, dropped = unknown[:fits], unknown[fits:]
        for column in [*missing_declared, *added]:
            cur.execute(
                sql.SQL("alter table {} add column if not exists {} text").format(
                    table, sql.Identifier(column)
                )
            )
    return added, dropped


def ensure_all(conn: ConnectionInfo) -> None:
    """Create every declared raw table that no load has created yet, so staging can read it."""
    for declared in sources.load_sources().values():
        for decl in declared.objects:
            ensure(conn, decl, [])
