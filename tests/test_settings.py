import json

import pytest

from revalign import settings
from revalign.settings import ConnectionInfo, SettingsError


def test_url_round_trip_keeps_awkward_passwords():
    conn = ConnectionInfo("db.example", 6543, "rev user", "p@ss:w/rd%", "wh")
    again = ConnectionInfo.from_url(conn.url)
    assert again == conn
    assert again.password == "p@ss:w/rd%"
    assert "p@ss" not in conn.redacted() and "***" in conn.redacted()


def test_url_defaults_and_errors():
    conn = ConnectionInfo.from_url("postgresql://u@localhost/warehouse")
    assert (conn.port, conn.password, conn.dbname) == (5432, "", "warehouse")
    with pytest.raises(SettingsError, match="postgresql://"):
        ConnectionInfo.from_url("mysql://u@h/db")
    with pytest.raises(SettingsError, match="names no database"):
        ConnectionInfo.from_url("postgresql://u@h:5432")


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("REVALIGN_HOME", str(tmp_path))
    monkeypatch.delenv("REVALIGN_LANDING_DIR", raising=False)
    assert settings.home() == tmp_path
    assert settings.landing_dir() == str(tmp_path / "landing")
    monkeypatch.setenv("REVALIGN_LANDING_DIR", "s3://bucket/landing")
    assert settings.landing_dir() == "s3://bucket/landing"
    monkeypatch.setenv("REVALIGN_DBT_THREADS", "x")
    with pytest.raises(SettingsError, match="REVALIGN_DBT_THREADS"):
        settings.dbt_threads()


def test_dbt_profile_and_airflow_connection_derive_from_one_connection(monkeypatch, tmp_path):
    monkeypatch.setenv("REVALIGN_HOME", str(tmp_path))
    wh = ConnectionInfo("127.0.0.1", 5555, "revalign", "secret", "revalign")
    meta = wh.with_database("airflow")
    env = settings.airflow_environment(wh, meta)

    airflow_conn = json.loads(env["AIRFLOW_CONN_REVALIGN_WAREHOUSE"])
    assert airflow_conn == {
        "conn_type": "postgres",
        "host": "127.0.0.1",
        "port": 5555,
        "login": "revalign",
        "password": "secret",
        "schema": "revalign",
    }
    assert env["REVALIGN_DBT_PORT"] == "5555" and env["REVALIGN_DBT_DBNAME"] == "revalign"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("/airflow")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(settings.PROJECT_ROOT / "dags")
    assert env["AIRFLOW_HOME"] == str(tmp_path / "airflow")


def test_airflow_settings_set_in_the_environment_win(monkeypatch, tmp_path):
    monkeypatch.setenv("REVALIGN_HOME", str(tmp_path))
    wh = ConnectionInfo("127.0.0.1", 5555, "revalign", "secret", "revalign")
    laptop = settings.airflow_environment(wh, wh.with_database("airflow"))
    assert (
        laptop["AIRFLOW__CORE__EXECUTOR"]
        == "revalign.orchestration.local_executor.PreloadingLocalExecutor"
    )
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "32")
    team = settings.airflow_environment(wh, wh.with_database("airflow"))
    assert team["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert team["AIRFLOW__CORE__PARALLELISM"] == "32"
    # what revalign derives from its own settings is not Airflow's to override
    assert team["AIRFLOW_CONN_REVALIGN_WAREHOUSE"] == laptop["AIRFLOW_CONN_REVALIGN_WAREHOUSE"]


def test_dbt_profile_reads_only_derived_variables():
    profile = (settings.PROJECT_ROOT / "dbt_project" / "profiles.yml").read_text()
    wanted = set(settings.dbt_environment(ConnectionInfo("h", 1, "u", "p", "d")))
    for name in ("HOST", "PORT", "USER", "PASSWORD", "DBNAME", "THREADS"):
        assert f"env_var('REVALIGN_DBT_{name}'" in profile
        assert f"REVALIGN_DBT_{name}" in wanted


def test_only_the_settings_module_reads_the_environment():
    offenders = []
    for path in (settings.PROJECT_ROOT / "revalign").rglob("*.py"):
        if path.name == "settings.py":
            continue
        text = path.read_text()
        if "os.environ.get(" in text or "os.getenv(" in text:
            offenders.append(path.name)
    assert offenders == []


def _readme_settings_table() -> dict[str, str]:
    """The README's Configuration table: variable -> its default column."""
    readme = (settings.PROJECT_ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `REVALIGN_") and len(cells) >= 3:
            rows[cells[0].strip("`")] = cells[1]
    return rows


def test_readme_documents_every_setting_with_its_declared_default():
    """One declaration per setting (settings.SETTINGS); the README's table follows it."""
    table = _readme_settings_table()
    missing = [s.env for s in settings.SETTINGS if s.env not in table]
    assert missing == [], "add these settings to the README's Configuration table"
    assert sorted(table) == sorted(s.env for s in settings.SETTINGS), "settings no longer declared"
    for setting in settings.SETTINGS:
        documented = table[setting.env].replace("`", "")
        assert documented == setting.shown_default, f"README's default of {setting.env}"


def test_an_unset_setting_takes_its_declared_default(monkeypatch):
    for setting in settings.SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
        if setting.default is not None:
            assert settings.value(setting.env) == setting.parse(setting.env, setting.default)
    assert settings.dbt_threads() == 2 and settings.hygiene_fail_share() == 0.05
    assert settings.alert_data_team() == [] and settings.pg_os_user() == "postgres"
    monkeypatch.setenv("REVALIGN_ALERT_DATA_TEAM", " a@x.io, b@x.io ,")
    assert settings.alert_data_team() == ["a@x.io", "b@x.io"]


def test_celery_workers_get_airflows_settings_and_preload_what_tasks_import():
    """revalign's Celery config is Airflow's own plus modules imported once per worker."""
    import importlib

    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

    from revalign.orchestration import celery_config, task_preload

    config = celery_config.CELERY_CONFIG
    assert {k: v for k, v in config.items() if k != "imports"} == {
        k: v for k, v in DEFAULT_CELERY_CONFIG.items() if k != "imports"
    }
    assert set(task_preload.PRELOADED_MODULES) <= set(config["imports"])
    for module in task_preload.PRELOADED_MODULES:
        importlib.import_module(module)
    path = settings.AIRFLOW_DEFAULTS["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"]
    module, _, name = path.rpartition(".")
    assert getattr(importlib.import_module(module), name) is config
