"""The command line's contract: exit codes and one-line errors."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli


def test_help_lists_the_commands():
    out = run_cli("--help")
    assert out.returncode == 0
    for command in ("warehouse", "load", "build", "generate", "demo", "airflow", "bi", "settings"):
        assert command in out.stdout


def test_usage_errors_exit_2():
    assert run_cli("no-such-command").returncode == 2
    assert run_cli("warehouse", "explode").returncode == 2


def test_bad_value_is_one_line_naming_what_to_fix():
    out = run_cli(
        "build",
        "--as-of",
        "yesterday",
        env={"REVALIGN_WAREHOUSE_URL": "postgresql://u@127.0.0.1:1/x"},
    )
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1
    assert out.stderr.startswith("revalign build: --as-of 'yesterday' is not an ISO 8601 timestamp")


def test_unreachable_warehouse_is_one_line():
    out = run_cli("build", env={"REVALIGN_WAREHOUSE_URL": "postgresql://u:pw@127.0.0.1:1/x"})
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1
    assert "cannot connect to postgresql://u:***@127.0.0.1:1/x" in out.stderr


def test_settings_lists_every_setting_with_its_default():
    out = run_cli("settings", env={"REVALIGN_BI_PASSWORD": "hunter2"})
    assert out.returncode == 0
    assert "REVALIGN_WAREHOUSE_URL" in out.stdout and "REVALIGN_HOME" in out.stdout
    assert "hunter2" not in out.stdout


@pytest.mark.slow
def test_demo_generates_loads_and_builds_and_a_second_run_skips(warehouse_db):
    env = {"REVALIGN_WAREHOUSE_URL": warehouse_db.url, "REVALIGN_BI_PASSWORD": "x"}
    first = run_cli("demo", env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "23 files loaded, 0 already loaded, 0 quarantined" in first.stdout
    assert "salesforce__lead" in first.stdout and "dbt build:" in first.stdout
    # progress, not logs: one line per step (on stderr), dbt's log in its file
    steps = first.stderr.splitlines()
    assert [line[:4] for line in steps if line[1:4] == "/6 "] == [f"{n}/6 " for n in range(1, 7)]
    lines = first.stdout.splitlines()
    assert not any(" START " in line or "OK created" in line for line in lines + steps)
    assert len(lines) < 150 and len(steps) < 30
    (page,) = [line.split(": ", 1)[1] for line in lines if line.startswith("The alignment report")]
    assert "Does sales follow up in time?" in Path(page).read_text()
    second = run_cli("demo", env=env)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "0 files loaded, 23 already loaded, 0 quarantined" in second.stdout


def test_airflow_gets_the_configured_admin_password(warehouse_db, tmp_path):
    """Several machines share one Airflow: the admin password is a setting, not generated."""
    from revalign.orchestration import dbt_airflow

    (tmp_path / "dbt").mkdir()  # the session's manifest, so that this home need not parse dbt
    shutil.copy2(dbt_airflow.ensure_manifest(), tmp_path / "dbt" / "manifest.json")
    written = tmp_path / "airflow" / "simple_auth_manager_passwords.json.generated"
    written.parent.mkdir()
    written.write_text('{"admin": "generated-before"}')
    written.chmod(0o644)  # e.g. left readable by an earlier Airflow
    out = run_cli(
        "airflow",
        "version",
        env={
            "REVALIGN_HOME": str(tmp_path),
            "REVALIGN_WAREHOUSE_URL": warehouse_db.url,
            "REVALIGN_AIRFLOW_ADMIN_PASSWORD": "team-admin-pw",
        },
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(written.read_text()) == {"admin": "team-admin-pw"}
    assert written.stat().st_mode & 0o077 == 0
