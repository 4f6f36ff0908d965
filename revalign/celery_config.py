"""Celery settings of revalign's Airflow workers (``[celery] celery_config_options``).

Airflow's own settings, plus the modules revalign's tasks need, imported once by each
Celery worker before it starts its pool. Every Airflow task runs in a process forked
from the worker, so it starts with Cosmos, dbt and Great Expectations already in
memory instead of importing them again: a model's task of build_marts starts faster,
and the batch's dbt build and hygiene checks no longer pay for their imports (seconds
each). Airflow's Celery provider preloads its own operators the same way.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

#: What revalign's tasks import: the DAG files' own imports (each task parses its DAG
#: file), then what the load, the dbt build and the checks run.
PRELOADED_MODULES = (
    "cosmos",
    "cosmos.airflow.task_group",
    "cosmos.operators.watcher",
    "revalign.dbt_airflow",
    "revalign.airflow_assets",
    "revalign.orchestration",
    "revalign.loader",
    "dbt.cli.main",
    "dbt.adapters.postgres",
    "great_expectations",
    "revalign.gx_checks",
    "revalign.hygiene",
    "revalign.alerts",
)

CELERY_CONFIG = {
    **DEFAULT_CELERY_CONFIG,
    "imports": (*DEFAULT_CELERY_CONFIG.get("imports", ()), *PRELOADED_MODULES),
}
