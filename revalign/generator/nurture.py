"""Nurture leads looked after, or not (the hygiene rule nurture_lead_untouched).

A lead or contact in a nurture status (``NURTURE_STATUSES``) that nobody touched, by
an activity or a campaign, in the ``NURTURE_TOUCH_DAYS`` before ``AS_OF`` gets
marketing's nurture email a few days before ``AS_OF``, unless the problem is
injected. Each person's choice comes from its own stream, so the rest of the world
stays as it was.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from revalign.generator.world import (
    AS_OF,
    AccountWorld,
    Activity,
    Lead,
    Membership,
    Opportunity,
    User,
    at_second,
    touched_at,
)

#: The settings' defaults (dbt vars nurture_statuses, nurture_touch_days).
NURTURE_STATUSES = ("Nurturing",)
NURTURE_TOUCH_DAYS = 30


def last_touched(
    people: set[str], activities: Iterable[Activity], memberships: Iterable[Membership]
) -> datetime | None:
    """The latest activity (by anyone, not deleted) or campaign touch naming ``people``."""
    moments = [a.created_at for a in activities if a.deleted_at is None and a.who_id in people]
    moments += [touched_at(m) for m in memberships if {m.lead_id, m.contact_id} & people]
    return max(moments, default=None)


def persons(lead: Lead, deals: list[Opportunity], accounts: AccountWorld):
    """(record, its status, its last touch) of each current person
    of a lead's world: the lead, and the contacts created directly. A touch is any
    activity naming them (their own, their deals', their colleagues') or campaign touch."""
    activities = [
        *lead.activities,
        *(a for d in deals for a in d.activities),
        *(a for c in accounts.contacts for a in c.activities),
    ]
    memberships = [*lead.memberships, *(m for c in accounts.contacts for m in c.memberships)]
    found = []
    if lead.deleted_at is None:
        found.append((lead, {lead.id, lead.contact_id} - {None}, lead.final.status))
    for contact in accounts.contacts:
        if contact.deleted_at is None and contact.converted_from is None:
            found.append((contact, {contact.id}, contact.final.status))
    return [(p, status, last_touched(ids, activities, memberships)) for p, ids, status in found]


def untouched(status: str | None, last: datetime | None) -> bool:
    """Whether nurture_lead_untouched fires for a person of this status and last touch."""
    if status not in NURTURE_STATUSES:
        return False
    return last is None or AS_OF - last > timedelta(days=NURTURE_TOUCH_DAYS)


def look_after(
    seed: int,
    rate: float,
    marketers: list[User],
    lead: Lead,
    deals: list[Opportunity],
    accounts: AccountWorld,
    new_id: Callable[[str], str],
) -> None:
    """Marketing's nurture email for each untouched nurture person of a lead's world,
    but a share ``rate`` of them, which stay untouched."""
    for person, status, last in persons(lead, deals, accounts):
        if not untouched(status, last):
            continue
        rng = random.Random(f"{seed}:nurture:{person.id}")
        if rng.random() < rate:
            continue  # left alone: the rule fires
        at = at_second(max(person.created_at, AS_OF - timedelta(days=rng.uniform(1, 25))))
        person.activities.append(
            Activity(
                kind="Task",
                id=new_id("00T"),
                owner_id=rng.choice(marketers).id,
                created_at=at,
                who_id=person.id,
                subject="Nurture email",
                subtype="Email",
            )
        )
