"""Expected figures, computed from the generator's own model as it makes each record.

Definitions follow METRICS.md with its default settings; ``truth.json`` names
the grouping of every figure in its ``definitions`` block.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from revalign.generator import nurture, world
from revalign.generator.journey import DealJourney, JourneyTruth, Stage
from revalign.generator.world import (
    AS_OF,
    AccountWorld,
    Contact,
    Lead,
    Membership,
    Opportunity,
    touched_at,
)

EMAIL_PATTERN = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
RULES = tuple(world.DEFAULT_RATES)
FUNNEL_FIGURES = (
    "leads",
    "mqls",
    "sla_met",
    "sla_breached",
    "sla_pending",
    "accepted",
    "rejected",
    "acceptance_open",
    "opportunities",
    "won",
    "won_amount",
)

ATTRIBUTION_MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "position_based",
    "time_decay",
    "primary_campaign",
)
#: The attribution settings' defaults (dbt vars position_first_share, position_last_share,
#: time_decay_half_life_days).
POSITION_FIRST_SHARE = Fraction("0.4")
POSITION_LAST_SHARE = Fraction("0.4")
TIME_DECAY_HALF_LIFE_DAYS = 7
ACCOUNT_FIGURES = (
    "accounts",
    "people",
    "mqls",
    "opportunities",
    "open_pipeline_amount",
    "won_amount",
    "customers",
    "marketing_influenced",
    "with_days_first_touch_to_opportunity",
    "days_first_touch_to_opportunity",
)

#: Salesforce's standard stages (the seed stage_order: the generator delivers no
#: OpportunityStage), in order.
SALESFORCE_STAGES = {
    name: Stage(position, is_closed=name.startswith("Closed"), is_won=name == "Closed Won")
    for position, name in enumerate((*world.STAGES, "Closed Won", "Closed Lost"), start=1)
}

DEFINITIONS = {
    "as_of": "every age-based figure is computed at this moment (the last batch's extraction time)",
    "leads": "persons (current leads, and current contacts not converted from a lead) by month "
    "of CreatedDate and LeadSource",
    "mqls": "persons with MQL_Date__c, by its month and LeadSource",
    "sla_met/sla_breached/sla_pending": "sla_status of those MQLs, by MQL month (METRICS.md)",
    "accepted/rejected/acceptance_open": "acceptance_status of those MQLs, by MQL month",
    "opportunities": "current opportunities by month of CreatedDate and Opportunity.LeadSource",
    "won/won_amount": "won opportunities (count, sum of Amount) by CloseDate month and LeadSource",
    "lead_source": "null when blank",
    "lead_invalid_email": "blank, or not matching " + EMAIL_PATTERN.pattern,
    "opportunities_by_origin": "current opportunities by their origin person's type (none: none)",
    "sourcing": "current opportunities marketing-sourced, sales-sourced, marketing-influenced",
    "attribution": "per model and campaign, cents of won amount attributed (METRICS.md)",
    "accounts": "sums over current accounts of the account_funnel figures; "
    "days_first_touch_to_opportunity summed over the accounts that have it",
    "notices": "(source, campaign, owner, account) of every notice to sales: the campaign "
    "has a member who is a contact of the account or a lead converted into it, the account "
    "is a customer or has an open opportunity, the owner is its owner or an open "
    "opportunity's (active users; the others in notices_to_the_data_team)",
    "journey.opportunity_stages": "per source and stage: stage entries of current "
    "opportunities, those current, the seconds spent in the stage (entries that were left) "
    "and the campaign touches of their people during it",
    "journey.stage_conversion": "per source, month of creation and stage of its stage order "
    "(METRICS.md); a stage is reached by entering it or a later stage that is not lost",
    "journey.win_loss_reasons": "closed opportunities by month closed, won, reason "
    "('(none given)' when blank), lead source and owner's team",
    "journey.scorecard": "company-wide, by month: persons created and those given an "
    "opportunity; closed and won opportunities by influence; median sales cycle of the won",
}


@dataclass(frozen=True)
class AccountDeal:
    """What an account's figures read of one of its deals."""

    amount: int | None
    is_closed: bool
    is_won: bool
    created_at: datetime
    influenced: bool


