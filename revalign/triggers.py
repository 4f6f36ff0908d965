"""Kept for the Airflow trigger rows stored under this path:
the code is in ``revalign.orchestration.triggers``."""

from revalign.orchestration.triggers import LandingBatchTrigger

__all__ = ["LandingBatchTrigger"]
