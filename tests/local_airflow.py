"""A real Airflow on this machine, wired to one warehouse database and one landing folder;
used by the end-to-end tests and by scripts/bench_freshness.py.

- ``StandaloneAirflow``: ``airflow standalone`` (scheduler, triggerer, dag-processor and
  API server in one process tree, LocalExecutor), as ``make airflow`` runs it.
- ``CeleryAirflow``: each component in its own process, as a team deployment runs them,
  with the CeleryExecutor, a Redis broker and several Celery workers.

Every wait is bounded and reports the end of the logs when it runs out; ``stop()``
signals each process the way it stops cleanly, kills what is left of its process group
past a bound, and fails if anything survived.
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

from conftest import BIN, free_port

from revalign import settings
from revalign.orchestration import dbt_airflow
from revalign.settings import ConnectionInfo


class AirflowStopped(AssertionError):
    """A component exited, or a wait ran out; the message ends with the logs."""


class LocalAirflow:
    """Airflow components as child processes, each in its own process group and log file."""

    #: How each component stops cleanly.
    stop_signal = signal.SIGTERM
    #: The program each component's arguments are given to.
    program = (str(BIN / "airflow"),)

    def __init__(
        self,
        base_env: dict[str, str],
        warehouse: ConnectionInfo,
        landing: Path,
        logs: Path,
        port: int,
        extra_env: dict[str, str] | None = None,
    ):
        metadata = base_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", "")
        self.port = port
        self.landing = landing
        self.logs = logs
        self.env = {
            **base_env,
            **settings.airflow_environment(warehouse, ConnectionInfo.from_url(metadata)),
            "REVALIGN_AIRFLOW_DB_URL": metadata,  # for `revalign airflow`, which derives the rest
            "REVALIGN_LANDING_DIR": str(landing),
            "REVALIGN_LANDING_POKE_SECONDS": "1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "5",
            **(extra_env or {}),
        }
        self.home = Path(self.env["AIRFLOW_HOME"])
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list = []
        self._api: AirflowApi | None = None

    def components(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        """name -> (airflow arguments, extra environment) of each process to start."""
        raise NotImplementedError

    def start(self) -> LocalAirflow:
        dbt_airflow.ensure_manifest()
        self.logs.mkdir(parents=True, exist_ok=True)
        for name, (args, env) in self.components().items():
            log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
            self._logs.append(log)
            self.procs[name] = subprocess.Popen(
                [*self.program, *args],
                env={**self.env, **env},
                cwd=settings.PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # standalone stops cleanly on SIGINT, which a background job inherits as ignored
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )
        return self

    def __enter__(self) -> LocalAirflow:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def log_tail(self, chars: int = 4000) -> str:
        per_log = max(chars // max(len(self.procs), 1), 1000)
        return "\n".join(
            f"--- {name}.log\n" + (self.logs / f"{name}.log").read_text(errors="replace")[-per_log:]
            for name in self.procs
        )

    def wait_for(
        self,
        what: str,
        ready: Callable[[], Any],
        timeout: float,
        every: float = 1.0,
        progress: Callable[[], Any] | None = None,
    ):
        """Poll ``ready()`` until it returns something truthy (returned), or fail after timeout.

        With ``progress``, the timeout counts from the last change of ``progress()`` (the
        tasks finished so far, say): a slow machine that still gets on is given the time,
        one that stalls fails ``timeout`` after its last step."""
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise AirflowStopped(
                        f"{name} exited while waiting for {what}:\n{self.log_tail()}"
                    )
            with contextlib.suppress(OSError):
                result = ready()
                if result:
                    return result
                if progress is not None and (now := progress()) != seen:
                    seen, deadline = now, time.monotonic() + timeout
            time.sleep(every)
        still = "" if progress is None else " without progress"
        raise AirflowStopped(f"no {what} after {timeout:.0f} s{still}:\n{self.log_tail()}")

    def wait_for_api(self, timeout: float = 300) -> AirflowApi:
        url = f"http://127.0.0.1:{self.port}/api/v2/version"

        def answers() -> bool:
            urllib.request.urlopen(url, timeout=5).close()
            return True

        self.wait_for("answer from the API server", answers, timeout)
        if self._api is None:
            self._api = AirflowApi(self.port, self.home)
        return self._api

    #: Components stopped first, in this order, each wave before the next is signalled: what
    #: starts tasks, then what runs them, then the API server they report to (a task whose
    #: API server is gone retries its calls for minutes). Others stop with the last wave.
    stop_waves: tuple[tuple[str, ...], ...] = ()

    def _waves(self) -> list[list[str]]:
        first = [[n for n in wave if n in self.procs] for wave in self.stop_waves]
        placed = {n for wave in first for n in wave}
        return [*first, [n for n in self.procs if n not in placed]]

    def stop(self) -> None:
        """Signal the components wave by wave; past the bound, kill what is left of each group."""
        deadline = time.monotonic() + 90
        for wave in self._waves():
            procs = [self.procs[name] for name in wave]
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(self.stop_signal)
            for proc in procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        left = []
        for name, proc in self.procs.items():
            _wait_until_gone(proc.pid, 30)
            lingering = _alive_in_group(proc.pid)
            if lingering:
                warnings.warn(f"{name} did not stop cleanly; killed: {lingering}", stacklevel=1)
                os.killpg(proc.pid, signal.SIGKILL)
            if proc.poll() is None:
                proc.wait(timeout=30)
            _wait_until_gone(proc.pid, 30)
            left += _alive_in_group(proc.pid)
        for log in self._logs:
            log.close()
        self.procs, self._logs = {}, []
        assert left == [], f"processes left behind: {left}"


class StandaloneAirflow(LocalAirflow):
    """``revalign airflow standalone``, as ``make airflow`` runs it: Airflow's standalone
    (every component under one process, revalign's LocalExecutor) on 127.0.0.1 only."""

    stop_signal = signal.SIGINT  # standalone stops its components cleanly only on SIGINT
    program = (str(BIN / "revalign"), "airflow")

    def components(self):
        return {"standalone": (["standalone"], {})}


class CeleryAirflow(LocalAirflow):
    """Scheduler, dag-processor, triggerer, API server and ``workers`` Celery workers, each
    a process of its own, with the CeleryExecutor and the Redis broker at ``broker_url``.

    ``airflow db migrate`` runs first: the components would otherwise race to create the
    metadata tables and ``airflow.cfg`` (which holds the JWT secret they must share)."""

    def __init__(self, *args, broker_url: str, workers: int = 2, **kwargs):
        super().__init__(*args, **kwargs)
        metadata = self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", "")
        self.workers = workers
        self.env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CELERY__BROKER_URL": broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            }
        )

    @property
    def stop_waves(self):
        workers = tuple(f"worker-{n}" for n in range(1, self.workers + 1))
        return (("scheduler", "dag-processor", "triggerer"), workers)

    def components(self):
        workers = {
            f"worker-{n}": (
                ["celery", "worker", "--celery-hostname", f"worker-{n}@%h"],
                # each worker serves its task logs to the API server on a port of its own
                {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())},
            )
            for n in range(1, self.workers + 1)
        }
        return {
            "api-server": (["api-server", "--port", str(self.port)], {}),
            "scheduler": (["scheduler"], {}),
            "dag-processor": (["dag-processor"], {}),
            "triggerer": (["triggerer"], {}),
            **workers,
        }

    def start(self) -> CeleryAirflow:
        self.home.mkdir(parents=True, exist_ok=True)
        migrate = subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        assert migrate.returncode == 0, migrate.stderr[-2000:]
        super().start()
        return self


