"""The generator's world as a HubSpot org would hold it (``revalign generate --crm hubspot``).

HubSpot has no leads: every person is a contact. A lead and the contact it was
converted into are one HubSpot contact (created when the lead was); a contact created
directly stays one. Opportunities are deals, their contact roles the deal's associated
contacts, tasks and events engagements (calls, emails, tasks, meetings) associated
with contacts and deals, campaign memberships a click in the campaign's marketing
email or a form submission. Values take HubSpot's shapes: numeric record ids, internal
option values (lead status, original source), the default pipeline's deal stages,
owners with teams. ``HubSpotTruth`` counts the figures METRICS.md defines for HubSpot
("HubSpot") from these records, as ``truth.Truth`` does for Salesforce's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise

from revalign.generator import world
from revalign.generator.journey import DealJourney, Stage
from revalign.generator.truth import AccountDeal, Truth, touched_at
from revalign.generator.world import AccountWorld, Lead, Opportunity
from revalign.generator.writer import ChunkWriter, Version, hubspot_default_stages

#: Object code of each Salesforce key prefix: a HubSpot id is code * 10**13 + counter.
_CODES = {"00Q": 1, "003": 2, "006": 3, "001": 4, "00T": 5, "00U": 6, "00v": 7, "005": 8}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: A Salesforce lead or contact status as the HubSpot lead status with the same meaning.
LEAD_STATUSES = {
    "Open - Not Contacted": "NEW",
    "Working": "IN_PROGRESS",
    "Nurturing": "CONNECTED",
    "Qualified": "IN_PROGRESS",
    "Converted": "OPEN_DEAL",
    "Unqualified": "UNQUALIFIED",
    "Disqualified": "UNQUALIFIED",
}
REJECTED_STATUSES = ("UNQUALIFIED",)
ACCEPTED_STATUSES = ("IN_PROGRESS", "OPEN_DEAL", "CONNECTED")
SOURCES = {
    "Web": "ORGANIC_SEARCH",
    "Webinar": "OTHER_CAMPAIGNS",
    "Paid Search": "PAID_SEARCH",
    "Event": "OFFLINE",
    "Content": "EMAIL_MARKETING",
    "Partner Referral": "REFERRALS",
    "Existing Customer": "DIRECT_TRAFFIC",
}
#: A Salesforce stage as the default pipeline's stage: an amount is needed from
#: Qualified To Buy on, as from Needs Analysis in Salesforce.
STAGE_OF = {
    "Prospecting": "appointmentscheduled",
    "Qualification": "appointmentscheduled",
    "Needs Analysis": "qualifiedtobuy",
    "Value Proposition": "qualifiedtobuy",
    "Id. Decision Makers": "presentationscheduled",
    "Perception Analysis": "presentationscheduled",
    "Proposal/Price Quote": "decisionmakerboughtin",
    "Negotiation/Review": "contractsent",
    "Closed Won": "closedwon",
    "Closed Lost": "closedlost",
}
#: The stage from which an open deal needs an amount (hubspot_amount_required_from_stage).
AMOUNT_REQUIRED_FROM = "qualifiedtobuy"


def hubspot_stage_order() -> dict[str, Stage]:
    """The default pipeline's stages by label, in order, closed and won by probability."""
    return {
        row["stage_label"]: Stage(
            position,
            is_closed=float(row["probability"]) in (0.0, 1.0),
            is_won=float(row["probability"]) == 1.0,
        )
        for position, row in enumerate(hubspot_default_stages(), start=1)
    }


def needs_amount(stage: str) -> bool:
    """Whether a deal in ``stage`` needs an amount: the default pipeline's order (the
    seed hubspot_deal_stages, read when first asked, never at import)."""
    order = [row["stage_id"] for row in hubspot_default_stages()]
    return order.index(stage) >= order.index(AMOUNT_REQUIRED_FROM)


SALES_TEAM = "Sales"


def hubspot_id(salesforce_id: str) -> str:
    """The HubSpot record id of a generated Salesforce record: its object's code, then
    its counter (unique per object, as HubSpot's are)."""
    counter = 0
    for ch in salesforce_id[7:15]:
        counter = counter * 62 + _BASE62.index(ch)
    return str(_CODES.get(salesforce_id[:3], 9) * 10**13 + counter)


