"""Expected figures, computed from the generator's own model as it makes each record.

Definitions follow METRICS.md with its default settings; ``truth.json`` names
the grouping of every figure in its ``definitions`` block.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from revalign.generator import world
from revalign.generator.world import AS_OF, Lead, Opportunity

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

DEFINITIONS = {
    "as_of": "every age-based figure is computed at this moment (the last batch's extraction time)",
    "leads": "current leads (newest version, not deleted) by month of CreatedDate and LeadSource",
    "mqls": "current leads with MQL_Date__c, by its month and LeadSource",
    "sla_met/sla_breached/sla_pending": "sla_status of those MQLs, by MQL month (METRICS.md)",
    "accepted/rejected/acceptance_open": "acceptance_status of those MQLs, by MQL month",
    "opportunities": "current opportunities by month of CreatedDate and Opportunity.LeadSource",
    "won/won_amount": "won opportunities (count, sum of Amount) by CloseDate month and LeadSource",
    "lead_source": "null when blank",
    "lead_invalid_email": "blank, or not matching " + EMAIL_PATTERN.pattern,
}


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

    def add_lead(self, lead: Lead) -> None:
        if lead.deleted_at is not None:
            return
        self.records["leads"] += 1
        final, source = lead.final, lead.lead_source
        self.funnel[(month(lead.created_at), source)]["leads"] += 1
        if lead.owner_id is None or lead.owner_id in self.inactive_users:
            self.hygiene["lead_missing_owner"] += 1
        if not source:
            self.hygiene["lead_missing_source"] += 1
        if not lead.email or not EMAIL_PATTERN.fullmatch(lead.email):
            self.hygiene["lead_invalid_email"] += 1
        if lead.duplicates_earlier:
            self.hygiene["lead_duplicate_email"] += 1
        if final.mql_at is None:
            return
        figures = self.funnel[(month(final.mql_at), source)]
        figures["mqls"] += 1
        first_touch = self.first_touch(lead, final.mql_at)
        if first_touch is not None:
            status = (
                "met"
                if first_touch - final.mql_at <= timedelta(hours=world.SLA_HOURS)
                else "breached"
            )
        elif AS_OF - final.mql_at > timedelta(hours=world.SLA_HOURS):
            status = "breached"
        else:
            status = "pending"
        figures[f"sla_{status}"] += 1
        if final.status in world.REJECTED_STATUSES:
            acceptance = "rejected"
        elif final.converted or final.status in (*world.ACCEPTED_STATUSES, "Converted"):
            acceptance = "accepted"
        else:
            acceptance = "acceptance_open"
        figures[acceptance] += 1
        if status == "breached" and first_touch is None and acceptance != "rejected":
            self.hygiene["mql_not_followed_up"] += 1
        if acceptance == "rejected" and not final.reason:
            self.hygiene["rejected_without_reason"] += 1

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
        self.records["opportunities"] += 1
        final = opp.final
        self.funnel[(month(opp.created_at), opp.lead_source)]["opportunities"] += 1
        if final.is_closed:
            if final.is_won:
                won = self.funnel[(month(final.close_date), opp.lead_source)]
                won["won"] += 1
                won["won_amount"] += final.amount or 0
            if not final.reason:
                self.hygiene["closed_without_reason"] += 1
            if final.close_date < opp.created_at.date():
                self.hygiene["opportunity_closed_before_created"] += 1
            return
        stage = world.STAGES.index(final.stage)
        if stage >= world.AMOUNT_REQUIRED_FROM and not final.amount:
            self.hygiene["opportunity_missing_amount"] += 1
        if final.close_date < AS_OF.date():
            self.hygiene["opportunity_past_close_date"] += 1
        if AS_OF - opp.last_touched_at() > timedelta(days=world.STALE_DAYS):
            self.hygiene["opportunity_stale"] += 1

    def merge(self, other: Truth) -> None:
        """Add the counts of another chunk of leads."""
        self.hygiene.update(other.hygiene)
        for key, figures in other.funnel.items():
            self.funnel[key].update(figures)
        for name in ("leads", "opportunities"):
            self.records[name] += other.records[name]

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
        }
