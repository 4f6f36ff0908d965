"""refresh_marts: an optional nightly full rebuild of the marts (paused until you unpause it).

Incremental builds keep the marts equal to a full rebuild (the tests prove it); this
DAG is the belt and braces a team may want anyway, e.g. after changing a model by
hand. It runs ``revalign build --full-refresh`` against the warehouse connection at
03:00 UTC, as of the run's logical date, and emits the mart assets like build_marts,
so check_hygiene follows. It is the only DAG with a cron schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task

from revalign.orchestration import airflow_assets

marts = airflow_assets.marts()


@dag(
    dag_id="refresh_marts",
    schedule="0 3 * * *",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=True,
    tags=["revalign", "dbt", "marts", "full-refresh"],
    doc_md=__doc__,
)
def refresh_marts():
    @task(outlets=marts, retries=1, retry_delay=timedelta(minutes=5))
    def full_refresh(logical_date=None, outlet_events=None) -> dict:
        from revalign.orchestration.tasks import build_marts

        built = build_marts(as_of=logical_date.isoformat(), full_refresh=True)
        airflow_assets.publish_marts(outlet_events, marts, built["as_of"])
        return built

    full_refresh()


refresh_marts()
