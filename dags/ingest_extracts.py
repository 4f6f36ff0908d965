"""ingest_extracts: landing zone -> raw, once per batch, started by the batch itself.

A producer writes a batch to ``<landing>/<source>/<batch_id>/`` and then a
``_SUCCESS`` marker. The watcher on the landing asset claims the batch and
starts this DAG; its task loads every claimed batch into ``raw`` (one
transaction per file, each file once: see ``revalign.ingest.loader``), moves it to
``archive/`` (unloadable files to ``quarantine/``) and emits an asset event
for each raw table that received rows, which build_marts is scheduled on;
each event carries the newest extraction time loaded, the as_of of what follows.
An asset event posted to the landing asset through the REST API also starts it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset, AssetAlias, AssetWatcher, dag, task

from revalign import settings
from revalign.orchestration import assets
from revalign.orchestration.triggers import LandingBatchTrigger

landing = Asset(
    name=assets.LANDING,
    watchers=[
        AssetWatcher(
            name="landing_batch_ready",
            trigger=LandingBatchTrigger(
                landing=settings.landing_dir(), poke_interval=settings.landing_poke_seconds()
            ),
        )
    ],
)
raw_tables = AssetAlias(name=assets.RAW_ALIAS)


@dag(
    dag_id="ingest_extracts",
    schedule=[landing],
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,  # batches load in arrival order: the newest version of a record wins
    tags=["revalign", "ingest"],
    doc_md=__doc__,
)
def ingest_extracts():
    @task(outlets=[raw_tables], retries=2, retry_delay=timedelta(seconds=15))
    def load_batches(triggering_asset_events=None, outlet_events=None) -> dict:
        from revalign.orchestration.tasks import ingest_claimed_batches

        batches = [
            event.extra["batch"]
            for events in (triggering_asset_events or {}).values()
            for event in events
            if event.extra and "batch" in event.extra
        ]
        summary = ingest_claimed_batches(batches)
        for table in summary["raw_tables"]:
            outlet_events[raw_tables].add(
                Asset(assets.raw_asset_name(table)), extra={"as_of": summary["as_of"]}
            )
        return summary

    load_batches()


ingest_extracts()
