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


def build_marts(as_of: str | None = None) -> int:
    """dbt build against Airflow's warehouse connection; returns the number of nodes built."""
    moment = transform.parse_as_of(as_of) if as_of else None
    return len(transform.build(warehouse_from_airflow(), as_of=moment))
