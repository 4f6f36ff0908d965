"""Fixtures over a real PostgreSQL.

The session starts its own embedded warehouse in a temporary REVALIGN_HOME (so a
developer's demo warehouse is never touched), unless REVALIGN_WAREHOUSE_URL
names one to use instead. Each test that asks for ``warehouse_db`` gets a
database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from revalign import settings, warehouse
from revalign.settings import ConnectionInfo
from revalign.warehouse import db

REPO = settings.PROJECT_ROOT
BIN = Path(sys.executable).parent

#: Fixtures that start or need a PostgreSQL; a test using any is in the warehouse tier.
WAREHOUSE_FIXTURES = {"warehouse_server", "revalign_home"}


def pytest_collection_modifyitems(items) -> None:
    """The fast tier is every test that needs no warehouse: ``pytest -m "not warehouse"``
    (README, Development). A test that starts one without these fixtures (through the
    command line) is marked ``warehouse`` by hand.

    The ``slow`` tests run first, the longest first (``slow(minutes=5)``; one minute if
    not said). pytest-xdist's worksteal gives each worker a contiguous share of the
    collection, and an idle worker steals from the end of another's: a five-minute test
    that starts last keeps one worker busy while the other has nothing left to do."""
    for item in items:
        if WAREHOUSE_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.warehouse)
    items.sort(key=_expected_minutes, reverse=True)


def _expected_minutes(item) -> float:
    slow = item.get_closest_marker("slow")
    return 0 if slow is None else slow.kwargs.get("minutes", 1)


@contextmanager
def reachable_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder the cluster's OS user can enter (pytest's own are 0700 under root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def revalign_home() -> Iterator[Path]:
    """A temporary REVALIGN_HOME, with dbt's artifacts and logs in it too: test sessions
    running side by side (pytest-xdist's workers) each have their own.

    dbt's file log is off (DBT_LOG_LEVEL_FILE=none): at dbt's default, debug, writing it
    is 13 % of a build of the tests' small data, and the log goes with this folder. A
    test that reads the log sets the level back for itself."""
    names = ("REVALIGN_HOME", "DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_LOG_LEVEL_FILE")
    saved = {name: os.environ.get(name) for name in names}
    with reachable_dir("revalign-test-home-") as home:
        os.environ["REVALIGN_HOME"] = str(home)
        os.environ["DBT_TARGET_PATH"] = str(home / "dbt-target")
        os.environ["DBT_LOG_PATH"] = str(home / "dbt-logs")
        os.environ["DBT_LOG_LEVEL_FILE"] = "none"
        yield home
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def warehouse_server(revalign_home: Path) -> Iterator[ConnectionInfo]:
    """A running PostgreSQL; connection to its main revalign database."""
    if settings.external_warehouse_url():
        yield warehouse.connection()
        return
    conn = warehouse.start()
    yield conn
    warehouse.stop()


def _admin(server: ConnectionInfo) -> ConnectionInfo:
    return server.with_database("postgres")


@contextmanager
def fresh_database(server: ConnectionInfo) -> Iterator[ConnectionInfo]:
    """A new, empty database on the server, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with db.connect(_admin(server), autocommit=True) as pg, pg.cursor() as cur:
        cur.execute(f'create database "{name}"')
    yield server.with_database(name)
    with db.connect(_admin(server), autocommit=True) as pg, pg.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def warehouse_db(warehouse_server: ConnectionInfo) -> Iterator[ConnectionInfo]:
    """A fresh, empty database for one test."""
    with fresh_database(warehouse_server) as conn:
        yield conn


def query(conn: ConnectionInfo, sql: str, params: tuple = ()) -> list[tuple]:
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def write_batch(root: Path, name: str, files: dict[str, str], source: str = "salesforce") -> Path:
    """A batch folder <root>/<source>/<name> holding these files, written byte for byte."""
    batch = root / source / name
    batch.mkdir(parents=True)
    for file_name, text in files.items():
        (batch / file_name).write_text(text, encoding="utf-8", newline="")
    return batch


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300):
    """``revalign ARGS`` as a user runs it, in a child process."""
    return subprocess.run(
        [str(BIN / "revalign"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="session")
def airflow_metadata_db(warehouse_server: ConnectionInfo) -> Iterator[ConnectionInfo]:
    """Airflow's metadata database for the session: a new one, so that sessions side by
    side (xdist workers, even on one external warehouse) never share it."""
    with fresh_database(warehouse_server) as conn:
        yield conn


@pytest.fixture(scope="session")
def airflow_env(
    warehouse_server: ConnectionInfo, airflow_metadata_db: ConnectionInfo, revalign_home: Path
) -> dict[str, str]:
    """Environment of a real Airflow whose metadata database is migrated and ready."""
    env = {
        **os.environ,
        **settings.airflow_environment(warehouse_server, airflow_metadata_db),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    settings.airflow_home().mkdir(parents=True, exist_ok=True)
    migrate = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    from revalign.orchestration import dbt_airflow

    dbt_airflow.ensure_manifest()  # build_marts is rendered from it, as `revalign airflow` does
    return env


def airflow_dags_test(env: dict[str, str], dag_id: str, *args: str) -> None:
    """``airflow dags test DAG_ID [ARGS]`` as a user runs it; fails with Airflow's output."""
    out = subprocess.run(
        [str(BIN / "airflow"), "dags", "test", dag_id, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]


def airflow_env_for(airflow_env: dict[str, str], warehouse: ConnectionInfo) -> dict[str, str]:
    """The session's Airflow environment, pointed at the test's own warehouse database."""
    metadata = airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", "")
    return {
        **airflow_env,
        **settings.airflow_environment(warehouse, ConnectionInfo.from_url(metadata)),
    }


@pytest.fixture
def receivers(monkeypatch):
    """Local SMTP and HTTP receivers, with revalign's alert settings pointing at them."""
    from local_receivers import Receivers, point_alerts_at

    running = Receivers()
    point_alerts_at(running, monkeypatch)
    yield running
    running.stop()
