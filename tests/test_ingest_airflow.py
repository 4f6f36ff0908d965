"""A batch dropped into the landing zone reaches raw through a real Airflow, unattended."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from conftest import BIN, REPO, query, reachable_dir

from revalign import schemas, settings
from revalign.generator import generate

WAIT_S = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def running_airflow(airflow_env, warehouse_db, tmp_path):
    """airflow standalone wired to a fresh warehouse database and landing folder."""
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    with reachable_dir("revalign-landing-") as landing:
        port = _free_port()
        metadata = airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", "")
        env = {
            **airflow_env,
            **settings.airflow_environment(
                warehouse_db, settings.ConnectionInfo.from_url(metadata)
            ),
            "REVALIGN_LANDING_DIR": str(landing),
            "REVALIGN_LANDING_POKE_SECONDS": "1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "5",
        }
        log = open(tmp_path / "airflow.log", "w")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [str(BIN / "airflow"), "standalone"],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield landing, proc, tmp_path / "airflow.log"
        finally:
            _stop(proc)
            log.close()


def _alive_in_group(pgid: int) -> list[str]:
    """Live (not zombie) processes of a process group."""
    out = subprocess.run(
        ["ps", "-o", "pid=,stat=,args=", "-g", str(pgid)], capture_output=True, text=True
    )
    return [line for line in out.stdout.splitlines() if "Z" not in line.split()[1]]


def _stop(proc: subprocess.Popen) -> None:
    """SIGINT (standalone's clean stop); what lingers past the bound is killed, and reported."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=90)
    deadline = time.monotonic() + 30
    while _alive_in_group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    lingering = _alive_in_group(proc.pid)
    if lingering:
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(timeout=30)
    assert lingering == [], f"still running 30 s after airflow standalone stopped: {lingering}"


def _drop_batch(extracts: Path, landing: Path) -> tuple[Path, dict]:
    """Copy a generated batch into the landing zone: files first, then the marker."""
    batch = next((extracts / "salesforce").iterdir())
    target = landing / "salesforce" / batch.name
    target.mkdir(parents=True)
    for item in sorted(batch.iterdir()):
        if item.name != "_SUCCESS":
            shutil.copy2(item, target / item.name)
    (target / "_SUCCESS").write_text("")
    manifest = json.loads((batch / "_manifest.json").read_text())
    return target, manifest


@pytest.mark.slow
def test_a_dropped_batch_reaches_raw_through_airflow(running_airflow, warehouse_db, tmp_path):
    landing, proc, log = running_airflow
    generate(tmp_path / "extracts", leads=300, seed=21, batches=1)
    batch, manifest = _drop_batch(tmp_path / "extracts", landing)
    expected_files = len(manifest["rows"])

    deadline = time.monotonic() + WAIT_S
    loaded = 0
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        if query(warehouse_db, "select to_regclass('ops.load_ledger') is not null")[0][0]:
            loaded = query(warehouse_db, "select count(*) from ops.load_ledger")[0][0]
        if loaded == expected_files and (landing / "archive" / "salesforce" / batch.name).exists():
            break
        time.sleep(1)
    else:
        pytest.fail(
            f"{loaded}/{expected_files} files loaded after {WAIT_S}s:\n{log.read_text()[-4000:]}"
        )

    rows = manifest["rows"]
    lead_file = next(name for name in rows if name.startswith("Lead"))
    assert query(warehouse_db, "select count(*) from raw.salesforce__lead")[0][0] == rows[lead_file]
    assert not batch.exists(), "the batch moved to archive/"
    archived = landing / "archive" / "salesforce" / batch.name
    assert (archived / "_SUCCESS.queued").exists() and (archived / lead_file).exists()