def campaign_guid(salesforce_id: str) -> str:
    """A HubSpot campaign's id is a GUID."""
    return f"00000000-0000-4000-8000-{int(hubspot_id(salesforce_id)) % 10**12:012x}"


@dataclass
class HSContactVersion:
    at: datetime
    status: str | None
    mql_at: datetime | None
    sql_at: datetime | None = None


@dataclass
class HSContact:
    id: str
    first_name: str
    last_name: str
    email: str | None
    title: str
    persona: str | None
    source: str | None
    owner_id: str | None
    company_id: str | None
    created_at: datetime
    versions: list[HSContactVersion]
    deleted_at: datetime | None = None

    @property
    def final(self) -> HSContactVersion:
        return self.versions[-1]


@dataclass
class HSDealVersion:
    at: datetime
    stage: str
    amount: int | None
    close_at: datetime
    reason: str | None
    last_activity: datetime | None
    contacts: tuple[str, ...]

    @property
    def is_closed(self) -> bool:
        return self.stage in ("closedwon", "closedlost")

    @property
    def is_won(self) -> bool:
        return self.stage == "closedwon"


@dataclass
class HSDeal:
    id: str
    name: str
    owner_id: str
    source: str | None
    campaign: str | None
    company_id: str | None
    created_at: datetime
    versions: list[HSDealVersion]
    deleted_at: datetime | None = None
    #: its dealstage's property history: (at, stage id), one row each time a stage was
    #: set (a workflow may set the one it already has)
    stage_history: list[tuple[datetime, str]] = field(default_factory=list)

    @property
    def final(self) -> HSDealVersion:
        return self.versions[-1]

    @property
    def is_closed(self) -> bool:
        return self.final.is_closed

    @property
    def is_won(self) -> bool:
        return self.final.is_won


@dataclass
class HSEngagement:
    kind: str  # calls, emails, meetings, tasks
    id: str
    owner_id: str
    at: datetime
    contacts: tuple[str, ...]
    deals: tuple[str, ...]
    deleted_at: datetime | None = None


@dataclass
class HSTouch:
    """A click in a campaign's marketing email (``email``: its recipient) or a form
    submission (``contact``)."""

    kind: str  # click, form
    id: str
    campaign: str
    at: datetime
    contact: str
    email: str | None = None

    @property
    def touch_id(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass
class HSCompany:
    id: str
    name: str
    owner_id: str
    created_at: datetime


@dataclass
class HubSpotWorld:
    """One lead's world (the lead, its deals, its accounts' people) in HubSpot's shapes."""

    contacts: list[HSContact] = field(default_factory=list)
    companies: list[HSCompany] = field(default_factory=list)
    deals: list[HSDeal] = field(default_factory=list)
    engagements: list[HSEngagement] = field(default_factory=list)
    touches: list[HSTouch] = field(default_factory=list)


def _owner(user_id: str | None) -> str | None:
    return hubspot_id(user_id) if user_id else None


def _midnight(day) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, UTC)


def unique_email(lead: Lead) -> str | None:
    """HubSpot keeps one contact per email address: a lead that repeats an earlier one's
    (an injected lead_duplicate_email) gets an address of its own."""
    if lead.email and lead.duplicates_earlier:
        local, _, domain = lead.email.lower().partition("@")
        return f"{local}+{lead.index}@{domain}"
    return lead.email


