"""What Airflow tasks run: small functions over the library, so each DAG file only wires them."""

from __future__ import annotations

import logging

from revalign import settings
from revalign.build import moment, transform
from revalign.settings import ConnectionInfo

log = logging.getLogger(__name__)


def warehouse_from_airflow(conn_id: str = settings.WAREHOUSE_CONN_ID) -> ConnectionInfo:
    """The warehouse as Airflow knows it (``AIRFLOW_CONN_REVALIGN_WAREHOUSE``, from settings)."""
    from airflow.sdk import Connection

    from revalign import redaction

    redaction.mask_in_airflow()  # the task's log masks every secret of revalign's settings
    conn = Connection.get(conn_id)
    return ConnectionInfo(
        host=conn.host or "localhost",
        port=int(conn.port or 5432),
        user=conn.login or "",
        password=conn.password or "",
        dbname=conn.schema or "",
    )


def ingest_claimed_batches(events_batches: list[str]) -> dict:
    """Load every claimed batch of the landing zone (those named by the events first).

    Returns what was loaded: the raw tables that received rows, and per batch the
    files loaded, skipped and quarantined. Quarantined files are kept in the landing
    zone's quarantine/ and in ops.quarantined_files; they do not fail the run. A batch
    an event names outside the landing zone (or through a symbolic link) is refused,
    logged and listed under ``refused``: nothing of it is read or moved.
    """
    from revalign.ingest import landing
    from revalign.warehouse import schemas

    root = settings.landing_dir()
    summary: dict = {"batches": {}, "raw_tables": [], "refused": []}
    confined = []
    for batch in events_batches:
        try:
            confined.append(landing.confined_batch(str(batch), root))
        except landing.OutsideLandingZone as refused:
            log.error("%s", refused)
            summary["refused"].append(str(batch))
    conn = warehouse_from_airflow()
    schemas.ensure_schemas(conn)
    pending = [*confined, *landing.claimed_batches(root)]
    batches = list(dict.fromkeys(b for b in pending if landing.storage_path(b).exists()))
    tables: set[str] = set()
    for batch in batches:
        outcome = landing.process_batch(conn, batch, root)
        tables |= outcome.raw_tables
        summary["batches"][batch] = [r.summary() for r in outcome.results]
    summary["raw_tables"] = sorted(tables)
    summary["as_of"] = moment.text(moment.latest_extraction(conn))  # what the build is as of
    return summary


def resolve_as_of(requested: str | None, event_extras: list[dict]) -> str | None:
    """The as_of of a run (``revalign.build.moment.of_run``), ISO 8601: the one asked for, else
    the newest one the triggering events carry, else the newest extraction time loaded."""

    def newest_loaded():
        return moment.latest_extraction(warehouse_from_airflow())

    return moment.text(moment.of_run(requested, event_extras, newest_loaded))


def event_extras(triggering_asset_events) -> list[dict]:
    """The extras of every asset event that triggered a run (empty for a manual run)."""
    return [
        dict(event.extra or {})
        for events in (triggering_asset_events or {}).values()
        for event in events
    ]


def build_marts(as_of: str | None = None, full_refresh: bool = False) -> dict:
    """dbt build against Airflow's warehouse connection (all of it, in one task).

    Returns the number of nodes built and the as_of the marts were built at (ISO 8601),
    which the mart asset events carry to check_hygiene.
    """
    conn = warehouse_from_airflow()
    requested = moment.parse(as_of) if as_of else None
    nodes = transform.build(conn, as_of=requested, full_refresh=full_refresh)
    return {"nodes": len(nodes), "as_of": moment.text(moment.built(conn))}


def check_hygiene(as_of: str | None = None) -> dict:
    """The hygiene checkpoint, its results and alerts, against Airflow's warehouse connection."""
    from revalign.checks import hygiene

    requested = moment.parse(as_of) if as_of else None
    return hygiene.check(warehouse_from_airflow(), as_of=requested).summary()


def send_weekly_brief(as_of: str | None = None) -> dict:
    """The weekly alignment brief as of the latest check (or ``as_of``), to
    REVALIGN_BRIEF_TO by email and its summary to Slack and the webhook."""
    from revalign.report import brief

    requested = moment.parse(as_of) if as_of else None
    return brief.send(warehouse_from_airflow(), as_of=requested).summary()
