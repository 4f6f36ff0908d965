"""Benchmark the flow's freshness under a real Airflow: from a batch's marker written to
its hygiene checks stored.

Generates (B + 1) x N leads in B + 1 batches (cached under .revalign/bench/): each batch
holds about N leads' worth of new records plus updates and deletes of earlier ones. The
first batch is loaded and built directly into a fresh database (the base), then
``revalign airflow standalone`` (scheduler, triggerer, dag-processor, API server) runs the
DAGs against it, and the other B batches are dropped into the landing zone one at a
time. For each, the latency is the time from its ``_SUCCESS`` marker written to its row
in ``ops.check_runs``; it is split into the time spent in the work itself (the ingest
task, the dbt build of build_marts' producer task, the checkpoint task) and the rest,
which is Airflow's own: noticing the marker, scheduling the three DAG runs, starting
tasks, the per-model tasks of the dbt task group, passing asset events. Results replace
the "freshness" section of docs/benchmarks.md.

    .venv/bin/python scripts/bench_freshness.py [--leads-per-batch 10000] [--batches 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from bench_data import BENCH_DIR, extracts, fresh_database  # noqa: E402
from benchmarks_doc import replace_section  # noqa: E402

DATABASE = "revalign_bench_freshness"
AIRFLOW_DATABASE = "revalign_bench_airflow"
WAIT_S = 900
DAGS = ("ingest_extracts", "build_marts", "check_hygiene")


def airflow_base_env(metadata) -> dict[str, str]:
    """Airflow's environment over its own, freshly migrated, metadata database."""
    import os

    from revalign import settings, warehouse

    env = {
        **os.environ,
        **settings.airflow_environment(warehouse.connection(), metadata),
        "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        "AIRFLOW__CORE__PARALLELISM": "4",
    }
    settings.airflow_home().mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "airflow"), "db", "migrate"],
        env=env,
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    return env


