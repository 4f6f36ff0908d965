"""The generator's accounts: the people of a company that buys, and the deals opened on it.

A B2B org's funnel is more than leads. A converted lead becomes a contact of an
account, its colleagues are created as contacts directly (an event badge scan, a
customer's colleague), some of them become MQLs on the Contact, and later deals are
opened on the account with contact roles rather than converted from a lead. Sales
reps also open deals on accounts they prospect themselves, with the contacts they
met. Each lead's accounts come from their own seeded stream (``{seed}:accounts:{i}``),
so the leads' lives stay as they were.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from revalign.generator.world import (
    ACCOUNT_RECORD_IDS,
    AS_OF,
    CONTACT_STATUSES,
    EXPANSION_IDS,
    FIRST_NAMES,
    LAST_NAMES,
    PERIOD_START,
    PERSONA_TITLES,
    PERSONA_WEIGHTS,
    ROLES,
    Account,
    AccountWorld,
    Activity,
    Contact,
    ContactRole,
    ContactVersion,
    Lead,
    LeadFactory,
    Membership,
    Opportunity,
    _ascii,
    at_second,
)
from revalign.warehouse import salesforce_ids


class AccountFactory:
    """Makes the accounts that hang on lead ``i``: its converted account, its sales deal's."""

    def __init__(self, leads: LeadFactory):
        self.leads = leads
        self.company = leads.company
        self._teams = {u.id: u.division for u in self.company.users}
        self._base = 0
        self._count = 0

    def _id(self, prefix: str) -> str:
        self._count += 1
        return salesforce_ids.make(prefix, self._base + self._count)

    def _maybe(self, rng: random.Random, rule: str) -> bool:
        return self.leads._maybe(rng, rule)

    def _after(self, rng, start: datetime, hours: tuple[float, float]) -> datetime | None:
        return self.leads._after(rng, start, hours)

    def world_of(self, i: int, lead: Lead, sales_deal: Opportunity | None) -> AccountWorld:
        rng = random.Random(f"{self.leads.seed}:accounts:{i}")
        self._base, self._count = ACCOUNT_RECORD_IDS + (i + 1) * 1000, 0
        out = AccountWorld()
        if lead.account_id is not None and lead.deleted_at is None:
            self._converted_account(rng, i, lead, out)
        if sales_deal is not None:
            self._prospected_account(rng, i, sales_deal, out)
        return out

    # --- a converted lead's account -----------------------------------------------------

    def _converted_account(self, rng, i: int, lead: Lead, out: AccountWorld) -> None:
        converted_at = next(v.at for v in lead.versions if v.converted is not None)
        deal = lead.opportunity
        owner = deal.owner_id if deal else (lead.owner_id or self.company.aes["East"][0].id)
        team = self._teams.get(owner, "East")
        account = Account(lead.account_id, lead.company, owner, converted_at)
        out.accounts.append(account)
        contact = Contact(
            id=lead.contact_id,
            account_id=account.id,
            first_name=lead.first_name,
            last_name=lead.last_name,
            email=lead.email,
            title=lead.title,
            persona_field=lead.persona_field,
            lead_source=lead.lead_source,
            owner_id=lead.owner_id,
            created_at=converted_at,
            # the org maps the lead's MQL date onto the contact at conversion
            versions=[ContactVersion(converted_at, mql_at=lead.final.mql_at)],
            converted_from=lead.id,
        )
        out.contacts.append(contact)
        if deal is not None:
            # conversion makes the contact the deal's primary contact role
            deal.roles.append(
                ContactRole(self._id("00K"), deal.id, contact.id, True, ROLES[0], deal.created_at)
            )
            if rng.random() < 0.4:
                touched = [
                    m.campaign_id for m in lead.memberships if m.created_at < deal.created_at
                ]
                deal.primary_campaign_id = (
                    touched[-1]
                    if touched and rng.random() < 0.7
                    else self._live_campaign(rng, deal.created_at)
                )
        colleagues = []
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            created = self._after(rng, converted_at, hours=(2, 24 * 60))
            if created is not None:
                colleagues.append(self._contact(rng, account, created, team, lead.company))
        out.contacts.extend(colleagues)
        current = [c for c in colleagues if c.deleted_at is None]
        if deal is not None and current and rng.random() < 0.45:
            start = self._after(rng, max(c.created_at for c in current), hours=(24, 24 * 45))
            if start is not None:
                expansion = self.leads._opportunity(
                    rng,
                    opp_id=salesforce_ids.make("006", EXPANSION_IDS + i),
                    account_id=account.id,
                    created=start,
                    team=team,
                    lead_source="Existing Customer",
                    contact_id=None,
                )
                self._roles(rng, expansion, [*current, contact], primary_share=0.7)
                if rng.random() < 0.4:
                    expansion.primary_campaign_id = self._live_campaign(rng, start)
                out.opportunities.append(expansion)

    # --- an account a rep prospected ------------------------------------------------------

    def _prospected_account(self, rng, i: int, deal: Opportunity, out: AccountWorld) -> None:
        opened = max(PERIOD_START, deal.created_at - timedelta(days=rng.randint(5, 120)))
        team = self._teams.get(deal.owner_id, "East")
        name = f"{rng.choice(LAST_NAMES)} {rng.choice(('Group', 'Labs', 'AG', 'LLC'))}"
        account = Account(deal.account_id, name, deal.owner_id, at_second(opened))
        out.accounts.append(account)
        people = []
        span = max((deal.created_at - account.created_at).total_seconds(), 60)
        for _ in range(rng.choice((1, 1, 2, 3))):
            created = at_second(account.created_at + timedelta(seconds=rng.uniform(0, span)))
            people.append(self._contact(rng, account, created, team, name))
        out.contacts.extend(people)
        if rng.random() < 0.8:
            self._roles(rng, deal, people, primary_share=0.6)
        if rng.random() < 0.3:
            deal.primary_campaign_id = self._live_campaign(rng, deal.created_at)

    # --- people and their roles -------------------------------------------------------

    def _contact(self, rng, account: Account, created: datetime, team: str, company: str):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        persona = rng.choices(list(PERSONA_TITLES), PERSONA_WEIGHTS)[0]
        domain = "".join(ch for ch in company.lower() if ch.isalnum())[:12] + ".example"
        contact = Contact(
            id=self._id("003"),
            account_id=account.id,
            first_name=first,
            last_name=last,
            email=f"{_ascii(first)}.{_ascii(last)}.c{self._base + self._count}@{domain}".lower(),
            title=rng.choice(PERSONA_TITLES[persona]),
            persona_field=persona if rng.random() < 0.3 else None,
            lead_source=rng.choice(("Event", "Webinar", "Existing Customer", "Partner Referral")),
            owner_id=account.owner_id,
            created_at=created,
            versions=[ContactVersion(created)],
        )
        if self._maybe(rng, "lead_missing_owner"):
            contact.owner_id = None if rng.random() < 0.5 else rng.choice(self.company.inactive).id
        if self._maybe(rng, "lead_missing_source"):
            contact.lead_source = None
        if self._maybe(rng, "lead_invalid_email"):
            contact.email = rng.choice((None, contact.email.replace("@", " @")))
        if rng.random() < 0.45:
            self._mql_life(rng, contact, team)
        elif rng.random() < 0.3:
            at = self._after(rng, created, hours=(24, 24 * 30))
            if at is not None:
                contact.versions.append(ContactVersion(at, status="Nurturing"))
        if rng.random() < 0.5:
            at = self._after(rng, created, hours=(1, 24 * 60))
            if at is not None:
                live = self.company.campaigns_live_at(at.date())
                responded = at.date() if rng.random() < 0.4 else None
                contact.memberships.append(
                    Membership(
                        id=self._id("00v"),
                        campaign_id=rng.choice(live).id,
                        created_at=at,
                        contact_id=contact.id,
                        first_responded=responded,
                    )
                )
        if rng.random() < 0.03:
            contact.deleted_at = self._after(rng, created, hours=(24, 24 * 60))
        return contact

    def _mql_life(self, rng, contact: Contact, team: str) -> None:
        mql_at = self._after(rng, contact.created_at, hours=(0.5, 96))
        if mql_at is None:
            return
        contact.versions.append(ContactVersion(mql_at, mql_at=mql_at))
        if self._maybe(rng, "mql_not_followed_up"):
            return
        room_h = (AS_OF - mql_at).total_seconds() / 3600
        delay_h = math.exp(rng.gauss(math.log(16), 1.0))
        touch_at = at_second(mql_at + timedelta(hours=min(delay_h, max(room_h - 0.01, 0))))
        rep = rng.choice(self.company.sdrs[team]).id
        contact.activities.append(
            Activity(
                kind="Task" if rng.random() < 0.8 else "Event",
                id=self._id("00T"),
                owner_id=rep,
                created_at=touch_at,
                who_id=contact.id,
                subject="Intro call",
            )
        )
        decided = self._after(rng, touch_at, hours=(1, 24 * 10))
        if decided is not None and rng.random() < 0.8:
            status = rng.choice(CONTACT_STATUSES)
            contact.versions.append(ContactVersion(decided, status=status, mql_at=mql_at))

    def _roles(self, rng, deal: Opportunity, people: list[Contact], primary_share: float):
        """A role per person on the deal, the first one primary at ``primary_share``; some
        roles are added days after the deal was opened, a few removed later."""
        primary = rng.random() < primary_share
        for n, person in enumerate(people):
            later = rng.random() < 0.25
            added = self._after(rng, deal.created_at, hours=(24, 24 * 20) if later else (0, 2))
            if added is None:
                continue
            while any(r.created_at == added for r in deal.roles):
                added += timedelta(minutes=1)  # the earliest role is never a tie
            role = ContactRole(
                self._id("00K"), deal.id, person.id, primary and n == 0, rng.choice(ROLES), added
            )
            if deal.deleted_at is not None:
                role.deleted_at = deal.deleted_at  # deleting a deal deletes its roles
            elif not role.is_primary and rng.random() < 0.15:
                role.deleted_at = self._after(rng, added, hours=(24, 24 * 30))
            deal.roles.append(role)

    def _live_campaign(self, rng, moment: datetime) -> str:
        return rng.choice(self.company.campaigns_live_at(moment.date())).id
