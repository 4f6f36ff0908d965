"""An independent count of METRICS.md figures over generated CSV batches.

It knows nothing of the generator's model: it reads the files as a loader
would (declared types, newest version by SystemModstamp then load order,
IsDeleted rows dropped, 15/18-character ids made one) and applies METRICS.md
with its default settings. Tests compare it with ``truth.json``.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

from revalign.warehouse import sources

EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
STAGE_ORDER = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
]


def read_rows(path: Path):
    """Rows of one CSV file as dicts, whatever its BOM and line ends."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def current_records(
    source_dir: Path, object_name: str, source: str = "salesforce"
) -> dict[str, dict]:
    """Newest version of every record of one object, deleted ones dropped; typed fields.
    The newest has the highest of the object's declared cursors that it carries
    (SystemModstamp, ...), then the latest batch, then the last row."""
    decl = sources.source(source).object(object_name)
    types = {f.name: f.type for f in decl.fields}
    newest: dict[str, tuple[tuple, dict]] = {}
    for batch_index, batch in enumerate(sorted(p for p in source_dir.iterdir() if p.is_dir())):
        for path in sorted(batch.iterdir()):
            if not decl.matches(path.name):
                continue
            for row_number, raw in enumerate(read_rows(path)):
                row = {k: sources.parse_value(types[k], v) for k, v in raw.items() if k in types}
                key = "|".join(str(row[k] or "") for k in decl.key)
                cursor = next((row[c] for c in decl.cursors if row.get(c)), None)
                order = (cursor is not None, cursor or datetime.min, batch_index, row_number)
                if key not in newest or order > newest[key][0]:
                    newest[key] = (order, row)
    return {
        key: row
        for key, (_, row) in newest.items()
        if not (decl.deleted_flag and row.get(decl.deleted_flag))
    }


#: The seed stage_order: (stage, is_closed, is_won) in order.
SALESFORCE_ORDER = [(name, name.startswith("Closed"), name == "Closed Won") for name in STAGE_ORDER]


def month(value) -> str:
    return value.strftime("%Y-%m")


def touched_at(member: dict) -> datetime:
    """A touch: FirstRespondedDate at midnight UTC when set, else CreatedDate."""
    if member["FirstRespondedDate"]:
        return datetime.combine(as_date(member["FirstRespondedDate"]), datetime.min.time(), UTC)
    return member["CreatedDate"]


