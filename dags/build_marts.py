"""build_marts: the dbt build of staging, intermediate and marts.

Runs ``revalign build`` against the warehouse connection ``revalign_warehouse``
(derived from revalign's settings). Trigger it by hand, through the REST API,
or with ``revalign airflow dags trigger build_marts``; pass ``as_of`` (ISO 8601)
to fix the moment age-based figures are computed at, else dbt uses the latest
extraction time loaded. Each mart gets an asset event carrying the as_of it was
built at; check_hygiene is scheduled on them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import Asset, Param, dag, task

from revalign import assets

marts = [Asset(name) for name in assets.mart_asset_names()]


@dag(
    dag_id="build_marts",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["revalign", "dbt", "marts"],
    params={"as_of": Param(None, type=["null", "string"], description="ISO 8601 timestamp")},
    doc_md=__doc__,
)
def build_marts():
    @task(retries=2, outlets=marts)
    def dbt_build(params=None, outlet_events=None) -> dict:
        from revalign.orchestration import build_marts as run_build

        built = run_build(as_of=params["as_of"])
        for mart in marts:
            outlet_events[mart].extra = {"as_of": built["as_of"]}
        return built

    dbt_build()


build_marts()
