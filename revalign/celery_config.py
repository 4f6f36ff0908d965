"""Kept for deployments whose AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS names
this path:
the code is in ``revalign.orchestration.celery_config``."""

from revalign.orchestration.celery_config import CELERY_CONFIG

__all__ = ["CELERY_CONFIG"]
