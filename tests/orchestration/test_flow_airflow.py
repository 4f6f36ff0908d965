"""The whole flow under a real Airflow, scaled out as a team runs it: each component
(API server, scheduler, dag-processor, triggerer) a process of its own, the
CeleryExecutor with a Redis broker (Debian's redis-server on loopback) and two Celery
workers, against the embedded warehouse. Batches dropped into the landing zone are
loaded, built into the marts and checked, unattended, by three DAGs wired only by assets.

The company runs Salesforce and HubSpot side by side: each delivers its own batches.
The plan and both CRMs' full and incremental batches arrive at the same moment, all
but one by their markers and one announced through the REST API: each file is loaded
exactly once, every batch with a marker is archived, and the marts equal the
generator's truth, checked as of the newest batch. (One flow, not one per batch: each
build_marts run has a task per model, which a small machine takes minutes to go
through, and the order in which batches arrive is test_marts.py's.)
"""

import csv
import json
import shutil
import subprocess
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from conftest import free_port, fresh_database, query, reachable_dir
from local_airflow import CeleryAirflow, drop_batch
from marts_vs_truth import differences, marts_figures, truth_figures

from revalign.build import moment
from revalign.checks import hygiene
from revalign.generator import generate
from revalign.warehouse import schemas

#: How long a wait goes on without any task finishing before the test fails.
WAIT_S = 300
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
def airflow(airflow_env, warehouse_server, warehouse_db, redis_broker, tmp_path):
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


def _extraction_time(batch: Path) -> str:
    return json.loads((batch / "_manifest.json").read_text())["extracted_at"]


def _records(path: Path) -> int:
    with path.open(newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def _all_runs_finished(api) -> dict[str, list[dict]] | None:
    """Every run of the three DAGs, once all have finished and none is still to be created.

    An asset event that arrives while a DAG's run is active waits in the DAG's queue
    (max_active_runs=1): the next run is created only after the active one finished.
    Between the two, no run is active, but the flow is not done.
    """
    runs = {dag: api.dag_runs(dag) for dag in DAGS}
    if any(r["state"] not in ("success", "failed") for rs in runs.values() for r in rs):
        return None
    if any(api.queued_asset_events(dag) for dag in DAGS):
        return None
    return runs


@pytest.mark.slow(minutes=5)
@pytest.mark.timeout(1500)  # the bound of last resort: a stalled Airflow fails its wait first
def test_batches_flow_from_landing_to_checked_marts_on_celery_workers(
    airflow, warehouse_db, tmp_path
):
    truth = generate(tmp_path / "extracts", leads=300, seed=23, batches=3, crm="both")
    first, second, third = sorted((tmp_path / "extracts" / "salesforce").iterdir())
    hs_first, hs_second, hs_third = sorted((tmp_path / "extracts" / "hubspot").iterdir())
    (plan,) = sorted((tmp_path / "extracts" / "plan").iterdir())
    api = airflow.wait_for_api()

    marked = (plan, hs_first, first, second, hs_second, hs_third)
    for batch in marked:
        drop_batch(batch, airflow.landing)
    announced = drop_batch(third, airflow.landing, marker=False)
    landing_asset = api.get("/api/v2/assets", name_pattern="revalign.landing")["assets"][0]
    api.post(
        "/api/v2/assets/events",
        {"asset_id": landing_asset["id"], "extra": {"batch": str(announced)}},
    )
    newest = max(_extraction_time(b) for b in (first, second, third, hs_first, hs_second, hs_third))
    # Each build_marts run ends with a task per model and per model's tests, one after
    # another, long after its build: a slow machine gets the time as long as they finish.
    airflow.wait_for(
        "check run as of the newest batch",
        lambda: hygiene.checked_at(warehouse_db, newest),
        WAIT_S,
        progress=api.finished_tasks,
    )
    runs = airflow.wait_for(
        "every DAG run to finish",
        lambda: _all_runs_finished(api),
        WAIT_S,
        progress=api.finished_tasks,
    )

    # Each file was loaded exactly once: one ledger row per file, raw holds its records once.
    dropped = {
        f"{batch.name}/{file.name}": _records(file)
        for batch in (plan, first, second, third, hs_first, hs_second, hs_third)
        for file in sorted(batch.glob("*.csv"))
    }
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

    # The marts changed again, to exactly the truth; every run of the three DAGs succeeded.
    marts = marts_figures(lambda sql: query(warehouse_db, sql))
    assert differences(truth_figures(truth), marts) == []
    for dag, dag_runs in runs.items():
        assert dag_runs and all(r["state"] == "success" for r in dag_runs), (dag, dag_runs)
    assert runs["build_marts"] and runs["check_hygiene"]
    assert query(warehouse_db, "select count(*) > 30 from ops.check_results")[0][0]
    for batch in marked:  # archived with their markers
        source = batch.parent.name
        assert not (airflow.landing / source / batch.name).exists(), batch
        assert (airflow.landing / "archive" / source / batch.name / "_SUCCESS.queued").exists()

    # The last build ran at its own as_of, on a parse shared by every as_of, and posted
    # to XCom each model's finished event and status, and no test's own event.
    assert moment.built(warehouse_db) == datetime.fromisoformat(newest)
    last_build = runs["build_marts"][-1]["dag_run_id"]
    posted = api.xcom_keys("build_marts", last_build, "dbt.dbt_producer_watcher")
    events = {key for key in posted if key.endswith("_dbt_event")}
    assert "model__revalign__fct_lead_funnel_dbt_event" in events
    assert "model__revalign__fct_lead_funnel_status" in posted
    assert not [key for key in events if key.startswith("test__")]

    # Both workers ran tasks.
    for n in (1, 2):
        log = (airflow.logs / f"worker-{n}.log").read_text(errors="replace")
        assert "execute_workload" in log and "succeeded" in log, f"worker-{n} ran no task"
