"""check_hygiene: CRM hygiene checks, their results and the alerts to record owners.

Scheduled on the mart assets that build_marts emits: once the marts are rebuilt,
one Great Expectations checkpoint validates raw, marts and freshness, stores every
result in ``ops.check_results``, builds the Data Docs and alerts the owners of new
or changed issues (see ``revalign.checks.hygiene``). The run's as_of is the one the marts
were built at, carried by the asset events; ``as_of`` in a manual trigger's conf
overrides it. A failed alert delivery is logged and never fails this DAG.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Param, dag, task

from revalign.orchestration import airflow_assets


@dag(
    dag_id="check_hygiene",
    schedule=airflow_assets.marts(),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["revalign", "great_expectations", "hygiene"],
    params={"as_of": Param(None, type=["null", "string"], description="ISO 8601 timestamp")},
    doc_md=__doc__,
)
def check_hygiene():
    @task(retries=2, retry_delay=timedelta(seconds=30))
    def run_checkpoint(params=None, triggering_asset_events=None) -> dict:
        from revalign.orchestration.tasks import check_hygiene, event_extras, resolve_as_of

        as_of = resolve_as_of(params["as_of"], event_extras(triggering_asset_events))
        return check_hygiene(as_of=as_of)

    run_checkpoint()


check_hygiene()
