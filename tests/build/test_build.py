"""A real dbt build against a real PostgreSQL, in-process and through the command line."""

from conftest import query, run_cli

from revalign.build import transform
from revalign.warehouse import schemas


def test_build_creates_the_reference_seeds_in_staging(warehouse_db):
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    nodes = transform.build(warehouse_db)
    assert nodes and all(n.status in ("success", "pass", "no-op") for n in nodes)
    stages = query(
        warehouse_db, "select stage_name from staging.stage_order order by stage_position"
    )
    assert stages[0] == ("Prospecting",) and stages[-1] == ("Closed Lost",)
    assert len(stages) == 10


def test_build_command_uses_the_configured_warehouse(warehouse_db):
    out = run_cli(
        "build",
        "--as-of",
        "2026-11-01T00:00:00Z",
        env={"REVALIGN_WAREHOUSE_URL": warehouse_db.url, "REVALIGN_BI_PASSWORD": "x"},
    )
    assert out.returncode == 0, out.stderr
    assert "build ok" in out.stdout
    assert query(warehouse_db, "select count(*) from staging.stage_order") == [(10,)]