def _seconds(ti: dict) -> float:
    if not ti.get("start_date") or not ti.get("end_date"):
        return 0.0
    start = datetime.fromisoformat(ti["start_date"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(ti["end_date"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def all_finished(api, runs_before: dict[str, int]) -> bool:
    """Every DAG run the batch started has finished, and there is one of each DAG."""
    runs = {dag: api.dag_runs(dag)[runs_before[dag] :] for dag in DAGS}
    return all(runs.values()) and all(
        r["state"] in ("success", "failed") for dag_runs in runs.values() for r in dag_runs
    )


def work_seconds(api, runs_before: dict[str, int]) -> dict[str, float]:
    """Seconds of the load, build and check work in the DAG runs since ``runs_before``."""
    spent = {"load": 0.0, "build": 0.0, "check": 0.0}
    task_of = {
        "load": ("ingest_extracts", "load_batches"),
        "build": ("build_marts", "dbt.dbt_producer_watcher"),
        "check": ("check_hygiene", "run_checkpoint"),
    }
    for part, (dag, task_id) in task_of.items():
        for run in api.dag_runs(dag)[runs_before[dag] :]:
            for ti in api.task_instances(dag, run["dag_run_id"]):
                if ti["task_id"] == task_id:
                    spent[part] += _seconds(ti)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads-per-batch", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=4, help="batches measured")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    from conftest import free_port
    from local_airflow import StandaloneAirflow, drop_batch

    from revalign import warehouse
    from revalign.build import transform
    from revalign.checks import hygiene
    from revalign.ingest import landing, loader
    from revalign.warehouse import schemas

    folder = extracts(args.leads_per_batch * (args.batches + 1), args.seed, args.batches + 1)
    base, *measured = sorted((folder / "salesforce").iterdir(), key=landing.batch_order)
    conn = fresh_database(DATABASE)
    schemas.set_up(conn, "revalign_bi", warehouse.bi_password())
    loader.load(conn, [folder / "plan", base])
    transform.build(conn)
    print(f"base loaded and built: {base.name}", flush=True)

    env = airflow_base_env(fresh_database(AIRFLOW_DATABASE))
    samples = []
    with tempfile.TemporaryDirectory(prefix="revalign-bench-landing-") as landing:
        Path(landing).chmod(0o755)
        log = BENCH_DIR / "freshness-airflow-logs"
        with StandaloneAirflow(env, conn, Path(landing), log, free_port()) as airflow:
            api = airflow.wait_for_api()
            airflow.wait_for(
                "the three DAGs parsed",
                lambda: {d["dag_id"] for d in api.get("/api/v2/dags")["dags"]} >= set(DAGS),
                300,
            )
            for batch in measured:
                extracted_at = json.loads((batch / "_manifest.json").read_text())["extracted_at"]
                runs_before = {dag: len(api.dag_runs(dag)) for dag in DAGS}
                written = datetime.now().astimezone()
                drop_batch(batch, Path(landing))
                checked = partial(hygiene.checked_at, conn, extracted_at)
                finished = airflow.wait_for(f"checks of {batch.name}", checked, WAIT_S, 0.5)
                latency = (finished - written).total_seconds()
                airflow.wait_for(
                    "the batch's DAG runs to finish", partial(all_finished, api, runs_before), 300
                )
                # the next batch's build can start only now (build_marts: max_active_runs=1)
                done = (datetime.now().astimezone() - written).total_seconds()
                work = work_seconds(api, runs_before)
                sample = {"batch": batch.name, "latency": latency, "done": done, **work}
                sample["airflow"] = latency - sum(work.values())
                samples.append(sample)
                print(json.dumps(sample), flush=True)
    reference = in_one_process(folder, base, measured[0])
    print(json.dumps(reference), flush=True)
    write_section(args, samples, reference, folder)


def in_one_process(folder: Path, base: Path, batch: Path) -> dict[str, float]:
    """The same work without Airflow: the first measured batch loaded, built and checked
    by ``revalign``'s functions in one warm process, on a base built the same way."""
    from revalign import warehouse
    from revalign.build import transform
    from revalign.checks import hygiene
    from revalign.ingest import loader
    from revalign.warehouse import schemas

    conn = fresh_database(DATABASE)
    schemas.set_up(conn, "revalign_bi", warehouse.bi_password())
    loader.load(conn, [folder / "plan", base])
    transform.build(conn)
    hygiene.check(conn)  # imports and warms what a check needs, as the build did for dbt
    spent = {}
    for part, step in (
        ("load", lambda: loader.load(conn, [batch])),
        ("build", lambda: transform.build(conn)),
        ("check", lambda: hygiene.check(conn)),
    ):
        started = time.perf_counter()
        step()
        spent[part] = time.perf_counter() - started
    return spent


def measured_name(samples: list[dict]) -> str:
    return f"batch {samples[0]['batch']}"


def write_section(args, samples: list[dict], reference: dict, folder: Path) -> None:
    def median(key: str) -> float:
        return statistics.median(s[key] for s in samples)

    latency = median("latency")
    rows = "\n".join(
        f"| {s['batch']} | {s['latency']:.1f} | {s['load']:.1f} | {s['build']:.1f} | "
        f"{s['check']:.1f} | {s['airflow']:.1f} | {s['done']:.1f} |"
        for s in samples
    )
    shares = {key: median(key) / latency for key in ("load", "build", "check", "airflow")}
    truth = json.loads((folder / "truth.json").read_text())
    body = (
        "```\n.venv/bin/python scripts/bench_freshness.py "
        f"--leads-per-batch {args.leads_per_batch} --batches {args.batches}\n```\n\n"
        "`revalign airflow standalone` (Airflow's standalone on 127.0.0.1, revalign's "
        "LocalExecutor, which imports Cosmos, dbt and GX "
        "before it forks its workers; parallelism 4) on the embedded warehouse; "
        f"{truth['records']['leads']:,} leads in {args.batches + 1} batches of about "
        f"{args.leads_per_batch:,} leads, the first loaded and built beforehand. Each measured "
        "batch is dropped with its marker once the previous one was checked. Seconds from "
        "the marker written to the check run stored:\n\n"
        "| batch | marker to checks stored | load task | dbt build (producer) | "
        "checkpoint task | Airflow's own | marker to every run finished |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        f"{rows}\n\n"
        "The last column is when the batch's three DAG runs had all finished, build_marts' "
        "task per model and per model's tests included: a batch that lands before then "
        "waits for it to start its own build.\n\n"
        f"**Median {latency:.1f} s** (target: under 60 s). Shares of the median: load "
        f"{shares['load']:.0%}, build {shares['build']:.0%}, checks {shares['check']:.0%}, "
        f"Airflow's scheduling and task start-up {shares['airflow']:.0%}. Every run of the "
        f"batch finished after a median {median('done'):.1f} s. (Airflow's own is what is "
        "left of the latency: the checkpoint task goes on after the check run is stored, "
        "with the alerts and Data Docs, so it can come out below zero.)\n\n"
        f"The same work for {measured_name(samples)} in one warm process, without Airflow "
        f"(`loader.load`, `transform.build`, `hygiene.check`): load {reference['load']:.1f} s, "
        f"build {reference['build']:.1f} s, checks {reference['check']:.1f} s, "
        f"{sum(reference.values()):.1f} s in all.\n"
    )
    replace_section("freshness", "Freshness: marker to checks stored, under Airflow", body)
    print(body)


if __name__ == "__main__":
    main()
