"""The one ``dbt build`` of a build_marts run, as Cosmos's watcher producer runs it.

Cosmos (1.15) runs that build in-process through ``cosmos.dbt.runner`` and reports each
dbt node to the model tasks through XCom. Its costs below have no setting, and
``fit_producer`` takes them out, in the producer task's process only:

- **dbt parsed the whole project in every run** (``as_of`` changes with every batch,
  and a changed var drops dbt's saved parse): the producer builds on one parse for
  every ``as_of`` (``revalign.build.shared_parse``), as ``revalign build`` does.
- **About five XCom posts per dbt node**, each a round trip to the API server (30 ms on
  two cores) that holds up a dbt thread: see ``report_finished_nodes_only``.
- **Every dbt event made into JSON and back**, debug ones included: see
  ``ProducerRunner``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from revalign.build import shared_parse
from revalign.errors import RevalignError

#: The dbt events whose node the build reports to the model tasks (through XCom): how it
#: finished, dbt's errors (``cosmos.operators._watcher.base._DBT_ERROR_EVENTS_TYPES``),
#: and a skip because an upstream node failed (Cosmos turns it into a failure).
REPORTED_DBT_EVENTS = frozenset({"NodeFinished", "SkippingDetails"})

#: How much a model's task lowers its CPU priority (``nice``): it only reports on the build.
MODEL_TASK_NICENESS = 10


def task_process_fitter(group_id: str) -> Callable[[Any], None]:
    """The ``pre_execute`` hook of the tasks of the dbt group ``group_id``."""
    return functools.partial(_fit_task, group_id)


def _fit_task(group_id: str, context: Any) -> None:
    fit_task_process(group_id, context["ti"].task_id)


def fit_task_process(group_id: str, task_id: str) -> None:
    """Fit the process of one of the group's tasks to its part, just before it runs.

    The one switch of revalign's adjustments to Cosmos: ``REVALIGN_ADJUST_COSMOS``
    (on by default; off, Cosmos runs as it ships). A model's task (one per model and
    one per model's tests) only watches the one ``dbt build`` of the producer task: it
    lowers its CPU priority. On a small machine a dozen of them starting while the build
    ran took most of the CPU (the build of a 10,000-lead batch ran 6 times slower than
    alone); niced, they use what the build and the checks leave idle. The producer's
    build is fitted by ``fit_producer``.
    """
    import os

    from cosmos.constants import PRODUCER_WATCHER_DONE_TASK_ID, PRODUCER_WATCHER_TASK_ID

    from revalign import settings

    if not settings.adjust_cosmos():
        return
    if task_id == f"{group_id}.{PRODUCER_WATCHER_TASK_ID}":
        fit_producer()
    elif task_id.startswith(f"{group_id}.") and task_id != (
        f"{group_id}.{PRODUCER_WATCHER_DONE_TASK_ID}"
    ):
        os.nice(MODEL_TASK_NICENESS)


def fit_producer() -> None:
    """In the producer's process: parse once for every as_of; post only what is read."""
    report_finished_nodes_only()
    run_dbt_with_producer_runner()


def reported_dbt_events() -> frozenset[str]:
    """``REPORTED_DBT_EVENTS`` and the events Cosmos treats as dbt errors."""
    from cosmos.operators._watcher import base

    _require(base, "_DBT_ERROR_EVENTS_TYPES")
    return REPORTED_DBT_EVENTS | base._DBT_ERROR_EVENTS_TYPES


