"""A B2B org's deal opened on an account, as Data Loader exports it: contacts created
directly (one an MQL on the Contact), a contact role naming a contact that was deleted
(Salesforce keeps such roles), a Primary Campaign Source, and a contact role added a
batch later, in its 18-character form. The marts follow METRICS.md's persons, origin
person, sourcing, influence, attribution and accounts, incrementally as a full build."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import query, write_batch

from revalign.build import notes, transform
from revalign.checks import hygiene
from revalign.ingest import loader
from revalign.warehouse import schemas
from revalign.warehouse.salesforce_ids import to_18

T = "T{}:00:00.000+0000"
FIRST = {
    "User.csv": (
        "Id,Name,Email,IsActive,Department,Division\r\n"
        "005Ec00000AAAA1,Sam Seller,sam@acme.example,true,Sales,East\r\n"
        "005Ec00000AAAA2,Ann Closer,ann@acme.example,true,Sales,East\r\n"
    ),
    "Account.csv": (
        "Id,Name,OwnerId,CreatedDate\r\n"
        "001Ec00000ACC01,Globex,005Ec00000AAAA2,2024-03-01T08:00:00.000+0000\r\n"
    ),
    # Data Loader with the fields someone ticked: no LeadSource on Contact
    "Contact.csv": (
        "Id,AccountId,LastName,Email,OwnerId,MQL_Date__c,CreatedDate\r\n"
        "003Ec00000CON01,001Ec00000ACC01,Ames,ames@globex.example,005Ec00000AAAA1,"
        "2024-03-05T10:00:00.000+0000,2024-03-01T09:00:00.000+0000\r\n"
        "003Ec00000CON02,001Ec00000ACC01,Bo,bo at globex,005Ec00000AAAA1,,"
        "2024-03-02T09:00:00.000+0000\r\n"
    ),
    "Lead.csv": (
        "Id,LastName,Email,Company,LeadSource,Status,OwnerId,MQL_Date__c,CreatedDate\r\n"
        "00QEc00000LEAD1,Lee,lee@a.example,A,Web,Working,005Ec00000AAAA1,"
        "2024-03-02T10:00:00.000+0000,2024-03-01T09:00:00.000+0000\r\n"
    ),
    "Campaign.csv": (
        "Id,Name,Type,StartDate\r\n"
        "701Ec00000CMP01,Spring event,Event,2024-02-01\r\n"
        "701Ec00000CMP02,Webinar,Webinar,2024-02-15\r\n"
    ),
    "CampaignMember.csv": (
        "Id,CampaignId,ContactId,CreatedDate\r\n"
        "00vEc00000MEM01,701Ec00000CMP02,003Ec00000CON02,2024-03-03T09:00:00.000+0000\r\n"
    ),
    "Opportunity.csv": (
        "Id,Name,AccountId,OwnerId,StageName,Amount,CloseDate,IsClosed,IsWon,CampaignId,"
        "Win_Loss_Reason__c,CreatedDate\r\n"
        "006Ec00000OPP01,Globex expansion,001Ec00000ACC01,005Ec00000AAAA2,Closed Won,10000,"
        "2024-03-20,true,true,701Ec00000CMP01,Price,2024-03-10T10:00:00.000+0000\r\n"
    ),
    # the primary role names a contact deleted since: it names nobody
    "OpportunityContactRole.csv": (
        "Id,OpportunityId,ContactId,Role,IsPrimary,CreatedDate\r\n"
        "00KEc00000ROL00,006Ec00000OPP01,003Ec00000GONE1,Decision Maker,true,"
        "2024-03-10T10:00:00.000+0000\r\n"
        "00KEc00000ROL01,006Ec00000OPP01,003Ec00000CON01,Evaluator,false,"
        "2024-03-10T10:05:00.000+0000\r\n"
    ),
    "Task.csv": (
        "Id,WhoId,OwnerId,CreatedDate\r\n"
        "00TEc00000TSK01,003Ec00000CON01,005Ec00000AAAA1,2024-03-05T12:00:00.000+0000\r\n"
    ),
}
#: a week later, the colleague who attended the webinar joins the deal
LATER = {
    "OpportunityContactRole_2024-04-15.csv": (
        "Id,OpportunityId,ContactId,Role,IsPrimary,CreatedDate\r\n"
        f"00KEc00000ROL02,{to_18('006Ec00000OPP01')},{to_18('003Ec00000CON02')},Influencer,"
        "false,2024-04-12T10:00:00.000+0000\r\n"
    ),
}
#: then the contact who opened the deal leaves the CRM (the recycle bin)
GONE = {
    "Contact_2024-04-15.csv": (
        "Id,AccountId,LastName,Email,OwnerId,MQL_Date__c,IsDeleted,CreatedDate,SystemModstamp\r\n"
        "003Ec00000CON01,001Ec00000ACC01,Ames,ames@globex.example,005Ec00000AAAA1,"
        "2024-03-05T10:00:00.000+0000,true,2024-03-01T09:00:00.000+0000,"
        "2024-04-14T10:00:00.000+0000\r\n"
    ),
}
AS_OF = "2024-04-15T00:00:00+00:00"
MARTS = ("fct_lead_funnel", "fct_opportunities", "account_funnel", "campaign_attribution")


@pytest.fixture
def org(warehouse_db, tmp_path):
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    results = loader.load(warehouse_db, [write_batch(tmp_path, "01_20240410T000000Z", FIRST)])
    assert {r.status for r in results} == {"loaded"}, [r.reason for r in results]
    return warehouse_db


def _as_of():
    from datetime import datetime

    return datetime.fromisoformat(AS_OF)


def _marts(conn) -> dict[str, list[str]]:
    return {m: sorted(map(str, query(conn, f"select * from marts.{m}"))) for m in MARTS}


def _by_id(conn, sql: str) -> dict:
    return {row[0][:15]: row[1:] for row in query(conn, sql)}


@pytest.mark.slow
def test_contacts_are_persons_and_deals_have_people(org, tmp_path):
    transform.build(org, as_of=_as_of())
    persons = _by_id(
        org,
        "select lead_id, person_type, sla_status, acceptance_status, opportunity_id "
        "from marts.fct_lead_funnel",
    )
    opp = to_18("006Ec00000OPP01")
    assert persons == {
        "00QEc00000LEAD1": ("lead", "breached", "accepted", None),
        "003Ec00000CON01": ("contact", "met", "accepted", opp),  # its deal came after its MQL
        "003Ec00000CON02": ("contact", None, None, None),  # no role yet, never an MQL
    }
    deal = query(
        org,
        "select origin_person_id, origin_person_type, is_marketing_sourced, "
        "is_marketing_influenced, primary_campaign_id from marts.fct_opportunities",
    )
    # the primary role's contact is gone: the earliest other role's contact is the origin
    assert deal == [(to_18("003Ec00000CON01"), "contact", True, False, to_18("701Ec00000CMP01"))]
    credits = dict(
        query(
            org,
            "select attribution_model, sum(attributed_amount) from marts.campaign_attribution "
            "where attributed_amount > 0 group by 1",
        )
    )
    assert credits == {"primary_campaign": 10000}
    account = query(
        org,
        "select people, mqls, opportunities, won_amount, is_customer, is_marketing_influenced, "
        "days_first_touch_to_opportunity from marts.account_funnel",
    )
    assert account == [(2, 1, 1, 10000, True, False, 7)]

    issues = query(
        org, "select rule, record_id, person_type from marts.crm_hygiene_issues order by 1"
    )
    assert [(r, i[:15], p) for r, i, p in issues] == [
        ("lead_invalid_email", "003Ec00000CON02", "contact"),
        ("mql_not_followed_up", "00QEc00000LEAD1", "lead"),
    ]  # no LeadSource on Contact: lead_missing_source does not judge contacts
    assert (
        "salesforce: no contact lead source delivered (LeadSource): lead_source is empty; "
        "lead_missing_source (contacts) not applicable" in notes.lines(org)
    )
    report = hygiene.check(org, channels=[], docs_dir=tmp_path / "docs")
    source_rule = next(r for r in report.results if r.rule == "lead_missing_source")
    assert source_rule.status == "passed"  # it still judges the org's leads
    assert (
        "salesforce (contacts) never delivered contact.lead_source"
        in (source_rule.details["not_applicable"])
    )

    # a role added later: the colleague's webinar now influenced the deal
    loader.load(org, [write_batch(tmp_path, "02_20240415T000000Z", LATER)])
    transform.build(org, as_of=_as_of())
    assert query(org, "select is_marketing_influenced from marts.fct_opportunities") == [(True,)]
    credits = dict(
        query(
            org,
            "select attribution_model || ' ' || campaign_id, attributed_amount "
            "from marts.campaign_attribution where attributed_amount > 0",
        )
    )
    webinar, event = to_18("701Ec00000CMP02"), to_18("701Ec00000CMP01")
    assert credits == {
        f"first_touch {webinar}": 10000,
        f"last_touch {webinar}": 10000,
        f"linear {webinar}": 10000,
        f"position_based {webinar}": 10000,
        f"time_decay {webinar}": 10000,
        f"primary_campaign {event}": 10000,
    }
    colleague = _by_id(org, "select lead_id, opportunity_id from marts.fct_lead_funnel")
    assert colleague["003Ec00000CON02"] == (opp,)
    assert query(org, "select * from marts.account_funnel")[0][-2] is True  # influenced

    # the origin contact is deleted: the colleague's role is the earliest left
    loader.load(org, [write_batch(tmp_path, "03_20240415T010000Z", GONE)])
    transform.build(org, as_of=_as_of())
    deal = query(org, "select origin_person_id, is_marketing_sourced from marts.fct_opportunities")
    assert deal == [(to_18("003Ec00000CON02"), False)]  # never an MQL
    incremental = _marts(org)
    transform.build(org, as_of=_as_of(), full_refresh=True)
    assert _marts(org) == incremental


def test_an_org_without_contacts_is_told_what_its_figures_miss(warehouse_db, tmp_path):
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    leads_only = {k: v for k, v in FIRST.items() if k in ("User.csv", "Lead.csv")}
    loader.load(warehouse_db, [write_batch(tmp_path, "01_20240410T000000Z", leads_only)])
    transform.build(warehouse_db, as_of=_as_of())
    lines = notes.lines(warehouse_db)
    assert (
        "salesforce: no Contact.csv delivered yet: the funnel has no contacts created "
        "directly (only leads), and deals opened on an account have no people besides "
        "their origin lead" in lines
    ), lines
    assert "salesforce: no Account.csv delivered yet: account_funnel has no rows" in lines
    assert any(line.startswith("salesforce: no OpportunityContactRole.csv") for line in lines)
    assert query(warehouse_db, "select distinct person_type from marts.fct_lead_funnel") == [
        ("lead",)
    ]


def _credits(conn) -> dict[str, float]:
    return {
        f"{model} {campaign[:15]}": float(amount)
        for model, campaign, amount in query(
            conn,
            "select attribution_model, campaign_id, credit_amount "
            "from marts.fct_attribution_credits",
        )
    }


#: after the first build, what the credits are built from and no other mart (with
#: DBT_INDIRECT_SELECTION=cautious: no test of a mart left alone runs)
ATTRIBUTION = ["+campaign_attribution"]


def _credits_written(conn) -> int:
    """Rows of fct_attribution_credits its latest build wrote."""
    return query(
        conn,
        "select count(*) from marts.fct_attribution_credits where xmin = (select written_by "
        "from ops.model_writes where model = 'marts.fct_attribution_credits')",
    )[0][0]


@pytest.mark.slow
def test_attribution_credits_follow_the_deals_they_credit(org, tmp_path, monkeypatch):
    """fct_attribution_credits recomputes the deals fct_opportunities rewrote, drops the
    deals deleted at the source, reads everything after a full build of the deals or a
    change of the attribution settings, and keeps the credit of a campaign not delivered."""
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")
    transform.build(org, as_of=_as_of())
    assert _credits(org) == {"primary_campaign 701Ec00000CMP01": 10000}
    transform.build(org, as_of=_as_of(), select=ATTRIBUTION)  # nothing new: nothing recomputed
    assert _credits_written(org) == 0

    # the colleague joins the deal; they had attended the webinar and an event whose
    # Campaign record this org has not exported
    joined = {
        **LATER,
        "CampaignMember_2024-04-15.csv": (
            "Id,CampaignId,ContactId,CreatedDate\r\n"
            "00vEc00000MEM09,701Ec00000CMP09,003Ec00000CON02,2024-03-04T09:00:00.000+0000\r\n"
        ),
    }
    loader.load(org, [write_batch(tmp_path, "02_20240415T000000Z", joined)])
    # the conservation test holds: nothing is lost
    transform.build(org, as_of=_as_of(), select=ATTRIBUTION)
    assert _credits(org) == {
        "first_touch 701Ec00000CMP02": 10000,
        "last_touch 701Ec00000CMP09": 10000,
        "linear 701Ec00000CMP02": 5000,
        "linear 701Ec00000CMP09": 5000,
        "position_based 701Ec00000CMP02": 5000,
        "position_based 701Ec00000CMP09": 5000,
        "time_decay 701Ec00000CMP02": 4752.65,
        "time_decay 701Ec00000CMP09": 5247.35,
        "primary_campaign 701Ec00000CMP01": 10000,
    }
    assert _credits_written(org) == 9
    late = query(
        org,
        "select campaign_delivered, sum(attributed_amount) from marts.campaign_attribution "
        "where left(campaign_id, 15) = '701Ec00000CMP09' group by 1",
    )
    # its last touch, and its parts under linear, position_based and time_decay
    assert late == [(False, Decimal("25247.35"))]
    assert any(
        line.startswith("salesforce: 1 campaign(s) named by campaign members or opportunities")
        for line in notes.lines(org)
    )

    # a change of the settings recomputes every deal; a full build of the deals too
    transform.build(
        org, as_of=_as_of(), select=ATTRIBUTION, variables={"time_decay_half_life_days": 1}
    )
    assert _credits_written(org) == 9
    assert _credits(org)["time_decay 701Ec00000CMP09"] == 6666.66  # a day apart: 2 to 1
    # back to the default: again every deal
    transform.build(org, as_of=_as_of(), select=ATTRIBUTION)
    assert _credits_written(org) == 9
    transform.build(org, as_of=_as_of(), select=["fct_opportunities"], full_refresh=True)
    transform.build(org, as_of=_as_of(), select=["fct_attribution_credits"])
    assert _credits_written(org) == 9

    # the deal is deleted at the source (the recycle bin): its credits go
    deleted = {
        "Opportunity_2024-04-16.csv": (
            "Id,Name,AccountId,OwnerId,StageName,Amount,CloseDate,IsClosed,IsWon,CampaignId,"
            "Win_Loss_Reason__c,IsDeleted,CreatedDate\r\n"
            "006Ec00000OPP01,Globex expansion,001Ec00000ACC01,005Ec00000AAAA2,Closed Won,10000,"
            "2024-03-20,true,true,701Ec00000CMP01,Price,true,2024-03-10T10:00:00.000+0000\r\n"
        ),
    }
    loader.load(org, [write_batch(tmp_path, "03_20240416T000000Z", deleted)])
    transform.build(org, as_of=_as_of(), select=ATTRIBUTION)
    assert query(org, "select count(*) from marts.fct_opportunities") == [(0,)]
    assert _credits(org) == {}
    assert query(org, "select sum(attributed_amount) from marts.campaign_attribution") == [(0,)]
    dropped = query(org, "select model, record_id from ops.dropped_rows order by 1")
    assert ("marts.fct_opportunities", to_18("006Ec00000OPP01")) in dropped


def _accounts(conn) -> dict:
    return _by_id(
        conn,
        "select account_id, account_name, people, mqls, opportunities, won_amount "
        "from marts.account_funnel",
    )


@pytest.mark.slow
def test_account_funnel_recomputes_the_accounts_a_batch_touched(org, tmp_path):
    """A contact who moves to another account changes both (the old account is known
    only from the row the build replaces); a renamed account, a deleted deal and a
    deleted account too. Each incremental build rewrites only those accounts, and
    equals a full build."""
    second = {
        "Account_2024-04-11.csv": (
            "Id,Name,OwnerId,CreatedDate,SystemModstamp\r\n"
            "001Ec00000ACC02,Initech,005Ec00000AAAA2,2024-03-01T08:00:00.000+0000,"
            "2024-04-10T08:00:00.000+0000\r\n"
            "001Ec00000ACC03,Umbrella,005Ec00000AAAA2,2024-03-01T08:00:00.000+0000,"
            "2024-04-10T08:00:00.000+0000\r\n"
        ),
    }
    loader.load(org, [write_batch(tmp_path, "02_20240411T000000Z", second)])
    transform.build(org, as_of=_as_of())
    assert _accounts(org) == {
        "001Ec00000ACC01": ("Globex", 2, 1, 1, Decimal("10000")),
        "001Ec00000ACC02": ("Initech", 0, 0, 0, Decimal("0")),
        "001Ec00000ACC03": ("Umbrella", 0, 0, 0, Decimal("0")),
    }

    # Bo moves to Initech, Globex is renamed
    moved = {
        "Contact_2024-04-12.csv": (
            "Id,AccountId,LastName,Email,OwnerId,MQL_Date__c,CreatedDate,SystemModstamp\r\n"
            "003Ec00000CON02,001Ec00000ACC02,Bo,bo at globex,005Ec00000AAAA1,,"
            "2024-03-02T09:00:00.000+0000,2024-04-12T09:00:00.000+0000\r\n"
        ),
        "Account_2024-04-12.csv": (
            "Id,Name,OwnerId,CreatedDate,SystemModstamp\r\n"
            "001Ec00000ACC01,Globex Corp,005Ec00000AAAA2,2024-03-01T08:00:00.000+0000,"
            "2024-04-12T08:00:00.000+0000\r\n"
        ),
    }
    loader.load(org, [write_batch(tmp_path, "03_20240412T000000Z", moved)])
    transform.build(org, as_of=_as_of())
    assert _accounts(org) == {
        "001Ec00000ACC01": ("Globex Corp", 1, 1, 1, Decimal("10000")),
        "001Ec00000ACC02": ("Initech", 1, 0, 0, Decimal("0")),
        "001Ec00000ACC03": ("Umbrella", 0, 0, 0, Decimal("0")),
    }
    assert _written_accounts(org) == {"001Ec00000ACC01", "001Ec00000ACC02"}

    # the deal and Initech go to the recycle bin
    gone = {
        "Opportunity_2024-04-13.csv": (
            "Id,Name,AccountId,OwnerId,StageName,Amount,CloseDate,IsClosed,IsWon,CampaignId,"
            "Win_Loss_Reason__c,IsDeleted,CreatedDate\r\n"
            "006Ec00000OPP01,Globex expansion,001Ec00000ACC01,005Ec00000AAAA2,Closed Won,10000,"
            "2024-03-20,true,true,701Ec00000CMP01,Price,true,2024-03-10T10:00:00.000+0000\r\n"
        ),
        "Account_2024-04-13.csv": (
            "Id,Name,OwnerId,IsDeleted,CreatedDate,SystemModstamp\r\n"
            "001Ec00000ACC02,Initech,005Ec00000AAAA2,true,2024-03-01T08:00:00.000+0000,"
            "2024-04-13T08:00:00.000+0000\r\n"
        ),
    }
    loader.load(org, [write_batch(tmp_path, "04_20240413T000000Z", gone)])
    transform.build(org, as_of=_as_of())
    incremental = _accounts(org)
    assert incremental == {
        "001Ec00000ACC01": ("Globex Corp", 1, 1, 0, Decimal("0")),
        "001Ec00000ACC03": ("Umbrella", 0, 0, 0, Decimal("0")),
    }
    assert _written_accounts(org) == {"001Ec00000ACC01"}  # Initech's row only went
    assert query(org, "select count(*) from ops.changed_groups") == [(0,)]
    full = dict(_marts(org))
    transform.build(org, as_of=_as_of(), full_refresh=True)
    assert _accounts(org) == incremental and _marts(org) == full


def _written_accounts(conn) -> set[str]:
    """The accounts account_funnel's latest build wrote."""
    rows = query(
        conn,
        "select account_id from marts.account_funnel where xmin ="
        " (select written_by from ops.model_writes where model = 'marts.account_funnel')",
    )
    return {row[0][:15] for row in rows}
