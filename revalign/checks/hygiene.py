"""``revalign check``: run the hygiene checkpoint, store its results, alert the owners.

The same function runs from the command line and from the ``check_hygiene`` DAG.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from psycopg2.extras import execute_values

from revalign.build import moment
from revalign.checks import alerts, gx_checks, notices
from revalign.settings import ConnectionInfo
from revalign.warehouse import db, ops_tables

log = logging.getLogger(__name__)


@dataclass
class CheckReport:
    run_id: str
    as_of: datetime
    results: list[gx_checks.CheckResult]
    data_docs: Path
    deliveries: list[alerts.Delivery]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def summary(self) -> dict:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "checks": len(self.results),
            "failed": self.count("failed") + self.count("error"),
            "warnings": self.count("warning"),
            "alerts_delivered": sum(d.status == "delivered" for d in self.deliveries),
            "alerts_failed": sum(d.status == "failed" for d in self.deliveries),
            "data_docs": str(self.data_docs),
        }


def checked_at(conn: ConnectionInfo, as_of: datetime | str) -> datetime | None:
    """When the first check run of the marts built as of ``as_of`` was stored, if one was."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        if not db.relations_exist(cur, "ops.check_runs"):
            return None
        cur.execute("select min(finished_at) from ops.check_runs where as_of = %s", (as_of,))
        return cur.fetchone()[0]


def check(
    conn: ConnectionInfo,
    as_of: datetime | None = None,
    channels: list[alerts.Channel] | None = None,
    docs_dir: Path | None = None,
) -> CheckReport:
    """Validate, store every result in ops.check_results, build Data Docs, send the
    hygiene alerts and the notices to sales."""
    ops_tables.ensure(conn)
    _require_marts(conn)
    as_of = as_of or moment.built(conn)
    started = datetime.now(UTC)
    run_id = f"check-{as_of.astimezone(UTC):%Y%m%dT%H%M%SZ}-{started:%Y%m%dT%H%M%S%fZ}"
    checkpoint = gx_checks.run(conn, as_of, run_id, docs_dir=docs_dir)
    _store(conn, run_id, as_of, started, checkpoint)
    deliveries = alerts.send(conn, run_id, as_of, checkpoint.results, channels)
    deliveries += notices.send(conn, run_id, as_of, channels)
    report = CheckReport(run_id, as_of, checkpoint.results, checkpoint.data_docs, deliveries)
    log.info("hygiene checks: %s", report.summary())
    return report


def _require_marts(conn: ConnectionInfo) -> None:
    """Checks read the built marts: without them, say what to do."""
    db.require_marts(
        conn,
        "check",
        "marts.crm_hygiene_issues",
        "intermediate.check_crm_hygiene",
        "intermediate.int_rules_not_applicable",
    )


def _store(
    conn: ConnectionInfo,
    run_id: str,
    as_of: datetime,
    started: datetime,
    checkpoint: gx_checks.Checkpoint,
) -> None:
    results = checkpoint.results
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            "insert into ops.check_runs (run_id, as_of, started_at, finished_at, checks, "
            "warnings, failures, data_docs) values (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                run_id,
                as_of,
                started,
                datetime.now(UTC),
                len(results),
                sum(r.status == "warning" for r in results),
                sum(r.status in ("failed", "error") for r in results),
                str(checkpoint.data_docs),
            ),
        )
        execute_values(
            cur,
            "insert into ops.check_results (run_id, as_of, suite, data_asset, expectation, "
            "expectation_type, rule, observed_value, element_count, unexpected_share, "
            "threshold, status, details) values %s",
            [
                (
                    run_id,
                    as_of,
                    r.suite,
                    r.data_asset,
                    r.check,
                    r.expectation_type,
                    r.rule,
                    r.observed_value,
                    r.element_count,
                    r.unexpected_share,
                    r.threshold,
                    r.status,
                    json.dumps(r.details, default=str),
                )
                for r in results
            ],
        )
        pg.commit()


def format_report(report: CheckReport) -> str:
    """What revalign check prints: totals, every check that did not pass, alerts, Data Docs."""
    summary = report.summary()
    lines = [
        f"checks as of {summary['as_of']}: {summary['checks']} run, "
        f"{summary['failed']} failed, {summary['warnings']} warning(s)  [{report.run_id}]"
    ]
    for r in report.results:
        if r.status == "passed":
            continue
        if r.status == "not_applicable":
            lines.append(f"  n/a      {r.data_asset:<36} {r.check:<28} {r.threshold}")
            continue
        share = f" ({r.unexpected_share:.1%} of {r.element_count})" if r.element_count else ""
        observed = "n/a" if r.observed_value is None else f"{r.observed_value:g}"
        reason = r.details.get("error") or r.threshold
        lines.append(
            f"  {r.status:<8} {r.data_asset:<36} {r.check:<28} {observed}{share}  {reason}"
        )
    delivered = [d for d in report.deliveries if d.status == "delivered"]
    failed = [d for d in report.deliveries if d.status == "failed"]
    lines.append(
        f"alerts: {len(delivered)} delivered, {len(failed)} failed"
        + ("" if report.deliveries else " (no channel set: see REVALIGN_ALERT_* in the README)")
    )
    lines.extend(f"  failed: {d.kind} to {d.recipient} via {d.channel}: {d.error}" for d in failed)
    lines.append(f"results: ops.check_results; Data Docs: {report.data_docs}")
    return "\n".join(lines)