def convert(lead: Lead, deals: list[Opportunity], accounts: AccountWorld) -> HubSpotWorld:
    """The HubSpot records of one lead's world."""
    out = HubSpotWorld()
    person = {lead.id: hubspot_id(lead.id)}  # a Salesforce lead or contact id: its contact
    if lead.contact_id:
        person[lead.contact_id] = person[lead.id]
    for contact in accounts.contacts:
        person.setdefault(contact.id, hubspot_id(contact.id))
    emails: dict[str, str | None] = {}

    out.contacts.append(_lead_contact(lead))
    emails[person[lead.id]] = out.contacts[-1].email
    for contact in accounts.contacts:
        if contact.converted_from is not None:
            continue
        out.contacts.append(
            HSContact(
                id=person[contact.id],
                first_name=contact.first_name,
                last_name=contact.last_name,
                email=contact.email,
                title=contact.title,
                persona=contact.persona_field,
                source=SOURCES.get(contact.lead_source or ""),
                owner_id=_owner(contact.owner_id),
                company_id=hubspot_id(contact.account_id),
                created_at=contact.created_at,
                versions=[
                    HSContactVersion(v.at, LEAD_STATUSES.get(v.status or ""), v.mql_at)
                    for v in contact.versions
                ],
                deleted_at=contact.deleted_at,
            )
        )
        emails[person[contact.id]] = contact.email
    for account in accounts.accounts:
        out.companies.append(
            HSCompany(
                hubspot_id(account.id), account.name, _owner(account.owner_id), account.created_at
            )
        )
    activities = [*lead.activities, *(a for c in accounts.contacts for a in c.activities)]
    for deal in deals:
        out.deals.append(_deal(deal, lead, person))
        activities += deal.activities
    for activity in activities:
        out.engagements.append(_engagement(activity, person))
    members = [*lead.memberships, *(m for c in accounts.contacts for m in c.memberships)]
    for member in members:
        contact = person[member.lead_id or member.contact_id]
        email = emails.get(contact)
        # a click needs the address that names the contact; else the form they filled in
        kind = "click" if email and int(hubspot_id(member.id)) % 2 == 0 else "form"
        out.touches.append(
            HSTouch(
                kind,
                hubspot_id(member.id),
                campaign_guid(member.campaign_id),
                touched_at(member),
                contact,
                email if kind == "click" else None,
            )
        )
    return out


def _lead_contact(lead: Lead) -> HSContact:
    versions = []
    for v in lead.versions:
        converted = v.converted is not None
        versions.append(
            HSContactVersion(
                v.at,
                LEAD_STATUSES.get(v.status),
                v.mql_at,
                sql_at=v.at if converted else None,
            )
        )
    # once an SQL, always: the stage date stays on later versions
    for before, after in pairwise(versions):
        after.sql_at = after.sql_at or before.sql_at
    return HSContact(
        id=hubspot_id(lead.id),
        first_name=lead.first_name,
        last_name=lead.last_name,
        email=unique_email(lead),
        title=lead.title,
        persona=lead.persona_field,
        source=SOURCES.get(lead.lead_source or ""),
        owner_id=_owner(lead.owner_id),
        company_id=hubspot_id(lead.account_id) if lead.account_id else None,
        created_at=lead.created_at,
        versions=versions,
        deleted_at=lead.deleted_at,
    )


def _deal(deal: Opportunity, lead: Lead, person: dict[str, str]) -> HSDeal:
    """Its versions, and one more whenever its associated contacts change."""
    origin = [person[lead.id]] if lead.opportunity is deal else []

    def contacts_at(moment: datetime) -> tuple[str, ...]:
        roles = [
            r
            for r in deal.roles
            if r.created_at <= moment and (r.deleted_at is None or r.deleted_at > moment)
        ]
        found = [
            *origin,
            *(person[r.contact_id] for r in sorted(roles, key=lambda r: r.created_at)),
        ]
        return tuple(dict.fromkeys(found))

    moments = sorted(
        {v.at for v in deal.versions}
        | {r.created_at for r in deal.roles}
        | {r.deleted_at for r in deal.roles if r.deleted_at and r.deleted_at != deal.deleted_at}
    )
    versions = []
    for moment in moments:
        if moment < deal.created_at:
            continue
        v = [v for v in deal.versions if v.at <= moment][-1]
        versions.append(
            HSDealVersion(
                at=moment,
                stage=_stage(v),
                amount=v.amount,
                close_at=_midnight(v.close_date),
                reason=v.reason,
                last_activity=_midnight(v.last_activity),
                contacts=contacts_at(moment),
            )
        )
    return HSDeal(
        id=hubspot_id(deal.id),
        name=deal.name,
        owner_id=_owner(deal.owner_id),
        source=SOURCES.get(deal.lead_source or ""),
        campaign=campaign_guid(deal.primary_campaign_id) if deal.primary_campaign_id else None,
        company_id=hubspot_id(deal.account_id) if deal.account_id else None,
        created_at=deal.created_at,
        versions=versions,
        deleted_at=deal.deleted_at,
        stage_history=[
            (v.at, _stage(v))
            for n, (_, v) in enumerate(deal.history)
            if n == 0 or v.stage != deal.history[n - 1][1].stage
        ],
    )


def _stage(version: world.OppVersion) -> str:
    """A Salesforce stage as the default pipeline's stage id."""
    if version.is_closed:
        return "closedwon" if version.is_won else "closedlost"
    return STAGE_OF[version.stage]


