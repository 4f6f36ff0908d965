"""revalign scales out on Airflow's own executors, unchanged: the three DAGs under the
CeleryExecutor, with a Redis broker and two Celery workers, each component a process of
its own as in the team deployment (docker-compose.yml), against the embedded warehouse."""

import csv
import json
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import free_port, fresh_database, query, reachable_dir
from local_airflow import CeleryAirflow, drop_batch
from marts_vs_truth import differences, marts_figures, truth_figures

from revalign import schemas
from revalign.generator import generate

WAIT_S = 480
DAGS = ("ingest_extracts", "build_marts", "check_hygiene")


@pytest.fixture
def redis_broker(tmp_path):
    """Debian's redis-server on loopback, nothing persisted; stopped and gone afterwards."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is missing: run scripts/ensure_test_tools.sh (make test does)")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    cli = [shutil.which("redis-cli") or "redis-cli", "-p", str(port), "ping"]
    deadline = time.monotonic() + 30
    while subprocess.run(cli, capture_output=True, text=True).stdout.strip() != "PONG":
        assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.2)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def celery_airflow(airflow_env, warehouse_server, warehouse_db, redis_broker, tmp_path):
    """The components and two workers, on a metadata database and Airflow home of their own."""
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    with (
        fresh_database(warehouse_server) as metadata,
        reachable_dir("revalign-landing-") as landing,
    ):
        env = {
            **airflow_env,
            "AIRFLOW_HOME": str(tmp_path / "airflow-home"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata.url.replace(
                "postgresql://", "postgresql+psycopg2://", 1
            ),
        }
        with CeleryAirflow(
            env, warehouse_db, landing, tmp_path / "logs", free_port(), broker_url=redis_broker
        ) as running:
            yield running


def _records(path: Path) -> int:
    with path.open(newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def _dropped_files(batches: list[Path]) -> dict[str, int]:
    """file name -> records, for every extract file of the batches."""
    return {
        f"{batch.name}/{file.name}": _records(file)
        for batch in batches
        for file in sorted(batch.glob("*.csv"))
    }


def _all_runs_finished(api) -> dict[str, list[dict]] | None:
    runs = {dag: api.dag_runs(dag) for dag in DAGS}
    if any(r["state"] not in ("success", "failed") for rs in runs.values() for r in rs):
        return None
    return runs


@pytest.mark.slow
def test_two_batches_at_once_are_each_loaded_once_on_two_celery_workers(
    celery_airflow, warehouse_db, tmp_path
):
    truth = generate(tmp_path / "extracts", leads=300, seed=23, batches=2)
    batches = [
        *sorted((tmp_path / "extracts" / "plan").iterdir()),
        *sorted((tmp_path / "extracts" / "salesforce").iterdir()),
    ]
    newest = max(json.loads((b / "_manifest.json").read_text())["extracted_at"] for b in batches)
    api = celery_airflow.wait_for_api()

    for batch in batches:  # both Salesforce batches (and the plan) land at the same moment
        drop_batch(batch, celery_airflow.landing)

    def checked_as_of_newest():
        if not query(warehouse_db, "select to_regclass('ops.check_runs') is not null")[0][0]:
            return None
        return query(warehouse_db, "select 1 from ops.check_runs where as_of = %s", (newest,))

    celery_airflow.wait_for("check run as of the newest batch", checked_as_of_newest, WAIT_S)
    runs = celery_airflow.wait_for("every DAG run to finish", lambda: _all_runs_finished(api), 300)

    # Each file was loaded exactly once: one ledger row per file, raw holds its records once.
    dropped = _dropped_files(batches)
    ledger = query(
        warehouse_db,
        "select batch_id || '/' || file_name, rows_in, rows_loaded, raw_table from ops.load_ledger",
    )
    assert Counter(row[0] for row in ledger) == Counter(dropped.keys())
    assert {row[0]: row[1] for row in ledger} == dropped
    loaded_per_table = Counter()
    for _, _, rows_loaded, raw_table in ledger:
        loaded_per_table[raw_table] += rows_loaded
    for raw_table, rows in loaded_per_table.items():
        assert query(warehouse_db, f"select count(*) from raw.{raw_table}") == [(rows,)], raw_table

    # The marts are right, and every run of the three DAGs succeeded.
    marts = marts_figures(lambda sql: query(warehouse_db, sql))
    assert differences(truth_figures(truth), marts) == []
    for dag, dag_runs in runs.items():
        assert dag_runs and all(r["state"] == "success" for r in dag_runs), (dag, dag_runs)

    # Both workers ran tasks.
    for n in (1, 2):
        log = (celery_airflow.logs / f"worker-{n}.log").read_text(errors="replace")
        assert "execute_workload" in log and "succeeded" in log, f"worker-{n} ran no task"
