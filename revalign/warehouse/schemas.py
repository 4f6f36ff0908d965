"""Idempotent set-up of the warehouse: its schemas and the read-only BI role."""

from __future__ import annotations

import time

from psycopg2 import errors, sql

from revalign import settings
from revalign.errors import RevalignError
from revalign.settings import ConnectionInfo
from revalign.warehouse import db, ops_tables, raw_tables

#: The only schema the BI role may read.
BI_SCHEMA = "marts"


#: Set-up runs often (every command that needs the warehouse), sometimes from several
#: processes at once: it serialises on this advisory lock, and retries statements on
#: roles, which are shared by every database of the server.
_SET_UP_LOCK = "select pg_advisory_xact_lock(hashtext('revalign.set_up'))"
_ROLE_ATTEMPTS = 5


def ensure_schemas(conn: ConnectionInfo) -> list[str]:
    """Create the flow's schemas where missing; returns the ones created."""
    created = []
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(_SET_UP_LOCK)
        for schema in settings.SCHEMAS:
            cur.execute("select 1 from pg_namespace where nspname = %s", (schema,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
                created.append(schema)
    return created


def ensure_bi_role(conn: ConnectionInfo, role: str, password: str) -> None:
    """A login role that can select from ``marts`` and nothing else, now and later.

    Tables dbt creates later in ``marts`` are covered by default privileges of
    the role that runs dbt (the warehouse user of ``conn``).
    """
    for attempt in range(_ROLE_ATTEMPTS):
        try:
            _grant_bi_role(conn, role, password)
            return
        except (errors.InternalError_, errors.UniqueViolation):
            # "tuple concurrently updated": another database's set-up changed the role
            if attempt == _ROLE_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def _grant_bi_role(conn: ConnectionInfo, role: str, password: str) -> None:
    role_id = sql.Identifier(role)
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(_SET_UP_LOCK)
        cur.execute("select 1 from pg_roles where rolname = %s", (role,))
        verb = "alter" if cur.fetchone() else "create"
        try:
            cur.execute(
                sql.SQL(
                    verb + " role {} login nosuperuser nocreatedb nocreaterole noinherit "
                    "password {}"
                ).format(role_id, sql.Literal(password))
            )
        except errors.InsufficientPrivilege as exc:
            raise RevalignError(
                f"user {conn.user!r} may not {verb} role {role!r}: create it once as an admin "
                f"(create role {role} login password '...'), then rerun"
            ) from exc
        cur.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(role_id))
        cur.execute(
            sql.SQL("grant connect on database {} to {}").format(
                sql.Identifier(conn.dbname), role_id
            )
        )
        for schema in settings.SCHEMAS:
            schema_id = sql.Identifier(schema)
            if schema == BI_SCHEMA:
                cur.execute(sql.SQL("grant usage on schema {} to {}").format(schema_id, role_id))
                cur.execute(
                    sql.SQL("grant select on all tables in schema {} to {}").format(
                        schema_id, role_id
                    )
                )
                cur.execute(
                    sql.SQL(
                        "alter default privileges in schema {} grant select on tables to {}"
                    ).format(schema_id, role_id)
                )
            else:
                cur.execute(
                    sql.SQL("revoke all on schema {} from {}, public").format(schema_id, role_id)
                )
        # PostgreSQL 15 already denies this; older servers grant it to everyone.
        cur.execute("savepoint public_schema")
        try:
            cur.execute("revoke create on schema public from public")
        except errors.InsufficientPrivilege:
            cur.execute("rollback to savepoint public_schema")


def set_up(conn: ConnectionInfo, bi_role: str, bi_password: str | None) -> list[str]:
    """Schemas, and the BI role when it has a password; safe to run any number of times."""
    created = ensure_schemas(conn)
    ops_tables.ensure(conn)
    raw_tables.ensure_all(conn)
    if bi_password:
        ensure_bi_role(conn, bi_role, bi_password)
    return created