def month(moment) -> str:
    return moment.strftime("%Y-%m")


class Truth:
    def __init__(self, company: world.Company):
        self.sales_users = {u.id for u in company.users if u.department == "Sales"}
        self.inactive_users = {u.id for u in company.users if not u.is_active}
        self.hygiene: Counter[str] = Counter({rule: 0 for rule in RULES})
        self.funnel: defaultdict[tuple[str, str | None], Counter[str]] = defaultdict(Counter)
        self.records: Counter[str] = Counter(
            users=len(company.users), campaigns=len(company.campaigns)
        )
        self.origins: Counter[str] = Counter({"lead": 0, "contact": 0, "none": 0})
        self.sourcing: Counter[str] = Counter(
            {"marketing_sourced": 0, "sales_sourced": 0, "marketing_influenced": 0}
        )
        self.attribution: dict[str, Counter[str]] = {m: Counter() for m in ATTRIBUTION_MODELS}
        self.accounts: Counter[str] = Counter({name: 0 for name in ACCOUNT_FIGURES})
        self.journey = JourneyTruth()
        #: (source, campaign, owner, account, owner is active) of the notices to sales
        self.notices: set[tuple[str, str, str, str, bool]] = set()
        self.teams = {u.id: u.division for u in company.users}

    def add_lead_world(self, lead: Lead, deals: list[Opportunity], accounts: AccountWorld) -> None:
        """A lead, the deals that hang on it and its accounts' contacts."""
        self.add_lead(lead)
        self._add_nurture(lead, deals, accounts)
        contacts = {c.id: c for c in accounts.contacts if c.deleted_at is None}
        deals = [d for d in deals if d.deleted_at is None]
        touches = _touches_by_person(lead, accounts.contacts)
        for contact in contacts.values():
            if contact.converted_from is None:
                self.add_contact(contact, deals)
        influenced = set()
        for deal in deals:
            self.add_opportunity(deal)
            people = self._add_sourcing(deal, lead, contacts, touches)
            touched = {m.id: touched_at(m) for p in people for m in touches.get(p, [])}
            before = [at for at in touched.values() if at < deal.created_at]
            if before:
                influenced.add(deal.id)
            self._add_journey(deal, bool(before), list(touched.values()))
        self._add_accounts(lead, deals, accounts, contacts, touches, influenced)
        self._add_notices(lead, deals, accounts, contacts)

    def _add_nurture(self, lead: Lead, deals: list[Opportunity], accounts: AccountWorld) -> None:
        """nurture_lead_untouched of the world's persons: every activity naming them (their
        own, their deals', their colleagues') and their campaign touches."""
        for _, status, last in nurture.persons(lead, deals, accounts):
            if nurture.untouched(status, last):
                self.hygiene["nurture_lead_untouched"] += 1

    def _add_notices(self, lead, deals, accounts: AccountWorld, contacts: dict) -> None:
        """The campaigns reaching the world's worked accounts: a member is a contact of
        the account or the lead converted into it."""
        account_of = {c.id: c.account_id for c in contacts.values() if c.account_id}
        if lead.deleted_at is None and lead.account_id:
            account_of[lead.id] = lead.account_id
        memberships = [*lead.memberships, *(m for c in contacts.values() for m in c.memberships)]
        reached = [
            (m.campaign_id, account_of[p])
            for m in memberships
            for p in {m.lead_id, m.contact_id} & set(account_of)
        ]
        worked = [
            (a.id, a.owner_id, [(d.owner_id, d.final) for d in deals if d.account_id == a.id])
            for a in accounts.accounts
        ]
        self.add_notices("salesforce", reached, worked)

    def add_notices(self, source: str, reached: list[tuple], worked: list[tuple]) -> None:
        """(campaign, account) pairs a campaign reaches, and per account (id, owner,
        [(deal owner, deal's final version)]): the owners of customers and of accounts
        with open deals hear of each campaign reaching them."""
        owners_of = {}
        for account, owner, own in worked:
            open_owners = {o for o, final in own if not final.is_closed}
            if open_owners or any(final.is_won for _, final in own):
                owners_of[account] = ({owner} | open_owners) - {None}
        for campaign, account in reached:
            for owner in owners_of.get(account, ()):
                active = owner not in self.inactive_users
                self.notices.add((source, campaign, owner, account, active))

    def add_lead(self, lead: Lead) -> None:
        if lead.deleted_at is not None:
            return
        self.records["leads"] += 1
        final, source = lead.final, lead.lead_source
        self._add_person(lead.created_at, source, lead.owner_id, lead.email)
        opportunity = lead.opportunity
        self.journey.add_person(
            lead.created_at, opportunity is not None and opportunity.deleted_at is None
        )
        if lead.duplicates_earlier:
            self.hygiene["lead_duplicate_email"] += 1
        if final.mql_at is None:
            return
        if final.status in world.REJECTED_STATUSES:
            acceptance = "rejected"
        elif final.converted or final.status in (*world.ACCEPTED_STATUSES, "Converted"):
            acceptance = "accepted"
        else:
            acceptance = "acceptance_open"
        self.add_mql(final.mql_at, source, self.first_touch(lead, final.mql_at), acceptance)
        if acceptance == "rejected" and not final.reason:
            self.hygiene["rejected_without_reason"] += 1

    def add_mql(self, mql_at, source, first_touch, acceptance: str) -> None:
        """An MQL of the funnel (a lead or contact): its SLA status from its first sales
        touch, its acceptance (rejected, accepted or acceptance_open), and whether it was
        left without a follow-up."""
        figures = self.funnel[(month(mql_at), source)]
        figures["mqls"] += 1
        status = sla_status(first_touch, mql_at)
        figures[f"sla_{status}"] += 1
        figures[acceptance] += 1
        if status == "breached" and first_touch is None and acceptance != "rejected":
            self.hygiene["mql_not_followed_up"] += 1

    def _add_person(self, created_at, source, owner_id, email) -> None:
        """What every person counts for: the funnel's persons and the rules of every person."""
        self.records["persons"] += 1
        self.funnel[(month(created_at), source)]["leads"] += 1
        if owner_id is None or owner_id in self.inactive_users:
            self.hygiene["lead_missing_owner"] += 1
        if not source:
            self.hygiene["lead_missing_source"] += 1
        if not email or not EMAIL_PATTERN.fullmatch(email):
            self.hygiene["lead_invalid_email"] += 1

    def add_contact(self, contact: Contact, deals: list[Opportunity]) -> None:
        """A contact created directly: a person of the funnel (METRICS.md)."""
        self.records["contacts"] += 1
        final, source = contact.final, contact.lead_source
        self._add_person(contact.created_at, source, contact.owner_id, contact.email)
        self.journey.add_person(
            contact.created_at,
            any(
                r.contact_id == contact.id and r.deleted_at is None for d in deals for r in d.roles
            ),
        )
        if final.mql_at is None:
            return
        touches = [
            a.created_at
            for a in contact.activities
            if a.owner_id in self.sales_users and a.created_at >= final.mql_at
        ]
        roles = [
            (d.created_at, d.id)
            for d in deals
            for r in d.roles
            if r.contact_id == contact.id and r.deleted_at is None
        ]
        deal_at = min(roles)[0] if roles else None
        if deal_at is not None and deal_at >= final.mql_at:
            acceptance = "accepted"
        elif final.status in world.REJECTED_STATUSES:
            acceptance = "rejected"
        elif final.status in (*world.ACCEPTED_STATUSES, "Converted"):
            acceptance = "accepted"
        else:
            acceptance = "acceptance_open"
        self.add_mql(final.mql_at, source, min(touches, default=None), acceptance)

    def _add_sourcing(
        self,
        deal: Opportunity,
        lead: Lead,
        contacts: dict[str, Contact],
        touches: dict[str, list[Membership]],
    ) -> set[str]:
        """Origin, sourcing, influence and attribution of a current deal; its people."""
        origin_lead = lead if lead.opportunity is deal else None
        roles = [r for r in deal.roles if r.deleted_at is None and r.contact_id in contacts]
        people = {r.contact_id for r in roles}
        if origin_lead is not None:
            people |= {lead.id, lead.contact_id} - {None}
            self.origins["lead"] += 1
            sourced = lead.final.mql_at is not None
        elif roles:
            origin = min(roles, key=lambda r: (not r.is_primary, r.created_at, r.id))
            self.origins["contact"] += 1
            mql_at = contacts[origin.contact_id].final.mql_at
            sourced = mql_at is not None and mql_at <= deal.created_at
        else:
            self.origins["none"] += 1
            sourced = False
        self.sourcing["marketing_sourced" if sourced else "sales_sourced"] += 1
        before = sorted(
            {
                (touched_at(m), m.campaign_id, m.id)
                for person in people
                for m in touches.get(person, [])
                if touched_at(m) < deal.created_at
            }
        )
        if before:
            self.sourcing["marketing_influenced"] += 1
        if deal.final.is_won:
            self.credit(deal.final.amount, deal.primary_campaign_id, before, deal.created_at)
        return people

    def _add_journey(self, deal: Opportunity, influenced: bool, touches: list[datetime]) -> None:
        """A current deal's stage entries (from its OpportunityHistory rows), conversion,
        reason and cycle."""
        final = deal.final
        self.journey.add_deal(
            DealJourney(
                source="salesforce",
                created_at=deal.created_at,
                history=[(v.at, v.stage) for _, v in deal.history],
                current_stage=final.stage,
                is_closed=final.is_closed,
                is_won=final.is_won,
                close_day=final.close_date,
                amount=final.amount,
                reason=final.reason,
                lead_source=deal.lead_source,
                team=self.teams.get(deal.owner_id),
                influenced=influenced,
                touches=touches,
            ),
            SALESFORCE_STAGES,
        )

    def credit(self, amount, primary_campaign: str | None, before: list[tuple], opened_at) -> None:
        """A won deal's amount, in cents, to its campaigns under each model: its primary
        campaign, and its touches before it was opened at ``opened_at`` ((at, campaign,
        touch) in time order) by the shares of ``touch_shares``."""
        cents = round((amount or 0) * 100)
        if primary_campaign is not None:
            self.attribution["primary_campaign"][primary_campaign] += cents
        if not before:
            return
        for model, parts in touch_credits(cents, [at for at, _, _ in before], opened_at).items():
            for (_, campaign, _), part in zip(before, parts, strict=True):
                self.attribution[model][campaign] += part

    def _add_accounts(
        self,
        lead: Lead,
        deals: list[Opportunity],
        accounts: AccountWorld,
        contacts: dict[str, Contact],
        touches: dict[str, list[Membership]],
        influenced: set[str],
    ) -> None:
        for account in accounts.accounts:
            people = [
                (c.final.mql_at, [touched_at(m) for m in touches.get(c.id, [])])
                for c in contacts.values()
                if c.account_id == account.id and c.converted_from is None
            ]
            if lead.deleted_at is None and lead.account_id == account.id:
                person = [lead.id, lead.contact_id]
                people.append(
                    (lead.final.mql_at, [touched_at(m) for p in person for m in touches.get(p, [])])
                )
            own = [
                AccountDeal(
                    d.final.amount, d.final.is_closed, d.final.is_won, d.created_at,
                    d.id in influenced,
                )
                for d in deals
                if d.account_id == account.id
            ]  # fmt: skip
            self.add_account(people, own)

    def add_account(self, people: list[tuple], own: list[AccountDeal]) -> None:
        """One account: its people ((mql_at, [campaign touch times]) each) and its deals."""
        figures = self.accounts
        figures["accounts"] += 1
        figures["people"] += len(people)
        figures["mqls"] += sum(1 for mql_at, _ in people if mql_at is not None)
        figures["opportunities"] += len(own)
        figures["open_pipeline_amount"] += sum(d.amount or 0 for d in own if not d.is_closed)
        figures["won_amount"] += sum(d.amount or 0 for d in own if d.is_won)
        figures["customers"] += any(d.is_won for d in own)
        figures["marketing_influenced"] += any(d.influenced for d in own)
        first_touch = min((t for _, ts in people for t in ts), default=None)
        first_deal = min((d.created_at for d in own), default=None)
        if first_touch and first_deal and first_touch <= first_deal:
            figures["with_days_first_touch_to_opportunity"] += 1
            figures["days_first_touch_to_opportunity"] += (
                first_deal.date() - first_touch.date()
            ).days

    def first_touch(self, lead: Lead, mql_at: datetime) -> datetime | None:
        people = {lead.id, lead.contact_id} - {None}
        activities = list(lead.activities)
        if lead.opportunity is not None:
            activities += lead.opportunity.activities
        touches = [
            a.created_at
            for a in activities
            if a.deleted_at is None
            and a.who_id in people
            and a.owner_id in self.sales_users
            and a.created_at >= mql_at
        ]
        return min(touches, default=None)

    def add_opportunity(self, opp: Opportunity) -> None:
        if opp.deleted_at is not None:
            return
        final = opp.final
        open_ = not final.is_closed
        self.add_deal(
            opp.created_at,
            opp.lead_source,
            final,
            final.close_date,
            needs_amount=open_ and world.STAGES.index(final.stage) >= world.AMOUNT_REQUIRED_FROM,
            last_touched=opp.last_touched_at() if open_ else None,
        )

    def add_deal(self, created_at, source, final, close_day, needs_amount, last_touched) -> None:
        """A current opportunity: counted, won (by close day), and the rules of a closed
        one (its reason, its dates) or of an open one (its amount from the stage that
        needs one, its close day, the last time anything happened on it). ``final`` has
        is_closed, is_won, amount and reason."""
        self.records["opportunities"] += 1
        self.funnel[(month(created_at), source)]["opportunities"] += 1
        if final.is_closed:
            if final.is_won:
                won = self.funnel[(month(close_day), source)]
                won["won"] += 1
                won["won_amount"] += final.amount or 0
            if not final.reason:
                self.hygiene["closed_without_reason"] += 1
            if close_day < created_at.date():
                self.hygiene["opportunity_closed_before_created"] += 1
            return
        if needs_amount and not final.amount:
            self.hygiene["opportunity_missing_amount"] += 1
        if close_day < AS_OF.date():
            self.hygiene["opportunity_past_close_date"] += 1
        if AS_OF - last_touched > timedelta(days=world.STALE_DAYS):
            self.hygiene["opportunity_stale"] += 1

    def merge(self, other: Truth) -> None:
        """Add the counts of another chunk of leads."""
        self.hygiene.update(other.hygiene)
        for key, figures in other.funnel.items():
            self.funnel[key].update(figures)
        for name in ("persons", "leads", "contacts", "opportunities"):
            self.records[name] += other.records[name]
        self.origins.update(other.origins)
        self.sourcing.update(other.sourcing)
        self.accounts.update(other.accounts)
        for model, credits in other.attribution.items():
            self.attribution[model].update(credits)
        self.journey.merge(other.journey)
        self.notices |= other.notices

    def as_dict(self, generator: dict) -> dict:
        rows = []
        totals: Counter[str] = Counter()
        for (period, source), figures in sorted(
            self.funnel.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            row = {"month": period, "lead_source": source}
            row.update({name: figures.get(name, 0) for name in FUNNEL_FIGURES})
            rows.append(row)
            totals.update(figures)
        return {
            "generator": generator,
            "as_of": AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "settings": {
                "follow_up_sla_hours": world.SLA_HOURS,
                "stale_after_days": world.STALE_DAYS,
                "rejected_statuses": list(world.REJECTED_STATUSES),
                "accepted_statuses": [*world.ACCEPTED_STATUSES, "Converted"],
                "amount_required_from_stage": world.STAGES[world.AMOUNT_REQUIRED_FROM],
                "sales_departments": ["Sales"],
            },
            "definitions": DEFINITIONS,
            "records": dict(sorted(self.records.items())),
            "hygiene": dict(sorted(self.hygiene.items())),
            "funnel_totals": {name: totals.get(name, 0) for name in FUNNEL_FIGURES},
            "funnel": rows,
            "opportunities_by_origin": dict(sorted(self.origins.items())),
            "sourcing": dict(sorted(self.sourcing.items())),
            "attribution": {
                model: dict(sorted((+credits).items()))
                for model, credits in self.attribution.items()
            },
            "accounts": {name: self.accounts.get(name, 0) for name in ACCOUNT_FIGURES},
            "journey": self.journey.as_dict(),
            "notices": [list(n[:4]) for n in sorted(self.notices) if n[4]],
            "notices_to_the_data_team": [list(n[:4]) for n in sorted(self.notices) if not n[4]],
        }


def touch_credits(cents: int, touched: list[datetime], opened_at: datetime) -> dict:
    """Each touch's whole cents of a won amount under each touch model (METRICS.md):
    first, last, linear, position-based and time-decay. A touch's part is its share of
    the cents rounded down; the cents left over go one each to the earliest touches, so
    that the parts add up to the amount exactly."""
    n = len(touched)
    if n == 1:
        position = [Fraction(1)]
    elif n == 2:
        position = [Fraction(1, 2)] * 2
    else:
        middle = (1 - POSITION_FIRST_SHARE - POSITION_LAST_SHARE) / (n - 2)  # exact: a Fraction
        position = [POSITION_FIRST_SHARE, *[middle] * (n - 2), POSITION_LAST_SHARE]
    decay = [
        2.0 ** -((opened_at - at).total_seconds() / 86400.0 / TIME_DECAY_HALF_LIFE_DAYS)
        for at in touched
    ]
    total = sum(decay)
    shares = {
        "first_touch": [1] + [0] * (n - 1),
        "last_touch": [0] * (n - 1) + [1],
        "linear": [Fraction(1, n)] * n,
        "position_based": position,
        "time_decay": [weight / total for weight in decay],
    }
    return {model: whole_cents(cents, weights) for model, weights in shares.items()}


def whole_cents(cents: int, shares: list) -> list[int]:
    """``cents`` split by ``shares`` (summing to 1): each part rounded down, the leftover
    cents one each to the first parts."""
    parts = [math.floor(cents * share) for share in shares]
    leftover = cents - sum(parts)
    return [part + (1 if n < leftover else 0) for n, part in enumerate(parts)]


def sla_status(first_touch: datetime | None, mql_at: datetime) -> str:
    if first_touch is not None:
        return "met" if first_touch - mql_at <= timedelta(hours=world.SLA_HOURS) else "breached"
    return "breached" if AS_OF - mql_at > timedelta(hours=world.SLA_HOURS) else "pending"


def _touches_by_person(lead: Lead, contacts: list[Contact]) -> dict[str, list[Membership]]:
    """Campaign memberships by the lead or contact they name (a deleted lead's included:
    who counts is decided by the caller)."""
    found: defaultdict[str, list[Membership]] = defaultdict(list)
    for member in [*lead.memberships, *(m for c in contacts for m in c.memberships)]:
        for person in {member.lead_id, member.contact_id} - {None}:
            found[person].append(member)
    return found
