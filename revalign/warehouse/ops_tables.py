"""Tables of the ``ops`` schema: the load ledger, rejected rows and quarantined files, check
results, alerts, mart watermarks, model writes and the email key's secret."""

from __future__ import annotations

import hashlib
import secrets

from revalign import settings
from revalign.settings import ConnectionInfo
from revalign.warehouse import db

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
alter table ops.load_ledger add column if not exists columns_dropped text[] not null default '{}';
comment on column ops.load_ledger.columns_dropped is
    'Unknown columns of the file that were not loaded: past PostgreSQL''s 1,600 columns a '
    'table, or rows too big for a page with them.';
alter table ops.load_ledger add column if not exists status text not null default 'loaded';
alter table ops.load_ledger alter column raw_table drop not null;
comment on column ops.load_ledger.status is
    'loaded, or ignored: a file of an object revalign does not use (a weekly Data Export '
    'delivers every object of the org), acknowledged and not loaded.';
alter table ops.load_ledger add column if not exists columns text[];
alter table ops.load_ledger add column if not exists file_bytes bigint;
comment on column ops.load_ledger.file_bytes is
    'The file''s size: a file of a size no loaded file had is new, and is hashed as it '
    'loads rather than before (revalign/ingest/loader.py).';
create index if not exists load_ledger_file_bytes on ops.load_ledger (file_bytes);
comment on column ops.load_ledger.columns is
    'The columns the file delivered, as raw names (report labels mapped to API names): '
    'a declared field no loaded file delivered is never delivered (METRICS.md).';

create table if not exists ops.delivered_fields (
    source text not null,
    field text not null,
    delivered boolean not null,
    columns text[] not null,
    object_delivered boolean not null,
    primary key (source, field)
);
alter table ops.delivered_fields add column if not exists objects text[] not null default '{}';
alter table ops.delivered_fields add column if not exists settings text[] not null default '{}';
alter table ops.delivered_fields
    add column if not exists changed_at timestamptz not null default now();
comment on column ops.delivered_fields.changed_at is
    'When delivered last changed: the incremental marts recompute every row after it.';
comment on table ops.delivered_fields is
    'Per source and funnel field (seed funnel_fields): whether any loaded file delivered a '
    'column feeding it (after salesforce_field_names); written by load and build '
    '(revalign/warehouse/deliveries.py).';

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

create table if not exists ops.check_runs (
    run_id text primary key,
    as_of timestamptz not null,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    checks integer not null,
    warnings integer not null,
    failures integer not null,
    data_docs text
);
comment on table ops.check_runs is
    'One row per hygiene checkpoint run (revalign check, DAG check_hygiene).';

create table if not exists ops.check_results (
    run_id text not null references ops.check_runs on delete cascade,
    as_of timestamptz not null,
    suite text not null,
    data_asset text not null,
    expectation text not null,
    expectation_type text not null,
    rule text,
    observed_value numeric,
    element_count bigint,
    unexpected_share numeric,
    threshold text not null,
    status text not null,
    details jsonb not null default '{}',
    primary key (run_id, data_asset, expectation)
);
comment on table ops.check_results is
    'Every expectation of every hygiene checkpoint run: observed value (for a hygiene rule, '
    'its failing records), threshold and status.';
-- not_applicable: a hygiene rule whose fields no source with records delivered
do $$ begin
    if not exists (
        select from pg_constraint where conname = 'check_results_status_check'
        and pg_get_constraintdef(oid) like '%not_applicable%'
    ) then
        alter table ops.check_results drop constraint if exists check_results_status_check;
        alter table ops.check_results add constraint check_results_status_check
            check (status in ('passed', 'warning', 'failed', 'error', 'not_applicable'));
    end if;
end $$;

create table if not exists ops.mart_watermarks (
    mart text not null,
    input text not null,
    loaded_through timestamptz,
    primary key (mart, input)
);
comment on table ops.mart_watermarks is
    'How far each incremental mart had read each input (the newest _loaded_at of a staging '
    'model, and the as_of) when it was last built; its next build recomputes what came after.';

create table if not exists ops.model_writes (
    model text primary key,
    written_by xid not null,
    written_at timestamptz not null
);
comment on table ops.model_writes is
    'The transaction of the latest build of each incremental model (schema.table): the rows '
    'it wrote carry it as xmin, and the model''s data tests read only those '
    '(dbt_project/macros/written_rows.sql).';
alter table ops.model_writes add column if not exists rebuilt_by xid;
alter table ops.model_writes add column if not exists settings text;
comment on column ops.model_writes.settings is
    'The settings (dbt vars) a model''s rows were computed with, when it names them '
    '(meta.settings): a change of them recomputes every row.';
comment on column ops.model_writes.rebuilt_by is
    'The transaction of the model''s latest full build (first build or full refresh): a '
    'model that reads what it wrote since then reads everything (macros/written_rows.sql).';

alter table ops.model_writes add column if not exists rows_recorded_by xid;
comment on column ops.model_writes.rows_recorded_by is
    'The transaction of the model''s latest build that listed the rows it wrote in '
    'ops.written_rows (an incremental one); when it is the latest build (written_by), its '
    'data tests read those rows by address instead of scanning the table for its xmin.';

alter table ops.model_writes add column if not exists rows_listed_in oid;
comment on column ops.model_writes.rows_listed_in is
    'The file of the model''s table (pg_relation_filenode) when its rows were listed in '
    'ops.written_rows: VACUUM FULL, CLUSTER and TRUNCATE give it a new one, and move or '
    'drop the rows, so a list from before is not read.';