def count(out: Path, as_of: datetime) -> dict:
    sf = out / "salesforce"
    users = current_records(sf, "User")
    leads = current_records(sf, "Lead")
    contacts = current_records(sf, "Contact")
    accounts = current_records(sf, "Account")
    opps = current_records(sf, "Opportunity")
    roles = [
        r
        for r in current_records(sf, "OpportunityContactRole").values()
        if r["ContactId"] in contacts and r["OpportunityId"] in opps
    ]
    members = list(current_records(sf, "CampaignMember").values())
    campaigns = current_records(sf, "Campaign")
    activities = list(current_records(sf, "Task").values()) + list(
        current_records(sf, "Event").values()
    )
    history = current_records(sf, "OpportunityHistory")
    sales = {uid for uid, u in users.items() if u["Department"] == "Sales"}
    active = {uid for uid, u in users.items() if u["IsActive"]}

    # persons: every lead, and every contact no current lead was converted into
    converted_contacts = {lead["ConvertedContactId"] for lead in leads.values()}
    persons = [("lead", lead) for lead in leads.values()] + [
        ("contact", c) for cid, c in contacts.items() if cid not in converted_contacts
    ]
    persons.sort(key=lambda p: (p[1]["CreatedDate"], p[1]["Id"]))

    def people_of(kind: str, person: dict) -> list[str]:
        if kind == "lead":
            return [
                person["Id"],
                *([person["ConvertedContactId"]] * bool(person["ConvertedContactId"])),
            ]
        return [person["Id"]]

    touches_by_person: defaultdict[str, list[datetime]] = defaultdict(list)
    anything_by_person: defaultdict[str, list[datetime]] = defaultdict(list)
    for activity in activities:
        if activity["WhoId"] and activity["OwnerId"] in sales:
            touches_by_person[activity["WhoId"]].append(activity["CreatedDate"])
        if activity["WhoId"]:
            anything_by_person[activity["WhoId"]].append(activity["CreatedDate"])
    campaign_touches: defaultdict[str, list[tuple]] = defaultdict(list)
    for member in members:
        for person in {member["LeadId"], member["ContactId"]} - {None}:
            campaign_touches[person].append(
                (touched_at(member), member["CampaignId"], member["Id"])
            )
    roles_by_contact: defaultdict[str, list[dict]] = defaultdict(list)
    roles_by_opp: defaultdict[str, list[dict]] = defaultdict(list)
    for role in roles:
        roles_by_contact[role["ContactId"]].append(role)
        roles_by_opp[role["OpportunityId"]].append(role)
    last_touch: dict[str, datetime] = {}

    def touch(opp_id, moment):
        if opp_id in opps and moment is not None:
            last_touch[opp_id] = max(last_touch.get(opp_id, moment), moment)

    for activity in activities:
        touch(activity["WhatId"], activity["CreatedDate"])
    for row in history.values():
        touch(row["OpportunityId"], row["CreatedDate"])

    hygiene: Counter[str] = Counter()
    funnel: defaultdict[tuple, Counter] = defaultdict(Counter)
    seen_emails: set[str] = set()
    for kind, person in persons:
        source = person["LeadSource"] or None
        funnel[(month(person["CreatedDate"]), source)]["leads"] += 1
        if person["OwnerId"] is None or person["OwnerId"] not in active:
            hygiene["lead_missing_owner"] += 1
        if not source:
            hygiene["lead_missing_source"] += 1
        email = person["Email"]
        if not email or not EMAIL.fullmatch(email):
            hygiene["lead_invalid_email"] += 1
        if email and email.strip():
            normalised = email.strip().lower()
            if normalised in seen_emails:
                hygiene["lead_duplicate_email"] += 1
            seen_emails.add(normalised)
        person_status = person["Status"] if kind == "lead" else person["Contact_Status__c"]
        moments = [
            moment
            for p in people_of(kind, person)
            for moment in [*anything_by_person.get(p, []), *(t[0] for t in campaign_touches[p])]
        ]
        if nurture_untouched(person_status, moments, as_of):
            hygiene["nurture_lead_untouched"] += 1
        mql_at = person["MQL_Date__c"]
        if mql_at is None:
            continue
        figures = funnel[(month(mql_at), source)]
        figures["mqls"] += 1
        candidates = [
            t for p in people_of(kind, person) for t in touches_by_person.get(p, []) if t >= mql_at
        ]
        first = min(candidates, default=None)
        status = sla_status(first, mql_at, as_of)
        figures[f"sla_{status}"] += 1
        deals = sorted(
            (opps[r["OpportunityId"]]["CreatedDate"], r["OpportunityId"])
            for r in roles_by_contact.get(person["Id"], [])
        )
        if kind == "contact" and deals and deals[0][0] >= mql_at:
            acceptance = "accepted"
        elif person_status in ("Unqualified", "Disqualified"):
            acceptance = "rejected"
        elif (kind == "lead" and person["IsConverted"]) or person_status in (
            "Working",
            "Nurturing",
            "Qualified",
            "Converted",
        ):
            acceptance = "accepted"
        else:
            acceptance = "acceptance_open"
        figures[acceptance] += 1
        if status == "breached" and first is None and acceptance != "rejected":
            hygiene["mql_not_followed_up"] += 1
        if kind == "lead" and acceptance == "rejected" and not person["Disqualified_Reason__c"]:
            hygiene["rejected_without_reason"] += 1

    origin_leads: dict[str, dict] = {}
    for lead in sorted(leads.values(), key=lambda r: (r["CreatedDate"], r["Id"])):
        if lead["ConvertedOpportunityId"] in opps:
            origin_leads.setdefault(lead["ConvertedOpportunityId"], lead)
    origins: Counter[str] = Counter()
    sourcing: Counter[str] = Counter()
    attribution: defaultdict[str, Counter] = defaultdict(Counter)
    influenced: set[str] = set()
    history_of: defaultdict[str, list[tuple]] = defaultdict(list)
    for row in history.values():
        history_of[row["OpportunityId"]].append((row["CreatedDate"], row["Id"], row["StageName"]))
    journeys = []
    for opp_id, opp in opps.items():
        source = opp["LeadSource"] or None
        funnel[(month(opp["CreatedDate"]), source)]["opportunities"] += 1
        lead = origin_leads.get(opp_id)
        people = {r["ContactId"] for r in roles_by_opp.get(opp_id, [])}
        if lead is not None:
            origins["lead"] += 1
            people |= set(people_of("lead", lead))
            sourced = lead["MQL_Date__c"] is not None
        elif roles_by_opp.get(opp_id):
            origins["contact"] += 1
            role = min(
                roles_by_opp[opp_id], key=lambda r: (not r["IsPrimary"], r["CreatedDate"], r["Id"])
            )
            mql_at = contacts[role["ContactId"]]["MQL_Date__c"]
            sourced = mql_at is not None and mql_at <= opp["CreatedDate"]
        else:
            origins["none"] += 1
            sourced = False
        sourcing["marketing_sourced" if sourced else "sales_sourced"] += 1
        before = sorted(
            {t for p in people for t in campaign_touches.get(p, []) if t[0] < opp["CreatedDate"]}
        )
        if before:
            sourcing["marketing_influenced"] += 1
            influenced.add(opp_id)
        if opp["IsWon"]:
            primary = opp["CampaignId"] if opp["CampaignId"] in campaigns else None
            credit(attribution, opp["Amount"], primary, before, opp["CreatedDate"])
        journeys.append(
            {
                "source": "salesforce",
                "created_at": opp["CreatedDate"],
                "history": history_of.get(opp_id, []),
                "stage": opp["StageName"],
                "is_closed": bool(opp["IsClosed"]),
                "is_won": bool(opp["IsWon"]),
                "close_day": opp["CloseDate"],
                "amount": opp["Amount"],
                "reason": opp["Win_Loss_Reason__c"] or None,
                "lead_source": source,
                "team": users.get(opp["OwnerId"], {}).get("Division"),
                "influenced": bool(before),
                "touches": {t[2]: t[0] for p in people for t in campaign_touches.get(p, [])},
            }
        )
        if opp["IsClosed"]:
            if opp["IsWon"]:
                won = funnel[(month(opp["CloseDate"]), source)]
                won["won"] += 1
                won["won_amount"] += int(opp["Amount"] or 0)
            if not opp["Win_Loss_Reason__c"]:
                hygiene["closed_without_reason"] += 1
            if opp["CloseDate"] < opp["CreatedDate"].date():
                hygiene["opportunity_closed_before_created"] += 1
            continue
        stage = STAGE_ORDER.index(opp["StageName"])
        if stage >= STAGE_ORDER.index("Needs Analysis") and not opp["Amount"]:
            hygiene["opportunity_missing_amount"] += 1
        if opp["CloseDate"] < as_of.date():
            hygiene["opportunity_past_close_date"] += 1
        moments = [opp["CreatedDate"], last_touch.get(opp_id, opp["CreatedDate"])]
        if opp["LastActivityDate"]:
            moments.append(datetime.combine(opp["LastActivityDate"], datetime.min.time(), UTC))
        if as_of - max(moments) > timedelta(days=30):
            hygiene["opportunity_stale"] += 1

    account_figures: Counter[str] = Counter()
    for account_id in accounts:
        mine = [
            (kind, p)
            for kind, p in persons
            if (p["ConvertedAccountId"] if kind == "lead" else p["AccountId"]) == account_id
        ]
        deals = [o for o in opps.values() if o["AccountId"] == account_id]
        first_touch = min(
            (t[0] for kind, p in mine for q in people_of(kind, p) for t in campaign_touches[q]),
            default=None,
        )
        count_account(
            account_figures,
            mqls=sum(1 for _, p in mine if p["MQL_Date__c"] is not None),
            people=len(mine),
            first_touch=first_touch,
            deals=[
                (o["Amount"], o["IsClosed"], o["IsWon"], o["CreatedDate"], o["Id"] in influenced)
                for o in deals
            ],
        )

    account_of = {cid: c["AccountId"] for cid, c in contacts.items() if c["AccountId"]}
    account_of |= {
        lid: le["ConvertedAccountId"] for lid, le in leads.items() if le["ConvertedAccountId"]
    }
    reached = {
        (m["CampaignId"], account_of[p])
        for m in members
        for p in {m["LeadId"], m["ContactId"]} & set(account_of)
    }
    notices = count_notices(
        "salesforce",
        reached,
        {aid: a["OwnerId"] for aid, a in accounts.items()},
        [
            (o["AccountId"], o["OwnerId"], bool(o["IsClosed"]), bool(o["IsWon"]))
            for o in opps.values()
        ],
        active,
    )
    origin_of = {lead["Id"]: opp_id for opp_id, lead in origin_leads.items()}
    journey_input = {
        "deals": journeys,
        "persons": [
            (
                p["CreatedDate"],
                p["Id"] in origin_of if kind == "lead" else bool(roles_by_contact.get(p["Id"])),
            )
            for kind, p in persons
        ],
        "orders": {"salesforce": SALESFORCE_ORDER},
    }
    return {
        "notices": notices,
        "journey_input": journey_input,
        "journey": count_journey(**journey_input),
        "records": {
            "persons": len(persons),
            "leads": len(leads),
            "contacts": len(persons) - len(leads),
            "opportunities": len(opps),
            "users": len(users),
        },
        "hygiene": hygiene,
        "funnel": funnel,
        "opportunities_by_origin": origins,
        "sourcing": sourcing,
        "attribution": {model: dict(+credits) for model, credits in attribution.items()},
        "accounts": account_figures,
    }


