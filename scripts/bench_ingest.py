"""Benchmark `revalign load` against a raw COPY of the same Lead file, in one run.

Makes a Lead.csv of --rows rows (generated leads, repeated), then times:
  - raw COPY: `COPY bare_text_table FROM STDIN (FORMAT csv, HEADER)` of the file;
  - revalign: loader.load, as `revalign load` runs it (hash, ledger, checks, COPY, metadata).
Each runs in its own process against its own fresh database of the warehouse
(the embedded one, or REVALIGN_WAREHOUSE_URL), so peak memory is per process.
revalign also loads a file of a quarter the size, to show memory is flat in file size.
Results replace the "ingest" section of docs/benchmarks.md.

    .venv/bin/python scripts/bench_ingest.py [--rows 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

from benchmarks_doc import replace_section  # noqa: E402


def make_lead_file(folder: Path, rows: int) -> Path:
    from revalign.generator import generate

    source = folder / "gen"
    generate(source, leads=20_000, seed=1, batches=1, workers=1)
    lead = next(source.rglob("Lead.csv"))
    with open(lead, "rb") as handle:
        header = handle.readline()
        body = handle.read()
    body_rows = lead_rows(lead)
    batch = folder / "salesforce" / "01_20261101T060000Z"
    batch.mkdir(parents=True)
    target = batch / "Lead.csv"
    with open(target, "wb") as out:
        out.write(header)
        written = 0
        while written + body_rows <= rows:
            out.write(body)
            written += body_rows
    shutil.rmtree(source)
    return target


def lead_rows(path: Path) -> int:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def measured(kind: str, path: Path, database: str) -> dict:
    """Run one load in a child process; wall time and its peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", kind, str(path), database])
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{kind} load failed")
    return {"seconds": time.perf_counter() - started, "peak_rss_mb": usage.ru_maxrss / 1024}


def child(kind: str, path: Path, database: str) -> None:
    from psycopg2 import sql

    from revalign import warehouse
    from revalign.ingest import loader
    from revalign.warehouse import db, schemas

    conn = warehouse.connection().with_database(database)
    schemas.ensure_schemas(conn)
    if kind == "revalign":
        (result,) = loader.load(conn, [path])
        assert result.status == "loaded", result.reason
        return
    header = loader.csv_records.read_header(path)
    columns = sql.SQL(", ").join(sql.Identifier(c.lower()) for c in header)
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            sql.SQL("create table raw.bare_lead ({})").format(
                sql.SQL(", ").join(
                    sql.SQL("{} text").format(sql.Identifier(c.lower())) for c in header
                )
            )
        )
        with open(path, encoding="utf-8-sig", newline="") as handle:
            cur.copy_expert(
                sql.SQL("copy raw.bare_lead ({}) from stdin with (format csv, header true)").format(
                    columns
                ),
                handle,
                size=1 << 18,
            )


def _median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def fresh_database(name: str) -> str:
    from revalign import warehouse
    from revalign.warehouse import db

    admin = warehouse.connection().with_database("postgres")
    with db.connect(admin, autocommit=True) as pg, pg.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
        cur.execute(f'create database "{name}"')
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="raw and revalign loads, alternating; the medians are reported (default 3)",
    )
    args = parser.parse_args()
    from revalign import warehouse

    warehouse.start()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        big = make_lead_file(work / "big", args.rows)
        small = make_lead_file(work / "small", args.rows // 4)
        rows, small_rows = lead_rows(big), lead_rows(small)
        size_mb = big.stat().st_size / 2**20
        from revalign.ingest.csv_records import read_header

        width = len(read_header(big))
        rounds = []
        for _ in range(args.rounds):  # alternating, so a slow phase of the machine hits both
            raw = measured("raw", big, fresh_database("bench_ingest_raw"))
            ours = measured("revalign", big, fresh_database("bench_ingest_revalign"))
            rounds.append((raw, ours))
        quarter = measured("revalign", small, fresh_database("bench_ingest_small"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratios = sorted(ours["seconds"] / raw["seconds"] for raw, ours in rounds)
    ratio = statistics.median(ratios)
    raw = _median_run([raw for raw, _ in rounds])
    ours = _median_run([ours for _, ours in rounds])
    growth = ours["peak_rss_mb"] / quarter["peak_rss_mb"]
    lines = [
        f"Command: `.venv/bin/python scripts/bench_ingest.py --rows {args.rows} "
        f"--rounds {args.rounds}` "
        f"(Lead.csv of {rows:,} rows, {size_mb:.0f} MB, {width} columns; "
        "embedded PostgreSQL 15, 2 cores).",
        "",
        "| load | rows | wall time (s) | rows/s | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
        f"| raw `COPY ... (FORMAT csv)` into a bare text table | {rows:,} | {raw['seconds']:.1f} | "
        f"{rows / raw['seconds']:,.0f} | {raw['peak_rss_mb']:.0f} |",
        f"| `revalign load` (hash, ledger, checks, metadata) | {rows:,} | {ours['seconds']:.1f} | "
        f"{rows / ours['seconds']:,.0f} | {ours['peak_rss_mb']:.0f} |",
        f"| `revalign load`, a quarter of the file | {small_rows:,} | {quarter['seconds']:.1f} | "
        f"{small_rows / quarter['seconds']:,.0f} | {quarter['peak_rss_mb']:.0f} |",
        "",
        f"revalign / raw COPY time, median of {len(ratios)} alternating rounds: "
        f"**{ratio:.2f}x** (target at most 1.3x: {'met' if ratio <= 1.3 else 'NOT met'}; "
        f"rounds: {', '.join(f'{r:.2f}' for r in ratios)}). Times above are the median "
        f"round's. Peak memory for 4x the rows: x{growth:.2f} "
        f"({'flat' if growth < 1.2 else 'NOT flat'}).",
    ]
    text = "\n".join(lines)
    print(text)
    replace_section("ingest", "revalign load", text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
    else:
        main()
