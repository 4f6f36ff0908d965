"""Schema set-up and the BI role's least privilege, on a real PostgreSQL."""

from collections.abc import Iterator

import psycopg2
import pytest
from conftest import fresh_database, query

from revalign import settings
from revalign.settings import ConnectionInfo
from revalign.warehouse import db, schemas

BI_ROLE = "revalign_bi_test"
BI_PASSWORD = "bi-test-password"


@pytest.fixture(scope="module")
def prepared(warehouse_server: ConnectionInfo) -> Iterator[ConnectionInfo]:
    """One database for the module: the BI role's statements below all fail, so it stays put."""
    with fresh_database(warehouse_server) as conn:
        yield _prepare(conn)


def _prepare(warehouse_db: ConnectionInfo) -> ConnectionInfo:
    schemas.set_up(warehouse_db, BI_ROLE, BI_PASSWORD)
    with db.connect(warehouse_db) as pg, pg.cursor() as cur:
        for schema in settings.SCHEMAS:
            cur.execute(f"create table {schema}.probe (id int)")
            cur.execute(f"insert into {schema}.probe values (1)")
        cur.execute("create sequence raw.probe_seq")
    return warehouse_db


def _as_bi(conn: ConnectionInfo) -> ConnectionInfo:
    return ConnectionInfo(conn.host, conn.port, BI_ROLE, BI_PASSWORD, conn.dbname)


def test_set_up_is_idempotent(warehouse_db):
    first = schemas.set_up(warehouse_db, BI_ROLE, BI_PASSWORD)
    second = schemas.set_up(warehouse_db, BI_ROLE, BI_PASSWORD)
    assert first == list(settings.SCHEMAS)
    assert second == []
    found = {
        row[0]
        for row in query(
            warehouse_db,
            "select nspname from pg_namespace where nspname = any(%s)",
            (list(settings.SCHEMAS),),
        )
    }
    assert found == set(settings.SCHEMAS)


def test_bi_role_reads_marts_only(prepared):
    bi = _as_bi(prepared)
    assert query(bi, "select id from marts.probe") == [(1,)]
    for schema in ("raw", "staging", "intermediate", "ops"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            query(bi, f"select id from {schema}.probe")


def test_bi_role_reads_mart_tables_created_later(warehouse_db):
    prepared = _prepare(warehouse_db)
    with db.connect(prepared) as pg, pg.cursor() as cur:
        cur.execute("create table marts.built_later as select 42 as answer")
    assert query(_as_bi(prepared), "select answer from marts.built_later") == [(42,)]


@pytest.mark.parametrize(
    "statement",
    [
        *(f"insert into {schema}.probe values (2)" for schema in settings.SCHEMAS),
        *(f"update {schema}.probe set id = 3" for schema in settings.SCHEMAS),
        *(f"delete from {schema}.probe" for schema in settings.SCHEMAS),
        *(f"create table {schema}.mine (id int)" for schema in (*settings.SCHEMAS, "public")),
        "create schema mine",
        "create temporary table mine (id int)",
        "truncate marts.probe",
        "drop table marts.probe",
        "alter table marts.probe add column x int",
        "create index on marts.probe (id)",
        "select setval('raw.probe_seq', 1)",
    ],
)
def test_bi_role_cannot_write(prepared, statement):
    """Anywhere: every schema of the flow, public, a new schema, even a temporary table."""
    with pytest.raises(
        (psycopg2.errors.InsufficientPrivilege, psycopg2.errors.ReadOnlySqlTransaction)
    ):
        query(_as_bi(prepared), statement)
