"""build_marts: raw -> staging -> intermediate -> marts, with dbt run by Airflow through Cosmos.

Scheduled on the raw assets: a run starts as soon as ingest_extracts loaded rows
into any raw table (runs do not overlap; events that arrive meanwhile start the
next one). ``resolve_as_of`` fixes the moment age-based figures are computed at:
``as_of`` from a manual trigger (ISO 8601), else the newest extraction time the
raw asset events carry. The ``dbt`` task group is rendered by astronomer-cosmos
from the dbt manifest: one task per model reporting the model and its tests
(watcher mode: one ``dbt build`` runs them all; a retried task reruns its model).
As soon as that build passed, ``publish_marts`` emits one asset event per mart
with that as_of, and check_hygiene is scheduled on them. If the build fails, this
run publishes nothing: the failed models' tasks retry them, and the next run (the
next batch, or a manual trigger) builds, publishes and checks again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Param, dag, task
from cosmos import DbtTaskGroup

from revalign.orchestration import airflow_assets, dbt_airflow

raw_tables = airflow_assets.any_raw_table()
marts = airflow_assets.marts()


@dag(
    dag_id="build_marts",
    schedule=raw_tables,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=dbt_airflow.MAX_ACTIVE_TASKS,
    tags=["revalign", "dbt", "marts"],
    params={"as_of": Param(None, type=["null", "string"], description="ISO 8601 timestamp")},
    doc_md=__doc__,
)
def build_marts():
    @task(retries=2, retry_delay=timedelta(seconds=10))
    def resolve_as_of(params=None, triggering_asset_events=None) -> str:
        from revalign.orchestration.tasks import event_extras, resolve_as_of

        return resolve_as_of(params["as_of"], event_extras(triggering_asset_events)) or ""

    @task(outlets=marts, **dbt_airflow.PUBLISH_PRIORITY)
    def publish_marts(as_of: str, outlet_events=None) -> str:
        airflow_assets.publish_marts(outlet_events, marts, as_of)
        return as_of

    as_of = resolve_as_of()
    dbt = DbtTaskGroup(
        **dbt_airflow.task_group_args(
            group_id="dbt", as_of="{{ ti.xcom_pull(task_ids='resolve_as_of') }}"
        )
    )
    as_of >> dbt
    # The build task succeeds only if every model and test passed: the marts are ready
    # then, while the per-model tasks are still catching up with it.
    dbt.get_child_by_label("dbt_producer_watcher") >> publish_marts(as_of)


build_marts()
