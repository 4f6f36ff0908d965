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

from revalign.orchestration.task_preload import PRELOADED_MODULES

CELERY_CONFIG = {
    **DEFAULT_CELERY_CONFIG,
    "imports": (*DEFAULT_CELERY_CONFIG.get("imports", ()), *PRELOADED_MODULES),
}
