"""``revalign generate``: sample CRM extracts whose right answers are known.

The model (``world``) decides each lead's life from a seeded stream, the writer
streams it out as CSV batches, and ``truth`` counts the expected figures from
the same model. Memory stays flat: a lead is written and forgotten before the
next one is made.

``crm`` says which CRM holds the world: ``salesforce`` (the default), ``hubspot``
(``hubspot``: every person a contact, deals, engagements), or ``both``: one company
running both, every other lead in HubSpot, the same users in each (one person in
both, by email), and one truth over the two.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import random
import shutil
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from revalign import progress
from revalign.generator import customers, hubspot, nurture, world
from revalign.generator.accounts import AccountFactory
from revalign.generator.truth import Truth
from revalign.generator.world import AS_OF, PERIOD_START, Activity, Lead, Opportunity
from revalign.generator.writer import (
    CUSTOM_FIELD_NAMES,
    EXPORT_STYLES,
    ChunkWriter,
    Version,
    assemble,
    batch_folder,
    write_marker,
)

SALESFORCE_OBJECTS = (
    "User",
    "Campaign",
    "CampaignMember",
    "Lead",
    "Task",
    "Event",
    "Opportunity",
    "OpportunityHistory",
    "Account",
    "Contact",
    "OpportunityContactRole",
)


#: ``--crm``: the CRMs a generated company runs, and how to name them.
CRM_NAMES = {"salesforce": "Salesforce", "hubspot": "HubSpot", "both": "Salesforce and HubSpot"}
CRMS = tuple(CRM_NAMES)


def cutoffs(batches: int) -> list[datetime]:
    """Extraction times of the batches; the last one is the data's as_of."""
    span = AS_OF - PERIOD_START
    moments = [world.at_second(PERIOD_START + span * k / batches) for k in range(1, batches)]
    return [*moments, AS_OF]


#: Leads per chunk. Fixed, so the output is the same whatever the number of workers.
CHUNK_LEADS = 20_000


