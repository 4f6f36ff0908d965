"""Every DAG file imports cleanly, is tagged, does no I/O at import, and parses fast."""

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import BIN, REPO, airflow_env_for, query

DAG_FILES = sorted((REPO / "dags").glob("*.py"))
PARSE_BUDGET_S = 1.0

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


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_imports_without_io(dag_file: Path, airflow_env):
    out = subprocess.run(
        [str(BIN / "python"), "-c", IMPORT_WITHOUT_IO, str(dag_file)],
        env=airflow_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}
    assert report["dags"], f"{dag_file.name} defines no DAG"
    for dag_id, dag in report["dags"].items():
        assert dag["tags"], f"{dag_id} has no tags"
        assert dag["doc"], f"{dag_id} has no doc_md"
        assert dag["catchup"] is False, f"{dag_id} must set catchup=False"


def test_airflow_parses_every_file_in_under_a_second(airflow_env):
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
        hours, minutes, seconds = row["duration"].split(":")
        duration = timedelta(hours=int(hours), minutes=int(minutes), seconds=float(seconds))
        assert duration.total_seconds() < PARSE_BUDGET_S, f"{name} parses in {duration}"


def test_build_marts_runs_under_airflow(airflow_env, warehouse_db):
    """`airflow dags test` runs the real task against the warehouse connection it derives."""
    from revalign import schemas

    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    env = airflow_env_for(airflow_env, warehouse_db)
    out = subprocess.run(
        [
            str(BIN / "airflow"),
            "dags",
            "test",
            "build_marts",
            "-c",
            '{"as_of": "2026-11-01T00:00:00Z"}',
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    assert query(warehouse_db, "select count(*) from staging.stage_order") == [(10,)]
