"""The command line's contract: exit codes and one-line errors."""

from conftest import run_cli


def test_help_lists_the_commands():
    out = run_cli("--help")
    assert out.returncode == 0
    for command in ("warehouse", "load", "build", "generate", "demo", "airflow", "settings"):
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


def test_demo_generates_loads_and_builds_and_a_second_run_skips(warehouse_db):
    env = {"REVALIGN_WAREHOUSE_URL": warehouse_db.url, "REVALIGN_BI_PASSWORD": "x"}
    first = run_cli("demo", env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "17 files loaded, 0 already loaded, 0 quarantined" in first.stdout
    assert "salesforce__lead" in first.stdout and "dbt build:" in first.stdout
    second = run_cli("demo", env=env)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "0 files loaded, 17 already loaded, 0 quarantined" in second.stdout
