"""The team deployment (Dockerfile, docker-compose.yml, .env.example), checked without a
Docker engine: ``docker compose config`` where the client has the compose plugin, and in
any case the file as compose reads it (variables interpolated from .env.example), with
every container's command parsed by the real Airflow and revalign command lines."""

import json
import re
import shutil
import subprocess

import pytest
import yaml
from conftest import REPO

from revalign import cli, settings

COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
#: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a literal $.
_VARIABLE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\})")
AIRFLOW_COMPONENTS = {
    "airflow-apiserver": ["api-server"],
    "airflow-scheduler": ["scheduler"],
    "airflow-dag-processor": ["dag-processor"],
    "airflow-triggerer": ["triggerer"],
    "airflow-worker": ["celery", "worker"],
}


def _example_env() -> dict[str, str]:
    lines = ENV_EXAMPLE.read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {name: value for name, value in pairs}


def interpolate(text: str, env: dict[str, str]) -> str:
    """What compose does to the file's text before reading it (a missing :? variable fails)."""

    def value(match: re.Match) -> str:
        name, operator, argument = match.groups()
        if name is None:
            return "$"
        current = env.get(name)
        unset_or_empty = current is None or (current == "" and operator and ":" in operator)
        if operator and operator.endswith("?") and unset_or_empty:
            raise ValueError(f"compose would stop: {name}: {argument}")
        if operator and operator.endswith("-") and unset_or_empty:
            return argument
        return current or ""

    return _VARIABLE.sub(value, text)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(interpolate(COMPOSE.read_text(), _example_env()))


def test_docker_compose_config_accepts_the_file(tmp_path):
    docker = shutil.which("docker")
    plugin = docker and subprocess.run([docker, "compose", "version"], capture_output=True)
    if not plugin or plugin.returncode != 0:
        pytest.skip("no docker compose plugin here; the checks below read the file as compose does")
    checked = subprocess.run(
        [docker, "compose", "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert checked.returncode == 0, checked.stderr


def test_every_variable_is_declared_and_required_secrets_stop_compose():
    text = COMPOSE.read_text()
    used = {m.group(1) for m in _VARIABLE.finditer(text) if m.group(1)}
    declared = set(_example_env())
    assert used <= declared, f"undeclared in .env.example: {used - declared}"
    for secret in ("WAREHOUSE_PASSWORD", "AIRFLOW_JWT_SECRET", "AIRFLOW_FERNET_KEY"):
        env = {k: v for k, v in _example_env().items() if k != secret}
        with pytest.raises(ValueError, match=secret):
            interpolate(text, env)


def test_no_secret_is_written_in_the_repository(compose):
    raw = yaml.safe_load(COMPOSE.read_text())
    for name, service in raw["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "SECRET", "FERNET")):
                assert str(value).startswith("${"), f"{name}: literal secret in {key}"
    for name, value in _example_env().items():
        if any(word in name for word in ("PASSWORD", "SECRET", "FERNET")):
            assert value == "change-me", f".env.example holds a real {name}"
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()
    assert ".env" in (REPO / ".dockerignore").read_text().splitlines()


def test_the_stack_has_every_part_of_a_team_deployment(compose):
    services = compose["services"]
    expected = {"warehouse", "airflow-db", "redis", "airflow-init", "metabase", "metabase-setup"}
    assert expected | set(AIRFLOW_COMPONENTS) <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dependency, how in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
            if how["condition"] == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", dependency
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in compose["volumes"], f"{name}: undeclared volume {source}"
    assert int(services["airflow-worker"]["deploy"]["replicas"]) >= 2


def test_airflow_runs_celery_with_shared_keys_and_one_landing_folder(compose):
    services = compose["services"]
    for name in [*AIRFLOW_COMPONENTS, "airflow-init"]:
        service = services[name]
        env = service["environment"]
        assert service["build"] == "."
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith(
            "http://airflow-apiserver:8080/"
        )
        shared = {
            "AIRFLOW__API_AUTH__JWT_SECRET": "AIRFLOW_JWT_SECRET",
            "AIRFLOW__CORE__FERNET_KEY": "AIRFLOW_FERNET_KEY",
        }
        for variable, from_env_file in shared.items():
            assert env[variable] == _example_env()[from_env_file], (name, variable)
        assert env["REVALIGN_WAREHOUSE_URL"].startswith("postgresql://revalign:")
        assert "@warehouse:5432/" in env["REVALIGN_WAREHOUSE_URL"]
        assert "@airflow-db:5432/" in env["REVALIGN_AIRFLOW_DB_URL"]
        mounts = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
        assert mounts["/landing"] == "./landing" and env["REVALIGN_LANDING_DIR"] == "/landing"


def test_every_container_command_parses_with_the_real_command_lines(compose):
    """The image's entrypoint ends in `revalign airflow`: each command is an Airflow command."""
    from airflow.cli import cli_parser

    airflow_cli = cli_parser.get_parser()
    services = compose["services"]
    for name, expected in {**AIRFLOW_COMPONENTS, "airflow-init": ["db", "migrate"]}.items():
        command = services[name]["command"]
        assert command == expected, name
        args = airflow_cli.parse_args(command)
        assert callable(args.func), name
    setup = services["metabase-setup"]
    assert setup["entrypoint"][-3:] == ["-c", 'exec revalign "$@"', "--"]
    assert cli.parser().parse_args(setup["command"]).func is cli._bi
    env = setup["environment"]
    assert env["REVALIGN_METABASE_URL"] == "http://metabase:3000"
    assert "REVALIGN_BI_PASSWORD" in env  # Metabase gets the BI role, never the warehouse owner


def test_the_image_installs_from_the_lock_and_runs_revalign_airflow():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM apache/airflow:3.3.2-python3.11" in dockerfile
    assert "uv export --frozen" in dockerfile
    assert "pip install --no-cache-dir --no-deps -e /opt/revalign" in dockerfile
    assert "RUN revalign manifest" in dockerfile
    entrypoint = re.search(r"^ENTRYPOINT (.*)$", dockerfile, flags=re.MULTILINE).group(1)
    # the official /entrypoint's `bash` command, handing the arguments to revalign airflow
    assert json.loads(entrypoint) == [
        "/usr/bin/dumb-init",
        "--",
        "/entrypoint",
        "bash",
        "-c",
        'exec revalign airflow "$@"',
        "--",
    ]
    assert {s.env for s in settings.SETTINGS} >= {
        "REVALIGN_AIRFLOW_ADMIN_PASSWORD",
        "REVALIGN_METABASE_URL",
    }