def _engagement(activity: world.Activity, person: dict[str, str]) -> HSEngagement:
    if activity.kind == "Event":
        kind = "meetings"
    else:
        kind = {"Call": "calls", "Email": "emails"}.get(activity.subtype, "tasks")
    who = (person[activity.who_id],) if activity.who_id in person else ()
    what = (hubspot_id(activity.what_id),) if activity.what_id else ()
    return HSEngagement(
        kind,
        hubspot_id(activity.id),
        _owner(activity.owner_id),
        activity.created_at,
        who,
        what,
        activity.deleted_at,
    )


class HubSpotTruth(Truth):
    """The expected figures of HubSpot records (METRICS.md "HubSpot"), added lead world
    by lead world; merged and written like ``Truth``'s."""

    def __init__(self, company: world.Company):
        super().__init__(company)
        self.sales_users = {hubspot_id(u.id) for u in company.users if u.department == "Sales"}
        self.teams = {hubspot_id(u.id): u.division for u in company.users}
        self.inactive_users = {hubspot_id(u.id) for u in company.users if not u.is_active}

    def add_hubspot_world(self, hs: HubSpotWorld) -> None:
        contacts = {c.id: c for c in hs.contacts if c.deleted_at is None}
        deals = [d for d in hs.deals if d.deleted_at is None]
        deal_people = {d.id: [c for c in d.final.contacts if c in contacts] for d in deals}
        engagements = [e for e in hs.engagements if e.deleted_at is None]
        touches: defaultdict[str, list[HSTouch]] = defaultdict(list)
        for touch in hs.touches:
            touches[touch.contact].append(touch)
        for contact in contacts.values():
            has_deal = any(contact.id in people for people in deal_people.values())
            self._add_hubspot_contact(contact, engagements, has_deal)
        influenced = set()
        for deal in deals:
            self._add_hubspot_deal(deal, engagements)
            people = deal_people[deal.id]
            if self._add_hubspot_sourcing(deal, people, contacts, touches):
                influenced.add(deal.id)
            touched = {t.touch_id: t.at for c in people for t in touches.get(c, [])}
            self._add_hubspot_journey(deal, deal.id in influenced, list(touched.values()))
        for company in hs.companies:
            self._add_hubspot_company(company, contacts, deals, touches, influenced)
        reached = [
            (t.campaign, contacts[c].company_id)
            for c, found in touches.items()
            if c in contacts and contacts[c].company_id
            for t in found
        ]
        worked = [
            (co.id, co.owner_id, [(d.owner_id, d.final) for d in deals if d.company_id == co.id])
            for co in hs.companies
        ]
        self.add_notices("hubspot", reached, worked)

    def _add_hubspot_contact(self, contact: HSContact, engagements, has_deal: bool) -> None:
        self.records["contacts"] += 1
        final = contact.final
        self._add_person(contact.created_at, contact.source, contact.owner_id, contact.email)
        self.journey.add_person(contact.created_at, has_deal)
        if final.mql_at is None:
            return
        first_touch = min(
            (
                e.at
                for e in engagements
                if contact.id in e.contacts
                and e.owner_id in self.sales_users
                and e.at >= final.mql_at
            ),
            default=None,
        )
        if final.status in REJECTED_STATUSES:
            acceptance = "rejected"
        elif has_deal or final.sql_at is not None or final.status in ACCEPTED_STATUSES:
            acceptance = "accepted"
        else:
            acceptance = "acceptance_open"
        self.add_mql(final.mql_at, contact.source, first_touch, acceptance)

    def _add_hubspot_deal(self, deal: HSDeal, engagements) -> None:
        final = deal.final
        # its engagements, Last Activity Date and stage history say it lives
        moments = [deal.created_at, *(e.at for e in engagements if deal.id in e.deals)]
        moments += [at for at, _ in deal.stage_history]  # a stage set, as a history row
        if final.last_activity:
            moments.append(final.last_activity)
        self.add_deal(
            deal.created_at,
            deal.source,
            final,
            final.close_at.date(),
            needs_amount=needs_amount(final.stage),
            last_touched=max(moments),
        )

    def _add_hubspot_journey(self, deal: HSDeal, influenced: bool, touches) -> None:
        """A current deal's stage entries, from its dealstage property history."""
        final = deal.final
        labels = {row["stage_id"]: row["stage_label"] for row in hubspot_default_stages()}
        self.journey.add_deal(
            DealJourney(
                source="hubspot",
                created_at=deal.created_at,
                history=[(at, labels[stage]) for at, stage in deal.stage_history],
                current_stage=labels[final.stage],
                is_closed=final.is_closed,
                is_won=final.is_won,
                close_day=final.close_at.date(),
                amount=final.amount,
                reason=final.reason,
                lead_source=deal.source,
                team=self.teams.get(deal.owner_id),
                influenced=influenced,
                touches=touches,
            ),
            hubspot_stage_order(),
        )

    def _add_hubspot_sourcing(self, deal, people, contacts, touches) -> bool:
        """Origin (the earliest created associated contact), sourcing, influence and
        attribution of a current deal; whether it is marketing-influenced."""
        if people:
            origin = min(people, key=lambda c: (contacts[c].created_at, f"{deal.id}:{c}"))
            self.origins["contact"] += 1
            mql_at = contacts[origin].final.mql_at
            sourced = mql_at is not None and mql_at <= deal.created_at
        else:
            self.origins["none"] += 1
            sourced = False
        self.sourcing["marketing_sourced" if sourced else "sales_sourced"] += 1
        before = sorted(
            {
                (t.at, t.campaign, t.touch_id)
                for person in people
                for t in touches.get(person, [])
                if t.at < deal.created_at
            }
        )
        if before:
            self.sourcing["marketing_influenced"] += 1
        if deal.is_won:
            self.credit(deal.final.amount, deal.campaign, before, deal.created_at)
        return bool(before)

    def _add_hubspot_company(self, company, contacts, deals, touches, influenced) -> None:
        people = [
            (c.final.mql_at, [t.at for t in touches.get(c.id, [])])
            for c in contacts.values()
            if c.company_id == company.id
        ]
        own = [
            AccountDeal(d.final.amount, d.is_closed, d.is_won, d.created_at, d.id in influenced)
            for d in deals
            if d.company_id == company.id
        ]
        self.add_account(people, own)


