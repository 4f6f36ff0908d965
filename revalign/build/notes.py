"""What a build or check must tell its user besides success: the lines of METRICS.md.

- each funnel field a source never delivered, with the figures it empties, the rules it
  makes not applicable and the setting that maps it (``revalign.warehouse.deliveries``);
- opportunity stages that are not in their source's stage order (``int_stage_order``:
  the org's OpportunityStage extract, else the seed ``stage_order``), with their
  counts: the rules that read the stage (seed ``hygiene_rules``) cannot judge those
  opportunities; and a stage order without ``amount_required_from_stage`` (HubSpot:
  ``hubspot_amount_required_from_stage``);
- records kept out of the marts for values that could not be read
  (``ops.unreadable_records``), per source and object;
- campaigns that campaign members or opportunities name but whose Campaign record was
  not delivered: credited all the same (``campaign_attribution.campaign_delivered``).
"""

from __future__ import annotations

import psycopg2

from revalign.settings import ConnectionInfo
from revalign.warehouse import db, deliveries

SHOWN_STAGES = 5


def lines(conn: ConnectionInfo) -> list[str]:
    """The notes, one line each; none before anything was loaded or built."""
    found = deliveries.never_delivered(deliveries.stored(conn))
    return [
        *found,
        *_stage_orders_without_required_stage(conn),
        *_unknown_stages(conn),
        *_unreadable(conn),
        *_undelivered_campaigns(conn),
    ]


def _query(conn: ConnectionInfo, statement: str, params: tuple = ()) -> list[tuple]:
    """Rows of a query over built models; none while they do not exist yet."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        try:
            cur.execute(statement, params or None)
        except (psycopg2.errors.UndefinedTable, psycopg2.errors.UndefinedColumn):
            return []  # not built yet, or built by an older revalign
        return cur.fetchall()


def _stage_judges() -> str:
    """The rules that read an opportunity's stage (seed hygiene_rules)."""
    return ", ".join(deliveries.rules_by_field().get("opportunity.stage_name", []))


def _unknown_stages(conn: ConnectionInfo) -> list[str]:
    rows = _query(
        conn,
        "select opportunities.source_system, opportunities.stage_name, count(*) "
        "from marts.fct_opportunities as opportunities "
        "left join intermediate.int_stage_order as stages "
        "on opportunities.source_system = stages.source_system "
        "and opportunities.stage_name = stages.stage_name "
        "where stages.stage_name is null and opportunities.stage_name is not null "
        "group by 1, 2 order by 1, 3 desc, 2",
    )
    by_source: dict[str, list[str]] = {}
    for source, stage, count in rows:
        by_source.setdefault(source, []).append(f"{stage!r} ({count})")
    found = []
    for source, stages in by_source.items():
        more = len(stages) - SHOWN_STAGES
        shown = ", ".join(stages[:SHOWN_STAGES]) + (f" and {more} more" if more > 0 else "")
        found.append(
            f"{source}: stage(s) not in the stage order: {shown}; {_stage_judges()} cannot "
            "judge those opportunities: deliver the org's OpportunityStage extract (its "
            "stage order) or add the stages to dbt_project/seeds/stage_order.csv"
        )
    return found


def _stage_orders_without_required_stage(conn: ConnectionInfo) -> list[str]:
    """Sources with opportunities whose stage order lacks the stage from which an open
    one needs an amount (int_stage_order says which, and the setting that names it)."""
    lacking = _query(
        conn,
        "select source_system, amount_required_from_stage, amount_required_setting "
        "from intermediate.int_stage_order "
        "where source_system in (select source_system from marts.fct_opportunities) "
        "group by 1, 2, 3 having bool_and(needs_amount is null) order by 1",
    )
    return [
        f"{source}: its stage order has no stage {required_from!r} ({setting}): "
        f"{_stage_judges()} cannot judge its opportunities; set {setting} in "
        "dbt_project.yml to one of its stages"
        for source, required_from, setting in lacking
    ]


def _unreadable(conn: ConnectionInfo) -> list[str]:
    rows = _query(
        conn,
        "select distinct on (source_system, object) source_system, object, "
        "count(*) over (partition by source_system, object), file_name, row_number "
        "from ops.unreadable_records order by source_system, object, file_name, row_number",
    )
    return [
        f"{source} {obj}: {count} record(s) kept out of the marts: a value cannot be read as "
        f"its declared type (e.g. {file_name} row {row}); see ops.unreadable_records"
        for source, obj, count, file_name, row in rows
    ]


def _undelivered_campaigns(conn: ConnectionInfo) -> list[str]:
    rows = _query(
        conn,
        "select source_system, count(distinct campaign_id), min(campaign_id) "
        "from marts.campaign_attribution where not campaign_delivered group by 1 order by 1",
    )
    return [
        f"{source}: {count} campaign(s) named by campaign members or opportunities were not "
        f"delivered (e.g. {example}): their credit is kept in campaign_attribution "
        "(campaign_delivered false); campaign_performance has no row for them until their "
        "Campaign records are delivered"
        for source, count, example in rows
    ]
