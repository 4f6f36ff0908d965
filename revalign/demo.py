"""``revalign demo``: the README's first command, end to end on this machine."""

from __future__ import annotations

from typing import TextIO

from revalign import progress, settings, warehouse
from revalign import report as alignment_report
from revalign.build import transform
from revalign.checks import hygiene
from revalign.generator import CRM_NAMES, generate
from revalign.ingest import loader
from revalign.warehouse import db, schemas

DEMO_LEADS = 2_000
DEMO_SEED = 7
DEMO_BATCHES = 2


def run(out: TextIO, crm: str = "salesforce") -> None:
    """``crm``: whose exports the sample company delivers: salesforce, hubspot or both
    (every other lead in HubSpot). Each has its own extracts folder; they share the
    warehouse, as a company that adds a CRM does."""
    progress.step("1/6 starting the embedded warehouse")
    conn = warehouse.start()
    bi_password = warehouse.bi_password()
    created = schemas.set_up(conn, settings.bi_role(), bi_password)
    extracts = settings.home() / (
        "demo-extracts" if crm == "salesforce" else f"demo-extracts-{crm}"
    )
    progress.step(f"2/6 generating {DEMO_LEADS} sample leads of {CRM_NAMES[crm]}")
    truth = generate(extracts, leads=DEMO_LEADS, seed=DEMO_SEED, batches=DEMO_BATCHES, crm=crm)
    progress.step("3/6 loading the extracts into raw")
    results = loader.load(conn, [extracts])
    progress.step("4/6 building the marts (dbt build)")
    nodes = transform.build(conn)
    progress.step("5/6 checking CRM hygiene (Great Expectations) and alerting owners")
    report = hygiene.check(conn)
    progress.step("6/6 writing the alignment report")
    page = alignment_report.write(conn)
    kind = "embedded" if warehouse.is_embedded() else "external"
    raw = _raw_counts(conn)
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
        f"  sample extracts: {extracts} ({DEMO_LEADS} leads in {CRM_NAMES[crm]}, "
        f"{DEMO_BATCHES} batches, "
        f"as of {truth['as_of']}; expected figures in truth.json)",
        f"  load: {status['loaded']} files loaded, {status['skipped']} already loaded, "
        f"{status['quarantined']} quarantined",
        "  raw tables (with rows):",
        *[f"    {table:<40} {rows:>8} rows" for table, rows in raw if rows],
        f"    and {sum(not rows for _, rows in raw)} empty (other sources' objects)",
        f"  dbt build: {len(nodes)} nodes ok, project in {transform.DBT_PROJECT_DIR}",
        f"  checks: {len(report.results)} expectations run, results in ops.check_results, "
        f"Data Docs at {report.data_docs}",
        f"  landing zone: {settings.landing_dir()}",
        f"  Airflow home: {settings.airflow_home()} (make airflow for the UI)",
        f"  local state: {settings.home()}",
        "",
        *summary(conn, report),
        "",
        f"The alignment report (open it in a browser): {page}",
        "Everything in one place: revalign docs serve (dbt docs, Data Docs, reports)",
        "",
    ]
    out.write("\n".join(lines))


