"""Runs the dbt project in-process (``dbtRunner``), against the configured warehouse."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from revalign import progress, settings
from revalign.build import shared_parse
from revalign.errors import RevalignError
from revalign.settings import ConnectionInfo

DBT_PROJECT_DIR = settings.PROJECT_ROOT / "dbt_project"


def target_dir() -> Path:
    """Where dbt writes its artifacts (run results, docs): the project's ``target/``, or
    dbt's own ``DBT_TARGET_PATH`` when set (relative to the project, as dbt reads it)."""
    configured = settings.dbt_target_path()
    return DBT_PROJECT_DIR / (configured or "target")


class BuildError(RevalignError):
    """dbt failed; the message names the failing nodes."""


@dataclass(frozen=True)
class NodeResult:
    name: str
    resource_type: str
    status: str
    message: str | None
    attached_to: str | None = None  # a test's model


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """dbt reads ``env_var()`` from the process environment: set it for one invocation."""
    saved = {key: os.environ[key] for key in values if key in os.environ}
    os.environ.update(values)
    try:
        yield
    finally:
        for key in values:
            if key in saved:
                os.environ[key] = saved[key]
            else:
                os.environ.pop(key, None)


def log_file() -> Path:
    """Where dbt writes its log: DBT_LOG_PATH, else the project's logs/."""
    configured = settings.dbt_log_path()
    return (Path(configured) if configured else DBT_PROJECT_DIR / "logs") / "dbt.log"


class _NodeCounter:
    """A dbt callback: counts the nodes finished, for the progress bar."""

    def __init__(self, label: str):
        self.label = label
        self.done = 0
        self.total = 0
        self.started = time.monotonic()

    def __call__(self, event) -> None:
        name = event.info.name
        if name == "LogStartLine" and getattr(event.data, "total", 0):
            self.total = max(self.total, event.data.total)
        elif name == "NodeFinished":
            self.done += 1
            progress.count(self.label, self.done, max(self.total, self.done))

    def seconds(self) -> float:
        return time.monotonic() - self.started


#: Lines of a dbt error message that frame the reason rather than give it.
_DBT_MESSAGE_FRAMING = ("Database Error", "Runtime Error", "Compilation Error", "LINE ", "^")


def invoke(conn: ConnectionInfo, args: list[str]) -> list[NodeResult]:
    """Run one dbt command against ``conn``; raise BuildError naming what failed.

    A ``build`` runs on one parse for every as_of (shared_parse)."""
    # dbt's log still goes to its file (log_file()); --verbose shows it on the console
    quiet = [] if progress.verbose() else ["--quiet"]
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), *quiet]
    counter = _NodeCounter(f"dbt {args[0]}")
    with _environment(settings.dbt_environment(conn)):
        result = shared_parse.invoke([*args, *common], [counter], parse_flags=quiet)
    if progress.active() and result.exception is None:
        progress.step(
            f"  dbt {args[0]}: {counter.done} nodes in {counter.seconds():.0f} s "
            f"(dbt's log: {log_file()}{'' if progress.verbose() else '; --verbose shows it'})"
        )
    if result.exception is not None:
        raise BuildError(f"dbt {args[0]} could not run: {result.exception}")
    nodes = [
        NodeResult(
            name=r.node.name,
            resource_type=str(r.node.resource_type),
            status=str(r.status),
            message=r.message,
            attached_to=(getattr(r.node, "attached_node", None) or "").rpartition(".")[2] or None,
        )
        for r in getattr(result.result, "results", None) or []
    ]
    if not result.success:
        failed = [n for n in nodes if n.status in ("error", "fail", "runtime error")]
        names = ", ".join(f"{n.name} ({n.status})" for n in failed) or "see dbt's log above"
        first = next((n.message for n in failed if n.message), "")
        reason = [
            line.strip()
            for line in first.splitlines()
            if line.strip() and not line.strip().startswith(_DBT_MESSAGE_FRAMING)
        ]
        detail = f": {reason[0]}" if reason else ""
        hint = ""
        if any(n.resource_type == "seed" for n in failed) or "does not exist" in first:
            hint = " (a seed or model changed its columns: run revalign build --full-refresh)"
        unreadable = [n.attached_to for n in failed if n.name.startswith("cast_failures")]
        if unreadable:
            names, detail = "", ""
            hint = "; ".join(_unreadable_detail(conn, model) for model in unreadable if model)
        raise BuildError(f"dbt {args[0]} failed: {names}{detail}{hint}")
    return nodes


def _unreadable_detail(conn: ConnectionInfo, model: str) -> str:
    """Why a staging model failed its cast_failures test: source, object, field, count,
    one example's file and row (the object from the ledger entry of the example's file)."""
    from psycopg2 import sql

    from revalign.warehouse import db, deliveries

    share = float(deliveries.dbt_var("cast_failure_error_share"))
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            sql.SQL(
                "select files.source, files.object, field, count(*), "
                "min(records._file || ' row ' || records._row_number) "
                "from {} as records cross join unnest(records._invalid_fields) as field "
                "left join lateral (select source, object from ops.load_ledger "
                "where file_name = records._file and status = 'loaded' limit 1) as files on true "
                "group by 1, 2, 3 order by 4 desc, 3"
            ).format(sql.Identifier("staging", model))
        )
        rows = cur.fetchall()
        cur.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("staging", model)))
        total = cur.fetchone()[0]
    if not rows:
        return f"{model}: values that cannot be read (see ops.unreadable_records)"
    source, obj = rows[0][0], rows[0][1]
    fields = ", ".join(f"{field} {count} (e.g. {example})" for _, _, field, count, example in rows)
    return (
        f"{source} {obj}: more records than cast_failure_error_share "
        f"({share:.0%}) of {total} have values that cannot be read: {fields}; "
        "fix them in the CRM or raise cast_failure_error_share in dbt_project.yml "
        "(the records are listed in ops.unreadable_records)"
    )


def build(
    conn: ConnectionInfo,
    as_of: datetime | None = None,
    full_refresh: bool = False,
    select: list[str] | None = None,
    variables: dict | None = None,
    unit_tests: bool = False,
) -> list[NodeResult]:
    """``dbt build`` of the project: seeds, models and their data tests, in DAG order.

    ``variables`` override vars of dbt_project.yml for this build (as ``--vars``).
    dbt's unit tests check the models' SQL against fixed rows, not the data: they run
    when ``unit_tests`` is set (``revalign build --unit-tests``, ``make test``), not in
    every build of the data (dbt's advice; build_marts under Airflow leaves them out too).
    What each source delivered is worked out first (ops.delivered_fields: a changed
    salesforce_field_names counts at once).
    """
    from revalign.warehouse import deliveries

    deliveries.refresh(conn, field_names=(variables or {}).get("salesforce_field_names"))
    args = ["build"]
    overrides = dict(variables or {})
    if as_of is not None:
        overrides["as_of"] = as_of.isoformat()
    if overrides:
        args += ["--vars", json.dumps(overrides)]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", *select]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    return invoke(conn, args)
