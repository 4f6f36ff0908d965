"""A small HubSpot org, written as HubSpot's tools write it, in both header styles.

``write_batch(folder, "names")`` writes what the API and ETL tools give (internal
property names, owners by id, engagement and event times in epoch milliseconds,
deal stages by id); ``write_batch(folder, "labels")`` writes what HubSpot's own
export of a view gives (property labels, owners by name, deal stages and pipelines
by label, times as ``2024-03-02 10:00``). Both hold the same records, so they must
build the same marts. ``EXPECTED`` is what METRICS.md makes of them, worked out by
hand in the comments.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

AS_OF = "2024-04-10T00:00:00+00:00"

OWNERS = [
    # id, first, last, email, teams, archived
    ("101", "Sam", "Seller", "sam@acme.example", "Sales", "false"),
    ("102", "Ann", "Closer", "ann@acme.example", "Sales;Enterprise", "false"),
    ("103", "Mo", "Marketer", "mo@acme.example", "Marketing", "false"),
    ("104", "Old", "Rep", "old@acme.example", "Sales", "true"),
]
COMPANIES = [
    # id, name, owner, lifecycle, created
    ("9001", "Acme Corp", "102", "customer", "2023-11-02T09:00:00Z"),
    ("9002", "Beta Ltd", "102", "customer", "2024-01-15T09:00:00Z"),
]
CONTACTS = [
    # id, first, last, email, title, persona, source, status, mql, sql, owner, company,
    # created, archived
    (
        "501",
        "Lee",
        "Ames",
        "lee@a.example",
        "VP Marketing",
        "",
        "ORGANIC_SEARCH",
        "IN_PROGRESS",
        "2024-03-02T10:00:00Z",
        "",
        "101",
        "9001",
        "2024-03-01T09:00:00Z",
        "",
    ),
    (
        "502",
        "Kim",
        "Bo",
        "kim@b.example",
        "CFO",
        "",
        "PAID_SEARCH",
        "OPEN_DEAL",
        "2024-03-03T10:00:00Z",
        "2024-03-05T12:00:00Z",
        "101",
        "9001",
        "2024-03-01T11:00:00Z",
        "",
    ),
    (
        "503",
        "Roe",
        "Cy",
        "roe@c.example",
        "Analyst",
        "",
        "EMAIL_MARKETING",
        "UNQUALIFIED",
        "2024-03-05T09:00:00Z",
        "",
        "104",
        "",
        "2024-03-04T11:00:00Z",
        "",
    ),
    (
        "504",
        "Zed",
        "Du",
        "zed-at-example",
        "",
        "",
        "",
        "NEW",
        "2024-04-09T12:00:00Z",
        "",
        "103",
        "",
        "2024-03-06T10:00:00Z",
        "",
    ),
    (
        "505",
        "Pat",
        "Ek",
        "pat@a.example",
        "Head of Sales",
        "",
        "OFFLINE",
        "",
        "",
        "",
        "102",
        "9001",
        "2024-02-01T10:00:00Z",
        "",
    ),
    (
        "506",
        "Dee",
        "Fa",
        "dee@d.example",
        "CEO",
        "",
        "SOCIAL_MEDIA",
        "",
        "2024-03-08T12:00:00Z",
        "",
        "102",
        "9002",
        "2024-03-08T10:00:00Z",
        "",
    ),
    (
        "507",
        "Gone",
        "Ga",
        "gone@g.example",
        "",
        "",
        "DIRECT_TRAFFIC",
        "",
        "",
        "",
        "101",
        "",
        "2024-03-09T10:00:00Z",
        "true",
    ),
    (
        "508",
        "Ray",
        "Ha",
        "ray@h.example",
        "Engineer",
        "",
        "REFERRALS",
        "ATTEMPTED_TO_CONTACT",
        "2024-03-20T09:00:00Z",
        "",
        "101",
        "",
        "2024-03-19T09:00:00Z",
        "",
    ),
]
CAMPAIGNS = [
    # guid, name, start, end, spend
    ("c1f0a8e2-0000-4000-8000-000000000001", "Spring webinar", "2024-02-20", "2024-03-31", "1000"),
    ("c1f0a8e2-0000-4000-8000-000000000002", "Pricing ebook", "2024-03-01", "2024-04-30", "500"),
]
C1, C2 = CAMPAIGNS[0][0], CAMPAIGNS[1][0]
DEALS = [
    # id, name, stage id, amount, close, owner, source, won reason, lost reason, campaign,
    # company, contacts, last activity, created
    (
        "7001",
        "Acme expansion",
        "contractsent",
        "12000",
        "2024-03-30T00:00:00Z",
        "102",
        "PAID_SEARCH",
        "",
        "",
        "",
        "9001",
        "505;502",
        "2024-03-20T10:00:00Z",
        "2024-03-10T10:00:00Z",
    ),
    (
        "7002",
        "Beta deal",
        "closedwon",
        "8000",
        "2024-03-28T00:00:00Z",
        "102",
        "SOCIAL_MEDIA",
        "Price",
        "",
        C2,
        "9002",
        "506",
        "",
        "2024-03-09T09:00:00Z",
    ),
    (
        "7003",
        "Lost one",
        "closedlost",
        "3000",
        "2024-03-20T00:00:00Z",
        "102",
        "OFFLINE",
        "",
        "",
        "",
        "",
        "",
        "",
        "2024-03-12T10:00:00Z",
    ),
    (
        "7004",
        "Quote",
        "qualifiedtobuy",
        "",
        "2024-05-30T00:00:00Z",
        "101",
        "OFFLINE",
        "",
        "",
        "",
        "",
        "",
        "",
        "2024-03-01T10:00:00Z",
    ),
]
#: The deals' dealstage property history (the API's propertiesWithHistory, as ETL tools
#: land it): (deal, stage id, set at, what set it). 7001 has a workflow set the stage it
#: already had and skips two stages; 7002 steps back; 7004 has no row (its stage at
#: creation is its current one).
DEAL_STAGE_HISTORY = [
    ("7001", "appointmentscheduled", "2024-03-10T10:00:00Z", "CRM_UI"),
    ("7001", "qualifiedtobuy", "2024-03-14T10:00:00Z", "CRM_UI"),
    ("7001", "qualifiedtobuy", "2024-03-14T12:00:00Z", "AUTOMATION_PLATFORM"),
    ("7001", "contractsent", "2024-03-20T10:00:00Z", "CRM_UI"),
    ("7002", "qualifiedtobuy", "2024-03-09T09:00:00Z", "CRM_UI"),
    ("7002", "decisionmakerboughtin", "2024-03-15T09:00:00Z", "CRM_UI"),
    ("7002", "presentationscheduled", "2024-03-18T09:00:00Z", "CRM_UI"),
    ("7002", "closedwon", "2024-03-28T00:00:00Z", "CRM_UI"),
    ("7003", "appointmentscheduled", "2024-03-12T10:00:00Z", "CRM_UI"),
    ("7003", "closedlost", "2024-03-20T00:00:00Z", "CRM_UI"),
    ("7002", "8000", "2024-03-28T00:00:00Z", "CRM_UI"),  # another property: not a stage
]
#: What HubSpot's export of a view writes for an option (seed hubspot_property_options).
OPTION_LABELS = {
    "IN_PROGRESS": "In Progress",
    "OPEN_DEAL": "Open Deal",
    "UNQUALIFIED": "Unqualified",
    "NEW": "New",
    "ATTEMPTED_TO_CONTACT": "Attempted to Contact",
    "ORGANIC_SEARCH": "Organic Search",
    "PAID_SEARCH": "Paid Search",
    "EMAIL_MARKETING": "Email Marketing",
    "OFFLINE": "Offline Sources",
    "SOCIAL_MEDIA": "Organic Social",
    "DIRECT_TRAFFIC": "Direct Traffic",
    "REFERRALS": "Referrals",
}
STAGE_LABELS = {
    "contractsent": "Contract Sent",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
    "qualifiedtobuy": "Qualified To Buy",
}
ENGAGEMENTS = {
    # object: [(id, owner, timestamp, contacts, deals)]
    "calls": [("8001", "101", "2024-03-02T15:00:00Z", "501", "")],
    "meetings": [("8002", "102", "2024-03-05T09:00:00Z", "502", "7001")],
    "tasks": [("8003", "101", "2024-03-08T20:00:00Z", "506", "")],
    # a marketer's email: not a sales touch
    "emails": [("8004", "103", "2024-03-04T12:00:00Z", "502", "")],
}
EMAIL_EVENTS = [
    # id, type, recipient, created, campaign
    ("e-1", "CLICK", "kim@b.example", "2024-03-02T08:00:00Z", C1),
    ("e-2", "OPEN", "lee@a.example", "2024-03-02T07:00:00Z", C1),
    ("e-3", "CLICK", "someone@else.example", "2024-03-02T09:00:00Z", C1),
]
FORM_SUBMISSIONS = [
    # conversion id, contact, form, title, at, campaign
    ("f-1", "506", "form-guid-1", "Ebook download", "2024-03-08T11:00:00Z", C2),
]

# What METRICS.md makes of them (as of AS_OF, default settings).
EXPECTED = {
    # persons: every current contact (507 is archived)
    "persons": {"501", "502", "503", "504", "505", "506", "508"},
    # lead_id: (sla_status, acceptance_status, opportunity_id)
    "funnel": {
        "501": ("met", "accepted", None),  # call 5 h after the MQL; IN_PROGRESS
        "502": ("breached", "accepted", "7001"),  # meeting 47 h after; has a deal
        "503": ("breached", "rejected", None),  # no touch; UNQUALIFIED
        "504": ("pending", "open", None),  # MQL 12 h before as_of; NEW
        "505": (None, None, "7001"),  # never an MQL
        "506": ("met", "accepted", "7002"),  # task 8 h after; has a deal
        "508": ("breached", "open", None),  # no touch; ATTEMPTED_TO_CONTACT
    },
    "issues": {
        ("lead_missing_owner", "503"),  # owned by an archived owner
        ("lead_missing_source", "504"),
        ("lead_invalid_email", "504"),
        ("mql_not_followed_up", "508"),
        ("opportunity_missing_amount", "7004"),  # Qualified To Buy, no amount
        ("opportunity_past_close_date", "7001"),
        ("opportunity_stale", "7004"),  # nothing since it was created 40 days ago
        ("closed_without_reason", "7003"),
    },
    # opportunity_id: (origin_person_id, is_marketing_sourced, is_marketing_influenced,
    #                  stage_name, is_closed, is_won)
    "opportunities": {
        # 505 was created before 502: the origin; no MQL
        "7001": ("505", False, True, "Contract Sent", False, False),
        "7002": ("506", True, True, "Closed Won", True, True),
        "7003": (None, False, False, "Closed Lost", True, False),
        "7004": (None, False, False, "Qualified To Buy", False, False),
    },
    # account_id: (people, mqls, opportunities, open_pipeline_amount, won_amount, customer)
    "accounts": {
        "9001": (3, 2, 1, 12000, 0, False),
        "9002": (1, 1, 1, 0, 8000, True),
    },
    # opportunity_id: [(stage_name, days_in_stage)], in order of entry
    "stages": {
        "7001": [("Appointment Scheduled", 4), ("Qualified To Buy", 6), ("Contract Sent", None)],
        "7002": [
            ("Qualified To Buy", 6),
            ("Decision Maker Bought-In", 3),
            ("Presentation Scheduled", 9.625),  # back a stage, then won
            ("Closed Won", None),
        ],
        "7003": [("Appointment Scheduled", 7.583333), ("Closed Lost", None)],
        "7004": [("Qualified To Buy", None)],
    },
    # March's 4 deals, stage: (reached, median days to reach, won)
    "conversion": {
        "Appointment Scheduled": (4, 0, 1),
        "Qualified To Buy": (3, 0, 1),  # 7003 was lost from Appointment Scheduled
        "Presentation Scheduled": (2, 8, 1),  # 7001 skipped it: reached by Contract Sent
        "Decision Maker Bought-In": (2, 8, 1),
        "Contract Sent": (2, 14.3125, 1),  # 7002 won: it went through every open stage
        "Closed Won": (1, 18.625, 1),
        "Closed Lost": (1, 7.5833, 0),
    },
    # (month, is_won, reason, lead_source, team): (opportunities, amount)
    "reasons": {
        ("2024-03", True, "Price", "SOCIAL_MEDIA", "Sales"): (1, 8000),
        ("2024-03", False, "(none given)", "OFFLINE", "Sales"): (1, 3000),
    },
    # model: {campaign: amount}
    "attribution": {
        "first_touch": {C2: 8000},
        "last_touch": {C2: 8000},
        "linear": {C2: 8000},
        "position_based": {C2: 8000},
        "time_decay": {C2: 8000},
        "primary_campaign": {C2: 8000},
    },
}

OWNER_NAMES = {o[0]: f"{o[1]} {o[2]}" for o in OWNERS}


def _ms(iso: str) -> str:
    """Epoch milliseconds, as HubSpot's API writes engagement and event times."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    return str(int(moment.timestamp() * 1000))


