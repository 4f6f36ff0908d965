"""Benchmark whether the incremental build's cost follows the delta or the warehouse.

For each size (default 1M leads in 100 batches, then 5M leads in 500 batches: the
last batch, the delta, is then about the same number of raw rows), in one run, on a
fresh database of the warehouse each: load every batch but the last, build in full,
load the last batch and time the incremental build after it. The marts are checked
against truth.json. Writes both times, their ratio, and the models whose incremental
time grew most with the warehouse, into the "build-scale" section of
docs/benchmarks.md.

The full builds run on --full-build-threads dbt threads (default 1): at 5M leads,
fct_lead_funnel and fct_opportunities built side by side sort more to disk than a
machine with 60 GB free holds. The incremental builds run on the configured threads
(REVALIGN_DBT_THREADS), as a scheduled build does.

With --reuse, a size's database is kept after its run, and a later run measures on
it again without loading and building it from scratch (at 5M leads that takes more
than an hour): the last batch is withdrawn (its raw rows and its entries in the load
ledger), the warehouse built once so that every model is current with the code (new
models are built in full there; an incremental model whose SQL changed keeps its
rows), and the last batch delivered again: the incremental build after it recomputes
the same records as after its first delivery. The full build is then not measured.

    .venv/bin/python scripts/bench_build_scale.py [--sizes 1000000:100 5000000:500] [--reuse]
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

import bench_build  # noqa: E402
import bench_data  # noqa: E402
from benchmarks_doc import replace_section  # noqa: E402

SEED = 7


def model_times() -> dict[str, float]:
    """Seconds per model of the last build, and per kind of node (``[models]``,
    ``[tests]``, ``[seeds]``: their sums, across dbt's threads)."""
    results = json.loads((bench_build.TARGET / "run_results.json").read_text())
    times: dict[str, float] = {}
    for r in results["results"]:
        kind = r["unique_id"].split(".")[0]
        times[f"[{kind}s]"] = times.get(f"[{kind}s]", 0.0) + r["execution_time"]
        if kind == "model":
            times[r["unique_id"].split(".")[-1]] = r["execution_time"]
    return times


def _built_before(name: str, batches: int):
    """The kept database ``name`` when it holds every batch (or all but the last: a run
    that withdrew it stopped), else None."""
    import psycopg2

    from revalign import warehouse
    from revalign.errors import RevalignError
    from revalign.warehouse import db

    conn = warehouse.connection().with_database(name)
    try:
        with db.connect(conn) as pg, pg.cursor() as cur:
            cur.execute(
                "select count(distinct batch_id) from ops.load_ledger where source = 'salesforce'"
            )
            found = cur.fetchone()[0]
    except (psycopg2.Error, RevalignError):  # no such database, or not set up
        return None
    # every batch; or every batch but the last, withdrawn by a run that stopped
    return conn if found in (batches, batches - 1) else None


def _withdraw(conn, batch: str) -> int:
    """Take the raw rows of ``batch`` and its ledger entries out; the rows taken out."""
    from psycopg2 import sql

    from revalign.warehouse import db

    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute("select distinct raw_table from ops.load_ledger where batch_id = %s", (batch,))
        tables = [row[0] for row in cur.fetchall() if row[0]]
        taken = 0
        for table in tables:  # the ledger names raw tables without their schema
            cur.execute(
                sql.SQL("delete from {} where _batch_id = %s").format(sql.Identifier("raw", table)),
                (batch,),
            )
            taken += cur.rowcount
        cur.execute(
            "delete from ops.rejected_rows where file_sha256 in "
            "(select file_sha256 from ops.load_ledger where batch_id = %s)",
            (batch,),
        )
        cur.execute("delete from ops.load_ledger where batch_id = %s", (batch,))
    return taken


def measure_again(conn, leads: int, batches: int) -> dict:
    """The incremental build after the last batch is delivered again (--reuse)."""
    from revalign.build import transform
    from revalign.ingest import landing, loader
    from revalign.warehouse import db

    folder = bench_data.extracts(leads, SEED, batches)
    last = sorted((folder / "salesforce").iterdir(), key=landing.batch_order)[-1]
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute("select max(loaded_through) from ops.mart_watermarks where input = 'as_of'")
        (as_of,) = cur.fetchone()  # of the marts' last build
    taken = _withdraw(conn, last.name)
    before = bench_build.raw_rows(conn)
    started = time.perf_counter()
    # every model current with this code, at the as_of it was built at (without the last
    # batch as_of would move back, and a build then recomputes every record)
    transform.build(conn, as_of=as_of)
    print(
        f"{leads} leads: withdrew {taken} raw rows of {last.name}; built the rest in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    loader.load(conn, [last])
    delta = bench_build.raw_rows(conn) - before
    started = time.perf_counter()
    transform.build(conn)
    incremental = time.perf_counter() - started
    models = model_times()
    print(f"{leads} leads: incremental after {delta} raw rows {incremental:.1f} s", flush=True)
    return {
        "leads": leads,
        "batches": batches,
        "raw_rows": before,
        "delta": delta,
        "load": None,
        "full": None,
        "incremental": incremental,
        "models": models,
        "equal": not bench_data.truth_differences(conn, folder),
    }


def measure(leads: int, batches: int, full_build_threads: int, keep: bool = False) -> dict:
    from revalign.build import transform
    from revalign.ingest import landing, loader
    from revalign.warehouse import schemas

    folder = bench_data.extracts(leads, SEED, batches)
    name = f"revalign_bench_scale_{leads}"
    if keep and (kept := _built_before(name, batches)) is not None:
        return measure_again(kept, leads, batches)
    conn = bench_data.fresh_database(name)
    schemas.set_up(conn, "revalign_bi", None)
    parts = sorted((folder / "salesforce").iterdir(), key=landing.batch_order)
    started = time.perf_counter()
    loader.load(conn, [folder / "plan", *parts[:-1]])
    load_seconds = time.perf_counter() - started
    before = bench_build.raw_rows(conn)
    print(f"{leads} leads: loaded {before} raw rows in {load_seconds:.0f} s", flush=True)
    started = time.perf_counter()
    configured = os.environ.get("REVALIGN_DBT_THREADS")
    os.environ["REVALIGN_DBT_THREADS"] = str(full_build_threads)
    try:
        transform.build(conn, full_refresh=True)
    finally:
        if configured is None:
            os.environ.pop("REVALIGN_DBT_THREADS")
        else:
            os.environ["REVALIGN_DBT_THREADS"] = configured
    full = time.perf_counter() - started
    print(f"{leads} leads: full build {full:.1f} s", flush=True)
    loader.load(conn, [parts[-1]])
    delta = bench_build.raw_rows(conn) - before
    started = time.perf_counter()
    transform.build(conn)
    incremental = time.perf_counter() - started
    models = model_times()
    print(f"{leads} leads: incremental after {delta} raw rows {incremental:.1f} s", flush=True)

    found = bench_data.truth_differences(conn, folder)
    if not keep:
        bench_data.drop_database(name)
    return {
        "leads": leads,
        "batches": batches,
        "raw_rows": before,
        "delta": delta,
        "load": load_seconds,
        "full": full,
        "incremental": incremental,
        "models": models,
        "equal": not found,
    }


def _median_run(runs: list[dict]) -> dict:
    """The run of median incremental time (the lower of the two middle ones), with every
    run's time; its marts equal truth.json only if every run's did."""
    ordered = sorted(runs, key=lambda run: run["incremental"])
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["every"] = [run["incremental"] for run in runs]
    median["equal"] = all(run["equal"] for run in runs)
    return median


def _incremental_cell(run: dict) -> str:
    every = run.get("every", [])
    if len(every) < 2:
        return f"{run['incremental']:.1f}"
    return f"{run['incremental']:.1f} ({', '.join(f'{t:.1f}' for t in every)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["1000000:100", "5000000:500"],
        help="LEADS:BATCHES per warehouse, measured in this order; the ratio is the largest "
        "warehouse's over the smallest's (default 1000000:100 5000000:500)",
    )
    parser.add_argument(
        "--full-build-threads",
        type=int,
        default=1,
        help="dbt threads of the full builds (default 1: two large marts side by side "
        "need twice the temporary disk)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep each size's database, and measure on a kept one again (the last batch "
        "withdrawn and delivered again; no full build)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each size this many times, the sizes in turn (a drift of the machine "
        "falls on both), and compare the median runs; keeps the databases as --reuse does "
        "(default 1)",
    )
    args = parser.parse_args()
    os.environ["DBT_TARGET_PATH"] = str(bench_build.TARGET)
    os.environ["DBT_LOG_PATH"] = str(bench_build.TARGET / "logs")
    from revalign import warehouse

    warehouse.start()
    sizes = [tuple(int(n) for n in size.split(":")) for size in args.sizes]
    keep = args.reuse or args.repeat > 1
    measured: dict[int, list[dict]] = {leads: [] for leads, _ in sizes}
    for _ in range(args.repeat):
        for leads, batches in sizes:
            measured[leads].append(measure(leads, batches, args.full_build_threads, keep))
    runs = [_median_run(each) for each in measured.values()]
    runs.sort(key=lambda run: run["leads"])  # measured in the order given
    small, large = runs[0], runs[-1]
    ratio = large["incremental"] / small["incremental"]
    grown = sorted(
        (m for m in small["models"] if not m.startswith("[")),
        key=lambda m: small["models"][m] - large["models"].get(m, 0.0),
    )[:8]
    kinds = ", ".join(
        f"{kind[1:-1]} {small['models'][kind]:.1f} s to {large['models'].get(kind, 0.0):.1f} s"
        for kind in sorted(k for k in small["models"] if k.startswith("["))
    )
    rows = "\n".join(
        f"| {r['leads']:,} leads, {r['batches']} batches | {r['raw_rows']:,} | {r['delta']:,} | "
        + (
            f"{r['full']:.1f} | {r['incremental']:.1f} | {r['incremental'] / r['full']:.3f} | "
            if r["full"] is not None
            else f"not measured | {_incremental_cell(r)} | | "
        )
        + f"{'yes' if r['equal'] else 'NO'} |"
        for r in runs
    )
    models = ", ".join(
        f"{m} {small['models'][m]:.1f} s to {large['models'].get(m, 0.0):.1f} s" for m in grown
    )
    body = (
        "```\n.venv/bin/python scripts/bench_build_scale.py --sizes "
        f"{' '.join(args.sizes)} --full-build-threads {args.full_build_threads}"
        f"{' --reuse' if args.reuse else ''}"
        f"{f' --repeat {args.repeat}' if args.repeat > 1 else ''}\n```\n\n"
        "Each warehouse holds every batch but the last, built in full (on "
        f"{args.full_build_threads} dbt thread(s)); the delta is the "
        "last batch (new records plus updates and deletes of earlier ones), about the "
        "same number of raw rows at every size."
        + (
            " A warehouse kept from an earlier run (--reuse; full build not measured) "
            "had the last batch withdrawn and delivered again: the build after it "
            "recomputes the same records."
            if any(r["full"] is None for r in runs)
            else ""
        )
        + (
            f" Each size was measured {args.repeat} times, the sizes in turn; the table "
            "gives the median run (and every run in brackets), the ratio is of the "
            "medians and the times by model are those of the median runs."
            if args.repeat > 1
            else ""
        )
        + "\n\n"
        "| warehouse | raw rows before | delta (raw rows) | full build (s) | "
        "incremental build (s) | incremental / full | marts equal truth.json |\n"
        "|---|---:|---:|---:|---:|---:|---|\n"
        f"{rows}\n\n"
        f"**Incremental build at {large['leads']:,} / at {small['leads']:,} leads = "
        f"{ratio:.2f}** for {large['raw_rows'] / small['raw_rows']:.1f}x the warehouse "
        f"(target: at most 1.5x: {'met' if ratio <= 1.5 else 'NOT met'}).\n\n"
        f"Incremental build, time summed over dbt's threads by kind of node: {kinds}. "
        f"Models whose incremental time grew most: {models}.\n"
    )
    replace_section("build-scale", "revalign build: the same delta on a larger warehouse", body)
    print(body)


if __name__ == "__main__":
    main()