alter table ops.model_writes add column if not exists rows_listed_after xid;
comment on column ops.model_writes.rows_listed_after is
    'The model''s build before the one whose rows ops.written_rows lists: a model built from '
    'this one whose last build came between the two reads the rows written since by their '
    'addresses, not by a scan for xmin (dbt_project/macros/postgres/written_rows.sql).';

create table if not exists ops.written_rows (
    model text not null,
    row_address tid not null
);
create index if not exists written_rows_model on ops.written_rows (model);
comment on table ops.written_rows is
    'The physical address (ctid) of every row the latest incremental build of each model '
    '(schema.table) inserted; replaced by its next build (dbt_project/macros/postgres/'
    'written_rows.sql).';

create table if not exists ops.changed_groups (
    model text not null,
    group_column text not null,
    source_system text not null,
    group_value text not null,
    changed_by xid not null
);
create index if not exists changed_groups_model on ops.changed_groups (model, group_column);
comment on table ops.changed_groups is
    'The groups (an account, ...) of the rows an incremental model (schema.table) inserted '
    'or deleted, for the columns it names (meta.changed_groups): both the old and the new '
    'group of a record that moved. The one model that reads them per group (account_funnel '
    'per account_id) takes them out as it reads them; a full build of the model clears '
    'them (dbt_project/macros/changed_groups.sql).';

create table if not exists ops.dropped_rows (
    model text not null,
    source_system text not null,
    record_id text not null,
    dropped_by xid not null,
    dropped_at timestamptz not null default now()
);
create index if not exists dropped_rows_model on ops.dropped_rows (model);
comment on table ops.dropped_rows is
    'Records an incremental model dropped because their source deleted them (schema.table, '
    'source and id, transaction): the models built from it drop them too. Cleared by the '
    'model''s next full build.';

create table if not exists ops.alerted_issues (
    channel text not null,
    rule text not null,
    record_type text not null,
    record_id text not null,
    source_system text not null,
    fingerprint text not null,
    first_alerted_as_of timestamptz not null,
    last_alerted_as_of timestamptz not null,
    primary key (channel, rule, record_type, record_id, source_system)
);
comment on table ops.alerted_issues is
    'Open hygiene issues already alerted, per channel: not alerted again until they change '
    '(fingerprint) or REVALIGN_ALERT_REPEAT_HOURS pass; deleted once fixed.';

create table if not exists ops.alert_deliveries (
    run_id text not null,
    channel text not null,
    kind text not null,
    recipient text not null,
    issues integer not null,
    status text not null check (status in ('delivered', 'failed')),
    attempts integer not null,
    error text,
    delivered_at timestamptz not null default now()
);
comment on table ops.alert_deliveries is
    'Each alert revalign tried to deliver: owner digests and data-team summaries.';

create table if not exists ops.campaign_notices (
    channel text not null,
    source_system text not null,
    campaign_id text not null,
    owner_key text not null,
    account_id text not null,
    owner_id text not null,
    run_id text not null,
    noticed_as_of timestamptz not null,
    primary key (channel, source_system, campaign_id, owner_key, account_id)
);
comment on table ops.campaign_notices is
    'Notices to sales already sent, per channel: each campaign, owner (their person) and '
    'account they were told of; an owner hears of a campaign again only for new accounts.';

create table if not exists ops.weekly_briefs (
    channel text not null,
    week_start date not null,
    recipient text not null,
    as_of timestamptz not null,
    report_path text not null,
    run_id text not null,
    sent_at timestamptz not null default now(),
    primary key (channel, week_start, recipient)
);
comment on table ops.weekly_briefs is
    'Weekly alignment briefs sent, per channel, week (the Monday of the report''s as_of) and '
    'recipient: each gets one brief a week.';

create table if not exists ops.email_key_secret (
    installation boolean primary key default true check (installation),
    inner_pad bytea not null,
    outer_pad bytea not null,
    secret_set_at timestamptz not null default now()
);
revoke all on ops.email_key_secret from public;
comment on table ops.email_key_secret is
    'The key of the marts'' email_key (HMAC-SHA-256, METRICS.md "Privacy"), as its two '
    'padded halves: REVALIGN_EMAIL_KEY_SECRET, or generated once. Only revalign reads it.';
"""


def ensure(conn: ConnectionInfo) -> None:
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('revalign.ops_tables'))")
        cur.execute(DDL)
        _ensure_email_key_secret(cur)


def hmac_pads(secret: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104) for SHA-256, whose block is 64 bytes."""
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _ensure_email_key_secret(cur) -> None:
    """Store the email key's secret: the setting's when set (it wins), else a random one once.

    dbt's ``rv_email_key`` computes HMAC-SHA-256 from these pads with PostgreSQL's own
    sha256(), so no extension is needed; changing the secret changes every email_key
    (run ``revalign build --full-refresh`` after).
    """
    configured = settings.email_key_secret()
    if configured is None:
        inner, outer = hmac_pads(secrets.token_bytes(32))
        cur.execute(
            "insert into ops.email_key_secret (inner_pad, outer_pad) values (%s, %s) "
            "on conflict (installation) do nothing",
            (inner, outer),
        )
        return
    inner, outer = hmac_pads(configured.encode())
    cur.execute(
        "insert into ops.email_key_secret (inner_pad, outer_pad) values (%s, %s) "
        "on conflict (installation) do update set inner_pad = excluded.inner_pad, "
        "outer_pad = excluded.outer_pad, secret_set_at = now() "
        "where ops.email_key_secret.inner_pad <> excluded.inner_pad",
        (inner, outer),
    )
