"""Every DAG file imports cleanly, is tagged, does no I/O at import and parses into its DAG
(how fast: scripts/bench_dag_parse.py); build_marts has the shape the flow relies on."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, REPO, airflow_dags_test, airflow_env_for, query

DAG_FILES = sorted((REPO / "dags").glob("*.py"))

# Imports one DAG file the way Airflow's parser does, with every socket and
# database connection made to fail: a DAG file that needs them at parse time breaks here.
IMPORT_WITHOUT_IO = r"""
import json, socket, sys
import psycopg2

def refuse(*args, **kwargs):
    raise RuntimeError("network or database access while parsing a DAG file")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
psycopg2.connect = refuse

from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": {d.dag_id: {"tags": sorted(d.tags), "doc": bool(d.doc_md), "catchup": d.catchup}
             for d in bag.dags.values()},
}))
"""


def test_there_are_dags():
    assert DAG_FILES, "dags/ holds no DAG file"


def _parse_report(script: str, dag_file: Path, env: dict[str, str]) -> dict:
    """Run ``script`` on one DAG file in a fresh interpreter; the JSON it printed last."""
    out = subprocess.run(
        [str(BIN / "python"), "-c", script, str(dag_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_imports_without_io(dag_file: Path, airflow_env):
    report = _parse_report(IMPORT_WITHOUT_IO, dag_file, airflow_env)
    assert report["errors"] == {}
    assert report["dags"], f"{dag_file.name} defines no DAG"
    for dag_id, dag in report["dags"].items():
        assert dag["tags"], f"{dag_id} has no tags"
        assert dag["doc"], f"{dag_id} has no doc_md"
        assert dag["catchup"] is False, f"{dag_id} must set catchup=False"


def test_airflow_reports_every_file_parsed_with_its_dags(airflow_env):
    """`airflow dags report` (Airflow's own parser) parses each file into its DAG.

    How long that takes is a benchmark (scripts/bench_dag_parse.py), not a test: on a
    shared two-core machine a parse time says more about the neighbours than the file."""
    out = subprocess.run(
        [str(BIN / "airflow"), "dags", "report", "-o", "json"],
        env=airflow_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    report_line = next(line for line in out.stdout.splitlines() if line.startswith("[{"))
    report = json.loads(report_line)
    parsed = {Path(row["file"]).name: row for row in report}
    assert set(parsed) == {p.name for p in DAG_FILES}
    for name, row in parsed.items():
        assert int(row["dag_num"]) == 1, f"{name} defines {row['dag_num']} DAGs"
        assert int(row["task_num"]) >= 1, f"{name} has no task"


BUILD_MARTS_SHAPE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag

dag = DagBag(dag_folder=sys.argv[1]).dags["build_marts"]
print(json.dumps({
    "schedule": sorted(a.name for a in dag.timetable.asset_condition.objects),
    "max_active_tasks": dag.max_active_tasks,
    "tasks": {
        t.task_id: {
            "type": type(t).__name__,
            "retries": t.retries,
            "upstream": sorted(t.upstream_task_ids),
            "outlets": sorted(getattr(o, "name", "") for o in t.outlets),
            "vars": getattr(t, "vars", None),
            "env": getattr(t, "env", None),
            "priority_weight": t.priority_weight,
        }
        for t in dag.tasks
    },
}))
"""


def test_build_marts_is_one_task_per_model_scheduled_on_raw_assets(airflow_env):
    from revalign.orchestration import assets, dbt_airflow

    shape = _parse_report(BUILD_MARTS_SHAPE, REPO / "dags" / "build_marts.py", airflow_env)
    assert shape["schedule"] == assets.raw_asset_names()
    tasks = shape["tasks"]
    manifest = json.loads(dbt_airflow.manifest_path().read_text())
    models = [n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    for model in models:
        task = tasks.get(f"dbt.{model}_run") or tasks[f"dbt.{model}.run"]
        assert task["retries"] == 2, model
        assert task["vars"] == {"as_of": "{{ ti.xcom_pull(task_ids='resolve_as_of') }}"}
    tested = [m for m in models if f"dbt.{m}.test" in tasks]
    assert set(assets.MARTS) <= set(tested), "every mart's tests have a task"
    producer = tasks["dbt.dbt_producer_watcher"]
    assert producer["upstream"] == ["resolve_as_of"]
    # a scheduled build runs the data tests; dbt's unit tests are for development and CI
    assert producer["env"]["DBT_EXCLUDE_RESOURCE_TYPES"] == "unit_test"
    publish = tasks["publish_marts"]
    assert publish["outlets"] == sorted(assets.mart_asset_names())
    # published as soon as the one `dbt build` (models, seeds and their tests) passed, and
    # ahead of the model tasks still reporting on it, which run one at a time beside the build
    assert publish["upstream"] == ["dbt.dbt_producer_watcher", "resolve_as_of"]
    assert shape["max_active_tasks"] == 2
    reporting = [t for t in tasks.values() if t["type"].endswith("WatcherOperator")]
    assert reporting
    assert all(publish["priority_weight"] > t["priority_weight"] for t in reporting)


def test_refresh_marts_runs_under_airflow(airflow_env, warehouse_db):
    """`airflow dags test` runs the nightly full refresh against the connection it derives."""
    from revalign.warehouse import schemas

    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    env = airflow_env_for(airflow_env, warehouse_db)
    airflow_dags_test(env, "refresh_marts", "2026-11-01T03:00:00+00:00")
    assert query(warehouse_db, "select count(*) from staging.stage_order") == [(10,)]
    assert query(warehouse_db, "select as_of from intermediate.int_as_of")[0][0].isoformat() == (
        "2026-11-01T03:00:00+00:00"
    )


def test_manifest_goes_stale_when_the_dbt_project_changes(airflow_env):
    """`revalign airflow` rewrites the manifest Cosmos renders from only when dbt files changed."""
    import os

    from revalign.orchestration import dbt_airflow

    manifest = dbt_airflow.manifest_path()
    assert not dbt_airflow.manifest_is_stale()
    model = REPO / "dbt_project" / "models" / "marts" / "fct_lead_funnel.sql"
    before = model.stat()
    try:
        later = manifest.stat().st_mtime + 10
        os.utime(model, (later, later))
        assert dbt_airflow.manifest_is_stale()
    finally:
        os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not dbt_airflow.manifest_is_stale()


TASK_PROCESS = r"""
import os, sys
from types import SimpleNamespace
from airflow.sdk.definitions._internal.dag_parsing_context import _airflow_parsing_context_manager
from cosmos.dbt import runner
from cosmos.operators import watcher
from revalign.orchestration import dbt_airflow, watcher_build

base = os.nice(0)
with _airflow_parsing_context_manager(dag_id="build_marts", task_id=sys.argv[1] or None):
    args = dbt_airflow.task_group_args("dbt", "{{ as_of }}")  # parsing fits nothing
    assert runner.get_runner is not watcher_build.ProducerRunner and os.nice(0) == base
if sys.argv[1]:  # the task runs: its pre_execute hook
    args["operator_args"]["pre_execute"]({"ti": SimpleNamespace(task_id=sys.argv[1])})
reports = getattr(watcher.store_dbt_resource_status_from_log, "revalign_fitted", False)
parses_once = runner.get_runner is watcher_build.ProducerRunner
print(os.nice(0), reports, parses_once)
"""


@pytest.mark.parametrize(
    ("task_id", "niceness_added", "fitted_to_build"),
    [
        ("dbt.fct_lead_funnel.run", 10, False),
        ("dbt.fct_lead_funnel.test", 10, False),
        ("dbt.dbt_producer_watcher", 0, True),
        ("publish_marts", 0, False),
        ("", 0, False),  # parsed by the dag-processor, not for a task
    ],
)
def test_each_task_process_is_fitted_to_its_part(
    task_id, niceness_added, fitted_to_build, airflow_env
):
    """Model tasks yield the CPU to the build; the build (orchestration/watcher_build.py)
    parses once for every as_of and posts only the dbt events the model tasks read."""
    niceness, reports_finished_nodes, parses_once = _task_process(task_id, airflow_env)
    assert int(niceness) == os.nice(0) + niceness_added
    assert (reports_finished_nodes, parses_once) == (str(fitted_to_build),) * 2


def _task_process(task_id: str, env: dict[str, str]) -> list[str]:
    """TASK_PROCESS for ``task_id``: its niceness, and whether the build was fitted."""
    out = subprocess.run(
        [str(BIN / "python"), "-c", TASK_PROCESS, task_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()[-3:]


def test_one_switch_turns_the_cosmos_adjustments_off(airflow_env):
    env = {**airflow_env, "REVALIGN_ADJUST_COSMOS": "false"}
    for task_id in ("dbt.dbt_producer_watcher", "dbt.fct_lead_funnel.run"):
        niceness, reports_finished_nodes, parses_once = _task_process(task_id, env)
        assert int(niceness) == os.nice(0)
        assert (reports_finished_nodes, parses_once) == ("False", "False")
