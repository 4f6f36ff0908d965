"""An independent count of METRICS.md figures over generated CSV batches.

It knows nothing of the generator's model: it reads the files as a loader
would (declared types, newest version by SystemModstamp then load order,
IsDeleted rows dropped, 15/18-character ids made one) and applies METRICS.md
with its default settings. Tests compare it with ``truth.json``.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
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


def current_records(source_dir: Path, object_name: str) -> dict[str, dict]:
    """Newest version of every record of one object, deleted ones dropped; typed fields."""
    decl = sources.source("salesforce").object(object_name)
    types = {f.name: f.type for f in decl.fields}
    newest: dict[str, tuple[tuple, dict]] = {}
    for batch_index, batch in enumerate(sorted(p for p in source_dir.iterdir() if p.is_dir())):
        for path in sorted(batch.iterdir()):
            if not decl.matches(path.name):
                continue
            for row_number, raw in enumerate(read_rows(path)):
                row = {k: sources.parse_value(types[k], v) for k, v in raw.items() if k in types}
                order = (row["SystemModstamp"], batch_index, row_number)
                if row["Id"] not in newest or order > newest[row["Id"]][0]:
                    newest[row["Id"]] = (order, row)
    return {
        record_id: row
        for record_id, (_, row) in newest.items()
        if not row.get(decl.deleted_flag or "", False)
    }


def month(value) -> str:
    return value.strftime("%Y-%m")


def count(out: Path, as_of: datetime) -> dict:
    sf = out / "salesforce"
    users = current_records(sf, "User")
    leads = current_records(sf, "Lead")
    opps = current_records(sf, "Opportunity")
    activities = list(current_records(sf, "Task").values()) + list(
        current_records(sf, "Event").values()
    )
    history = current_records(sf, "OpportunityHistory")
    sales = {uid for uid, u in users.items() if u["Department"] == "Sales"}
    active = {uid for uid, u in users.items() if u["IsActive"]}

    touches_by_person: defaultdict[str, list[datetime]] = defaultdict(list)
    for activity in activities:
        if activity["WhoId"] and activity["OwnerId"] in sales:
            touches_by_person[activity["WhoId"]].append(activity["CreatedDate"])
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
    ordered = sorted(leads.values(), key=lambda r: (r["CreatedDate"], r["Id"]))
    seen_emails: set[str] = set()
    sla = timedelta(hours=24)
    for lead in ordered:
        source = lead["LeadSource"] or None
        funnel[(month(lead["CreatedDate"]), source)]["leads"] += 1
        if lead["OwnerId"] is None or lead["OwnerId"] not in active:
            hygiene["lead_missing_owner"] += 1
        if not source:
            hygiene["lead_missing_source"] += 1
        email = lead["Email"]
        if not email or not EMAIL.fullmatch(email):
            hygiene["lead_invalid_email"] += 1
        if email and email.strip():
            normalised = email.strip().lower()
            if normalised in seen_emails:
                hygiene["lead_duplicate_email"] += 1
            seen_emails.add(normalised)
        mql_at = lead["MQL_Date__c"]
        if mql_at is None:
            continue
        figures = funnel[(month(mql_at), source)]
        figures["mqls"] += 1
        people = [lead["Id"], lead["ConvertedContactId"]]
        candidates = [t for p in people if p for t in touches_by_person.get(p, []) if t >= mql_at]
        first = min(candidates, default=None)
        if first is not None:
            status = "met" if first - mql_at <= sla else "breached"
        else:
            status = "breached" if as_of - mql_at > sla else "pending"
        figures[f"sla_{status}"] += 1
        if lead["Status"] in ("Unqualified", "Disqualified"):
            acceptance = "rejected"
        elif lead["IsConverted"] or lead["Status"] in (
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
        if acceptance == "rejected" and not lead["Disqualified_Reason__c"]:
            hygiene["rejected_without_reason"] += 1

    for opp_id, opp in opps.items():
        source = opp["LeadSource"] or None
        funnel[(month(opp["CreatedDate"]), source)]["opportunities"] += 1
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

    return {
        "records": {"leads": len(leads), "opportunities": len(opps), "users": len(users)},
        "hygiene": hygiene,
        "funnel": funnel,
    }


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
