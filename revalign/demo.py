"""``revalign demo``: the README's first command, end to end on this machine."""

from __future__ import annotations

from typing import TextIO

from revalign import db, loader, schemas, settings, transform, warehouse
from revalign.generator import generate

DEMO_LEADS = 2_000
DEMO_SEED = 7
DEMO_BATCHES = 2


def run(out: TextIO) -> None:
    conn = warehouse.start()
    bi_password = warehouse.bi_password()
    created = schemas.set_up(conn, settings.bi_role(), bi_password)
    extracts = settings.home() / "demo-extracts"
    truth = generate(extracts, leads=DEMO_LEADS, seed=DEMO_SEED, batches=DEMO_BATCHES)
    results = loader.load(conn, [extracts])
    nodes = transform.build(conn)
    kind = "embedded" if warehouse.is_embedded() else "external"
    status = {s: sum(r.status == s for r in results) for s in ("loaded", "skipped", "quarantined")}
    lines = [
        "revalign demo",
        f"  warehouse ({kind}): {conn.redacted()}",
        "    full URL with password: revalign warehouse url --show-password",
        f"  schemas: {', '.join(settings.SCHEMAS)}"
        + (f" (created now: {', '.join(created)})" if created else ""),
        f"  read-only BI role: {settings.bi_role()} (select on marts only)"
        if bi_password
        else "  read-only BI role: not created (set REVALIGN_BI_PASSWORD)",
        f"  sample extracts: {extracts} ({DEMO_LEADS} leads, {DEMO_BATCHES} batches, "
        f"as of {truth['as_of']}; expected figures in truth.json)",
        f"  load: {status['loaded']} files loaded, {status['skipped']} already loaded, "
        f"{status['quarantined']} quarantined",
        "  raw tables:",
        *[f"    {table:<40} {rows:>8} rows" for table, rows in _raw_counts(conn)],
        f"  dbt build: {len(nodes)} nodes ok, project in {transform.DBT_PROJECT_DIR}",
        f"  landing zone: {settings.landing_dir()}",
        f"  Airflow home: {settings.airflow_home()} (make airflow for the UI)",
        f"  local state: {settings.home()}",
        "",
    ]
    out.write("\n".join(lines))


def _raw_counts(conn: settings.ConnectionInfo) -> list[tuple[str, int]]:
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "order by table_name"
        )
        tables = [row[0] for row in cur.fetchall()]
        counts = []
        for table in tables:
            cur.execute(f'select count(*) from raw."{table}"')
            counts.append((table, cur.fetchone()[0]))
    return counts
