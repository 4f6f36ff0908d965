"""The generator's model of a B2B company: who exists, what happens to each lead, and when.

Everything is decided here, lead by lead, from a seeded random stream; the
writer turns these records into Salesforce-shaped CSV batches and the truth
module reads the same records to compute the expected figures. Nothing here
depends on the wall clock.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from revalign.warehouse import salesforce_ids

UTC = UTC
PERIOD_START = datetime(2025, 11, 1, tzinfo=UTC)
AS_OF = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)

#: Sales-sourced deals and their accounts number from here, clear of lead-made ones.
SALES_SOURCED_IDS = 10**12
#: Expansion deals (opened on an existing account) number from here.
EXPANSION_IDS = 2 * 10**12
#: Records of an account's people (contacts, their roles, touches, activities) number
#: from here, in a block per lead: clear of the lead's own records.
ACCOUNT_RECORD_IDS = 3 * 10**12
CONTACT_STATUSES = ("Working", "Nurturing", "Unqualified", "Qualified")
ROLES = ("Decision Maker", "Economic Buyer", "Technical Buyer", "Influencer", "Evaluator")
SLA_HOURS = 24
STALE_DAYS = 30
STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
AMOUNT_REQUIRED_FROM = STAGES.index("Needs Analysis")
REJECTED_STATUSES = ("Unqualified", "Disqualified")
ACCEPTED_STATUSES = ("Working", "Nurturing", "Qualified")
TEAMS = ("East", "West", "Central", "Enterprise")
LEAD_SOURCES = ("Web", "Webinar", "Paid Search", "Event", "Content", "Partner Referral")
CHANNELS = ("Webinar", "Paid Search", "Event", "Email", "Content", "Partner")
#: The channel of the campaigns aimed at existing customers (notices to sales).
CUSTOMER_CHANNEL = "Customer Marketing"

#: Hygiene problems the generator injects, with realistic default rates. Each rate
#: applies to the records the rule can concern (e.g. closed opportunities for
#: closed_without_reason). With every rate 0 the data has no hygiene issue at all.
DEFAULT_RATES = {
    "lead_missing_owner": 0.02,
    "lead_missing_source": 0.05,
    "lead_invalid_email": 0.03,
    "lead_duplicate_email": 0.02,
    "mql_not_followed_up": 0.08,
    "rejected_without_reason": 0.30,
    "opportunity_missing_amount": 0.10,
    "opportunity_past_close_date": 0.15,
    "opportunity_stale": 0.12,
    "closed_without_reason": 0.25,
    "opportunity_closed_before_created": 0.02,
    "nurture_lead_untouched": 0.3,
}

FIRST_NAMES = (
    "Ana",
    "João",
    "Zoë",
    "Łukasz",
    "Mia",
    "Noah",
    "Chloé",
    "Søren",
    "Aiko",
    "Mateo",
    "Fatima",
    "Liam",
    "Olga",
    "Raj",
    "Emily",
    "Björn",
    "Inés",
    "Kwame",
    "Yuki",
    "Priya",
)
LAST_NAMES = (
    "Silva",
    "Müller",
    "García",
    "O'Brien",
    "Nguyen",
    "Kowalski",
    "Dubois",
    "Rossi",
    "Smith",
    "Johansson",
    "Tanaka",
    "Okafor",
    "Novák",
    "Brown",
    "Fernández",
    "Çelik",
)
COMPANIES = (
    "Acme, Inc.",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Foods",
    "Nordwind GmbH",
    "Soylent & Co",
    "Tyrell Systems",
    "Hooli",
    "Vandelay Imports",
    "Pied Piper",
    "Cyberdyne",
    "Oceanic Air",
    "Duff Brewing",
    "Gringotts Finance",
)
PERSONA_TITLES = {
    "Economic Buyer": ("CFO", "VP Finance", "Chief Executive Officer", "Finance Director"),
    "Technical Buyer": ("CTO", "IT Director", "Head of Engineering", "VP Technology"),
    "Champion": ("Marketing Operations Manager", "Revenue Operations Lead", "Sales Ops Manager"),
    "End User": ("Data Analyst", "Marketing Specialist", "Account Coordinator"),
    "Other": ("Student", "Consultant", "Intern"),
}
PERSONA_WEIGHTS = (0.2, 0.25, 0.25, 0.2, 0.1)
WIN_REASONS = ("Price", "Product fit", "Relationship", "Timing")
LOSS_REASONS = ("Price", "Competitor", "No decision", "Missing feature", "Budget cut")
DISQUALIFY_REASONS = ("No budget", "Student", "Competitor", "Wrong region", "Duplicate")
INVALID_EMAILS = ("{l}.example.com", "{l} @{d}", "{l}@@{d}", "{l}@localhost", "{l}@{d} ")


#: Seconds every time of the world is a whole multiple of: 1, or 60 for report exports
#: (which show minutes). Set before a generation, inherited by its worker processes.
_RESOLUTION = [1]


def set_time_resolution(seconds: int) -> None:
    _RESOLUTION[0] = seconds


def at_second(moment: datetime) -> datetime:
    moment = moment.replace(microsecond=0)
    if _RESOLUTION[0] == 60:
        moment = moment.replace(second=0)
    return moment


@dataclass
class User:
    id: str
    name: str
    email: str
    department: str
    division: str
    title: str
    is_active: bool
    created_at: datetime


@dataclass
class Campaign:
    id: str
    name: str
    channel: str
    status: str
    start: date
    end: date
    budgeted_cost: int
    actual_cost: int | None
    owner_id: str
    created_at: datetime


@dataclass
class Activity:
    """A Task or Event."""

    kind: str  # "Task" or "Event"
    id: str
    owner_id: str
    created_at: datetime
    who_id: str | None = None
    what_id: str | None = None
    subject: str = ""
    subtype: str = "Call"
    description: str = ""
    deleted_at: datetime | None = None


@dataclass
class Membership:
    id: str
    campaign_id: str
    created_at: datetime
    lead_id: str | None = None
    contact_id: str | None = None
    first_responded: date | None = None


def touched_at(member: Membership) -> datetime:
    """A touch is timed at FirstRespondedDate (midnight UTC) when set, else CreatedDate."""
    if member.first_responded is not None:
        return datetime.combine(member.first_responded, datetime.min.time(), UTC)
    return member.created_at


@dataclass
class ContactRole:
    id: str
    opportunity_id: str
    contact_id: str
    is_primary: bool
    role: str
    created_at: datetime
    deleted_at: datetime | None = None


@dataclass
class OppVersion:
    at: datetime
    stage: str
    amount: int | None
    close_date: date
    is_closed: bool = False
    is_won: bool = False
    reason: str | None = None
    last_activity: date | None = None


@dataclass
class Opportunity:
    id: str
    name: str
    account_id: str
    owner_id: str
    lead_source: str | None
    created_at: datetime
    versions: list[OppVersion]
    contact_id: str | None = None
    activities: list[Activity] = field(default_factory=list)
    history: list[tuple[str, OppVersion]] = field(default_factory=list)
    deleted_at: datetime | None = None
    primary_campaign_id: str | None = None
    roles: list[ContactRole] = field(default_factory=list)

    @property
    def final(self) -> OppVersion:
        return self.versions[-1]

    def last_touched_at(self) -> datetime:
        """Latest of CreatedDate, LastActivityDate, its activities and its history rows."""
        moments = [self.created_at]
        moments += [v.at for _, v in self.history]
        moments += [a.created_at for a in self.activities if a.deleted_at is None]
        if self.final.last_activity:
            moments.append(datetime.combine(self.final.last_activity, datetime.min.time(), UTC))
        return max(moments)


@dataclass
class LeadVersion:
    at: datetime
    status: str
    mql_at: datetime | None = None
    converted: date | None = None
    reason: str | None = None


@dataclass
class Lead:
    index: int
    id: str
    first_name: str
    last_name: str
    email: str | None
    company: str
    title: str
    persona_field: str | None
    street: str
    country: str
    lead_source: str | None
    owner_id: str | None
    created_at: datetime
    versions: list[LeadVersion]
    contact_id: str | None = None
    account_id: str | None = None
    opportunity: Opportunity | None = None
    activities: list[Activity] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    deleted_at: datetime | None = None
    #: an earlier, current lead of its CRM has its email (lead_duplicate_email); set once its
    #: CRM is known (revalign.generator._mark_duplicate)
    duplicates_earlier: bool = False

    @property
    def final(self) -> LeadVersion:
        return self.versions[-1]


@dataclass
class ContactVersion:
    at: datetime
    status: str | None = None
    mql_at: datetime | None = None


@dataclass
class Contact:
    """A contact of an account: a lead's converted contact, or created directly."""

    id: str
    account_id: str
    first_name: str
    last_name: str
    email: str | None
    title: str
    persona_field: str | None
    lead_source: str | None
    owner_id: str | None
    created_at: datetime
    versions: list[ContactVersion]
    converted_from: str | None = None  # the lead it was converted from
    activities: list[Activity] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    deleted_at: datetime | None = None

    @property
    def final(self) -> ContactVersion:
        return self.versions[-1]


