"""Benchmark how long Airflow takes to parse each DAG file, with revalign's 31 models and
with a dbt project of about 200 models.

Each file is parsed in a fresh process that has already imported what Airflow's
dag-processor has loaded before it parses a file (``airflow.sdk``, the task runner, the
DagBag), the way the dag-processor forks one process per file: the time is that of the
file's own imports (Cosmos included) and of building its DAG. The median of R parses is
reported. The 200-model project is revalign's manifest with every model and test copied
into independent chains until there are at least 200 models. Results replace the
"dag-parse" section of docs/benchmarks.md.

    .venv/bin/python scripts/bench_dag_parse.py [--repeat 5] [--models 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

from benchmarks_doc import replace_section  # noqa: E402

PARSE_ONE = r"""
import json, logging, sys, time
import airflow.sdk
import airflow.sdk.execution_time.task_runner
from airflow.dag_processing.dagbag import DagBag

logging.disable(logging.WARNING)
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
seconds = time.perf_counter() - started
tasks = sum(len(d.tasks) for d in bag.dags.values())
print(json.dumps({"seconds": seconds, "tasks": tasks, "errors": list(bag.import_errors)}))
"""


def scaled_manifest(source: Path, target: Path, models: int) -> int:
    """Copy every model and test of ``source`` until there are ``models`` models."""
    manifest = json.loads(source.read_text())
    nodes = manifest["nodes"]
    own = [n for n in nodes.values() if n["resource_type"] in ("model", "test")]
    ids = {n["unique_id"] for n in own}
    per_copy = sum(1 for n in own if n["resource_type"] == "model")
    for k in range(1, -(-models // per_copy)):
        suffix = f"_copy{k}"
        for node in own:
            copy = json.loads(json.dumps(node))
            copy["unique_id"] += suffix
            copy["name"] += suffix
            copy["alias"] = copy["name"]
            copy["depends_on"]["nodes"] = [
                u + suffix if u in ids else u for u in node["depends_on"]["nodes"]
            ]
            if copy.get("attached_node") in ids:
                copy["attached_node"] += suffix
            nodes[copy["unique_id"]] = copy
    from revalign.orchestration import dbt_airflow

    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(manifest))
    return dbt_airflow.model_count(target)


def parse_times(dag_file: Path, env: dict[str, str], repeat: int) -> tuple[float, int]:
    times, tasks = [], 0
    for _ in range(repeat):
        out = subprocess.run(
            [str(REPO / ".venv" / "bin" / "python"), "-c", PARSE_ONE, str(dag_file)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if result["errors"]:
            raise SystemExit(f"{dag_file.name} did not parse: {out.stderr[-2000:]}")
        times.append(result["seconds"])
        tasks = result["tasks"]
    return statistics.median(times), tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--models", type=int, default=200)
    args = parser.parse_args()

    from revalign import settings, warehouse
    from revalign.orchestration import dbt_airflow

    manifest = dbt_airflow.ensure_manifest()
    conn = warehouse.connection() if not warehouse.is_embedded() else None
    base_env = {
        **os.environ,
        **settings.airflow_environment(
            conn or settings.ConnectionInfo("localhost", 5432, "x", "x", "x"),
            settings.ConnectionInfo("localhost", 5432, "x", "x", "airflow"),
        ),
    }
    dag_files = sorted((REPO / "dags").glob("*.py"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="revalign-parse-") as home:
        scaled = scaled_manifest(manifest, Path(home) / "dbt" / "manifest.json", args.models)
        big_env = {**base_env, "REVALIGN_HOME": home}
        for dag_file in dag_files:
            seconds, tasks = parse_times(dag_file, base_env, args.repeat)
            row = [dag_file.name, f"{seconds:.3f}", str(tasks)]
            if dag_file.name == "build_marts.py":
                big_seconds, big_tasks = parse_times(dag_file, big_env, args.repeat)
                row += [f"{big_seconds:.3f}", str(big_tasks)]
            else:
                row += ["same", "same"]
            rows.append(row)
            print(" ".join(row), flush=True)
    models = dbt_airflow.model_count(manifest)
    table = "\n".join(f"| {' | '.join(r)} |" for r in rows)
    body = (
        f"```\n.venv/bin/python scripts/bench_dag_parse.py --repeat {args.repeat} "
        f"--models {args.models}\n```\n\n"
        "Seconds to parse each DAG file in a fresh process that has imported what Airflow's "
        "dag-processor holds before it parses a file (median of "
        f"{args.repeat}); build_marts is rendered by Cosmos from the dbt manifest "
        f"(`LoadMode.DBT_MANIFEST`), with revalign's {models} models and with a manifest "
        f"of {scaled} models.\n\n"
        f"| DAG file | seconds ({models} models) | tasks | seconds ({scaled} models) | tasks |\n"
        "|---|---:|---:|---:|---:|\n"
        f"{table}\n"
    )
    replace_section("dag-parse", "DAG parse time", body)
    print(body)


if __name__ == "__main__":
    main()
