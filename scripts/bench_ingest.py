"""Benchmark `revalign load` against a raw COPY of the same Lead file, in one run.

Makes a Lead.csv of --rows rows (generated leads, repeated), and two copies of it with
malformed records (every 100th, and every 10,000th, one field too many), then times,
in alternating rounds:
  - psql: `psql -c "\\copy bare_text_table FROM file (FORMAT csv, HEADER)"`, the stricter
    baseline (psql's own C client reads the file);
  - raw COPY: `COPY bare_text_table FROM STDIN (FORMAT csv, HEADER)` from psycopg2;
  - revalign: loader.load, as `revalign load` runs it (hash, ledger, checks, COPY, metadata),
    on the clean file and on each malformed one;
  - the same file delivered a second time (skipped: hashed, found in the ledger).
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


def malformed_copy(clean: Path, folder: Path, every: int) -> tuple[Path, int]:
    """The clean file with every ``every``-th record one field too many: the bytes are
    otherwise the same. Returns the file and how many records were made malformed."""
    from revalign.ingest import csv_records, record_scan

    width = len(csv_records.read_header(clean))
    batch = folder / "salesforce" / "01_20261101T060000Z"
    batch.mkdir(parents=True)
    target = batch / "Lead.csv"
    number = spoiled = 0
    with open(clean, "rb") as source, open(target, "wb") as out:
        scanner = record_scan.RecordScanner(source, width, 1 << 30)
        for block in scanner.blocks():
            if number == 0:  # the header, as delivered
                with open(clean, "rb") as head:
                    out.write(head.read(scanner.header_bytes))
            bounds = block.bounds.tolist()
            for at in range(block.records):
                record = block.data[bounds[at] : bounds[at + 1]]
                number += 1
                if number % every == 0:
                    eol = scanner.eol
                    record = record[: -len(eol)] + b",one too many" + eol
                    spoiled += 1
                out.write(record)
    return target, spoiled


def measured(kind: str, path: Path, database: str) -> dict:
    """Run one load in a child process: its wall time (for ``skip``, the second load's
    time; for ``psql``, the psql process's), and its peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, str(path), database], stdout=subprocess.PIPE
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{kind} load failed")
    seconds = time.perf_counter() - started
    if kind in ("skip", "psql"):
        seconds = float(out.decode().split()[-1])
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024}


def child(kind: str, path: Path, database: str) -> None:
    from psycopg2 import sql

    from revalign import warehouse
    from revalign.ingest import loader
    from revalign.warehouse import db, schemas

    conn = warehouse.connection().with_database(database)
    schemas.ensure_schemas(conn)
    if kind in ("revalign", "skip"):
        (result,) = loader.load(conn, [path])
        assert result.status == "loaded", result.reason
        if kind == "skip":
            started = time.perf_counter()
            (again,) = loader.load(conn, [path])
            print(time.perf_counter() - started)
            assert again.status == "skipped", again.summary()
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
        statement = sql.SQL("copy raw.bare_lead ({}) from {} with (format csv, header true)")
        if kind == "psql":
            pg.commit()
            command = statement.format(columns, sql.SQL("{}").format(sql.Literal(str(path))))
            started = time.perf_counter()
            subprocess.run(["psql", conn.url, "-q", "-c", "\\" + command.as_string(pg)], check=True)
            print(time.perf_counter() - started)  # psql's own time: the stricter baseline
            return
        with open(path, encoding="utf-8-sig", newline="") as handle:
            cur.copy_expert(statement.format(columns, sql.SQL("stdin")), handle, size=1 << 18)


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


