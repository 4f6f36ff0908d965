"""How build_marts renders and runs the dbt project under Astronomer Cosmos.

Cosmos reads the dbt manifest (``LoadMode.DBT_MANIFEST``), so parsing the DAG file
never runs dbt: ``write_manifest()`` produces that manifest with ``dbt parse``, and
``revalign airflow`` (or ``revalign manifest``) refreshes it whenever the dbt project
changed. The models run in Cosmos's watcher mode: one ``dbt build`` (models, seeds
and their tests, on dbt's threads) in a producer task, and one Airflow task per model
that reports that model and its tests; retrying a model's task reruns just that model.
The dbt profile is rendered from the Airflow connection derived from settings.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from revalign import settings
from revalign.build.transform import DBT_PROJECT_DIR
from revalign.errors import RevalignError

#: What ``dbt parse`` reads: a change to any of these makes the manifest stale.
_PROJECT_INPUTS = ("dbt_project.yml", "models", "macros", "seeds", "tests")


def manifest_path() -> Path:
    return settings.home() / "dbt" / "manifest.json"


def manifest_is_stale(path: Path | None = None) -> bool:
    """True when the manifest is missing or older than a file of the dbt project."""
    path = path or manifest_path()
    if not path.exists():
        return True
    built = path.stat().st_mtime
    for name in _PROJECT_INPUTS:
        top = DBT_PROJECT_DIR / name
        files = [top] if top.is_file() else top.rglob("*") if top.exists() else []
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def write_manifest(path: Path | None = None) -> Path:
    """``dbt parse`` the project into ``path`` (atomically: a parser never sees half a file)."""
    from revalign.build import transform

    path = path or manifest_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # parse needs a rendered profile but never connects: any well-formed connection does
    placeholder = settings.ConnectionInfo("localhost", 5432, "parse", "parse", "parse")
    with tempfile.TemporaryDirectory(dir=path.parent) as target:
        transform.invoke(placeholder, ["parse", "--target-path", target, "--no-partial-parse"])
        staged = path.with_suffix(".json.partial")
        shutil.copyfile(Path(target) / "manifest.json", staged)
        staged.replace(path)
    return path


def ensure_manifest() -> Path:
    """The manifest, rewritten first if the dbt project changed since it was written."""
    return write_manifest() if manifest_is_stale() else manifest_path()


def model_count(path: Path | None = None) -> int:
    manifest = json.loads((path or manifest_path()).read_text())
    return sum(1 for node in manifest["nodes"].values() if node["resource_type"] == "model")


#: Tasks of one build_marts run that run at once: the build, and one model's task reporting
#: on it. Each model's task is a process of its own (start-up, DAG parse, polling the API
#: server) that does no work; three of them beside the build made the build of a
#: 10,000-lead batch take 51-86 s on two cores, one 41-58 s. The others catch up after it.
MAX_ACTIVE_TASKS = 2

#: publish_marts runs as soon as the build passed, before the model tasks still catching up
#: (Cosmos gives those a priority weight of 2, the build 20).
PUBLISH_PRIORITY = {"priority_weight": 100, "weight_rule": "absolute"}


def task_group_args(group_id: str, as_of: str, manifest: Path | None = None) -> dict[str, Any]:
    """Arguments of the ``DbtTaskGroup`` ``group_id`` that builds the marts.

    ``as_of`` is a template (rendered per task) for the dbt var of the same name. Each
    task fits its process to its part just before it runs (a ``pre_execute`` hook,
    ``watcher_build.fit_task_process``), never while the DAG file is parsed.
    """
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    from revalign.orchestration import watcher_build

    manifest = manifest or manifest_path()
    if not manifest.exists():
        raise RevalignError(
            f"the dbt manifest {manifest} does not exist: run `revalign manifest` "
            "(`revalign airflow ...` writes it for you)"
        )
    project = ProjectConfig(
        dbt_project_path=DBT_PROJECT_DIR, manifest_path=manifest, project_name="revalign"
    )
    # Cosmos wraps the path in an ObjectStoragePath, whose first read loads every Airflow
    # plugin (Cosmos's own imports FastAPI): 0.7 s per parse. The manifest is a local file.
    project.manifest_path = manifest
    return {
        "group_id": group_id,
        "project_config": project,
        "profile_config": ProfileConfig(
            profile_name="revalign",
            target_name="warehouse",
            profile_mapping=PostgresUserPasswordProfileMapping(
                conn_id=settings.WAREHOUSE_CONN_ID,
                profile_args={"schema": "staging", "threads": settings.dbt_threads()},
            ),
        ),
        "render_config": RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # build_marts emits revalign's own mart assets, with the as_of they were built at
            emit_datasets=False,
            enable_mock_profile=False,
        ),
        "execution_config": ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        "operator_args": {
            "vars": {"as_of": as_of},
            "pre_execute": watcher_build.task_process_fitter(group_id),
            "retries": 2,
            "retry_delay": timedelta(seconds=15),
            # A model's task waits for the build by polling every 2 s in its worker slot
            # rather than deferring: on a small machine the defer-and-resume round trip
            # costs a second task start per model, and a trigger that fires at once can
            # race the worker's exit report (the task is then retried for nothing).
            "deferrable": False,
            "poke_interval": 2,
            "install_deps": False,
            # dbt's unit tests check the SQL logic against fixed rows, not the data: they run
            # in development and CI (`revalign build`, `make test`), not in each scheduled build
            "env": {"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"},
        },
    }
