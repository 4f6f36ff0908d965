"""weekly_brief: the alignment report, sent to the people who review it together.

On a schedule (REVALIGN_BRIEF_SCHEDULE, a cron expression in UTC; default Mondays
07:00), one task writes the alignment report as of the latest check and sends it by
email to REVALIGN_BRIEF_TO (the report as HTML body and attachment), and its headline
numbers to Slack and the webhook (see ``revalign.report.brief``). Each recipient gets
one brief a week (``ops.weekly_briefs``); a failed delivery is retried like the alerts,
logged, and sent at the next run: it never fails this DAG or the data flow.
``as_of`` in a manual trigger's conf picks another moment than the latest check.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Param, dag, task

from revalign import settings


@dag(
    dag_id="weekly_brief",
    schedule=settings.brief_schedule(),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["revalign", "report"],
    params={"as_of": Param(None, type=["null", "string"], description="ISO 8601 timestamp")},
    doc_md=__doc__,
)
def weekly_brief():
    @task(retries=2, retry_delay=timedelta(minutes=5))
    def send_brief(params=None) -> dict:
        from revalign.orchestration.tasks import send_weekly_brief

        return send_weekly_brief(as_of=params["as_of"])

    send_brief()


weekly_brief()