def _ui(iso: str) -> str:
    """``2024-03-02 10:00``, as HubSpot's export of a view writes a date and time."""
    return iso[:16].replace("T", " ") if iso else ""


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_batch(folder: Path, style: str) -> Path:
    """The org's files in ``folder`` (created), with ``names`` or ``labels`` headers."""
    labels = style == "labels"
    folder.mkdir(parents=True, exist_ok=True)
    when = _ui if labels else (lambda iso: iso)
    owner = OWNER_NAMES.get if labels else (lambda owner_id: owner_id)
    option = (lambda value: OPTION_LABELS.get(value, value)) if labels else (lambda value: value)
    prefix = "hubspot-crm-exports-all-" if labels else ""
    suffix = "-2024-04-10.csv" if labels else ".csv"

    _write(
        folder / "owners.csv",
        ["Owner ID", "First Name", "Last Name", "Email", "Teams", "Archived"]
        if labels
        else ["id", "firstName", "lastName", "email", "teams", "archived"],
        [list(o) for o in OWNERS],
    )
    _write(
        folder / f"{prefix}companies{suffix}",
        ["Record ID", "Company name", "Company owner", "Lifecycle Stage", "Create Date"]
        if labels
        else ["hs_object_id", "name", "hubspot_owner_id", "lifecyclestage", "createdate"],
        [[c[0], c[1], owner(c[2]), c[3], when(c[4])] for c in COMPANIES],
    )
    contact_header = (
        [
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Job Title",
            "Persona",
            "Original Source",
            "Lead Status",
            "Became a Marketing Qualified Lead Date",
            "Became a Sales Qualified Lead Date",
            "Contact owner",
            "Associated Company ID",
            "Create Date",
            "Archived",
        ]
        if labels
        else [
            "hs_object_id",
            "firstname",
            "lastname",
            "email",
            "jobtitle",
            "hs_persona",
            "hs_analytics_source",
            "hs_lead_status",
            "hs_lifecyclestage_marketingqualifiedlead_date",
            "hs_lifecyclestage_salesqualifiedlead_date",
            "hubspot_owner_id",
            "associatedcompanyid",
            "createdate",
            "archived",
        ]
    )
    _write(
        folder / f"{prefix}contacts{suffix}",
        contact_header,
        [
            [
                *c[:6],
                option(c[6]),
                option(c[7]),
                when(c[8]),
                when(c[9]),
                owner(c[10]),
                c[11],
                when(c[12]),
                c[13],
            ]
            for c in CONTACTS
        ],
    )
    _write(
        folder / f"{prefix}deals{suffix}",
        [
            "Record ID",
            "Deal Name",
            "Pipeline",
            "Deal Stage",
            "Amount",
            "Close Date",
            "Deal owner",
            "Original Source",
            "Closed Won Reason",
            "Closed Lost Reason",
            "Campaign",
            "Associated Company ID",
            "Associated Contact IDs",
            "Last Activity Date",
            "Create Date",
        ]
        if labels
        else [
            "hs_object_id",
            "dealname",
            "pipeline",
            "dealstage",
            "amount",
            "closedate",
            "hubspot_owner_id",
            "hs_analytics_source",
            "closed_won_reason",
            "closed_lost_reason",
            "hs_campaign",
            "associatedcompanyid",
            "associated_contact_ids",
            "notes_last_updated",
            "createdate",
        ],
        [
            [
                d[0],
                d[1],
                "Sales Pipeline" if labels else "default",
                STAGE_LABELS[d[2]] if labels else d[2],
                d[3],
                when(d[4]),
                owner(d[5]),
                option(d[6]),
                d[7],
                d[8],
                d[9],
                d[10],
                d[11],
                when(d[12]),
                when(d[13]),
            ]
            for d in DEALS
        ],
    )
    for name, rows in ENGAGEMENTS.items():
        _write(
            folder / f"{prefix}{name}{suffix}",
            [
                "Record ID",
                "Activity date",
                "Activity assigned to",
                "Associated Contact IDs",
                "Associated Deal IDs",
            ]
            if labels
            else [
                "hs_object_id",
                "hs_timestamp",
                "hubspot_owner_id",
                "associated_contact_ids",
                "associated_deal_ids",
            ],
            [[e[0], _ui(e[2]) if labels else _ms(e[2]), owner(e[1]), e[3], e[4]] for e in rows],
        )
    _write(
        folder / "campaigns.csv",
        ["Campaign ID", "Campaign name", "Start date", "End date", "Spend"]
        if labels
        else ["id", "hs_name", "hs_start_date", "hs_end_date", "hs_spend_items_sum_amount"],
        [list(c) for c in CAMPAIGNS],
    )
    _write(
        folder / "email_events.csv",
        ["id", "type", "recipient", "created", "campaign_id"],
        [[e[0], e[1], e[2], _ms(e[3]), e[4]] for e in EMAIL_EVENTS],
    )
    _write(
        folder / "deal_property_history.csv",
        ["deal_id", "name", "value", "timestamp", "source", "source_id"],
        [
            [deal, "amount" if stage.isdigit() else "dealstage", stage, at, by, ""]
            for deal, stage, at, by in DEAL_STAGE_HISTORY
        ],
    )
    _write(
        folder / "form_submissions.csv",
        ["conversion_id", "contact_id", "form_id", "title", "timestamp", "campaign_id"],
        [[f[0], f[1], f[2], f[3], _ms(f[4]), f[5]] for f in FORM_SUBMISSIONS],
    )
    return folder
