"""Hygiene alerts: one digest per record owner, one summary for the data team.

Channels are chosen by settings: email and Slack go through Airflow's own notifiers
(``SmtpNotifier``, ``SlackWebhookNotifier``; their connections are derived from
``REVALIGN_ALERT_SMTP_URL`` and ``REVALIGN_ALERT_SLACK_WEBHOOK_URL``), and a plain JSON
webhook through ``REVALIGN_ALERT_WEBHOOK_URL``.

Per channel, an open issue is alerted once: ``ops.alerted_issues`` remembers it and
it is alerted again only when it changes (owner or severity) or when
``REVALIGN_ALERT_REPEAT_HOURS`` of ``as_of`` have passed. A fixed issue is forgotten,
so it is alerted anew if it comes back. Issues of records with no active owner go to
the data team. A delivery that fails is retried, then logged in
``ops.alert_deliveries``; its issues stay unalerted so the next run tries again. A
failed delivery never fails the run.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from psycopg2.extras import execute_values

from revalign import redaction, settings
from revalign.settings import ConnectionInfo
from revalign.warehouse import db

log = logging.getLogger(__name__)

_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Issue:
    """An open hygiene issue with what its owner needs to fix it."""

    rule: str
    record_type: str
    record_id: str
    source_system: str
    owner_id: str | None
    owner_name: str | None
    owner_email: str | None
    owner_is_active: bool
    severity: str
    description: str
    how_to_fix: str
    #: the person behind owner_id, the same in every CRM they work in (their email)
    owner_key: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule, self.record_type, self.record_id, self.source_system)

    @property
    def fingerprint(self) -> str:
        """Changes when the issue changes: a new owner or severity."""
        text = "|".join([*self.key, self.owner_id or "", self.severity])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def link(self) -> str | None:
        """The record in its CRM (None: a HubSpot record without REVALIGN_HUBSPOT_HUB_ID)."""
        return settings.crm_record_url(self.source_system, self.record_type, self.record_id)

    def linked_html(self) -> str:
        name, link = html.escape(self.record_id), self.link
        return f"<a href='{html.escape(link)}'>{name}</a>" if link else name

    def linked_slack(self) -> str:
        link = self.link
        return f"<{link}|{self.record_id}>" if link else self.record_id

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "record_type": self.record_type,
            "record_id": self.record_id,
            "source_system": self.source_system,
            "severity": self.severity,
            "how_to_fix": self.how_to_fix,
            "link": self.link,
        }


@dataclass
class Digest:
    """One message: an owner's issues, unowned issues, or the run's summary."""

    kind: str  # owner_digest, unowned_digest, summary
    title: str
    recipient: str  # owner id, or "data-team"
    emails: list[str]
    issues: list[Issue] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    payload: dict = field(default_factory=dict)
    page: str | None = None  # a whole HTML page to email instead of the digest's table
    files: list[str] = field(default_factory=list)  # attached to the email

    def text(self) -> str:
        return "\n".join([self.title, "", *self.lines])

    def html(self) -> str:
        rows = "".join(
            "<tr>"
            f"<td>{i.linked_html()}</td>"
            f"<td>{html.escape(i.record_type)}</td><td>{html.escape(i.rule)}</td>"
            f"<td>{html.escape(i.severity)}</td><td>{html.escape(i.how_to_fix)}</td></tr>"
            for i in self.issues
        )
        table = (
            "<table><tr><th>record</th><th>type</th><th>rule</th><th>severity</th>"
            f"<th>how to fix</th></tr>{rows}</table>"
            if rows
            else ""
        )
        summary = "".join(f"<p>{html.escape(line)}</p>" for line in self.lines if not self.issues)
        return f"<h2>{html.escape(self.title)}</h2>{summary}{table}"


# --- channels ---------------------------------------------------------------------------


class Channel:
    name: str

    def accepts(self, digest: Digest) -> bool:
        return True

    def deliver(self, digest: Digest) -> None:
        raise NotImplementedError


class EmailChannel(Channel):
    """Airflow's SmtpNotifier on the connection derived from REVALIGN_ALERT_SMTP_URL."""

    name = "email"

    def accepts(self, digest: Digest) -> bool:
        return bool(digest.emails)

    def deliver(self, digest: Digest) -> None:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        SmtpNotifier(
            to=digest.emails,
            subject=digest.title,
            html_content=digest.page or digest.html(),
            files=digest.files or None,
            smtp_conn_id=settings.SMTP_CONN_ID,
        ).notify({})


class SlackChannel(Channel):
    """Airflow's SlackWebhookNotifier on the connection from REVALIGN_ALERT_SLACK_WEBHOOK_URL."""

    name = "slack"

    def deliver(self, digest: Digest) -> None:
        from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

        lines = [
            f"• {i.linked_slack()} {i.record_type} — *{i.rule}* ({i.severity}): {i.how_to_fix}"
            for i in digest.issues
        ] or digest.lines
        SlackWebhookNotifier(
            slack_webhook_conn_id=settings.SLACK_CONN_ID,
            text=f"*{digest.title}*\n" + "\n".join(lines),
            timeout=30,
        ).notify({})


