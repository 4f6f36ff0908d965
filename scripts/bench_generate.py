"""Benchmark `revalign generate`: wall time and peak memory as --leads grows.

Each size runs as its own `revalign generate` process (with its worker
processes); peak memory is the largest resident set of that process tree, from
wait4(). Results replace the "generate" section of docs/benchmarks.md.

    .venv/bin/python scripts/bench_generate.py [--sizes 10000 100000 1000000] [--batches 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from benchmarks_doc import replace_section  # noqa: E402


def run(leads: int, batches: int, workers: int | None) -> dict:
    out = Path(tempfile.mkdtemp(prefix="bench-generate-"))
    argv = [str(Path(sys.executable).parent / "revalign"), "generate", "--out", str(out)]
    argv += ["--leads", str(leads), "--seed", "1", "--batches", str(batches)]
    if workers:
        argv += ["--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"revalign generate --leads {leads} failed (status {status})")
    truth = json.loads((out / "truth.json").read_text())
    size = sum(p.stat().st_size for p in out.rglob("*.csv"))
    rows = sum(
        n
        for manifest in out.rglob("_manifest.json")
        for n in json.loads(manifest.read_text())["rows"].values()
    )
    shutil.rmtree(out)
    return {
        "leads": leads,
        "rows": rows,
        "opportunities": truth["records"]["opportunities"],
        "seconds": elapsed,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "csv_mb": size / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    results = [run(n, args.batches, args.workers) for n in args.sizes]
    lines = [
        f"Command: `.venv/bin/python scripts/bench_generate.py --sizes "
        f"{' '.join(map(str, args.sizes))} --batches {args.batches}` "
        f"({os.cpu_count()} cores, workers: {args.workers or 'one per core'}).",
        "",
        "| leads | CSV rows written | CSV size (MB) | wall time (s) | rows/s | peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['leads']:,} | {r['rows']:,} | {r['csv_mb']:.0f} | {r['seconds']:.1f} | "
            f"{r['rows'] / r['seconds']:,.0f} | {r['peak_rss_mb']:.0f} |"
        )
    first, last = results[0], results[-1]
    memory_growth = last["peak_rss_mb"] / first["peak_rss_mb"]
    verdict = "flat" if memory_growth < 1.5 else "NOT flat"
    lines += [
        "",
        f"Peak memory from {first['leads']:,} to {last['leads']:,} leads: "
        f"{first['peak_rss_mb']:.0f} MB to {last['peak_rss_mb']:.0f} MB, "
        f"x{memory_growth:.2f} for x{last['leads'] / first['leads']:.0f} the leads: {verdict}.",
    ]
    text = "\n".join(lines)
    print(text)
    replace_section("generate", "revalign generate", text)


if __name__ == "__main__":
    main()