def count_notices(source, reached, account_owners, deals, active) -> dict[str, set]:
    """Notices to sales (METRICS.md): for each (campaign, account) a campaign reaches,
    the account's owner and its open deals' owners, when the account is a customer or
    has an open deal; ``deals`` as (account, owner, closed, won). Split by whether the
    owner is an active user."""
    open_owners: defaultdict[str, set] = defaultdict(set)
    customers = set()
    for account, owner, closed, won in deals:
        if not closed:
            open_owners[account].add(owner)
        if won:
            customers.add(account)
    found: dict[str, set] = {"notices": set(), "notices_to_the_data_team": set()}
    for campaign, account in reached:
        if account not in account_owners or not (account in customers or open_owners[account]):
            continue
        for owner in ({account_owners[account]} | open_owners[account]) - {None}:
            side = "notices" if owner in active else "notices_to_the_data_team"
            found[side].add((source, campaign, owner, account))
    return found


def nurture_untouched(status: str | None, moments: list[datetime], as_of: datetime) -> bool:
    """nurture_lead_untouched with its default settings: a status in ['Nurturing'] and no
    activity or campaign touch in the 30 days before as_of."""
    if status != "Nurturing":
        return False
    return not moments or as_of - max(moments) > timedelta(days=30)


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def sla_status(first_touch: datetime | None, mql_at: datetime, as_of: datetime) -> str:
    """met, breached or pending, with the default follow_up_sla_hours (24)."""
    sla = timedelta(hours=24)
    if first_touch is not None:
        return "met" if first_touch - mql_at <= sla else "breached"
    return "breached" if as_of - mql_at > sla else "pending"


