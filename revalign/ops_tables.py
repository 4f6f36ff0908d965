"""Tables of the ``ops`` schema: the load ledger, rejected rows and quarantined files."""

from __future__ import annotations

from revalign import db
from revalign.settings import ConnectionInfo

DDL = """
create table if not exists ops.load_ledger (
    file_sha256 text primary key,
    source text not null,
    object text not null,
    raw_table text not null,
    batch_id text,
    file_name text not null,
    file_path text not null,
    extracted_at timestamptz,
    rows_in bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    columns_added text[] not null default '{}',
    loaded_at timestamptz not null default now(),
    constraint load_ledger_rows_reconcile check (rows_in = rows_loaded + rows_rejected)
);
comment on table ops.load_ledger is
    'One row per extract file loaded into raw, keyed by its content: a file is loaded once.';

create table if not exists ops.rejected_rows (
    file_sha256 text not null,
    source text not null,
    object text not null,
    file_name text not null,
    line bigint not null,
    reason text not null,
    raw_record text not null,
    rejected_at timestamptz not null default now()
);
create index if not exists rejected_rows_file on ops.rejected_rows (file_sha256);
comment on table ops.rejected_rows is
    'Records of loaded files that could not be loaded, with the physical line they start on.';

create table if not exists ops.quarantined_files (
    quarantine_id bigserial primary key,
    file_sha256 text,
    source text,
    batch_id text,
    file_name text not null,
    file_path text not null,
    reason text not null,
    quarantined_at timestamptz not null default now()
);
comment on table ops.quarantined_files is
    'Extract files that could not be loaded at all, and why; the file is kept in quarantine/.';
"""


def ensure(conn: ConnectionInfo) -> None:
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('revalign.ops_tables'))")
        cur.execute(DDL)
