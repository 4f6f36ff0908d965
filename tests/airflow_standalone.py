"""A real Airflow (``airflow standalone``: scheduler, triggerer, dag-processor, API server)
wired to one warehouse database and one landing folder; used by the end-to-end tests and
by scripts/bench_freshness.py.

Every wait is bounded and reports the end of Airflow's log when it runs out; ``stop()``
sends SIGINT (standalone stops its components cleanly only on that), then kills what is
left of the process group past a bound, and fails if anything survived.
"""

from __future__ import annotations

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import BIN

from revalign import dbt_airflow, settings
from revalign.settings import ConnectionInfo


class AirflowStopped(AssertionError):
    """Airflow exited, or a wait ran out; the message ends with Airflow's log."""


class StandaloneAirflow:
    def __init__(
        self,
        base_env: dict[str, str],
        warehouse: ConnectionInfo,
        landing: Path,
        log_path: Path,
        port: int,
        extra_env: dict[str, str] | None = None,
    ):
        metadata = base_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", "")
        self.port = port
        self.landing = landing
        self.log_path = log_path
        self.home = Path(base_env["AIRFLOW_HOME"])
        self.env = {
            **base_env,
            **settings.airflow_environment(warehouse, ConnectionInfo.from_url(metadata)),
            "REVALIGN_LANDING_DIR": str(landing),
            "REVALIGN_LANDING_POKE_SECONDS": "1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "5",
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self._log = None
        self._api: AirflowApi | None = None

    def start(self) -> StandaloneAirflow:
        dbt_airflow.ensure_manifest()
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(BIN / "airflow"), "standalone"],
            env=self.env,
            cwd=settings.PROJECT_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # standalone stops cleanly on SIGINT, which a background job inherits as ignored
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        return self

    def __enter__(self) -> StandaloneAirflow:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def wait_for(self, what: str, ready: Callable[[], Any], timeout: float, every: float = 1.0):
        """Poll ``ready()`` until it returns something truthy (returned), or fail after timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AirflowStopped(f"Airflow exited while waiting for {what}:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                result = ready()
                if result:
                    return result
            time.sleep(every)
        raise AirflowStopped(f"no {what} after {timeout:.0f} s:\n{self.log_tail()}")

    def wait_for_api(self, timeout: float = 300) -> AirflowApi:
        url = f"http://127.0.0.1:{self.port}/api/v2/version"

        def answers() -> bool:
            urllib.request.urlopen(url, timeout=5).close()
            return True

        self.wait_for("answer from the API server", answers, timeout)
        if self._api is None:
            self._api = AirflowApi(self.port, self.home)
        return self._api

    def stop(self) -> None:
        """SIGINT to standalone (it stops its components); past the bound, kill what is left."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=90)
        _wait_until_gone(proc.pid, 30)
        lingering = _alive_in_group(proc.pid)
        if lingering:
            warnings.warn(
                f"airflow standalone did not stop cleanly; killed: {lingering}", stacklevel=1
            )
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.wait(timeout=30)
        _wait_until_gone(proc.pid, 30)
        if self._log is not None:
            self._log.close()
        self.proc = None
        assert _alive_in_group(proc.pid) == [], "processes left behind"


def _alive_in_group(pgid: int) -> list[str]:
    """Live (not zombie) processes of a process group."""
    out = subprocess.run(
        ["ps", "-o", "pid=,stat=,args=", "-g", str(pgid)], capture_output=True, text=True
    )
    return [line for line in out.stdout.splitlines() if "Z" not in line.split()[1]]


def _wait_until_gone(pgid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _alive_in_group(pgid) and time.monotonic() < deadline:
        time.sleep(0.5)


def drop_batch(batch: Path, landing: Path, marker: bool = True) -> Path:
    """Copy a generated batch into the landing zone: its files first, then (if asked) the marker."""
    target = landing / batch.parent.name / batch.name
    shutil.copytree(batch, target, ignore=shutil.ignore_patterns("_SUCCESS"))
    if marker:
        (target / "_SUCCESS").write_text("")
    return target


class AirflowApi:
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

    def dag_runs(self, dag_id: str) -> list[dict]:
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns", order_by="run_after")["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances"
        return self.get(path, limit=500)["task_instances"]