def credit(attribution, amount, primary: str | None, before: list[tuple], opened_at) -> None:
    """A won deal's cents to its primary campaign and to its touches before it was
    opened at ``opened_at`` ((at, campaign, touch), in order): first, last, linear,
    position-based (40/20/40) and time-decay (half-life 7 days). Each part is rounded
    down to the cent, the cents left over one each to the earliest touches."""
    cents = round((amount or 0) * 100)
    if primary:
        attribution["primary_campaign"][primary] += cents
    if not before:
        return
    n = len(before)
    ends = [Fraction(2, 5), Fraction(2, 5)]
    position = (
        [Fraction(1, n)] * n
        if n <= 2
        else [ends[0], *[Fraction(1, 5) / (n - 2)] * (n - 2), ends[1]]
    )
    decay = [2.0 ** -((opened_at - at).total_seconds() / 86400.0 / 7) for at, _, _ in before]
    shares = {
        "first_touch": [1] + [0] * (n - 1),
        "last_touch": [0] * (n - 1) + [1],
        "linear": [Fraction(1, n)] * n,
        "position_based": position,
        "time_decay": [weight / sum(decay) for weight in decay],
    }
    for model, weights in shares.items():
        parts = [math.floor(cents * weight) for weight in weights]
        for k, (_, campaign, _) in enumerate(before):
            attribution[model][campaign] += parts[k] + (1 if k < cents - sum(parts) else 0)


def count_account(figures, mqls: int, people: int, first_touch, deals: list[tuple]) -> None:
    """One account's figures; deals as (amount, closed, won, created, influenced)."""
    first_deal = min((created for _, _, _, created, _ in deals), default=None)
    figures["accounts"] += 1
    figures["people"] += people
    figures["mqls"] += mqls
    figures["opportunities"] += len(deals)
    figures["open_pipeline_amount"] += sum(int(a or 0) for a, closed, *_ in deals if not closed)
    figures["won_amount"] += sum(int(a or 0) for a, _, won, *_ in deals if won)
    figures["customers"] += any(won for _, _, won, *_ in deals)
    figures["marketing_influenced"] += any(influenced for *_, influenced in deals)
    if first_touch and first_deal and first_touch <= first_deal:
        figures["with_days_first_touch_to_opportunity"] += 1
        figures["days_first_touch_to_opportunity"] += (first_deal.date() - first_touch.date()).days