#: What each round measures, in the order run: (key, kind of child, file).
LOADS = (
    ("psql", "psql", "clean"),
    ("raw", "raw", "clean"),
    ("clean", "revalign", "clean"),
    ("one_percent", "revalign", "one_percent"),
    ("hundredth_percent", "revalign", "hundredth_percent"),
    ("skip", "skip", "clean"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="every load once per round, rounds alternating; medians reported (default 3)",
    )
    args = parser.parse_args()
    from revalign import warehouse

    warehouse.start()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        big = make_lead_file(work / "big", args.rows)
        small = make_lead_file(work / "small", args.rows // 4)
        files = {"clean": big}
        files["one_percent"], spoiled = malformed_copy(big, work / "one", 100)
        files["hundredth_percent"], few = malformed_copy(big, work / "few", 10_000)
        rows, small_rows = lead_rows(big), lead_rows(small)
        size_mb = big.stat().st_size / 2**20
        from revalign.ingest.csv_records import read_header

        width = len(read_header(big))
        rounds = []
        for number in range(args.rounds):  # alternating: a slow phase of the machine hits all
            runs = {}
            for key, kind, file in LOADS:
                runs[key] = measured(kind, files[file], fresh_database(f"bench_ingest_{key}"))
            print(
                f"round {number + 1}: "
                + ", ".join(f"{k} {r['seconds']:.2f} s" for k, r in runs.items()),
                flush=True,
            )
            rounds.append(runs)
        quarter = measured("revalign", small, fresh_database("bench_ingest_small"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def ratio(top: str, bottom: str) -> tuple[float, list[float]]:
        ratios = sorted(r[top]["seconds"] / r[bottom]["seconds"] for r in rounds)
        return statistics.median(ratios), ratios

    def median(key: str) -> dict:
        return _median_run([r[key] for r in rounds])

    def row(label: str, key: str, count: int) -> str:
        run = median(key)
        return (
            f"| {label} | {count:,} | {run['seconds']:.2f} | {count / run['seconds']:,.0f} | "
            f"{run['peak_rss_mb']:.0f} |"
        )

    def verdict(value: float, target: float) -> str:
        return f"target at most {target}x: {'met' if value <= target else 'NOT met'}"

    def shown(name: str, top: str, bottom: str, target: float) -> str:
        value, ratios = ratio(top, bottom)
        return (
            f"| {name} | **{value:.2f}x** | {', '.join(f'{r:.2f}' for r in ratios)} | "
            f"{verdict(value, target)} |"
        )

    growth = median("clean")["peak_rss_mb"] / quarter["peak_rss_mb"]
    skip = median("skip")
    lines = [
        f"Command: `.venv/bin/python scripts/bench_ingest.py --rows {args.rows} "
        f"--rounds {args.rounds}` "
        f"(Lead.csv of {rows:,} rows, {size_mb:.0f} MB, {width} columns; the malformed copies "
        f"have {spoiled:,} and {few:,} records with one field too many; embedded PostgreSQL 15, "
        "2 cores). Every load runs in its own process on a fresh database; times are the "
        "median round's.",
        "",
        "| load | rows | wall time (s) | rows/s | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
        row("`psql \\copy ... (FORMAT csv)` into a bare text table", "psql", rows),
        row(
            "raw `COPY ... FROM STDIN (FORMAT csv)` (psycopg2) into a bare text table", "raw", rows
        ),
        row("`revalign load` (hash, ledger, checks, metadata)", "clean", rows),
        row(f"`revalign load`, 1 % malformed ({spoiled:,} rejected)", "one_percent", rows),
        row(f"`revalign load`, 0.01 % malformed ({few:,} rejected)", "hundredth_percent", rows),
        f"| `revalign load`, a quarter of the file | {small_rows:,} | {quarter['seconds']:.2f} | "
        f"{small_rows / quarter['seconds']:,.0f} | {quarter['peak_rss_mb']:.0f} |",
        f"| `revalign load`, the same file delivered again (skipped) | {rows:,} | "
        f"{skip['seconds']:.2f} | - | {skip['peak_rss_mb']:.0f} |",
        "",
        f"Ratios, median of {len(rounds)} alternating rounds (each round's ratio of times "
        "measured next to each other):",
        "",
        "| ratio | median | rounds | |",
        "|---|---:|---|---|",
        shown("revalign / `psql \\copy`", "clean", "psql", 1.3),
        shown("revalign / raw COPY (psycopg2)", "clean", "raw", 1.3),
        shown("1 % malformed / clean file", "one_percent", "clean", 1.5),
        shown("0.01 % malformed / clean file", "hundredth_percent", "clean", 1.5),
        "",
        f"The second delivery of the file is skipped in {skip['seconds']:.2f} s "
        f"({skip['seconds'] / median('clean')['seconds']:.0%} of loading it: reading it for "
        f"its SHA-256). Peak memory for 4x the rows: x{growth:.2f} "
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
