"""Thin helpers over psycopg2: connecting, and turning its errors into one-line messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from revalign.errors import RevalignError
from revalign.settings import SESSION_OPTIONS, ConnectionInfo

CONNECT_TIMEOUT_S = 5


class DatabaseError(RevalignError):
    """The warehouse refused or failed a request."""


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def error_line(exc: BaseException) -> str:
    """One line about a database error, without its DETAIL or CONTEXT (which quote data:
    a COPY's CONTEXT holds the record it was reading)."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    return (primary or _first_line(exc)).splitlines()[0].strip()


@contextmanager
def connect(
    conn: ConnectionInfo, autocommit: bool = False
) -> Iterator[psycopg2.extensions.connection]:
    """A connection that commits on success, rolls back on error, and always closes."""
    try:
        pg = psycopg2.connect(
            host=conn.host,
            port=conn.port,
            user=conn.user,
            password=conn.password,
            dbname=conn.dbname,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name="revalign",
            options=SESSION_OPTIONS,
        )
    except psycopg2.OperationalError as exc:
        raise DatabaseError(f"cannot connect to {conn.redacted()}: {_first_line(exc)}") from exc
    pg.autocommit = autocommit
    try:
        yield pg
        if not autocommit:
            pg.commit()
    except BaseException:
        if not autocommit and not pg.closed:
            pg.rollback()
        raise
    finally:
        pg.close()


def relations_exist(cur, *names: str) -> bool:
    """Whether every relation named (``schema.name``: a built model, an ops table) exists."""
    cur.execute(
        "select bool_and(to_regclass(name) is not null) from unnest(%s::text[]) as name",
        (list(names),),
    )
    return bool(cur.fetchone()[0])


def require_marts(conn: ConnectionInfo, purpose: str, *names: str) -> None:
    """The models a command reads (``names``) are built; else one line saying what to do."""
    with connect(conn) as pg, pg.cursor() as cur:
        if not relations_exist(cur, *names):
            raise RevalignError(
                f"there are no marts to {purpose} yet: load extracts (revalign load PATH) and "
                "run revalign build first"
            )


def ping(conn: ConnectionInfo) -> None:
    with connect(conn, autocommit=True) as pg, pg.cursor() as cur:
        cur.execute("select 1")
