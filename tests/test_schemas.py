"""Schema set-up and the BI role's least privilege, on a real PostgreSQL."""

import psycopg2
import pytest
from conftest import query

from revalign import db, schemas, settings
from revalign.settings import ConnectionInfo

BI_ROLE = "revalign_bi_test"
BI_PASSWORD = "bi-test-password"


@pytest.fixture
def prepared(warehouse_db: ConnectionInfo) -> ConnectionInfo:
    schemas.set_up(warehouse_db, BI_ROLE, BI_PASSWORD)
    with db.connect(warehouse_db) as pg, pg.cursor() as cur:
        for schema in settings.SCHEMAS:
            cur.execute(f"create table {schema}.probe (id int)")
            cur.execute(f"insert into {schema}.probe values (1)")
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


def test_bi_role_reads_mart_tables_created_later(prepared):
    with db.connect(prepared) as pg, pg.cursor() as cur:
        cur.execute("create table marts.built_later as select 42 as answer")
    assert query(_as_bi(prepared), "select answer from marts.built_later") == [(42,)]


@pytest.mark.parametrize(
    "statement",
    [
        "insert into marts.probe values (2)",
        "update marts.probe set id = 3",
        "delete from marts.probe",
        "create table marts.mine (id int)",
        "create table public.mine (id int)",
        "create schema mine",
    ],
)
def test_bi_role_cannot_write(prepared, statement):
    with pytest.raises(
        (psycopg2.errors.InsufficientPrivilege, psycopg2.errors.ReadOnlySqlTransaction)
    ):
        query(_as_bi(prepared), statement)