def generate(
    out: Path,
    leads: int = 1000,
    seed: int = 0,
    batches: int = 1,
    rates: dict[str, float] | None = None,
    workers: int | None = None,
    export_style: str = "api",
    crm: str = "salesforce",
) -> dict:
    """Write the batches under ``out/<crm>`` and ``out/plan`` and ``out/truth.json``.

    ``export_style``: how the CRM's tools would have written the files
    (``revalign.generator.writer``, EXPORT_STYLES); the figures do not depend on it.
    HubSpot knows two: ``api`` (internal names) and ``report`` (HubSpot's own export
    of a view: labels).
    """
    if leads < 1:
        raise ValueError("--leads must be at least 1")
    if batches < 1:
        raise ValueError("--batches must be at least 1")
    if export_style not in EXPORT_STYLES:
        raise ValueError(f"--export-style must be one of {', '.join(EXPORT_STYLES)}")
    if crm not in CRMS:
        raise ValueError(f"--crm must be one of {', '.join(CRMS)}")
    if crm != "salesforce" and export_style not in ("api", "report"):
        raise ValueError("--crm hubspot writes --export-style api or report")
    # a report export shows times to the minute: the world's times are whole minutes
    world.set_time_resolution(60 if export_style == "report" else 1)
    chosen = {**world.DEFAULT_RATES, **(rates or {})}
    unknown = set(chosen) - set(world.DEFAULT_RATES)
    if unknown:
        raise ValueError(f"unknown hygiene rule(s): {', '.join(sorted(unknown))}")
    if any(not 0 <= share <= 1 for share in chosen.values()):
        raise ValueError("hygiene rates are shares between 0 and 1")
    out.mkdir(parents=True, exist_ok=True)
    times = cutoffs(batches)
    parts = Path(tempfile.mkdtemp(prefix=".parts-", dir=out))
    chunks = [
        _Chunk(
            parts,
            seed,
            leads,
            times,
            chosen,
            n,
            start,
            min(start + CHUNK_LEADS, leads),
            export_style,
            crm,
        )
        for n, start in enumerate(range(0, leads, CHUNK_LEADS))
    ]
    workers = min(workers or os.cpu_count() or 1, len(chunks))
    truth = Truth(world.Company(seed, leads))
    rows: Counter[tuple[int, str]] = Counter()
    if workers == 1:
        results = map(_generate_chunk, chunks)
    else:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        results = pool.map(_generate_chunk, chunks)
    for done, (chunk_truth, chunk_rows) in enumerate(results, 1):
        truth.merge(chunk_truth)
        rows.update(chunk_rows)
        progress.count("generate leads", min(done * CHUNK_LEADS, leads), leads)
    if workers > 1:
        pool.shutdown()
    progress.step(f"  writing {batches} batch(es) of files to {out}")
    if crm != "hubspot":
        assemble(
            out,
            parts,
            "salesforce",
            times,
            seed,
            SALESFORCE_OBJECTS,
            len(chunks),
            rows,
            export_style,
        )
    if crm != "salesforce":
        assemble(
            out,
            parts,
            "hubspot",
            times,
            seed,
            hubspot.HUBSPOT_OBJECTS,
            len(chunks),
            rows,
            export_style,
        )
    shutil.rmtree(parts, ignore_errors=True)
    plan_folder = out / "plan" / batch_folder(times, 0)
    plan_folder.mkdir(parents=True, exist_ok=True)
    targets = _targets(seed, leads)
    with open(plan_folder / "Targets.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["Month", "Metric", "Team", "Target"])
        writer.writerows(targets)
    write_marker(plan_folder, "plan", times[0], 0, {"Targets.csv": len(targets)})
    generator = {
        "leads": leads,
        "seed": seed,
        "batches": batches,
        "rates": chosen,
        "export_style": export_style,
        "crm": crm,
    }
    if export_style == "custom-fields":
        generator["salesforce_field_names"] = custom_field_setting()
    result = truth.as_dict(generator)
    (out / "truth.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def custom_field_setting() -> dict[str, str]:
    """The salesforce_field_names entries that map the custom-fields style's fields."""
    from revalign.warehouse import sources

    declared = sources.source("salesforce").objects
    return {
        f.custom_field: CUSTOM_FIELD_NAMES[f.name]
        for obj in declared
        for f in obj.fields
        if f.custom_field and f.name in CUSTOM_FIELD_NAMES
    }


@dataclass(frozen=True)
class _Chunk:
    parts: Path
    seed: int
    leads: int
    cutoffs: list[datetime]
    rates: dict[str, float]
    number: int
    start: int
    stop: int
    style: str = "api"
    crm: str = "salesforce"

    def in_hubspot(self, lead: int) -> bool:
        return self.crm == "hubspot" or (self.crm == "both" and lead % 2 == 1)


def _mark_duplicate(lead: Lead, seen: set[str]) -> None:
    """A lead duplicates an earlier one when an earlier current lead of its own CRM has its
    email (METRICS.md, lead_duplicate_email), whichever lead its address was copied from: a
    copy of a lead in the other CRM is no duplicate, unless a lead of its own CRM has the
    address too (an earlier copy of the same one). HubSpot keeps one contact per address:
    there a duplicate gets an address of its own (hubspot.unique_email)."""
    key = lead.email.strip().lower() if lead.email and lead.email.strip() else None
    lead.duplicates_earlier = key is not None and key in seen
    if key is not None and lead.deleted_at is None:
        seen.add(key)


def _generate_chunk(chunk: _Chunk) -> tuple[Truth, dict[tuple[int, str], int]]:
    """Leads ``start..stop`` and all that hangs on them; the first chunk adds users, campaigns."""
    company = world.Company(chunk.seed, chunk.leads)
    factory = world.LeadFactory(chunk.seed, chunk.leads, chunk.rates, company)
    account_factory = AccountFactory(factory)
    truth = Truth(company)
    hs_truth = hubspot.HubSpotTruth(company)
    names = {user.id: user.name for user in company.users}
    sf = ChunkWriter(
        chunk.parts, "salesforce", chunk.cutoffs, chunk.seed, chunk.number, chunk.style, names
    )
    hs = ChunkWriter(
        chunk.parts,
        "hubspot",
        chunk.cutoffs,
        chunk.seed,
        chunk.number,
        chunk.style,
        {hubspot.hubspot_id(user.id): user.name for user in company.users},
    )
    if chunk.number == 0:
        if chunk.crm != "hubspot":
            for user in company.users:
                sf.record("User", [Version(user.created_at, _user_row(user))])
            for campaign in company.campaigns:
                sf.record("Campaign", [Version(campaign.created_at, _campaign_row(campaign))])
        if chunk.crm != "salesforce":
            hubspot.write_company(hs, company)
    # per CRM (in HubSpot or not), the emails of the current leads written so far
    emails_seen: dict[bool, set[str]] = {False: set(), True: set()}
    for i in range(chunk.start, chunk.stop):
        lead, sales_deal = factory.lead(i)
        accounts = account_factory.world_of(i, lead, sales_deal)
        deals = [d for d in (lead.opportunity, sales_deal, *accounts.opportunities) if d]
        customers.invite(
            factory.seed, company.customer_campaigns, deals, accounts, account_factory._id
        )
        nurture.look_after(
            factory.seed,
            factory.rates["nurture_lead_untouched"],
            company.marketers,
            lead,
            deals,
            accounts,
            account_factory._id,
        )
        _mark_duplicate(lead, emails_seen[chunk.in_hubspot(i)])
        if chunk.in_hubspot(i):
            records = hubspot.convert(lead, deals, accounts)
            hubspot.write_world(hs, records)
            hs_truth.add_hubspot_world(records)
            continue
        _write_lead(sf, lead)
        for deal in deals:
            _write_opportunity(sf, deal)
        _write_accounts(sf, accounts)
        truth.add_lead_world(lead, deals, accounts)
    truth.merge(hs_truth)
    return truth, {**sf.close(), **hs.close()}


def _write_lead(sf: ChunkWriter, lead: Lead) -> None:
    base = {
        "Id": lead.id,
        "FirstName": lead.first_name,
        "LastName": lead.last_name,
        "Email": lead.email,
        "Company": lead.company,
        "Title": lead.title,
        "Street": lead.street,
        "Country": lead.country,
        "LeadSource": lead.lead_source,
        "OwnerId": lead.owner_id,
        "Persona__c": lead.persona_field,
        "IsDeleted": False,
        "CreatedDate": lead.created_at,
    }
    versions = []
    for v in lead.versions:
        converted = v.converted is not None
        row = {
            **base,
            "Status": v.status,
            "MQL_Date__c": v.mql_at,
            "IsConverted": converted,
            "ConvertedDate": v.converted,
            "ConvertedContactId": lead.contact_id if converted else None,
            "ConvertedAccountId": lead.account_id if converted else None,
            "ConvertedOpportunityId": lead.opportunity.id
            if converted and lead.opportunity
            else None,
            "Disqualified_Reason__c": v.reason,
            "SystemModstamp": v.at,
        }
        versions.append(Version(v.at, row))
    sf.record("Lead", versions, lead.deleted_at)
    for activity in lead.activities:
        _write_activity(sf, activity)
    for member in lead.memberships:
        _write_membership(sf, member)


def _write_membership(sf: ChunkWriter, member: world.Membership) -> None:
    row = {
        "Id": member.id,
        "CampaignId": member.campaign_id,
        "LeadId": member.lead_id,
        "ContactId": member.contact_id,
        "Status": "Responded" if member.first_responded else "Sent",
        "HasResponded": member.first_responded is not None,
        "FirstRespondedDate": member.first_responded,
        "IsDeleted": False,
        "CreatedDate": member.created_at,
        "SystemModstamp": member.created_at,
    }
    sf.record("CampaignMember", [Version(member.created_at, row)])


def _write_activity(sf: ChunkWriter, activity: Activity) -> None:
    row = {
        "Id": activity.id,
        "WhoId": activity.who_id,
        "WhatId": activity.what_id,
        "OwnerId": activity.owner_id,
        "Subject": activity.subject,
        "IsDeleted": False,
        "CreatedDate": activity.created_at,
        "SystemModstamp": activity.created_at,
    }
    if activity.kind == "Task":
        row.update(
            TaskSubtype=activity.subtype,
            Status="Completed",
            ActivityDate=activity.created_at.date(),
            Description=activity.description,
        )
    else:
        row.update(
            StartDateTime=activity.created_at,
            EndDateTime=activity.created_at + timedelta(minutes=30),
        )
    sf.record(activity.kind, [Version(activity.created_at, row)], activity.deleted_at)


def _write_opportunity(sf: ChunkWriter, opp: Opportunity) -> None:
    base = {
        "Id": opp.id,
        "Name": opp.name,
        "AccountId": opp.account_id,
        "OwnerId": opp.owner_id,
        "LeadSource": opp.lead_source,
        "Type": "New Business",
        "IsDeleted": False,
        "CreatedDate": opp.created_at,
    }
    versions = [
        Version(
            v.at,
            {
                **base,
                "StageName": v.stage,
                "Amount": v.amount,
                "CloseDate": v.close_date,
                "IsClosed": v.is_closed,
                "IsWon": v.is_won,
                "Win_Loss_Reason__c": v.reason,
                "LastActivityDate": v.last_activity,
                "CampaignId": opp.primary_campaign_id,
                "SystemModstamp": v.at,
            },
        )
        for v in opp.versions
    ]
    sf.record("Opportunity", versions, opp.deleted_at)
    for history_id, v in opp.history:
        row = {
            "Id": history_id,
            "OpportunityId": opp.id,
            "StageName": v.stage,
            "Amount": v.amount,
            "CloseDate": v.close_date,
            "CreatedById": opp.owner_id,
            "IsDeleted": False,
            "CreatedDate": v.at,
            "SystemModstamp": v.at,
        }
        sf.record("OpportunityHistory", [Version(v.at, row)], opp.deleted_at)
    for activity in opp.activities:
        _write_activity(sf, activity)
    for role in opp.roles:
        row = {
            "Id": role.id,
            "OpportunityId": role.opportunity_id,
            "ContactId": role.contact_id,
            "Role": role.role,
            "IsPrimary": role.is_primary,
            "IsDeleted": False,
            "CreatedDate": role.created_at,
            "SystemModstamp": role.created_at,
        }
        sf.record("OpportunityContactRole", [Version(role.created_at, row)], role.deleted_at)


def _write_accounts(sf: ChunkWriter, accounts: world.AccountWorld) -> None:
    for account in accounts.accounts:
        row = {
            "Id": account.id,
            "Name": account.name,
            "Type": account.type,
            "Industry": "Software",
            "OwnerId": account.owner_id,
            "IsDeleted": False,
            "CreatedDate": account.created_at,
            "SystemModstamp": account.created_at,
        }
        sf.record("Account", [Version(account.created_at, row)])
    for contact in accounts.contacts:
        base = {
            "Id": contact.id,
            "FirstName": contact.first_name,
            "LastName": contact.last_name,
            "Email": contact.email,
            "Title": contact.title,
            "AccountId": contact.account_id,
            "LeadSource": contact.lead_source,
            "OwnerId": contact.owner_id,
            "Persona__c": contact.persona_field,
            "IsDeleted": False,
            "CreatedDate": contact.created_at,
        }
        versions = [
            Version(
                v.at,
                {
                    **base,
                    "MQL_Date__c": v.mql_at,
                    "Contact_Status__c": v.status,
                    "SystemModstamp": v.at,
                },
            )
            for v in contact.versions
        ]
        sf.record("Contact", versions, contact.deleted_at)
        for activity in contact.activities:
            _write_activity(sf, activity)
        for member in contact.memberships:
            _write_membership(sf, member)


def _user_row(user: world.User) -> dict:
    return {
        "Id": user.id,
        "Name": user.name,
        "Email": user.email,
        "IsActive": user.is_active,
        "Department": user.department,
        "Division": user.division,
        "Title": user.title,
        "CreatedDate": user.created_at,
        "SystemModstamp": user.created_at,
    }


def _campaign_row(campaign: world.Campaign) -> dict:
    return {
        "Id": campaign.id,
        "Name": campaign.name,
        "Type": campaign.channel,
        "Status": campaign.status,
        "StartDate": campaign.start,
        "EndDate": campaign.end,
        "BudgetedCost": campaign.budgeted_cost,
        "ActualCost": campaign.actual_cost,
        "OwnerId": campaign.owner_id,
        "IsDeleted": False,
        "CreatedDate": campaign.created_at,
        "SystemModstamp": campaign.created_at,
    }


def _targets(seed: int, leads: int) -> list[list[str]]:
    """Monthly plan: MQLs per team and in all, opportunities and won amount in all."""
    rng = random.Random(f"{seed}:targets")
    monthly_mqls = leads * 0.6 / 12
    rows = []
    first = PERIOD_START.date()
    for k in range(13):
        year, month0 = divmod(first.month - 1 + k, 12)
        period = f"{first.year + year}-{month0 + 1:02d}"
        rows.append([period, "mqls", "", str(round(monthly_mqls * rng.uniform(0.9, 1.15)))])
        for team in world.TEAMS:
            rows.append(
                [period, "mqls", team, str(round(monthly_mqls / 4 * rng.uniform(0.9, 1.15)))]
            )
        rows.append(
            [period, "opportunities", "", str(round(monthly_mqls * 0.2 * rng.uniform(0.9, 1.1)))]
        )
        rows.append([period, "won_amount", "", str(round(monthly_mqls * 0.06 * 20_000, -3))])
    return rows
