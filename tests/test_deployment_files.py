"""The container files are written for users and checked here without a Docker engine."""

import re

import yaml
from conftest import REPO

COMPOSE = REPO / "docker-compose.yml"


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_defines_the_stack():
    compose = _compose()
    assert {"warehouse", "airflow-db", "airflow"} <= set(compose["services"])
    airflow = compose["services"]["airflow"]
    assert airflow["build"] == "."
    assert airflow["command"][:2] == ["revalign", "airflow"]
    env = airflow["environment"]
    assert env["REVALIGN_WAREHOUSE_URL"].startswith("postgresql://revalign:${WAREHOUSE_PASSWORD")
    for dependency in ("warehouse", "airflow-db"):
        assert airflow["depends_on"][dependency]["condition"] == "service_healthy"
        assert "healthcheck" in compose["services"][dependency]


def test_every_secret_comes_from_the_env_file():
    text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = (REPO / ".env.example").read_text()
    declared = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert used <= declared, f"undeclared in .env.example: {used - declared}"
    for name, service in _compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if "PASSWORD" in key:
                assert str(value).startswith("${"), f"{name}: literal secret in {key}"
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()


def test_image_installs_from_the_lock():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM apache/airflow:3.3.2-python3.11" in dockerfile
    assert "uv export --frozen" in dockerfile
