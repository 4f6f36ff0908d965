"""`make airflow`: ``airflow standalone`` (every component in one process tree,
revalign's LocalExecutor) parses the three DAGs without an import error, runs a batch's
ingest when its marker lands, and stops cleanly on SIGINT, leaving no process behind.
The build and the checks under a real Airflow are test_flow_airflow.py's, on Celery
workers."""

import ipaddress
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import free_port, query, reachable_dir
from local_airflow import StandaloneAirflow, drop_batch, listening_addresses

from revalign.cli import AIRFLOW_PASSWORD_FILE
from revalign.generator import generate
from revalign.warehouse import schemas

DAGS = {"ingest_extracts", "build_marts", "check_hygiene", "refresh_marts"}


@pytest.fixture
def airflow(airflow_env, warehouse_db, tmp_path):
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    # as on a first start: Airflow prints the admin password it generates, if it does
    (Path(airflow_env["AIRFLOW_HOME"]) / AIRFLOW_PASSWORD_FILE).unlink(missing_ok=True)
    with (
        reachable_dir("revalign-landing-") as landing,
        StandaloneAirflow(
            airflow_env, warehouse_db, landing, tmp_path / "airflow-logs", free_port()
        ) as running,
    ):
        yield running


@pytest.mark.slow
def test_standalone_parses_the_dags_and_ingests_a_batch(airflow, warehouse_db, tmp_path):
    generate(tmp_path / "extracts", leads=100, seed=5, batches=1)
    (batch,) = sorted((tmp_path / "extracts" / "salesforce").iterdir())
    api = airflow.wait_for_api()

    def parsed() -> set[str] | None:
        found = {d["dag_id"] for d in api.get("/api/v2/dags")["dags"]}
        return found if found >= DAGS else None

    airflow.wait_for("the DAGs parsed", parsed, 300)
    assert api.get("/api/v2/importErrors")["import_errors"] == []
    _listens_on_loopback_only_and_printed_no_password(airflow)

    api.patch("/api/v2/dags/build_marts", {"is_paused": True})  # the ingest alone, here
    dropped_at = datetime.now(UTC)
    drop_batch(batch, airflow.landing)

    def ingested() -> list[dict] | None:
        runs = [
            r
            for r in api.dag_runs("ingest_extracts")
            if datetime.fromisoformat(r["run_after"]) >= dropped_at
        ]
        return runs if runs and all(r["state"] in ("success", "failed") for r in runs) else None

    runs = airflow.wait_for("the batch's ingest run", ingested, 300)
    assert [r["state"] for r in runs] == ["success"] * len(runs)
    files = {f.name for f in batch.glob("*.csv")}
    loaded = {row[0] for row in query(warehouse_db, "select file_name from ops.load_ledger")}
    assert loaded == files
    # the executor is revalign's, which imported the tasks' modules before forking
    standalone_log = (airflow.logs / "standalone.log").read_text(errors="replace")
    assert "Imported what revalign's tasks need" in standalone_log


def _loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback


def _listens_on_loopback_only_and_printed_no_password(airflow) -> None:
    """No API server or task-log server on every interface (Airflow's defaults), and the
    admin password stays in its file (mode 0600), where the README says it is."""
    (proc,) = airflow.procs.values()
    time.sleep(3)  # the scheduler and triggerer are running: a log server would be bound
    listening = listening_addresses(proc.pid)
    assert any(port == airflow.port for _, port in listening), listening
    assert all(ipaddress.ip_address(address).is_loopback for address, _ in listening), listening
    assert not {port for _, port in listening} & {8793, 8794}
    passwords = Path(airflow.env["AIRFLOW_HOME"]) / AIRFLOW_PASSWORD_FILE
    assert passwords.stat().st_mode & 0o077 == 0
    password = json.loads(passwords.read_text())["admin"]
    assert password not in (airflow.logs / "standalone.log").read_text(errors="replace")
