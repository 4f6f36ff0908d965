"""build_marts' producer builds each run's as_of on one dbt parse
(revalign/orchestration/watcher_build.py)."""

import json
import subprocess
from datetime import datetime

from conftest import BIN, query

from revalign import settings
from revalign.build import shared_parse, transform
from revalign.build.transform import DBT_PROJECT_DIR
from revalign.orchestration import watcher_build

#: One producer task's process, as Cosmos runs its build: a fresh process, fitted, that
#: hands ``cosmos.dbt.runner.run_command`` the build's command, environment and directory.
PRODUCER = r"""
import json, sys
import airflow.sdk  # a task's process has Airflow loaded before Cosmos
from cosmos.dbt import runner
from revalign.orchestration import watcher_build

watcher_build.fit_producer()
project, target, env, as_of = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
heard = []
result = runner.run_command(
    ["dbt", "build", "--vars", f"as_of: '{as_of}'\n", "--log-format", "json",
     "--select", "int_as_of", "--project-dir", project, "--profiles-dir", project,
     "--target-path", target, "--no-static-parser"],
    env,
    project,
    callbacks=[lambda event: heard.append((event.info.level, event.info.name))],
)
assert result.success, result.exception
print("FINISHED", heard.count(("debug", "NodeFinished")))
print("DEBUG", sorted({name for level, name in heard if level == "debug"}))
"""

REPARSE = "Unable to do partial parsing"


def test_parse_args_keep_the_project_and_profile_and_drop_as_of():
    project = ["--project-dir", "/tmp/p", "--profiles-dir", "/tmp/profile"]
    profile = ["--profile", "revalign", "--target", "warehouse", "--no-static-parser"]
    build = [
        "build",
        "--vars",
        "as_of: '2026-11-01T06:00:00+00:00'\nstale_days: 30\n",
        "--log-format",
        "json",
        "--select",
        "int_as_of",
        *project,
        *profile,
    ]
    assert shared_parse.parse_args(build) == ["--vars", "stale_days: 30\n", *project, *profile]


def test_the_dbt_parse_does_not_depend_on_as_of(tmp_path):
    """What makes one parse right for every as_of: parsed with it or without, the same."""
    placeholder = settings.ConnectionInfo("localhost", 5432, "parse", "parse", "parse")

    def parsed(name: str, extra: list[str]) -> dict:
        target = tmp_path / name
        args = ["parse", "--target-path", str(target), "--no-partial-parse", *extra]
        transform.invoke(placeholder, [*args, "--no-static-parser"])
        manifest = json.loads((target / "manifest.json").read_text())
        return {
            kind: {
                key: {field: v for field, v in node.items() if field != "created_at"}
                for key, node in manifest[kind].items()
            }
            for kind in ("nodes", "sources", "macros", "exposures", "unit_tests")
        } | {"parent_map": manifest["parent_map"]}

    without = parsed("without", [])
    with_as_of = parsed("with", ["--vars", "as_of: '2026-05-01T00:00:00+00:00'"])
    assert without.keys() == with_as_of.keys()
    for kind in without:
        differing = sorted(k for k in without[kind] if without[kind][k] != with_as_of[kind].get(k))
        assert not differing, f"{kind} parsed differently with as_of: {differing}"


def test_each_producer_builds_its_as_of_on_the_parse_saved_by_the_one_before(
    airflow_env, warehouse_db, tmp_path
):
    env = settings.dbt_environment(warehouse_db)
    outputs = []
    for as_of in ("2026-05-01T00:00:00+00:00", "2026-06-01T12:00:00+00:00"):
        out = subprocess.run(
            [
                str(BIN / "python"),
                "-c",
                PRODUCER,
                str(DBT_PROJECT_DIR),
                str(tmp_path / "target"),
                json.dumps(env),
                as_of,
            ],
            env=airflow_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
        assert "FINISHED 1" in out.stdout, out.stdout[-3000:]
        assert "DEBUG ['NodeFinished']" in out.stdout, out.stdout[-3000:]  # no SQL events
        assert query(warehouse_db, "select as_of from intermediate.int_as_of") == [
            (datetime.fromisoformat(as_of),)
        ]
        outputs.append(out.stdout)
    assert REPARSE in outputs[0]  # nothing saved yet: a full parse
    assert REPARSE not in outputs[1], outputs[1][-3000:]


def _dbt_line(name: str, unique_id: str | None = None, status: str | None = None) -> str:
    """One line of dbt's JSON log, in the shape dbt's event callback gives Cosmos."""
    data = {"node_info": {"unique_id": unique_id, "node_status": status}} if unique_id else {}
    return json.dumps({"info": {"name": name, "msg": f"{name} message"}, "data": data})


def test_only_finished_skipped_and_failed_nodes_are_reported():
    reported = watcher_build.REPORTED_DBT_EVENTS | {"RunResultError"}
    model = "model.revalign.fct_lead_funnel"
    kept = [
        _dbt_line("NodeFinished", model, "success"),
        _dbt_line("SkippingDetails", model, "skipped"),
        _dbt_line("RunResultError", model, "error"),
        _dbt_line("MainReportVersion"),
        "not JSON: a line some library printed",
    ]
    for line in kept:
        assert watcher_build.reported_line(line, reported) == line
    for name, status in [("NodeStart", "started"), ("LogModelResult", "success")]:
        seen = json.loads(watcher_build.reported_line(_dbt_line(name, model, status), reported))
        assert seen["data"]["node_info"] == {}
        assert seen["info"]["msg"] == f"{name} message"  # still logged


def test_reporting_is_fitted_once_per_process():
    script = (
        "import airflow.sdk\n"
        "from cosmos.operators import watcher\n"
        "from cosmos.operators._watcher import base\n"
        "from revalign.orchestration import watcher_build\n"
        "watcher_build.report_finished_nodes_only()\n"
        "fitted = watcher.store_dbt_resource_status_from_log, base._process_dbt_log_event\n"
        "watcher_build.report_finished_nodes_only()\n"
        "print(fitted == (watcher.store_dbt_resource_status_from_log, "
        "base._process_dbt_log_event))\n"
    )
    out = subprocess.run([str(BIN / "python"), "-c", script], capture_output=True, text=True)
    assert out.stdout.split()[-1:] == ["True"], out.stderr[-2000:]