def report_finished_nodes_only() -> None:
    """Have Cosmos's watcher post to XCom only what a model's task reads.

    For every dbt event that names a node, Cosmos posted the event (start, compiling,
    executing, finished: four per node, tests included), and the node's status and
    compiled SQL twice (on dbt's result line and on its finished event), one post at a
    time inside dbt's event callback. A model's task reads its model's last event, its
    status, its SQL and its tests' summed-up status. Now only ``reported_dbt_events()``
    name their node to Cosmos (the others are only logged), and a test's own event is
    not posted: a 10,000-lead batch's build went from about 670 posts to 127.
    """
    from cosmos.operators import watcher
    from cosmos.operators._watcher import base

    _require(watcher, "store_dbt_resource_status_from_log")
    _require(base, "_process_dbt_log_event")
    if getattr(watcher.store_dbt_resource_status_from_log, "revalign_fitted", False):
        return
    reported = reported_dbt_events()
    store_status, post_event = (
        watcher.store_dbt_resource_status_from_log,
        base._process_dbt_log_event,
    )

    def store_reported_status(line: str, extra_kwargs: Any, **kwargs: Any) -> None:
        store_status(reported_line(line, reported), extra_kwargs, **kwargs)

    def post_model_event(task_instance: Any, dbt_log: dict[str, Any]) -> None:
        node = (dbt_log.get("data") or {}).get("node_info") or {}
        if not str(node.get("unique_id", "")).startswith("test."):
            post_event(task_instance, dbt_log)

    store_reported_status.revalign_fitted = True  # type: ignore[attr-defined]
    watcher.store_dbt_resource_status_from_log = store_reported_status
    base._process_dbt_log_event = post_model_event


def reported_line(line: str, reported: frozenset[str]) -> str:
    """dbt's JSON log ``line`` as Cosmos should see it: a node named only by ``reported``
    events; any other event keeps its message, for the task's log."""
    if '"node_info"' not in line:
        return line
    try:
        event = json.loads(line)
    except ValueError:
        return line
    data = event.get("data") or {}
    if not data.get("node_info") or (event.get("info") or {}).get("name") in reported:
        return line
    data["node_info"] = {}
    return json.dumps(event)


def run_dbt_with_producer_runner() -> None:
    """Have Cosmos run its dbt commands with ``ProducerRunner``.

    Cosmos asks ``cosmos.dbt.runner.get_runner`` for the runner of each dbt command, in
    the command's project directory and environment, with its event callbacks.
    """
    from cosmos.dbt import runner

    _require(runner, "get_runner", "run_command")
    runner.get_runner = ProducerRunner


class ProducerRunner:
    """A ``dbtRunner`` for Cosmos's producer: its ``build`` runs on a manifest parsed
    without ``as_of`` (``shared_parse``), and Cosmos's callbacks hear only the events they act on.

    dbt calls every callback with every event, debug ones included: about 2,700 in a
    build of revalign, nine in ten of them debug (each SQL statement, connection, ...).
    Cosmos turned each one into JSON and parsed it back, to log it at dbt's level (the
    task log shows info and above) or to report its node; in one warm process that
    made the build 2-4 s slower. Its callbacks now hear the events of info level and
    above, and the debug-level ones in ``reported_dbt_events()`` (how a node finished).
    """

    def __init__(self, callbacks: list[Callable[[Any], None]] | None = None) -> None:
        reported = reported_dbt_events()
        self.callbacks = [_hearing(callback, reported) for callback in callbacks or []]

    def invoke(self, args: list[str]) -> Any:
        return shared_parse.invoke(args, self.callbacks)


def _hearing(callback: Callable[[Any], None], reported: frozenset[str]) -> Callable[[Any], None]:
    """``callback``, called only with events of info level and above, or ``reported``."""

    def hear(event: Any) -> None:
        if event.info.level != "debug" or event.info.name in reported:
            callback(event)

    return hear


def _require(module: Any, *names: str) -> None:
    """Fail loudly if Cosmos moved what this module relies on (a Cosmos upgrade)."""
    missing = [name for name in names if not hasattr(module, name)]
    if missing:
        raise RevalignError(
            f"this astronomer-cosmos has no {module.__name__}.{', '.join(missing)}: "
            "review revalign/orchestration/watcher_build.py against it"
        )
