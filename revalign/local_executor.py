"""Kept for deployments whose AIRFLOW__CORE__EXECUTOR names this path:
the code is in ``revalign.orchestration.local_executor``."""

from revalign.orchestration.local_executor import PreloadingLocalExecutor

__all__ = ["PreloadingLocalExecutor"]