# --- writing ------------------------------------------------------------------------

#: The objects of a HubSpot batch, in the order they are written.
HUBSPOT_OBJECTS = (
    "owners",
    "campaigns",
    "deal_pipelines",
    "companies",
    "contacts",
    "deals",
    "deal_property_history",
    "calls",
    "emails",
    "meetings",
    "tasks",
    "email_events",
    "form_submissions",
)


def _lifecycle(version: HSContactVersion) -> str:
    if version.sql_at is not None:
        return "salesqualifiedlead"
    return "marketingqualifiedlead" if version.mql_at is not None else "lead"


def write_company(writer: ChunkWriter, company: world.Company) -> None:
    """The owners (every user, teams: their division, then Sales for sales users), the
    campaigns and the default pipeline's stages."""
    for user in company.users:
        first, _, last = user.name.partition(" ")
        teams = [user.division, SALES_TEAM] if user.department == "Sales" else [user.division]
        row = {
            "id": hubspot_id(user.id),
            "email": user.email,
            "firstName": first,
            "lastName": last,
            "teams": ";".join(teams),
            "archived": not user.is_active,
            "createdAt": user.created_at,
            "updatedAt": user.created_at,
        }
        writer.record("owners", [Version(user.created_at, row)])
    for campaign in company.campaigns:
        row = {
            "id": campaign_guid(campaign.id),
            "hs_name": campaign.name,
            "hs_campaign_status": campaign.status.lower().replace(" ", "_"),
            "hs_start_date": campaign.start,
            "hs_end_date": campaign.end,
            "hs_budget_items_sum_amount": campaign.budgeted_cost,
            "hs_spend_items_sum_amount": campaign.actual_cost,
            "hubspot_owner_id": _owner(campaign.owner_id),
            "hs_createdate": campaign.created_at,
            "hs_lastmodifieddate": campaign.created_at,
        }
        writer.record("campaigns", [Version(campaign.created_at, row)])
    first = world.PERIOD_START - timedelta(days=400)
    for stage in hubspot_default_stages():
        row = {
            "pipeline_id": stage["pipeline_id"],
            "pipeline_label": stage["pipeline_label"],
            "pipeline_display_order": 0,
            "stage_id": stage["stage_id"],
            "stage_label": stage["stage_label"],
            "display_order": stage["display_order"],
            "probability": stage["probability"],
            "archived": False,
        }
        writer.record("deal_pipelines", [Version(first, row)])


