"""Benchmark `revalign build`: a full build of N generated leads, then an incremental
build after a small delta batch, in one run, on one database.

Generates N leads in B batches (cached under .revalign/bench/), loads every batch
but the last into a fresh database of the warehouse (the embedded one, or
REVALIGN_WAREHOUSE_URL), times a full build (--full-refresh), loads the last batch
(about 1/B of the year: new leads plus updates and deletes of earlier records) and
times the incremental build, then a build with nothing new. The marts are checked
against the generator's truth.json at the end. Results replace the "build" section
of docs/benchmarks.md.

    .venv/bin/python scripts/bench_build.py [--leads 1000000] [--batches 100]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import bench_data  # noqa: E402
from benchmarks_doc import replace_section  # noqa: E402

DATABASE = "revalign_bench_build"
#: dbt writes its artifacts here, not in dbt_project/target, so a benchmark can run
#: beside other dbt work on the same project.
TARGET = bench_data.BENCH_DIR / "dbt-target"


def fresh_database():
    from revalign.warehouse import schemas

    conn = bench_data.fresh_database(DATABASE)
    schemas.set_up(conn, "revalign_bi", None)
    return conn


def slowest_models(top: int = 5) -> list[tuple[str, float]]:
    results = json.loads((TARGET / "run_results.json").read_text())
    timed = [
        (r["unique_id"].split(".")[-1], r["execution_time"])
        for r in results["results"]
        if r["unique_id"].startswith("model.")
    ]
    return sorted(timed, key=lambda t: -t[1])[:top]


def timed_build(conn, **kwargs) -> tuple[float, list[tuple[str, float]]]:
    from revalign.build import transform

    started = time.perf_counter()
    transform.build(conn, **kwargs)
    return time.perf_counter() - started, slowest_models()


def raw_rows(conn) -> int:
    from revalign.warehouse import db

    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute("select coalesce(sum(rows_loaded), 0) from ops.load_ledger")
        return int(cur.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batches", type=int, default=100)
    args = parser.parse_args()
    os.environ["DBT_TARGET_PATH"] = str(TARGET)
    os.environ["DBT_LOG_PATH"] = str(TARGET / "logs")

    from revalign.ingest import landing, loader

    folder = bench_data.extracts(args.leads, args.seed, args.batches)
    conn = fresh_database()
    batches = sorted((folder / "salesforce").iterdir(), key=landing.batch_order)
    started = time.perf_counter()
    loader.load(conn, [folder / "plan", *batches[:-1]])
    load_seconds = time.perf_counter() - started
    before = raw_rows(conn)
    print(f"loaded {before} raw rows in {load_seconds:.0f} s", flush=True)

    full, full_models = timed_build(conn, full_refresh=True)
    print(f"full build {full:.1f} s", flush=True)
    loader.load(conn, [batches[-1]])
    delta = raw_rows(conn) - before
    incremental, incremental_models = timed_build(conn)
    print(f"incremental build after {delta} new raw rows: {incremental:.1f} s", flush=True)
    unchanged, _ = timed_build(conn)
    print(f"build with nothing new: {unchanged:.1f} s", flush=True)

    truth = json.loads((folder / "truth.json").read_text())
    found = bench_data.truth_differences(conn, folder)
    ratio = incremental / full

    def models(timings):
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings)

    body = (
        "```\n.venv/bin/python scripts/bench_build.py "
        f"--leads {args.leads} --batches {args.batches}\n```\n\n"
        f"{truth['records']['persons']:,} persons ({truth['records']['leads']:,} leads, "
        f"{truth['records']['contacts']:,} contacts created directly), "
        f"{truth['accounts']['accounts']:,} accounts and {truth['records']['opportunities']:,} "
        f"opportunities ({before:,} raw rows in {len(batches) - 1} batches, loaded in "
        f"{load_seconds:.0f} s). The delta is the last batch: {delta:,} raw rows "
        f"({delta / before:.1%}), new records plus updates and deletes of earlier ones.\n\n"
        "| build | seconds |\n|---|---|\n"
        f"| full (`--full-refresh`) | {full:.1f} |\n"
        f"| incremental, after the delta | {incremental:.1f} |\n"
        f"| again, nothing new | {unchanged:.1f} |\n\n"
        f"**Incremental / full = {ratio:.3f}** (target: at most 0.15). The marts equal "
        f"truth.json: {'yes' if not found else f'NO, {len(found)} differences'}.\n\n"
        f"Slowest models, full: {models(full_models)}.\n"
        f"Slowest models, incremental: {models(incremental_models)}.\n"
    )
    replace_section("build", "revalign build: full vs incremental", body)
    print(body)


if __name__ == "__main__":
    main()