def summary(conn: settings.ConnectionInfo, report: hygiene.CheckReport) -> list[str]:
    """The funnel by stage, the month's alignment scorecard, hygiene per rule and per owner."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        return [
            *_funnel(cur),
            "",
            *_accounts(cur),
            "",
            *_scorecard(cur),
            "",
            *_hygiene_by_rule(report),
            "",
            *_hygiene_by_owner(cur),
        ]


def _funnel(cur) -> list[str]:
    cur.execute(
        """
        select count(*), count(mql_at), count(*) filter (where sla_status = 'met'),
            count(*) filter (where acceptance_status = 'accepted'), count(opportunity_id),
            count(*) filter (where is_won), coalesce(sum(won_amount), 0)
        from marts.fct_lead_funnel
        """
    )
    leads, mqls, sla_met, accepted, opportunities, won, amount = cur.fetchone()
    stages = [
        ("persons (leads and contacts)", leads),
        ("MQLs", mqls),
        ("followed up within the SLA", sla_met),
        ("accepted by sales", accepted),
        ("converted to an opportunity", opportunities),
        ("won", won),
    ]
    lines = ["Funnel by stage (marts.fct_lead_funnel)"]
    for name, count in stages:
        share = f"{count / leads:6.1%} of persons" if leads else ""
        lines.append(f"  {name:<30} {count:>9,}  {share}")
    lines.append(f"  {'won amount':<30} {amount:>12,.0f}")
    cur.execute("select source_system, count(*) from marts.fct_lead_funnel group by 1 order by 1")
    by_source = cur.fetchall()
    if len(by_source) > 1:
        lines.append("  persons by CRM: " + ", ".join(f"{source} {n:,}" for source, n in by_source))
    return lines


def _accounts(cur) -> list[str]:
    """Accounts and deals through contact roles (marts.account_funnel, fct_opportunities)."""
    cur.execute(
        """
        select
            (select count(*) from marts.account_funnel),
            (select count(*) from marts.account_funnel where is_customer),
            (select count(*) from marts.account_funnel where is_marketing_influenced),
            count(*),
            count(*) filter (where is_marketing_sourced),
            count(*) filter (where is_marketing_sourced and origin_person_type = 'contact'),
            count(*) filter (where is_marketing_influenced)
        from marts.fct_opportunities
        """
    )
    accounts, customers, influenced, deals, sourced, by_contact, touched = cur.fetchone()
    return [
        "Accounts and deals (marts.account_funnel, marts.fct_opportunities)",
        f"  {accounts:,} accounts, {customers:,} customers, {influenced:,} with a "
        "marketing-influenced deal",
        f"  {deals:,} deals: {sourced:,} marketing-sourced ({by_contact:,} through a contact "
        f"role's MQL), {touched:,} marketing-influenced",
    ]


def _scorecard(cur) -> list[str]:
    """The last full month before as_of (and the month to date) for the whole company."""
    cur.execute(
        """
        select * from marts.alignment_scorecard
        where team is null
            and month >= (date_trunc('month', as_of at time zone 'UTC') - interval '1 month')::date
        order by month
        """
    )
    names = [d.name for d in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    if not rows:
        return ["Alignment scorecard: no month yet (marts.alignment_scorecard is empty)"]
    header = "".join(f"{row['month']:%b %Y}".rjust(14) for row in rows)
    lines = [f"Alignment scorecard, whole company (marts.alignment_scorecard){header}"]
    width = len(lines[0]) - len(header)
    for name in names:
        if name in ("month", "team", "as_of"):
            continue
        cells = "".join(_cell(row[name]).rjust(14) for row in rows)
        lines.append(f"  {name:<{width - 2}}{cells}")
    return lines


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{float(value):,.3f}"


def _hygiene_by_rule(report: hygiene.CheckReport) -> list[str]:
    lines = ["CRM hygiene issues per rule (Great Expectations, ops.check_results)"]
    for r in report.results:
        if r.suite == "crm_hygiene":
            share = f"{r.unexpected_share:6.1%}" if r.unexpected_share is not None else ""
            lines.append(
                f"  {r.check:<30} {int(r.observed_value or 0):>7,}  {share} of "
                f"{r.element_count or 0:,}  {r.status}"
            )
    other = [r for r in report.results if r.suite != "crm_hygiene" and r.status != "passed"]
    lines.append(
        f"  raw contract and freshness: {len(other)} check(s) not passed"
        + "".join(f"\n    {r.status} {r.data_asset} {r.check}" for r in other)
    )
    return lines


def _hygiene_by_owner(cur, top: int = 10) -> list[str]:
    cur.execute(
        """
        select coalesce(owner_name, owner_id), coalesce(team, '-'), records_owned,
            records_with_issues, hygiene_score
        from marts.owner_hygiene_scorecard
        order by records_with_issues desc, owner_id
        limit %s
        """,
        (top,),
    )
    lines = [f"CRM hygiene per owner, most issues first (marts.owner_hygiene_scorecard, top {top})"]
    lines.append(f"  {'owner':<28} {'team':<12} {'owned':>7} {'with issues':>12} {'score':>7}")
    for name, team, owned, with_issues, score in cur.fetchall():
        shown = "-" if score is None else f"{float(score):.2f}"
        lines.append(f"  {name:<28} {team:<12} {owned:>7,} {with_issues:>12,} {shown:>7}")
    return lines


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
