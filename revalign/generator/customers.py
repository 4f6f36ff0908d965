"""Campaigns aimed at existing customers: marketing invites customers' contacts, and
sales should hear of it first (METRICS.md, Notices to sales).

The contacts of an account with a won deal are invited now and then (each by its own
stream, so the rest of the world stays as it was) to one of the company's customer
campaigns, the summit included, which starts after ``AS_OF``: the invitations went
out before it starts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from revalign.generator.world import (
    AS_OF,
    AccountWorld,
    Campaign,
    Membership,
    Opportunity,
    at_second,
)

#: The share of customers' contacts invited.
INVITED = 0.4


def invite(
    seed: int,
    campaigns: list[Campaign],
    deals: list[Opportunity],
    accounts: AccountWorld,
    new_id: Callable[[str], str],
) -> None:
    """Memberships of customer campaigns for some contacts of the world's customers."""
    won = {
        d.account_id: d.versions[-1].at for d in deals if d.deleted_at is None and d.final.is_won
    }
    for contact in accounts.contacts:
        if contact.deleted_at is not None or contact.account_id not in won:
            continue
        rng = random.Random(f"{seed}:invite:{contact.id}")
        if rng.random() >= INVITED:
            continue
        campaign = rng.choice(campaigns)
        invited = max(contact.created_at, won[contact.account_id], campaign.created_at)
        at = at_second(invited + timedelta(hours=rng.uniform(1, 24 * 10)))
        if at > AS_OF:
            continue
        contact.memberships.append(
            Membership(id=new_id("00v"), campaign_id=campaign.id, created_at=at,
                       contact_id=contact.id)
        )  # fmt: skip
