"""The whole flow under a real Airflow: a batch dropped into the landing zone is loaded,
built into the marts and checked, unattended, by three DAGs wired only by assets."""

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import free_port, query, reachable_dir
from local_airflow import StandaloneAirflow, drop_batch
from marts_vs_truth import differences, marts_figures, truth_figures

from revalign import schemas
from revalign.generator import generate

WAIT_S = 420


@pytest.fixture
def airflow(airflow_env, warehouse_db, tmp_path):
    """airflow standalone wired to a fresh warehouse database and landing folder."""
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    with (
        reachable_dir("revalign-landing-") as landing,
        StandaloneAirflow(
            airflow_env, warehouse_db, landing, tmp_path / "airflow-logs", free_port()
        ) as running,
    ):
        yield running


def _extraction_time(batch: Path) -> str:
    return json.loads((batch / "_manifest.json").read_text())["extracted_at"]


def _live_leads(batch: Path) -> int:
    """Leads of a full batch that are not deleted, read from its CSV file."""
    lead_file = next(batch.glob("Lead*.csv"))
    with lead_file.open(newline="") as f:
        return len({row["Id"] for row in csv.DictReader(f) if row["IsDeleted"] != "true"})


def _checked_at(conn, extracted_at: str):
    """The check run stored for the marts built as of ``extracted_at``, once there is one."""
    if not query(conn, "select to_regclass('ops.check_runs') is not null")[0][0]:
        return None
    rows = query(
        conn, "select checks, failures from ops.check_runs where as_of = %s", (extracted_at,)
    )
    return rows[0] if rows else None


@pytest.mark.slow
def test_batches_flow_from_landing_to_checked_marts(airflow, warehouse_db, tmp_path):
    truth = generate(tmp_path / "extracts", leads=300, seed=21, batches=2)
    first, second = sorted((tmp_path / "extracts" / "salesforce").iterdir())
    (plan,) = sorted((tmp_path / "extracts" / "plan").iterdir())
    api = airflow.wait_for_api()

    # The first batch and the plan announce themselves with their markers.
    dropped_at = datetime.now(UTC)
    drop_batch(plan, airflow.landing)
    drop_batch(first, airflow.landing)
    checks, _ = airflow.wait_for(
        "check run as of the first batch",
        lambda: _checked_at(warehouse_db, _extraction_time(first)),
        WAIT_S,
    )
    assert checks > 30
    assert query(warehouse_db, "select count(*) from marts.fct_lead_funnel") == [
        (_live_leads(first),)
    ]
    assert not (airflow.landing / "salesforce" / first.name).exists(), "archived"
    assert (airflow.landing / "archive" / "salesforce" / first.name / "_SUCCESS.queued").exists()

    # The second (incremental) batch is announced through the REST API instead.
    target = drop_batch(second, airflow.landing, marker=False)
    landing_asset = api.get("/api/v2/assets", name_pattern="revalign.landing")["assets"][0]
    api.post(
        "/api/v2/assets/events", {"asset_id": landing_asset["id"], "extra": {"batch": str(target)}}
    )
    airflow.wait_for(
        "check run as of the second batch",
        lambda: _checked_at(warehouse_db, _extraction_time(second)),
        WAIT_S,
    )
    marts = marts_figures(lambda sql: query(warehouse_db, sql))
    assert differences(truth_figures(truth), marts) == []

    # Every run the batches started succeeded, and both batches were checked. (Earlier
    # tests of this session share Airflow's metadata database: a refresh_marts run there
    # left mart events that start a check run here before any batch, on an empty warehouse.)
    runs = {
        dag: [r for r in api.dag_runs(dag) if datetime.fromisoformat(r["start_date"]) >= dropped_at]
        for dag in ("ingest_extracts", "build_marts", "check_hygiene")
    }
    for dag, dag_runs in runs.items():
        assert dag_runs and all(r["state"] == "success" for r in dag_runs), (dag, dag_runs)
    assert len(runs["build_marts"]) >= 2 and len(runs["check_hygiene"]) >= 2
