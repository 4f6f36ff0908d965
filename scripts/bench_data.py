"""What the benchmarks share: generated extracts, cached under .revalign/bench/, and
scratch databases on the configured warehouse."""

from __future__ import annotations

import hashlib
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent / ".revalign" / "bench"


def extracts(leads: int, seed: int, batches: int) -> Path:
    """N generated leads in B batches, generated once and reused by later runs of the
    same generator (its code's digest names the folder: a changed world is made anew)."""
    from revalign.generator import generate

    folder = BENCH_DIR / f"leads-{leads}-seed-{seed}-batches-{batches}-world-{_world_digest()}"
    if not (folder / "truth.json").exists():
        print(f"generating {leads} leads in {batches} batches into {folder} ...", flush=True)
        generate(folder, leads=leads, seed=seed, batches=batches)
    return folder


def _world_digest() -> str:
    generator = Path(__file__).resolve().parent.parent / "revalign" / "generator"
    digest = hashlib.sha256()
    for path in sorted(generator.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def fresh_database(name: str):
    """An empty database ``name`` on the warehouse server (dropped first if it exists)."""
    from psycopg2 import sql

    from revalign import warehouse
    from revalign.warehouse import db

    server = warehouse.connection()
    with db.connect(server.with_database("postgres"), autocommit=True) as pg, pg.cursor() as cur:
        cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return server.with_database(name)


def drop_database(name: str) -> None:
    """Drop a benchmark's database (a large warehouse takes gigabytes)."""
    from psycopg2 import sql

    from revalign import warehouse
    from revalign.warehouse import db

    server = warehouse.connection()
    with db.connect(server.with_database("postgres"), autocommit=True) as pg, pg.cursor() as cur:
        cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def truth_differences(conn, folder: Path) -> list:
    """How the marts of ``conn`` differ from the truth.json generated into ``folder``."""
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from marts_vs_truth import differences, marts_figures, truth_figures

    from revalign.warehouse import db

    def query(sql):
        with db.connect(conn) as pg, pg.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    truth = json.loads((folder / "truth.json").read_text())
    return differences(truth_figures(truth), marts_figures(query))
