"""Names of the Airflow assets revalign's DAGs produce and schedule on (no I/O but reading YAML)."""

from __future__ import annotations

from revalign.warehouse import sources

#: Where extract batches land; its watcher starts ingest_extracts.
LANDING = "revalign.landing"
#: The ingest task adds an event to this alias for each raw table it loaded rows into.
RAW_ALIAS = "revalign.raw"


def raw_asset_name(raw_table: str) -> str:
    return f"revalign.raw.{raw_table}"


def raw_asset_names() -> list[str]:
    """One asset per declared raw table, e.g. ``revalign.raw.salesforce__lead``."""
    return sorted(
        raw_asset_name(obj.raw_table)
        for source in sources.load_sources().values()
        for obj in source.objects
    )


#: The marts of DESIGN.md; build_marts emits an event for each, check_hygiene schedules on them.
MARTS = (
    "fct_lead_funnel",
    "fct_opportunities",
    "campaign_performance",
    "campaign_attribution",
    "fct_attribution_credits",
    "alignment_scorecard",
    "crm_hygiene_issues",
    "owner_hygiene_scorecard",
    "account_funnel",
    "fct_opportunity_stages",
    "stage_conversion",
    "win_loss_reasons",
    "lead_rejection_reasons",
)


def mart_asset_names() -> list[str]:
    """One asset per mart, e.g. ``revalign.marts.fct_lead_funnel``."""
    return [f"revalign.marts.{mart}" for mart in MARTS]
