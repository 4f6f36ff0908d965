"""What Airflow tasks run: small functions over the library, so each DAG file only wires them."""

from __future__ import annotations

from revalign import settings, transform
from revalign.settings import ConnectionInfo


def warehouse_from_airflow(conn_id: str = settings.WAREHOUSE_CONN_ID) -> ConnectionInfo:
    """The warehouse as Airflow knows it (``AIRFLOW_CONN_REVALIGN_WAREHOUSE``, from settings)."""
    from airflow.sdk import Connection

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
    zone's quarantine/ and in ops.quarantined_files; they do not fail the run.
    """
    from revalign import landing, schemas

    conn = warehouse_from_airflow()
    schemas.ensure_schemas(conn)
    root = settings.landing_dir()
    pending = [*events_batches, *landing.claimed_batches(root)]
    batches = list(dict.fromkeys(b for b in pending if landing.storage_path(b).exists()))
    summary: dict = {"batches": {}, "raw_tables": []}
    tables: set[str] = set()
    for batch in batches:
        outcome = landing.process_batch(conn, batch, root)
        tables |= outcome.raw_tables
        summary["batches"][batch] = [r.summary() for r in outcome.results]
    summary["raw_tables"] = sorted(tables)
    return summary


def build_marts(as_of: str | None = None) -> dict:
    """dbt build against Airflow's warehouse connection.

    Returns the number of nodes built and the as_of the marts were built at (ISO 8601),
    which the mart asset events carry to check_hygiene.
    """
    from revalign import hygiene

    conn = warehouse_from_airflow()
    moment = transform.parse_as_of(as_of) if as_of else None
    nodes = transform.build(conn, as_of=moment)
    return {"nodes": len(nodes), "as_of": hygiene.built_as_of(conn).isoformat()}


def check_hygiene(as_of: str | None = None) -> dict:
    """The hygiene checkpoint, its results and alerts, against Airflow's warehouse connection."""
    from revalign import hygiene

    moment = transform.parse_as_of(as_of) if as_of else None
    return hygiene.check(warehouse_from_airflow(), as_of=moment).summary()
