"""What revalign's Airflow tasks import, loaded once by the process their tasks fork from.

Every Airflow task runs in a process forked from its worker: a Celery worker (see
``revalign.orchestration.celery_config``) or, under LocalExecutor, one of the executor's worker
processes (see ``revalign.orchestration.local_executor``). If that worker imported Cosmos, dbt and
Great Expectations before it forked, each task starts with them in memory instead of
importing them again: the batch's dbt build saves 3-4 s and its hygiene checks 5-10 s
on two cores (docs/benchmarks.md, freshness section).
"""

from __future__ import annotations

import importlib
import logging

#: The DAG files' own imports (each task parses its DAG file), then what the load, the
#: dbt build and the checks run.
PRELOADED_MODULES = (
    "cosmos",
    "cosmos.airflow.task_group",
    "cosmos.operators.watcher",
    "revalign.orchestration.dbt_airflow",
    "revalign.orchestration.airflow_assets",
    "revalign.orchestration.tasks",
    "revalign.ingest.loader",
    "dbt.cli.main",
    "dbt.adapters.postgres",
    "great_expectations",
    "revalign.checks.gx_checks",
    "revalign.checks.hygiene",
    "revalign.checks.alerts",
)

#: Loggers that narrate their own import at info level (hundreds of lines), which would
#: land in the scheduler's log.
_CHATTY_IMPORT_LOGGERS = ("great_expectations._docs_decorators",)


def preload() -> None:
    """Import ``PRELOADED_MODULES`` into this process; a no-op once they are in."""
    for name in _CHATTY_IMPORT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for module in PRELOADED_MODULES:
        importlib.import_module(module)