def listening_addresses(pgid: int) -> set[tuple[str, int]]:
    """The (address, port) pairs on which the processes of a process group accept TCP."""
    import ipaddress

    inodes = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if os.getpgid(int(proc.name)) != pgid:
                continue
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    target = str(fd.readlink())
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            address, port = local.split(":")
            raw = bytes.fromhex(address)
            if table == "tcp":
                ip = ipaddress.IPv4Address(raw[::-1])
            else:  # four little-endian 32-bit words
                ip = ipaddress.IPv6Address(b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4)))
            found.add((str(ip), int(port, 16)))
    return found


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
        query = urllib.parse.urlencode(params, doseq=True)
        return self._call("GET", f"{path}?{query}", headers=self.headers)

    def post(self, path: str, body: dict):
        return self._call("POST", path, body, headers=self.headers)

    def patch(self, path: str, body: dict):
        return self._call("PATCH", path, body, headers=self.headers)

    def dag_runs(self, dag_id: str) -> list[dict]:
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns", order_by="run_after")["dag_runs"]

    def finished_tasks(self) -> int:
        """Task instances of every DAG run that finished, successful or not."""
        path = "/api/v2/dags/~/dagRuns/~/taskInstances"
        return self.get(path, state=["success", "failed"], limit=1)["total_entries"]

    def queued_asset_events(self, dag_id: str) -> list[dict]:
        """Asset events that will start a run of ``dag_id`` once it has no active run."""
        return self.get(f"/api/v2/dags/{dag_id}/assets/queuedEvents")["queued_events"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances"
        return self.get(path, limit=500)["task_instances"]

    def xcom_keys(self, dag_id: str, run_id: str, task_id: str) -> set[str]:
        path = (
            f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}"
            f"/taskInstances/{task_id}/xcomEntries"
        )
        return {entry["key"] for entry in self.get(path, limit=1000)["xcom_entries"]}
