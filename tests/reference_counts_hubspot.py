"""An independent count of METRICS.md figures over generated HubSpot batches.

Like ``reference_counts`` for Salesforce, it knows nothing of the generator: it reads
the files (API style: internal names) as a loader would, newest version by the
object's declared cursor then load order, archived records dropped, and applies
METRICS.md "HubSpot" with its default settings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import reference_counts
from reference_counts import EMAIL, count_account, count_journey, credit, month, sla_status

REJECTED = ("UNQUALIFIED",)
ACCEPTED = ("IN_PROGRESS", "OPEN_DEAL", "CONNECTED")
ENGAGEMENTS = ("calls", "emails", "meetings", "tasks")


def current_records(source_dir: Path, object_name: str) -> dict[str, dict]:
    """Newest version of every record of one HubSpot object, archived ones dropped."""
    return reference_counts.current_records(source_dir, object_name, "hubspot")


def _ids(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").replace(",", ";").split(";") if part.strip()]


def count(out: Path, as_of: datetime) -> dict:
    hs = out / "hubspot"
    owners = current_records(hs, "owners")
    contacts = current_records(hs, "contacts")
    companies = current_records(hs, "companies")
    deals = current_records(hs, "deals")
    stages = current_records(hs, "deal_pipelines")
    engagements = [e for kind in ENGAGEMENTS for e in current_records(hs, kind).values()]
    sales = {oid for oid, o in owners.items() if "Sales" in _ids(o["teams"])}
    active = {oid for oid, o in owners.items() if not o["archived"]}
    history_of: defaultdict[str, list[tuple]] = defaultdict(list)
    for row in current_records(hs, "deal_property_history").values():
        if row["name"] == "dealstage":
            history_of[row["deal_id"]].append((row["timestamp"], "", row["value"]))
    order = sorted(stages.values(), key=lambda s: s["display_order"])
    position = {s["stage_id"]: n for n, s in enumerate(order)}
    probability = {s["stage_id"]: s["probability"] for s in order}

    by_email: defaultdict[str, list[str]] = defaultdict(list)
    for cid, contact in contacts.items():
        if contact["email"]:
            by_email[contact["email"].strip().lower()].append(cid)
    touches: defaultdict[str, list[tuple]] = defaultdict(list)
    for event in current_records(hs, "email_events").values():
        if event["type"] == "CLICK" and event["campaign_id"] and event["recipient"]:
            for cid in by_email.get(event["recipient"].strip().lower(), []):
                touches[cid].append(
                    (event["created"], event["campaign_id"], f"click:{event['id']}")
                )
    for form in current_records(hs, "form_submissions").values():
        if form["campaign_id"] and form["contact_id"] in contacts:
            touches[form["contact_id"]].append(
                (form["timestamp"], form["campaign_id"], f"form:{form['conversion_id']}")
            )

    people_of = {did: [c for c in _ids(d["associated_contact_ids"]) if c in contacts]
                 for did, d in deals.items()}  # fmt: skip
    has_deal = {c for people in people_of.values() for c in people}
    sales_touches: defaultdict[str, list[datetime]] = defaultdict(list)
    last_touch: dict[str, datetime] = {}
    for engagement in engagements:
        if engagement["hubspot_owner_id"] in sales:
            for cid in _ids(engagement["associated_contact_ids"]):
                sales_touches[cid].append(engagement["hs_timestamp"])
        for did in _ids(engagement["associated_deal_ids"]):
            moment = engagement["hs_timestamp"]
            last_touch[did] = max(last_touch.get(did, moment), moment)
    for did, rows in history_of.items():  # a stage set is a touch, as a history row
        for moment, _, _ in rows:
            last_touch[did] = max(last_touch.get(did, moment), moment)

    hygiene: Counter[str] = Counter()
    funnel: defaultdict[tuple, Counter] = defaultdict(Counter)
    seen: set[str] = set()
    for cid, person in sorted(contacts.items(), key=lambda kv: (kv[1]["createdate"], kv[0])):
        source = person["hs_analytics_source"] or None
        funnel[(month(person["createdate"]), source)]["leads"] += 1
        if person["hubspot_owner_id"] not in active:
            hygiene["lead_missing_owner"] += 1
        if not source:
            hygiene["lead_missing_source"] += 1
        email = person["email"]
        if not email or not EMAIL.fullmatch(email):
            hygiene["lead_invalid_email"] += 1
        if email and email.strip():
            if email.strip().lower() in seen:
                hygiene["lead_duplicate_email"] += 1
            seen.add(email.strip().lower())
        mql_at = person["hs_lifecyclestage_marketingqualifiedlead_date"]
        if mql_at is None:
            continue
        figures = funnel[(month(mql_at), source)]
        figures["mqls"] += 1
        first = min((t for t in sales_touches.get(cid, []) if t >= mql_at), default=None)
        status = sla_status(first, mql_at, as_of)
        figures[f"sla_{status}"] += 1
        lead_status = person["hs_lead_status"]
        if lead_status in REJECTED:
            acceptance = "rejected"
        elif (
            cid in has_deal
            or person["hs_lifecyclestage_salesqualifiedlead_date"]
            or lead_status in ACCEPTED
        ):
            acceptance = "accepted"
        else:
            acceptance = "acceptance_open"
        figures[acceptance] += 1
        if status == "breached" and first is None and acceptance != "rejected":
            hygiene["mql_not_followed_up"] += 1

    origins: Counter[str] = Counter()
    sourcing: Counter[str] = Counter()
    attribution: defaultdict[str, Counter] = defaultdict(Counter)
    influenced: set[str] = set()
    label = {s["stage_id"]: s["stage_label"] for s in order}
    journeys = []
    for did, deal in deals.items():
        source = deal["hs_analytics_source"] or None
        funnel[(month(deal["createdate"]), source)]["opportunities"] += 1
        people = people_of[did]
        if people:
            origins["contact"] += 1
            origin = min(people, key=lambda c: (contacts[c]["createdate"], f"{did}:{c}"))
            mql_at = contacts[origin]["hs_lifecyclestage_marketingqualifiedlead_date"]
            sourced = mql_at is not None and mql_at <= deal["createdate"]
        else:
            origins["none"] += 1
            sourced = False
        sourcing["marketing_sourced" if sourced else "sales_sourced"] += 1
        before = sorted(
            {t for c in people for t in touches.get(c, []) if t[0] < deal["createdate"]}
        )
        if before:
            sourcing["marketing_influenced"] += 1
            influenced.add(did)
        chance = probability[deal["dealstage"]]
        closed, won = chance in (0, 1), chance == 1
        amount = deal["amount"] or 0
        if won:
            credit(attribution, amount, deal["hs_campaign"], before, deal["createdate"])
        close_day = deal["closedate"].date()
        journeys.append(
            {
                "source": "hubspot",
                "created_at": deal["createdate"],
                "history": [(at, n, label[v]) for at, n, v in history_of.get(did, [])],
                "stage": label[deal["dealstage"]],
                "is_closed": closed,
                "is_won": won,
                "close_day": close_day,
                "amount": deal["amount"],
                "reason": (deal["closed_won_reason"] if won else deal["closed_lost_reason"])
                or None,
                "lead_source": source,
                "team": (_ids(owners.get(deal["hubspot_owner_id"], {}).get("teams")) or [None])[0],
                "influenced": bool(before),
                "touches": {t[2]: t[0] for c in people for t in touches.get(c, [])},
            }
        )
        if closed:
            if won:
                funnel[(month(close_day), source)]["won"] += 1
                funnel[(month(close_day), source)]["won_amount"] += int(amount)
            if not (deal["closed_won_reason"] if won else deal["closed_lost_reason"]):
                hygiene["closed_without_reason"] += 1
            if close_day < deal["createdate"].date():
                hygiene["opportunity_closed_before_created"] += 1
            continue
        if position[deal["dealstage"]] >= position["qualifiedtobuy"] and not amount:
            hygiene["opportunity_missing_amount"] += 1
        if close_day < as_of.date():
            hygiene["opportunity_past_close_date"] += 1
        moments = [deal["createdate"], last_touch.get(did, deal["createdate"])]
        if deal["notes_last_updated"]:
            moments.append(deal["notes_last_updated"])
        if as_of - max(moments) > timedelta(days=30):
            hygiene["opportunity_stale"] += 1

    account_figures: Counter[str] = Counter()
    for company_id in companies:
        mine = [cid for cid, c in contacts.items() if c["associatedcompanyid"] == company_id]
        own = [(did, d) for did, d in deals.items() if d["associatedcompanyid"] == company_id]
        first_touch = min((t[0] for c in mine for t in touches.get(c, [])), default=None)
        count_account(
            account_figures,
            mqls=sum(
                1 for c in mine if contacts[c]["hs_lifecyclestage_marketingqualifiedlead_date"]
            ),
            people=len(mine),
            first_touch=first_touch,
            deals=[
                (
                    d["amount"],
                    probability[d["dealstage"]] in (0, 1),
                    probability[d["dealstage"]] == 1,
                    d["createdate"],
                    did in influenced,
                )
                for did, d in own
            ],
        )

    notices = reference_counts.count_notices(
        "hubspot",
        {
            (t[1], contacts[c]["associatedcompanyid"])
            for c, found in touches.items()
            if c in contacts and contacts[c]["associatedcompanyid"]
            for t in found
        },
        {cid: c["hubspot_owner_id"] for cid, c in companies.items()},
        [
            (
                d["associatedcompanyid"],
                d["hubspot_owner_id"],
                probability[d["dealstage"]] in (0, 1),
                probability[d["dealstage"]] == 1,
            )
            for d in deals.values()
        ],
        active,
    )
    journey_input = {
        "deals": journeys,
        "persons": [(c["createdate"], cid in has_deal) for cid, c in contacts.items()],
        "orders": {
            "hubspot": [
                (s["stage_label"], s["probability"] in (0, 1), s["probability"] == 1) for s in order
            ]
        },
    }
    return {
        "notices": notices,
        "journey_input": journey_input,
        "journey": count_journey(**journey_input),
        "records": {
            "persons": len(contacts),
            "leads": 0,
            "contacts": len(contacts),
            "opportunities": len(deals),
            "users": len(owners),
        },
        "hygiene": hygiene,
        "funnel": funnel,
        "opportunities_by_origin": origins,
        "sourcing": sourcing,
        "attribution": {model: dict(+credits) for model, credits in attribution.items()},
        "accounts": account_figures,
    }