def count_journey(deals: list[dict], persons: list[tuple], orders: dict[str, list]) -> dict:
    """The journey figures of METRICS.md ("The journey", the scorecard's split by
    influence), recounted from plain records.

    ``deals``: one dict per current opportunity: source, created_at, history [(at, id,
    stage)], stage, is_closed, is_won, close_day, amount, reason, lead_source, team,
    influenced, touches {touch id: at}. ``persons``: (created_at, has_opportunity).
    ``orders``: per source, its stages in order as (name, is_closed, is_won).
    """
    stages: defaultdict[tuple, Counter] = defaultdict(Counter)
    conversion: defaultdict[tuple, Counter] = defaultdict(Counter)
    to_reach: defaultdict[tuple, list] = defaultdict(list)
    reasons: defaultdict[tuple, Counter] = defaultdict(Counter)
    scorecard: defaultdict[str, Counter] = defaultdict(Counter)
    cycles: defaultdict[tuple, list] = defaultdict(list)
    for created_at, has_opportunity in persons:
        scorecard[month(created_at)]["persons"] += 1
        scorecard[month(created_at)]["persons_with_opportunity"] += bool(has_opportunity)
    for deal in deals:
        rows = sorted(deal["history"])
        # the stage at creation, then each row that names another stage than the row before
        entries = [(deal["created_at"], rows[0][2] if rows else deal["stage"])]
        entries += [rows[n][0:3:2] for n in range(1, len(rows)) if rows[n][2] != rows[n - 1][2]]
        ends = [at for at, _ in entries[1:]] + [None]
        for (entered, stage), left in zip(entries, ends, strict=True):
            cell = stages[(deal["source"], stage)]
            cell["entries"] += 1
            cell["current"] += left is None
            if left is not None:
                cell["with_days_in_stage"] += 1
                cell["seconds_in_stage"] += int((left - entered).total_seconds())
            cell["touches_during_stage"] += sum(
                1
                for at in deal["touches"].values()
                if entered <= at and (left is None or at < left)
            )
        order = orders[deal["source"]]
        place = {name: (n, closed, won) for n, (name, closed, won) in enumerate(order)}
        for name, (n, closed, _) in place.items():
            cell = (deal["source"], month(deal["created_at"]), name)
            conversion[cell]["opportunities_created"] += 1
            moments = []
            for at, stage in entries:
                if stage not in place:
                    continue
                later, lost = place[stage][0] > n, place[stage][1] and not place[stage][2]
                if stage == name or (later and not closed and not lost):
                    moments.append(at)
            if moments:
                conversion[cell]["opportunities_reached"] += 1
                conversion[cell]["won"] += deal["is_won"]
                to_reach[cell].append((min(moments) - deal["created_at"]).total_seconds() / 86400)
        if deal["is_closed"]:
            closed_month = month(deal["close_day"])
            key = (
                closed_month,
                deal["is_won"],
                deal["reason"] or "(none given)",
                deal["lead_source"],
                deal["team"],
            )
            reasons[key]["opportunities"] += 1
            reasons[key]["amount"] += int(deal["amount"] or 0)
            split = "influenced" if deal["influenced"] else "not_influenced"
            scorecard[closed_month][f"closed_{split}"] += 1
            if deal["is_won"]:
                scorecard[closed_month][f"won_{split}"] += 1
                cycles[(closed_month, split)].append(
                    (deal["close_day"] - deal["created_at"].date()).days
                )
    return {
        "opportunity_stages": stages,
        "stage_conversion": {
            cell: {**figures, "median_days_to_reach": _median(to_reach.get(cell))}
            for cell, figures in conversion.items()
        },
        "win_loss_reasons": reasons,
        "scorecard": {
            period: {
                **figures,
                **{
                    f"median_sales_cycle_days_{split}": _median(cycles.get((period, split)))
                    for split in ("influenced", "not_influenced")
                },
            }
            for period, figures in scorecard.items()
        },
    }


def _median(values: list | None):
    return statistics.median(values) if values else None


def truth_journey(journey: dict) -> dict:
    """truth.json's journey keyed as count_journey's."""
    keys = {
        "opportunity_stages": ("source_system", "stage_name"),
        "stage_conversion": ("source_system", "month", "stage_name"),
        "win_loss_reasons": ("month", "is_won", "reason", "lead_source", "team"),
        "scorecard": ("month",),
    }
    found = {}
    for section, names in keys.items():
        found[section] = {}
        for row in journey[section]:
            key = tuple(row[k] for k in names)
            found[section][key[0] if len(key) == 1 else key] = {
                k: v for k, v in row.items() if k not in names
            }
    return found
