"""Notices to sales: a campaign reaches accounts a rep is working (METRICS.md, Notices
to sales).

When a campaign's members include a contact of an account that is a customer or has
an open opportunity (or a lead converted into it), the account's owner and the owners
of its open opportunities get one notice per campaign: the campaign (name, type,
start date) and their accounts, people and open opportunities in it; an owner's
notices of a check come in one digest. It goes out at
the first check that sees such a member, before the campaign starts when it is known
in advance, through the hygiene alerts' channels (``alerts.configured_channels``),
retries and delivery log (``ops.alert_deliveries``).

Per channel, ``ops.campaign_notices`` remembers each campaign, owner and account told:
an owner hears of a campaign once, and again only with the accounts of theirs that
joined since. Accounts whose owners a channel cannot reach (not active users, no
email) go to the data team, whose summary lists every campaign noticed in the run.
A delivery that fails is retried at the next check; it never fails the check.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from psycopg2.extras import execute_values

from revalign import settings
from revalign.checks import alerts
from revalign.settings import ConnectionInfo
from revalign.warehouse import db

#: The view dbt builds for the notices (models/checks/check_campaign_notices.sql).
CAMPAIGN_REACH = "intermediate.check_campaign_notices"


@dataclass(frozen=True)
class Reach:
    """A campaign reaching one account an owner works."""

    source_system: str
    campaign_id: str
    campaign_name: str | None
    campaign_type: str | None
    campaign_start_date: date | None
    owner_id: str
    owner_name: str | None
    owner_email: str | None
    owner_is_active: bool
    owner_key: str
    account_id: str
    account_name: str | None
    is_customer: bool
    person_ids: list[str]
    open_opportunity_ids: list[str]

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What the ledger remembers: campaign, owner (the person) and account."""
        return (self.source_system, self.campaign_id, self.owner_key, self.account_id)

    def as_dict(self) -> dict:
        link = settings.crm_record_url
        return {
            "account_id": self.account_id,
            "account_name": self.account_name,
            "is_customer": self.is_customer,
            "link": link(self.source_system, "account", self.account_id),
            "people": [
                {"id": p, "link": link(self.source_system, "contact", p)} for p in self.person_ids
            ],
            "open_opportunities": [
                {"id": o, "link": link(self.source_system, "opportunity", o)}
                for o in self.open_opportunity_ids
            ],
        }


