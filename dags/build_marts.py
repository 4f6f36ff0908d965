"""build_marts: the dbt build of staging, intermediate and marts.

Runs ``revalign build`` against the warehouse connection ``revalign_warehouse``
(derived from revalign's settings). Trigger it by hand, through the REST API,
or with ``revalign airflow dags trigger build_marts``; pass ``as_of`` (ISO 8601)
to fix the moment age-based figures are computed at, else dbt uses the latest
extraction time loaded. The ingest DAG will schedule it on the raw assets.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import Param, dag, task


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
    @task(retries=2)
    def dbt_build(params=None) -> int:
        from revalign.orchestration import build_marts as run_build

        return run_build(as_of=params["as_of"])

    dbt_build()


build_marts()