def write_world(writer: ChunkWriter, hs: HubSpotWorld) -> None:
    """One lead's HubSpot records, each version into the batches that see it."""
    for company in hs.companies:
        row = {
            "hs_object_id": company.id,
            "name": company.name,
            "hubspot_owner_id": company.owner_id,
            "lifecyclestage": "customer",
            "archived": False,
            "createdate": company.created_at,
            "hs_lastmodifieddate": company.created_at,
        }
        writer.record("companies", [Version(company.created_at, row)])
    for contact in hs.contacts:
        base = {
            "hs_object_id": contact.id,
            "firstname": contact.first_name,
            "lastname": contact.last_name,
            "email": contact.email,
            "jobtitle": contact.title,
            "hs_persona": contact.persona,
            "hs_analytics_source": contact.source,
            "hubspot_owner_id": contact.owner_id,
            "associatedcompanyid": contact.company_id,
            "archived": False,
            "createdate": contact.created_at,
        }
        versions = [
            Version(
                v.at,
                {
                    **base,
                    "hs_lead_status": v.status,
                    "lifecyclestage": _lifecycle(v),
                    "hs_lifecyclestage_marketingqualifiedlead_date": v.mql_at,
                    "hs_lifecyclestage_salesqualifiedlead_date": v.sql_at,
                    "lastmodifieddate": v.at,
                },
            )
            for v in contact.versions
        ]
        writer.record("contacts", versions, contact.deleted_at)
    for deal in hs.deals:
        base = {
            "hs_object_id": deal.id,
            "dealname": deal.name,
            "pipeline": "default",
            "hubspot_owner_id": deal.owner_id,
            "hs_analytics_source": deal.source,
            "hs_campaign": deal.campaign,
            "associatedcompanyid": deal.company_id,
            "archived": False,
            "createdate": deal.created_at,
        }
        versions = []
        for v in deal.versions:
            won, lost = v.stage == "closedwon", v.stage == "closedlost"
            versions.append(
                Version(
                    v.at,
                    {
                        **base,
                        "dealstage": v.stage,
                        "amount": v.amount,
                        "closedate": v.close_at,
                        "closed_won_reason": v.reason if won else None,
                        "closed_lost_reason": v.reason if lost else None,
                        "associated_contact_ids": ";".join(v.contacts),
                        "notes_last_updated": v.last_activity,
                        "hs_lastmodifieddate": v.at,
                    },
                )
            )
        writer.record("deals", versions, deal.deleted_at)
        for at, stage in deal.stage_history:
            row = {
                "deal_id": deal.id,
                "name": "dealstage",
                "value": stage,
                "timestamp": at,
                "source": "CRM_UI",
                "source_id": None,
            }
            writer.record("deal_property_history", [Version(at, row)])
    for engagement in hs.engagements:
        row = {
            "hs_object_id": engagement.id,
            "hs_timestamp": engagement.at,
            "hubspot_owner_id": engagement.owner_id,
            "associated_contact_ids": ";".join(engagement.contacts),
            "associated_deal_ids": ";".join(engagement.deals),
            "archived": False,
            "hs_createdate": engagement.at,
            "hs_lastmodifieddate": engagement.at,
        }
        writer.record(engagement.kind, [Version(engagement.at, row)], engagement.deleted_at)
    for touch in hs.touches:
        if touch.kind == "form":
            row = {
                "conversion_id": touch.id,
                "contact_id": touch.contact,
                "form_id": f"form-{touch.campaign[-6:]}",
                "title": "Content download",
                "timestamp": touch.at,
                "campaign_id": touch.campaign,
            }
            writer.record("form_submissions", [Version(touch.at, row)])
            continue
        # the email was delivered first: an event that is no touch
        delivered = touch.at - timedelta(hours=2)
        for event_id, kind, at in (
            (f"d{touch.id}", "DELIVERED", delivered),
            (touch.id, "CLICK", touch.at),
        ):
            row = {
                "id": event_id,
                "type": kind,
                "recipient": touch.email,
                "created": at,
                "campaign_id": touch.campaign,
                "email_campaign_id": str(int(touch.campaign[-12:], 16)),
            }
            writer.record("email_events", [Version(at, row)])