class WebhookChannel(Channel):
    """A JSON POST of the digest to REVALIGN_ALERT_WEBHOOK_URL."""

    name = "webhook"

    def __init__(self, url: str):
        self.url = url

    def deliver(self, digest: Digest) -> None:
        body = json.dumps(
            {
                "kind": digest.kind,
                "title": digest.title,
                "recipient": digest.recipient,
                "emails": digest.emails,
                "issues": [i.as_dict() for i in digest.issues],
                **digest.payload,
            },
            default=str,
        ).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status >= 300:
                raise OSError(f"webhook answered HTTP {response.status}")


def configured_channels() -> list[Channel]:
    """The channels whose settings are set, in a fixed order."""
    channels: list[Channel] = []
    if settings.alert_smtp_url() or settings.alert_slack_webhook_url():
        settings.use_alert_connections()
        redaction.guard_logs()  # Airflow's notifiers log the URLs they post to
    if settings.alert_smtp_url():
        channels.append(EmailChannel())
    if settings.alert_slack_webhook_url():
        channels.append(SlackChannel())
    if url := settings.alert_webhook_url():
        channels.append(WebhookChannel(url))
    return channels


# --- what to alert ----------------------------------------------------------------------


#: The view dbt builds for the alerts (models/checks/check_open_issues.sql).
OPEN_ISSUES = "intermediate.check_open_issues"


def open_issues(conn: ConnectionInfo) -> list[Issue]:
    """The open issues with their owners and rules (dbt's check_open_issues view)."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            "select rule, record_type, record_id, source_system, owner_id, owner_name, "
            "owner_email, owner_is_active, severity, description, how_to_fix, owner_key "
            f"from {OPEN_ISSUES} order by owner_id, record_type, record_id, rule"
        )
        return [Issue(*row) for row in cur.fetchall()]


def _due(issues: list[Issue], alerted: dict[tuple, tuple[str, datetime]], as_of: datetime):
    repeat = timedelta(hours=settings.alert_repeat_hours())
    due = []
    for issue in issues:
        seen = alerted.get(issue.key)
        if seen is None or seen[0] != issue.fingerprint or as_of - seen[1] >= repeat:
            due.append(issue)
    return due


def owner_digests(issues: Iterable[Issue], data_team: list[str]) -> list[Digest]:
    """One digest per active owner; the rest in one digest to the data team.

    An owner is a person (owner_key): the issues of their records in every CRM they work
    in (the same email in each user list) come in one digest, under their first id."""
    by_owner: dict[str, list[Issue]] = defaultdict(list)
    unowned: list[Issue] = []
    for issue in issues:
        if issue.owner_id and issue.owner_is_active:
            by_owner[issue.owner_key or f"{issue.source_system}:{issue.owner_id}"].append(issue)
        else:
            unowned.append(issue)
    digests = []
    for owned in sorted(by_owner.values(), key=lambda o: min(_owner_ids(o))):
        owner_id = min(_owner_ids(owned))[1]
        owned.sort(key=lambda i: (_SEVERITY_ORDER.get(i.severity, 9), i.rule, i.record_id))
        name = owned[0].owner_name or owner_id
        digests.append(
            Digest(
                kind="owner_digest",
                title=f"CRM hygiene: {len(owned)} record issue(s) for {name} to fix",
                recipient=owner_id,
                emails=[owned[0].owner_email] if owned[0].owner_email else [],
                issues=owned,
                payload={"owner_id": owner_id, "owner_name": name},
            )
        )
    if unowned:
        digests.append(
            Digest(
                kind="unowned_digest",
                title=f"CRM hygiene: {len(unowned)} issue(s) on records without an active owner",
                recipient="data-team",
                emails=data_team,
                issues=unowned,
            )
        )
    return digests


def _owner_ids(issues: list[Issue]) -> list[tuple[str, str]]:
    """(source, owner id) of the issues' owner in each CRM."""
    return sorted({(i.source_system, i.owner_id or "") for i in issues})


