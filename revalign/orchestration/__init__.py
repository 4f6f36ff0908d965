"""Orchestration: what Airflow runs (the DAGs' tasks, assets, trigger, executors, Cosmos)."""
