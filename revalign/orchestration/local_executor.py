"""LocalExecutor whose task processes start with revalign's imports already loaded.

Airflow's LocalExecutor forks its worker processes from the scheduler, and each worker
forks one process per task. A task of revalign imports Cosmos, dbt or Great
Expectations, seconds each, in every fresh process: the batch's dbt build paid 3-4 s to
import dbt and its hygiene checks 5-10 s to import GX, in a flow whose target is under a
minute from extract to checks. This executor imports them once, in the scheduler, just
before it forks its workers; every task inherits them (copy-on-write, frozen out of the
garbage collector's reach by LocalExecutor's own ``gc.freeze``).

Set by revalign's Airflow settings (``AIRFLOW__CORE__EXECUTOR``); a team deployment on
Celery gets the same from ``revalign.orchestration.celery_config``. It helps only where
multiprocessing forks (Linux, Airflow's default there); elsewhere it is a plain
LocalExecutor that imports a little more at start.
"""

from __future__ import annotations

import time

from airflow.executors.local_executor import LocalExecutor

from revalign.orchestration.task_preload import preload


class PreloadingLocalExecutor(LocalExecutor):
    """LocalExecutor that imports ``task_preload.PRELOADED_MODULES`` first."""

    def start(self) -> None:
        started = time.monotonic()
        preload()
        self.log.info(
            "Imported what revalign's tasks need in %.1f s; workers inherit it",
            time.monotonic() - started,
        )
        super().start()
