"""The weekly alignment brief: the report, sent to the people who review it together.

As of the latest check (``ops.check_runs``), :func:`send` writes the alignment report
(``revalign.report``) and sends it through the alerts' channels
(``alerts.configured_channels``), with their retries and delivery log
(``ops.alert_deliveries``, kinds ``weekly_brief`` and ``weekly_brief_summary``):

- by email to each address of ``REVALIGN_BRIEF_TO``: the report as the HTML body, and
  the same file attached (email clients that drop inline SVG still show the readings
  and numbers; the attachment opens in a browser);
- to Slack and the webhook: a short summary, the week's headline numbers with their
  change, and where the report was written.

Once per week and recipient: ``ops.weekly_briefs`` remembers, per channel, each week
(the Monday of the report's ``as_of``) and recipient sent. A second run in the same week
sends nothing; a failed delivery is remembered nowhere, so the next run retries it. It
never raises for a channel's failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from revalign import report, settings
from revalign.checks import alerts
from revalign.report.figures import Report
from revalign.settings import ConnectionInfo
from revalign.warehouse import db, ops_tables

log = logging.getLogger(__name__)

SUMMARY_RECIPIENT = "brief-summary"


@dataclass
class Brief:
    """What one run did: the report it wrote (None when no check ran yet) and sent."""

    as_of: datetime | None
    week_start: date | None
    report: Path | None
    deliveries: list[alerts.Delivery] = field(default_factory=list)
    already_sent: list[tuple[str, str]] = field(default_factory=list)  # (channel, recipient)

    def summary(self) -> dict:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "week_start": self.week_start.isoformat() if self.week_start else None,
            "report": str(self.report) if self.report else None,
            "delivered": sum(d.status == "delivered" for d in self.deliveries),
            "failed": sum(d.status == "failed" for d in self.deliveries),
            "already_sent": len(self.already_sent),
        }


def latest_check(conn: ConnectionInfo) -> datetime | None:
    """The as_of of the newest check run stored, if any."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        if not db.relations_exist(cur, "ops.check_runs"):
            return None
        cur.execute("select as_of from ops.check_runs order by finished_at desc limit 1")
        row = cur.fetchone()
        return row[0] if row else None


def week_of(moment: datetime) -> date:
    """The Monday of the week (UTC) that contains ``moment``."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def send(
    conn: ConnectionInfo,
    as_of: datetime | None = None,
    channels: list[alerts.Channel] | None = None,
    recipients: list[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Brief:
    """Write the report as of ``as_of`` (default: the latest check) and send it to whoever
    has not had this week's brief yet."""
    ops_tables.ensure(conn)
    as_of = as_of or latest_check(conn)
    if as_of is None:
        log.warning("weekly brief: no check has run yet (revalign check): nothing to send")
        return Brief(None, None, None)
    channels = alerts.configured_channels() if channels is None else channels
    recipients = settings.brief_to() if recipients is None else recipients
    found = report.gather(conn, as_of)
    path, page = report.save(found)
    week = week_of(found.as_of)
    brief = Brief(found.as_of, week, path)
    run_id = f"brief-{week:%Y-%m-%d}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
    with db.connect(conn) as pg, pg.cursor() as cur:
        for channel in channels:
            for digest in _digests(channel, found, page, path, recipients):
                if _sent(cur, channel.name, week, digest.recipient):
                    brief.already_sent.append((channel.name, digest.recipient))
                    continue
                outcome = alerts.deliver(channel, digest, settings.alert_attempts(), sleep)
                brief.deliveries.append(outcome)
                alerts.record_delivery(cur, run_id, outcome)
                if outcome.status == "delivered":
                    cur.execute(
                        "insert into ops.weekly_briefs (channel, week_start, recipient, as_of, "
                        "report_path, run_id) values (%s, %s, %s, %s, %s, %s) "
                        "on conflict do nothing",
                        (channel.name, week, digest.recipient, found.as_of, str(path), run_id),
                    )
                pg.commit()
    return brief


def _sent(cur, channel: str, week: date, recipient: str) -> bool:
    cur.execute(
        "select 1 from ops.weekly_briefs where channel = %s and week_start = %s and recipient = %s",
        (channel, week, recipient),
    )
    return cur.fetchone() is not None


def _digests(
    channel: alerts.Channel, found: Report, page: str, path: Path, recipients: list[str]
) -> list[alerts.Digest]:
    """Email: the page to each recipient; any other channel: the summary, once."""
    title = f"Sales and marketing alignment, week to {found.as_of.astimezone(UTC):%d %b %Y}"
    lines = summary_lines(found)
    if isinstance(channel, alerts.EmailChannel):
        return [
            alerts.Digest(
                kind="weekly_brief",
                title=title,
                recipient=address,
                emails=[address],
                lines=lines,
                page=page,
                files=[str(path)],
            )
            for address in recipients
        ]
    return [
        alerts.Digest(
            kind="weekly_brief_summary",
            title=title,
            recipient=SUMMARY_RECIPIENT,
            emails=[],
            lines=[*lines, f"The report: {path}"],
            payload={
                "as_of": found.as_of.isoformat(),
                "week_start": week_of(found.as_of).isoformat(),
                "report": str(path),
                "headlines": [
                    {"figure": h.key, "label": h.label, "value": h.value, "previous": h.previous}
                    for h in found.headlines
                ],
            },
        )
    ]


def summary_lines(found: Report) -> list[str]:
    """One line per headline number: '<label>: <value> (<change>, week before <value>)'."""
    lines = []
    for h in found.headlines:
        line = f"{h.label}: {report.format_figure(h.value, h.unit)}"
        if h.previous is not None:
            line += (
                f" ({report.change_text(h)}; week before "
                f"{report.format_figure(h.previous, h.unit)})"
            )
        lines.append(line)
    return lines