def summary_digest(run_id: str, as_of: datetime, checks: list, data_team: list[str]) -> Digest:
    """The data team's view of one check run: every check that did not pass."""
    statuses: dict[str, int] = defaultdict(int)
    for check in checks:
        statuses[check.status] += 1
    lines = [
        f"run {run_id}, as of {as_of.isoformat()}: "
        + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())),
        *[
            f"{c.status}: {c.data_asset} {c.check} = {_number(c.observed_value)} ({c.threshold})"
            for c in checks
            if c.status not in ("passed", "not_applicable")
        ],
    ]
    return Digest(
        kind="summary",
        title=f"revalign checks as of {as_of:%Y-%m-%d %H:%M}: "
        f"{statuses['failed']} failed, {statuses['warning']} warning(s)",
        recipient="data-team",
        emails=data_team,
        lines=lines,
        payload={
            "run_id": run_id,
            "as_of": as_of.isoformat(),
            "checks": [
                {
                    "data_asset": c.data_asset,
                    "check": c.check,
                    "status": c.status,
                    "observed_value": c.observed_value,
                    "threshold": c.threshold,
                }
                for c in checks
            ],
        },
    )


def _number(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- delivery ---------------------------------------------------------------------------


@dataclass
class Delivery:
    channel: str
    kind: str
    recipient: str
    issues: int
    status: str
    attempts: int
    error: str | None = None


def deliver(
    channel: Channel, digest: Digest, attempts: int, sleep: Callable[[float], None] = time.sleep
) -> Delivery:
    """Try a few times, waiting longer each time; never raises."""
    error = None
    for attempt in range(1, attempts + 1):
        try:
            channel.deliver(digest)
        except Exception as exc:  # a channel's failure must not fail the run
            error = redaction.redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
            log.warning(
                "alert %s to %s via %s failed (attempt %d of %d): %s",
                digest.kind,
                digest.recipient,
                channel.name,
                attempt,
                attempts,
                error,
            )
            if attempt < attempts:
                sleep(min(2 ** (attempt - 1), 30))
        else:
            return Delivery(
                channel.name,
                digest.kind,
                digest.recipient,
                len(digest.issues),
                "delivered",
                attempt,
            )
    return Delivery(
        channel.name, digest.kind, digest.recipient, len(digest.issues), "failed", attempts, error
    )


def send(
    conn: ConnectionInfo,
    run_id: str,
    as_of: datetime,
    checks: list,
    channels: list[Channel] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivery]:
    """Alert the owners of new or changed issues and the data team; return what was tried."""
    channels = configured_channels() if channels is None else channels
    issues = open_issues(conn)
    data_team = settings.alert_data_team()
    deliveries: list[Delivery] = []
    with db.connect(conn) as pg, pg.cursor() as cur:
        _forget_fixed(cur, issues)
        pg.commit()
        for channel in channels:
            cur.execute(
                "select rule, record_type, record_id, source_system, fingerprint, "
                "last_alerted_as_of from ops.alerted_issues where channel = %s",
                (channel.name,),
            )
            alerted = {tuple(row[:4]): (row[4], row[5]) for row in cur.fetchall()}
            digests = owner_digests(_due(issues, alerted, as_of), data_team)
            digests.append(summary_digest(run_id, as_of, checks, data_team))
            for digest in digests:
                if not channel.accepts(digest):
                    continue
                outcome = deliver(channel, digest, settings.alert_attempts(), sleep)
                deliveries.append(outcome)
                record_delivery(cur, run_id, outcome)
                if outcome.status == "delivered":
                    _remember(cur, channel.name, digest.issues, as_of)
                pg.commit()
    return deliveries


def _forget_fixed(cur, issues: list[Issue]) -> None:
    """Drop what was alerted of issues that are no longer open: if they return, they alert."""
    columns = list(zip(*(i.key for i in issues), strict=True)) if issues else [[], [], [], []]
    cur.execute(
        """
        delete from ops.alerted_issues as alerted
        where not exists (
            select
            from unnest(%s::text[], %s::text[], %s::text[], %s::text[])
                as open (rule, record_type, record_id, source_system)
            where open.rule = alerted.rule and open.record_type = alerted.record_type
                and open.record_id = alerted.record_id
                and open.source_system = alerted.source_system
        )
        """,
        [list(c) for c in columns],
    )


def _remember(cur, channel: str, issues: list[Issue], as_of: datetime) -> None:
    if not issues:
        return
    execute_values(
        cur,
        """
        insert into ops.alerted_issues (channel, rule, record_type, record_id, source_system,
            fingerprint, first_alerted_as_of, last_alerted_as_of)
        values %s
        on conflict (channel, rule, record_type, record_id, source_system) do update
            set fingerprint = excluded.fingerprint,
                last_alerted_as_of = excluded.last_alerted_as_of
        """,
        [(channel, *i.key, i.fingerprint, as_of, as_of) for i in issues],
    )


def record_delivery(cur, run_id: str, d: Delivery) -> None:
    """Log one delivery (or its failure) in ops.alert_deliveries."""
    cur.execute(
        "insert into ops.alert_deliveries (run_id, channel, kind, recipient, issues, status, "
        "attempts, error) values (%s, %s, %s, %s, %s, %s, %s, %s)",
        (run_id, d.channel, d.kind, d.recipient, d.issues, d.status, d.attempts, d.error),
    )