@dataclass
class Account:
    id: str
    name: str
    owner_id: str
    created_at: datetime
    type: str = "Prospect"


@dataclass
class AccountWorld:
    """What hangs on one lead's account(s): accounts, their contacts, deals opened on them."""

    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)


class Company:
    """Users, campaigns and targets: the small, fixed part of the world."""

    def __init__(self, seed: int, leads: int):
        rng = random.Random(f"{seed}:company")
        self.users: list[User] = []
        self.sdrs: dict[str, list[User]] = {}
        self.aes: dict[str, list[User]] = {}
        self.inactive: list[User] = []
        n = 0

        def person(department: str, division: str, title: str, active: bool) -> User:
            nonlocal n
            n += 1
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if any(u.name == f"{first} {last}" for u in self.users):
                first = f"{first} {chr(ord('A') + n % 26)}."  # names are unique, as orgs keep them
            created = PERIOD_START - timedelta(days=rng.randint(60, 900))
            user = User(
                id=salesforce_ids.make("005", n),
                name=f"{first} {last}",
                email=f"user{n}@revalign-demo.example",
                department=department,
                division=division,
                title=title,
                is_active=active,
                created_at=at_second(created),
            )
            self.users.append(user)
            return user

        for team in TEAMS:
            self.sdrs[team] = [
                person("Sales", team, "Sales Development Rep", True) for _ in range(3)
            ]
            self.aes[team] = [person("Sales", team, "Account Executive", True) for _ in range(2)]
            self.inactive.append(person("Sales", team, "Sales Development Rep", False))
        self.marketers = [
            person("Marketing", "Marketing", "Marketing Manager", True) for _ in range(4)
        ]

        self.campaigns: list[Campaign] = []
        count = max(12, min(240, leads // 500))
        for i in range(count):
            start = (PERIOD_START + timedelta(days=365 * i / count)).date()
            channel = CHANNELS[i % len(CHANNELS)]
            budget = rng.randrange(2_000, 60_000, 500)
            cost = None if rng.random() < 0.05 else int(budget * rng.uniform(0.6, 1.2))
            self.campaigns.append(
                Campaign(
                    id=salesforce_ids.make("701", i + 1),
                    name=f"{start:%Y-%m} {channel} #{i + 1}",
                    channel=channel,
                    status="Completed"
                    if start < (AS_OF - timedelta(days=60)).date()
                    else "In Progress",
                    start=start,
                    end=start + timedelta(days=rng.randint(14, 90)),
                    budgeted_cost=budget,
                    actual_cost=cost,
                    owner_id=rng.choice(self.marketers).id,
                    created_at=at_second(
                        datetime.combine(start, datetime.min.time(), UTC) - timedelta(days=7)
                    ),
                )
            )

        # campaigns aimed at existing customers (revalign/generator/customers.py): one
        # run already, one planned to start after AS_OF, whose invitations went out
        self.customer_campaigns: list[Campaign] = []
        planned = random.Random(f"{seed}:customer-campaigns")
        for n, (name, starts) in enumerate((("Customer webinar: what's new", -45),
                                            ("Customer summit", 10))):  # fmt: skip
            start = (AS_OF + timedelta(days=starts)).date()
            budget = planned.randrange(5_000, 30_000, 500)
            campaign = Campaign(
                id=salesforce_ids.make("701", count + n + 1),
                name=name,
                channel=CUSTOMER_CHANNEL,
                status="In Progress" if starts < 0 else "Planned",
                start=start,
                end=start + timedelta(days=2),
                budgeted_cost=budget,
                actual_cost=budget if starts < 0 else None,
                owner_id=planned.choice(self.marketers).id,
                created_at=at_second(AS_OF + timedelta(days=starts - 30)),
            )
            self.customer_campaigns.append(campaign)
        self.campaigns += self.customer_campaigns

    def campaigns_live_at(self, day: date) -> list[Campaign]:
        """The prospecting campaigns running by ``day`` (not those aimed at customers)."""
        live = [c for c in self.campaigns if c.start <= day and c.channel != CUSTOMER_CHANNEL]
        return live[-6:] or self.campaigns[:1]


class LeadFactory:
    """Makes lead after lead; each lead's life is decided by its own seeded stream."""

    def __init__(self, seed: int, leads: int, rates: dict[str, float], company: Company):
        self.seed = seed
        self.leads = leads
        self.rates = rates
        self.company = company
        self.span_s = (AS_OF - PERIOD_START).total_seconds() - 6 * 3600
        self.recent_emails: deque[str] = deque(maxlen=200)  # of current leads
        self._id_base = 0
        self._id_count = 0
        self._active_sales = {
            u.id for u in company.users if u.is_active and u.department == "Sales"
        }

    def _id(self, prefix: str) -> str:
        """Ids of a lead's related records come from that lead's own block of numbers."""
        self._id_count += 1
        return salesforce_ids.make(prefix, self._id_base + self._id_count)

    def _maybe(self, rng: random.Random, rule: str) -> bool:
        return rng.random() < self.rates[rule]

    # --- leads ------------------------------------------------------------------------

    def lead(self, i: int) -> tuple[Lead, Opportunity | None]:
        """Lead number ``i`` with everything that happens to it, and maybe a sales-sourced deal."""
        rng = random.Random(f"{self.seed}:lead:{i}")
        self._id_base, self._id_count = (i + 1) * 1000, 0
        slot = self.span_s / self.leads
        created = at_second(PERIOD_START + timedelta(seconds=(i + rng.random() * 0.9) * slot))
        team = rng.choice(TEAMS)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = rng.choice(COMPANIES)
        domain = "".join(ch for ch in company.lower() if ch.isalnum())[:12] + ".example"
        local = f"{_ascii(first)}.{_ascii(last)}.{i}".lower()
        persona = rng.choices(list(PERSONA_TITLES), PERSONA_WEIGHTS)[0]
        lead = Lead(
            index=i,
            id=salesforce_ids.make("00Q", i + 1),
            first_name=first,
            last_name=last,
            email=f"{local}@{domain}",
            company=company,
            title=rng.choice(PERSONA_TITLES[persona]),
            persona_field=persona if rng.random() < 0.3 else None,
            street=f"{rng.randint(1, 999)} {rng.choice(LAST_NAMES)} St\nSuite {rng.randint(1, 50)}",
            country=rng.choice(("US", "Brasil", "Deutschland", "France", "日本")),
            lead_source=rng.choice(LEAD_SOURCES),
            owner_id=rng.choice(self.company.sdrs[team]).id,
            created_at=created,
            versions=[LeadVersion(at=created, status="Open - Not Contacted")],
        )
        self._inject_lead_problems(rng, lead, local, domain)
        is_mql = rng.random() < 0.6
        if is_mql:
            self._mql_life(rng, lead, team)
        else:
            self._unqualified_life(rng, lead, team)
        self._campaign_touches(rng, lead)
        if lead.deleted_at is None and lead.email:
            self.recent_emails.append(lead.email)
        sales_deal = None
        if rng.random() < 0.08:
            sales_deal = self._sales_sourced_opportunity(rng, created, team, i)
        return lead, sales_deal

    def _inject_lead_problems(self, rng, lead: Lead, local: str, domain: str) -> None:
        if self._maybe(rng, "lead_missing_owner"):
            lead.owner_id = None if rng.random() < 0.5 else rng.choice(self.company.inactive).id
        if self._maybe(rng, "lead_missing_source"):
            lead.lead_source = None
        if self._maybe(rng, "lead_duplicate_email") and self.recent_emails:
            original = rng.choice(self.recent_emails)
            lead.email = original.upper() if rng.random() < 0.3 else original
        elif self._maybe(rng, "lead_invalid_email"):
            pattern = rng.choice((*INVALID_EMAILS, ""))
            lead.email = pattern.format(l=local, d=domain) or None

    def _unqualified_life(self, rng, lead: Lead, team: str) -> None:
        """Never marketing-qualified: nurtured, worked, sometimes converted by sales, or deleted."""
        roll = rng.random()
        if roll < 0.03:
            at = self._after(rng, lead.created_at, hours=(2, 24 * 20))
            if at:
                self._convert(rng, lead, at, team)
            return
        if roll < 0.04:
            deleted = self._after(rng, lead.created_at, hours=(24, 24 * 60))
            if deleted:
                lead.deleted_at = deleted
            return
        if roll < 0.3:
            at = self._after(rng, lead.created_at, hours=(24, 24 * 30))
            if at:
                lead.versions.append(
                    LeadVersion(at=at, status=rng.choice(("Working", "Nurturing")))
                )
        if rng.random() < 0.3:  # marketing's own follow-up email: not a sales touch
            self._activity(
                rng, lead, rng.choice(self.company.marketers).id, lead.created_at, (1, 72)
            )

    def _mql_life(self, rng, lead: Lead, team: str) -> None:
        mql_at = self._after(rng, lead.created_at, hours=(0.5, 96))
        if mql_at is None:
            return
        lead.versions.append(LeadVersion(at=mql_at, status="Open - Not Contacted", mql_at=mql_at))
        sdr = lead.owner_id if lead.owner_id in self._active_sales else None
        rep = sdr or rng.choice(self.company.sdrs[team]).id
        if rng.random() < 0.3:  # marketing nurture before the MQL: not a sales touch
            self._activity(
                rng, lead, rng.choice(self.company.marketers).id, lead.created_at, (0, 1)
            )
        if rng.random() < 0.1:  # a sales call before the MQL does not count toward the SLA
            before = lead.created_at + (mql_at - lead.created_at) / 2
            self._add_activity(rng, lead, rep, at_second(before))
        if self._maybe(rng, "mql_not_followed_up"):
            return
        room_h = (AS_OF - mql_at).total_seconds() / 3600
        # 2% are the edge case of a touch exactly at mql_at
        delay_h = 0.0 if rng.random() < 0.02 else math.exp(rng.gauss(math.log(12), 1.0))
        touch_at = at_second(mql_at + timedelta(hours=min(delay_h, max(room_h - 0.01, 0))))
        self._add_activity(rng, lead, rep, touch_at)
        decided = self._after(rng, touch_at, hours=(1, 24 * 10))
        if decided is None:
            return
        roll = rng.random()
        if roll < 0.25:
            self._convert(rng, lead, decided, team)
        elif roll < 0.5:
            reason = (
                None
                if self._maybe(rng, "rejected_without_reason")
                else rng.choice(DISQUALIFY_REASONS)
            )
            lead.versions.append(
                LeadVersion(
                    at=decided, status=rng.choice(REJECTED_STATUSES), mql_at=mql_at, reason=reason
                )
            )
        elif roll < 0.95:
            lead.versions.append(
                LeadVersion(at=decided, status=rng.choice(ACCEPTED_STATUSES), mql_at=mql_at)
            )

    def _convert(self, rng, lead: Lead, at: datetime, team: str) -> None:
        lead.contact_id = salesforce_ids.make("003", lead.index + 1)
        lead.account_id = salesforce_ids.make("001", lead.index + 1)
        mql_at = lead.final.mql_at
        lead.versions.append(
            LeadVersion(at=at, status="Converted", mql_at=mql_at, converted=at.date())
        )
        if rng.random() < 0.9:
            lead.opportunity = self._opportunity(
                rng,
                opp_id=salesforce_ids.make("006", lead.index + 1),
                account_id=lead.account_id,
                created=at,
                team=team,
                lead_source=lead.lead_source,
                contact_id=lead.contact_id,
            )

    def _campaign_touches(self, rng, lead: Lead) -> None:
        if rng.random() > 0.75:
            return
        live = self.company.campaigns_live_at(lead.created_at.date())
        first = rng.choice(live)
        lead.memberships.append(self._membership(rng, first, lead.created_at, lead_id=lead.id))
        for _ in range(rng.choice((0, 0, 1, 2))):
            at = self._after(rng, lead.created_at, hours=(1, 24 * 60))
            if at:
                lead.memberships.append(
                    self._membership(rng, rng.choice(live), at, lead_id=lead.id)
                )
        if lead.contact_id and rng.random() < 0.2:
            at = self._after(rng, lead.final.at, hours=(24, 24 * 30))
            if at:
                lead.memberships.append(
                    self._membership(rng, rng.choice(live), at, contact_id=lead.contact_id)
                )

    def _membership(self, rng, campaign: Campaign, at: datetime, **member) -> Membership:
        responded = at.date() if rng.random() < 0.4 else None
        return Membership(
            id=self._id("00v"),
            campaign_id=campaign.id,
            created_at=at,
            first_responded=responded,
            **member,
        )

    def _activity(self, rng, lead: Lead, owner: str, start: datetime, hours: tuple[float, float]):
        at = self._after(rng, start, hours=hours)
        if at:
            self._add_activity(rng, lead, owner, at)

    def _add_activity(self, rng, lead: Lead, owner: str, at: datetime, what: str | None = None):
        kind = "Event" if rng.random() < 0.2 else "Task"
        activity = Activity(
            kind=kind,
            id=self._id("00T" if kind == "Task" else "00U"),
            owner_id=owner,
            created_at=at,
            who_id=lead.contact_id if what else lead.id,
            what_id=what,
            subject=rng.choice(("Intro call", "Follow-up", "Demo", "Pricing, next steps")),
            subtype="Meeting" if kind == "Event" else rng.choice(("Call", "Email")),
            description=rng.choice(
                ("", 'Said "call me back", busy this week', "Left voicemail.\nTry again")
            ),
        )
        lead.activities.append(activity)

    # --- opportunities ----------------------------------------------------------------

    def _sales_sourced_opportunity(
        self, rng, created: datetime, team: str, i: int
    ) -> Opportunity | None:
        n = SALES_SOURCED_IDS + i
        start = self._after(rng, created, hours=(1, 24 * 5))
        if start is None:
            return None
        opp = self._opportunity(
            rng,
            opp_id=salesforce_ids.make("006", n),
            account_id=salesforce_ids.make("001", n),
            created=start,
            team=team,
            lead_source=rng.choice(("Outbound", "Existing Customer", None)),
            contact_id=None,
        )
        if rng.random() < 0.02:
            deleted = self._after(rng, start, hours=(24, 24 * 40))
            if deleted:
                opp.deleted_at = deleted
        return opp

    def _opportunity(self, rng, *, opp_id, account_id, created, team, lead_source, contact_id):
        owner = rng.choice(self.company.aes[team]).id
        amount = int(round(math.exp(rng.gauss(math.log(20_000), 0.8)), -2)) or 100
        planned_close = (created + timedelta(days=rng.randint(20, 120))).date()
        opp = Opportunity(
            id=opp_id,
            name=f"{rng.choice(COMPANIES)} - {rng.choice(('New Business', 'Expansion'))}",
            account_id=account_id,
            owner_id=owner,
            lead_source=lead_source,
            created_at=created,
            versions=[
                OppVersion(at=created, stage=STAGES[0], amount=amount, close_date=planned_close)
            ],
            contact_id=contact_id,
        )
        activity_days: list[datetime] = []
        stage, at = 0, created
        outcome = rng.choices(("won", "lost", "open"), (0.3, 0.35, 0.35))[0]
        target_stage = rng.randint(1, len(STAGES) - 1)
        # how the deal walks (its own stream, so the rest of the world stays as it was):
        # now and then a stage skipped, or a step back before going on
        walk = random.Random(f"{self.seed}:walk:{opp_id}")
        stepped_back = False
        while stage < target_stage:
            nxt = self._after(rng, at, hours=(24 * 3, 24 * 20))
            if nxt is None:
                break
            step = walk.random()
            if step < 0.1 and stage + 2 <= target_stage:
                stage += 2  # the next stage skipped
            elif step < 0.18 and stage >= 2 and not stepped_back:
                stage, stepped_back = stage - 1, True  # back one, to come forward again
            else:
                stage += 1
            at = nxt
            activity_days.append(at)
            self._version(opp, at, stage=STAGES[stage])
        if outcome != "open":
            closed = self._after(rng, at, hours=(24 * 2, 24 * 20))
            if closed is not None:
                won = outcome == "won"
                blank = self._maybe(rng, "closed_without_reason")
                reason = None if blank else rng.choice(WIN_REASONS if won else LOSS_REASONS)
                self._version(
                    opp,
                    closed,
                    stage="Closed Won" if won else "Closed Lost",
                    close_date=self._close_date(opp_id, created, closed),
                    is_closed=True,
                    is_won=won,
                    reason=reason,
                )
                activity_days.append(closed)
        if not opp.final.is_closed:
            self._open_at_as_of(rng, opp, activity_days)
        for moment in sorted(activity_days):
            opp.activities.append(
                Activity(
                    kind="Task",
                    id=self._id("00T"),
                    owner_id=owner,
                    created_at=moment,
                    who_id=contact_id,
                    what_id=opp.id,
                    subject="Deal check-in",
                    subtype="Call",
                )
            )
        if activity_days:
            last = max(activity_days)
            self._version(opp, max(last, opp.final.at), last_activity=last.date())
        tracked = ("stage", "amount", "close_date")
        previous = None
        for version in opp.versions:
            if previous is None or any(
                getattr(version, k) != getattr(previous, k) for k in tracked
            ):
                opp.history.append((self._id("008"), version))
            previous = version
        return opp

    def _close_date(self, opp_id: str, created: datetime, closed: datetime):
        """The day it closed; for a deal imported from an older CRM (its own stream, so the
        rest of the world stays as it was), a day before it was created here."""
        imported = random.Random(f"{self.seed}:imported:{opp_id}")
        if imported.random() < self.rates["opportunity_closed_before_created"]:
            return created.date() - timedelta(days=imported.randint(30, 400))
        return closed.date()

    def _open_at_as_of(self, rng, opp: Opportunity, activity_days: list[datetime]) -> None:
        """Keep an open deal tidy unless a problem is injected: future close, fresh activity."""
        final = opp.final
        if final.close_date < AS_OF.date() and not self._maybe(rng, "opportunity_past_close_date"):
            new_close = AS_OF.date() + timedelta(days=rng.randint(1, 90))
            self._version(
                opp, max(final.at, AS_OF - timedelta(days=rng.randint(1, 20))), close_date=new_close
            )
        elif final.close_date >= AS_OF.date() and self._maybe(rng, "opportunity_past_close_date"):
            past = max(opp.created_at.date(), AS_OF.date() - timedelta(days=rng.randint(1, 60)))
            if past < AS_OF.date():
                self._version(
                    opp,
                    max(final.at, datetime.combine(past, datetime.min.time(), UTC)),
                    close_date=past,
                )
        if (
            self._maybe(rng, "opportunity_missing_amount")
            and STAGES.index(opp.final.stage) >= AMOUNT_REQUIRED_FROM
        ):
            self._version(opp, opp.final.at, amount=None if rng.random() < 0.5 else 0)
        stale_before = AS_OF - timedelta(days=STALE_DAYS)
        if self._maybe(rng, "opportunity_stale"):
            return  # nothing more happens: stale when its last touch is old enough
        if (
            max(v.at for v in opp.versions) < stale_before
            and max(activity_days, default=opp.created_at) < stale_before
        ):
            # a rep's check-in keeps it fresh
            activity_days.append(
                at_second(AS_OF - timedelta(days=rng.uniform(0.5, STALE_DAYS - 5)))
            )

    def _version(self, opp: Opportunity, at: datetime, **changes) -> None:
        last = opp.final
        values = {**last.__dict__, **changes, "at": max(at, last.at)}
        opp.versions.append(OppVersion(**values))

    def _after(self, rng, start: datetime, hours: tuple[float, float]) -> datetime | None:
        """A moment some hours after ``start``, or None if it would fall after AS_OF."""
        moment = at_second(start + timedelta(hours=rng.uniform(*hours)))
        return moment if moment <= AS_OF else None


def _ascii(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded if ch.isalnum()) or "x"
