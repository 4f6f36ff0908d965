"""A batch dropped into the landing zone reaches raw through a real Airflow, unattended."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

import pytest
from conftest import BIN, REPO, free_port, query, reachable_dir

from revalign import schemas, settings
from revalign.generator import generate

WAIT_S = 300


@pytest.fixture
def running_airflow(airflow_env, warehouse_db, tmp_path):
    """airflow standalone wired to a fresh warehouse database and landing folder."""
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    with reachable_dir("revalign-landing-") as landing:
        port = free_port()
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
            # standalone stops cleanly on SIGINT, which a background job inherits as ignored
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            yield landing, proc, tmp_path / "airflow.log", port
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
    """SIGINT to standalone (it stops its components); past the bound, kill what is left."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=90)
    deadline = time.monotonic() + 30
    while _alive_in_group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    lingering = _alive_in_group(proc.pid)
    if lingering:
        warnings.warn(f"airflow standalone did not stop cleanly; killed: {lingering}", stacklevel=1)
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while _alive_in_group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _alive_in_group(proc.pid) == [], "processes left behind"


def _drop_batch(extracts: Path, landing: Path) -> tuple[Path, dict]:
    """Copy a generated batch into the landing zone: files first, then the marker."""
    batch = sorted((extracts / "salesforce").iterdir())[0]
    target = landing / "salesforce" / batch.name
    target.mkdir(parents=True)
    for item in sorted(batch.iterdir()):
        if item.name != "_SUCCESS":
            shutil.copy2(item, target / item.name)
    (target / "_SUCCESS").write_text("")
    manifest = json.loads((batch / "_manifest.json").read_text())
    return target, manifest


@pytest.mark.slow
def test_batches_reach_raw_through_airflow_by_marker_and_by_rest(
    running_airflow, warehouse_db, tmp_path
):
    landing, proc, log, port = running_airflow
    generate(tmp_path / "extracts", leads=300, seed=21, batches=2)
    _wait_for_api(port, proc, log)
    batch, manifest = _drop_batch(tmp_path / "extracts", landing)
    first_files = len(manifest["rows"])
    archived = landing / "archive" / "salesforce" / batch.name
    _wait_for_ledger(warehouse_db, first_files, archived, proc, log)

    rows = manifest["rows"]
    lead_file = next(name for name in rows if name.startswith("Lead"))
    assert query(warehouse_db, "select count(*) from raw.salesforce__lead")[0][0] == rows[lead_file]
    assert not batch.exists(), "the batch moved to archive/"
    assert (archived / "_SUCCESS.queued").exists() and (archived / lead_file).exists()

    # A second batch, announced through the REST API instead of a marker.
    api = _Api(port, Path(os.environ["REVALIGN_HOME"]) / "airflow")
    second = sorted((tmp_path / "extracts" / "salesforce").iterdir())[1]
    target = landing / "salesforce" / second.name
    shutil.copytree(second, target, ignore=shutil.ignore_patterns("_SUCCESS"))
    asset_id = api.get("/api/v2/assets", name_pattern="revalign.landing")["assets"][0]["id"]
    api.post("/api/v2/assets/events", {"asset_id": asset_id, "extra": {"batch": str(target)}})
    second_files = len(json.loads((second / "_manifest.json").read_text())["rows"])
    archived_second = landing / "archive" / "salesforce" / second.name
    _wait_for_ledger(warehouse_db, first_files + second_files, archived_second, proc, log)

    # ingest_extracts emitted an event for each raw table it loaded rows into. (Until a DAG
    # schedules on it, an asset resolved through an alias exists but is not "active".)
    raw_lead = api.get(
        "/api/v2/assets", name_pattern="revalign.raw.salesforce__lead", only_active="false"
    )["assets"]
    assert raw_lead, "the raw asset revalign.raw.salesforce__lead exists"
    # The events are registered when the task reports success, just after it archived the batch.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = api.get("/api/v2/assets/events", asset_id=raw_lead[0]["id"])["asset_events"]
        if len(events) >= 2:
            break
        time.sleep(1)
    assert len(events) == 2


def _wait_for_api(port: int, proc, log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/version", timeout=5).close()
            return
        except OSError:
            time.sleep(1)
    pytest.fail(f"Airflow's API server did not answer within {WAIT_S}s")


def _wait_for_ledger(conn, files: int, archived: Path, proc, log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    loaded = 0
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        if query(conn, "select to_regclass('ops.load_ledger') is not null")[0][0]:
            loaded = query(conn, "select count(*) from ops.load_ledger")[0][0]
        if loaded == files and archived.exists():
            return
        time.sleep(1)
    pytest.fail(f"{loaded}/{files} files loaded after {WAIT_S}s:\n{log.read_text()[-4000:]}")


class _Api:
    """Airflow's REST API with a token from the simple auth manager."""

    def __init__(self, port: int, airflow_home: Path):
        self.base = f"http://127.0.0.1:{port}"
        generated = airflow_home / "simple_auth_manager_passwords.json.generated"
        password = json.loads(generated.read_text())["admin"]
        token = self._call("POST", "/auth/token", {"username": "admin", "password": password})
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}

    def _call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", **(headers or {})},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def get(self, path: str, **params):
        return self._call("GET", f"{path}?{urllib.parse.urlencode(params)}", headers=self.headers)

    def post(self, path: str, body: dict):
        return self._call("POST", path, body, headers=self.headers)
