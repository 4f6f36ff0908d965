"""The embedded warehouse as a user drives it: start, status, crash, restart, stop.

Each test runs its own cluster in its own REVALIGN_HOME, through the real command line.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, reachable_dir, run_cli

from revalign import warehouse
from revalign.settings import ConnectionInfo
from revalign.warehouse import db

pytestmark = pytest.mark.warehouse  # each test starts an embedded PostgreSQL of its own


@pytest.fixture
def home(monkeypatch):
    with reachable_dir("revalign-test-wh-") as home:
        monkeypatch.delenv("REVALIGN_WAREHOUSE_URL", raising=False)
        monkeypatch.setenv("REVALIGN_HOME", str(home))
        yield home
        run_cli("warehouse", "stop")


def _url() -> ConnectionInfo:
    out = run_cli("warehouse", "url", "--show-password")
    assert out.returncode == 0, out.stderr
    return ConnectionInfo.from_url(out.stdout.strip())


def _postmaster_pid(home: Path) -> int:
    state = json.loads((home / "warehouse" / "state.json").read_text())
    pidfile = Path(state["cluster_root"]) / "pgdata" / "postmaster.pid"
    assert pidfile.is_relative_to(home), "the cluster must live under REVALIGN_HOME"
    return int(pidfile.read_text().split("\n", 1)[0])


def test_start_status_url_stop(home):
    before = run_cli("warehouse", "status")
    assert before.returncode == 3 and "not created yet" in before.stdout

    started = run_cli("warehouse", "start")
    assert started.returncode == 0, started.stderr
    assert "127.0.0.1" in started.stdout and "***" in started.stdout

    status = run_cli("warehouse", "status")
    assert status.returncode == 0 and status.stdout.startswith("running")

    conn = _url()
    assert len(conn.password) >= 20
    db.ping(conn)
    db.ping(conn.with_database("airflow"))
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute("select current_setting('shared_buffers')")
        assert cur.fetchone()[0] == warehouse._memory_settings()["shared_buffers"]

    again = run_cli("warehouse", "start")  # idempotent
    assert again.returncode == 0 and _url() == conn

    stopped = run_cli("warehouse", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert run_cli("warehouse", "status").returncode == 3
    with pytest.raises(db.DatabaseError):
        db.ping(conn)
    assert "not running" in run_cli("warehouse", "stop").stdout

    state = home / "warehouse" / "state.json"
    assert state.stat().st_mode & 0o777 == 0o600


def test_memory_settings_follow_the_memory_a_container_may_use(monkeypatch, tmp_path):
    limit = tmp_path / "memory.max"
    monkeypatch.setattr(warehouse, "_CGROUP_LIMITS", (limit, tmp_path / "absent"))
    limit.write_text(f"{2 * 1024**3}\n")  # a container of 2 GB on a larger machine
    assert warehouse._usable_memory() == 2 * 1024**3
    assert warehouse._memory_settings() == {"shared_buffers": "256MB", "work_mem": "32MB"}
    machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for unlimited in ("max", str(1 << 63)):  # cgroup v2, v1 without a limit
        limit.write_text(f"{unlimited}\n")
        assert warehouse._usable_memory() == machine


def test_restart_after_the_server_is_killed(home):
    assert run_cli("warehouse", "start").returncode == 0
    conn = _url()
    os.kill(_postmaster_pid(home), signal.SIGKILL)
    time.sleep(0.2)

    status = run_cli("warehouse", "status")
    assert status.returncode == 3
    assert "stale pid file" in status.stdout

    restarted = run_cli("warehouse", "start")
    assert restarted.returncode == 0, restarted.stderr
    assert run_cli("warehouse", "status").returncode == 0
    db.ping(conn)


def test_moves_to_a_free_port_when_its_port_is_taken(home):
    assert run_cli("warehouse", "start").returncode == 0
    old = _url()
    assert run_cli("warehouse", "stop").returncode == 0
    with socket.socket() as squatter:
        # the stopped server's connections may linger in TIME_WAIT on this port
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", old.port))
        squatter.listen()
        assert run_cli("warehouse", "start").returncode == 0
        new = _url()
    assert new.port != old.port
    db.ping(new)


def test_external_warehouse_is_used_and_never_started(home, warehouse_db):
    env = {"REVALIGN_WAREHOUSE_URL": warehouse_db.url}
    started = run_cli("warehouse", "start", env=env)
    assert started.returncode == 0, started.stderr
    assert "external" in started.stdout
    assert not (home / "warehouse").exists()
    assert run_cli("warehouse", "status", env=env).returncode == 0

    refused = run_cli("warehouse", "stop", env=env)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "did not start" in refused.stderr

    down = {"REVALIGN_WAREHOUSE_URL": "postgresql://nobody:x@127.0.0.1:1/none"}
    status = run_cli("warehouse", "status", env=down)
    assert status.returncode == 3 and "does not answer" in status.stdout


SYSTEM_PYTHON = Path("/usr/bin/python3.11")


@pytest.mark.skipif(os.geteuid() != 0, reason="this run is already an ordinary user's")
@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="needs a Python 3.11 every user may run")
def test_works_as_an_ordinary_user():
    """As root the cluster runs as `postgres`; here an unprivileged user runs it directly.

    The checkout may sit where `nobody` cannot enter (a home folder, ``mktemp -d``), and so
    may the virtualenv in it: `nobody` runs a copy of what ``revalign warehouse`` needs."""
    with (
        reachable_dir("revalign-test-nobody-") as home,
        reachable_dir("revalign-test-code-") as code,
    ):
        shutil.chown(home, "nobody")
        _run_as_nobody(home, _copy_for_everyone(code))


#: What `revalign warehouse start|status|stop` imports beyond the standard library.
WAREHOUSE_PACKAGES = ("psycopg2", "psycopg2_binary.libs", "yaml", "_yaml")


def _copy_for_everyone(code: Path) -> str:
    """revalign, its source declarations and the packages it imports, readable by anyone;
    returns the PYTHONPATH that finds them."""
    repo = REPO
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(repo / "revalign", code / "revalign", ignore=skip)
    for declaration in (repo / "dbt_project" / "models" / "staging").glob("*/_*__sources.yml"):
        target = code / declaration.relative_to(repo)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(declaration, target)
    site = next(Path(sys.prefix).glob("lib/python3.11/site-packages"))
    for name in WAREHOUSE_PACKAGES:
        if (site / name).exists():
            shutil.copytree(site / name, code / "site" / name, ignore=skip)
    subprocess.run(["chmod", "-R", "a+rX", str(code)], check=True)
    return f"{code}{os.pathsep}{code / 'site'}"


def _run_as_nobody(home: Path, pythonpath: str) -> None:
    env = {"PATH": os.environ["PATH"], "REVALIGN_HOME": str(home), "PYTHONPATH": pythonpath}

    def as_nobody(*args):
        argv = ["runuser", "-u", "nobody", "--", str(SYSTEM_PYTHON), "-m", "revalign", *args]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)

    try:
        started = as_nobody("warehouse", "start")
        assert started.returncode == 0, started.stderr
        assert as_nobody("warehouse", "status").returncode == 0
        owner = (home / "warehouse" / "cluster" / "pgdata").owner()
        assert owner == "nobody"
    finally:
        as_nobody("warehouse", "stop")
    assert as_nobody("warehouse", "status").returncode == 3