def campaign_reach(conn: ConnectionInfo) -> list[Reach]:
    """Every campaign, owner and account to be told of (dbt's check_campaign_notices)."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            "select source_system, campaign_id, campaign_name, campaign_type, "
            "campaign_start_date, owner_id, owner_name, owner_email, owner_is_active, "
            "owner_key, account_id, account_name, is_customer, person_ids, "
            f"open_opportunity_ids from {CAMPAIGN_REACH} "
            "order by source_system, campaign_id, owner_key, account_id"
        )
        return [Reach(*row) for row in cur.fetchall()]


def _campaign(reach: Reach) -> str:
    """'<name>' (<type>, starts <day>)."""
    kind = reach.campaign_type or "campaign"
    start = f"starts {reach.campaign_start_date:%Y-%m-%d}" if reach.campaign_start_date else ""
    return (
        f"'{reach.campaign_name or reach.campaign_id}' ({', '.join(filter(None, [kind, start]))})"
    )


def _account_line(reach: Reach) -> str:
    state = "customer" if reach.is_customer else "open opportunity"
    deals = f"; open: {', '.join(reach.open_opportunity_ids)}" if reach.open_opportunity_ids else ""
    return (
        f"{reach.account_name or reach.account_id} ({reach.account_id}, {state}): "
        f"people in it {', '.join(reach.person_ids)}{deals}"
    )


def owner_notices(
    due: Iterable[Reach],
) -> tuple[list[tuple[alerts.Digest, list[Reach]]], list[Reach]]:
    """One digest per active owner (a person), with a notice per campaign: the campaign
    and the accounts of theirs it reaches; and the reach of owners who are not active
    users."""
    by_owner: dict[str, list[Reach]] = defaultdict(list)
    unowned = []
    for reach in due:
        if reach.owner_is_active:
            by_owner[reach.owner_key].append(reach)
        else:
            unowned.append(reach)
    digests = []
    for reached in sorted(by_owner.values(), key=lambda r: min(x.owner_id for x in r)):
        owner_id = min(r.owner_id for r in reached)
        name = reached[0].owner_name or owner_id
        campaigns: dict[tuple[str, str], list[Reach]] = defaultdict(list)
        for reach in reached:
            campaigns[(reach.source_system, reach.campaign_id)].append(reach)
        lines = [f"{name}, marketing's campaigns include people of accounts you work:"]
        notices = []
        for (source, campaign_id), accounts in sorted(campaigns.items()):
            first = accounts[0]
            lines.append(f"Campaign {_campaign(first)}:")
            lines += [f"  {_account_line(r)}" for r in accounts]
            notices.append(
                {
                    "source_system": source,
                    "campaign_id": campaign_id,
                    "name": first.campaign_name,
                    "type": first.campaign_type,
                    "start_date": first.campaign_start_date,
                    "accounts": [r.as_dict() for r in accounts],
                }
            )
        title = (
            f"Campaign {_campaign(reached[0])} reaches your accounts"
            if len(campaigns) == 1
            else f"Campaigns reaching your accounts: {len(campaigns)}"
        )
        digest = alerts.Digest(
            kind="campaign_notice",
            title=title,
            recipient=owner_id,
            emails=[reached[0].owner_email] if reached[0].owner_email else [],
            lines=lines,
            payload={"owner_id": owner_id, "owner_name": name, "campaigns": notices},
        )
        digests.append((digest, reached))
    return digests, unowned


def data_team_summary(
    notices: list[alerts.Digest], unowned: list[Reach], data_team: list[str]
) -> alerts.Digest:
    """What the owners were told in this run, and the accounts nobody active owns."""
    campaigns: dict[str, set[str]] = defaultdict(set)
    for notice in notices:
        for campaign in notice.payload["campaigns"]:
            campaigns[campaign["campaign_id"]].add(notice.recipient)
    lines = [
        f"campaign {c}: {len(owners)} owner(s) told" for c, owners in sorted(campaigns.items())
    ]
    lines += [
        f"campaign {r.campaign_id} reaches {_account_line(r)}, worked by {r.owner_id}, "
        "whom this channel cannot reach (not an active user, or no email)"
        for r in unowned
    ]
    return alerts.Digest(
        kind="notice_summary",
        title=f"Campaign notices: {len(notices)} sent to owners, "
        f"{len(unowned)} account(s) whose owner this channel cannot reach",
        recipient="data-team",
        emails=data_team,
        lines=lines,
        payload={
            "notices": [
                {"recipient": n.recipient, "campaign_id": c["campaign_id"]}
                for n in notices
                for c in n.payload["campaigns"]
            ],
            "unowned": [
                {"campaign_id": r.campaign_id, "owner_id": r.owner_id, **r.as_dict()}
                for r in unowned
            ],
        },
    )


def send(
    conn: ConnectionInfo,
    run_id: str,
    as_of: datetime,
    channels: list[alerts.Channel] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[alerts.Delivery]:
    """Tell the owners of campaigns newly reaching their accounts, and the data team."""
    channels = alerts.configured_channels() if channels is None else channels
    reach = campaign_reach(conn)
    data_team = settings.alert_data_team()
    deliveries: list[alerts.Delivery] = []
    with db.connect(conn) as pg, pg.cursor() as cur:
        for channel in channels:
            cur.execute(
                "select source_system, campaign_id, owner_key, account_id "
                "from ops.campaign_notices where channel = %s",
                (channel.name,),
            )
            told = {tuple(row) for row in cur.fetchall()}
            due = [r for r in reach if r.key not in told]
            if not due:
                continue
            pairs, unowned = owner_notices(due)
            # an owner this channel cannot reach (an email without address) is the data team's
            reachable = [(n, covered) for n, covered in pairs if channel.accepts(n)]
            unowned += [r for n, covered in pairs if not channel.accepts(n) for r in covered]
            summary = data_team_summary([n for n, _ in reachable], unowned, data_team)
            for digest, covered in [*reachable, (summary, unowned)]:
                if not channel.accepts(digest):
                    continue
                outcome = alerts.deliver(channel, digest, settings.alert_attempts(), sleep)
                outcome.issues = len(covered) or len(digest.lines)
                deliveries.append(outcome)
                alerts.record_delivery(cur, run_id, outcome)
                if outcome.status == "delivered":
                    _remember(cur, channel.name, covered, run_id, as_of)
                pg.commit()
    return deliveries


def _remember(cur, channel: str, told: list[Reach], run_id: str, as_of: datetime) -> None:
    if not told:
        return
    execute_values(
        cur,
        """
        insert into ops.campaign_notices (channel, source_system, campaign_id, owner_key,
            account_id, owner_id, run_id, noticed_as_of)
        values %s
        on conflict (channel, source_system, campaign_id, owner_key, account_id) do nothing
        """,
        [(channel, *r.key, r.owner_id, run_id, as_of) for r in told],
    )
