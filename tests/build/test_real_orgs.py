"""An org as real orgs deliver it: Data Loader files with the fields someone ticked (no
SystemModstamp), its own custom-field names, no win/loss reason field, its own stage
names, deals imported from an older CRM, a lead owned by someone who is not in the User
extract. The marts say what METRICS.md says ("Delivered, blank and missing", the
scorecard's months, owners and stages) and every build and check says what is missing.
"""

from __future__ import annotations

import pytest
from conftest import query, run_cli, write_batch

from revalign import report
from revalign.build import notes, transform
from revalign.checks import hygiene
from revalign.ingest import loader
from revalign.report import figures
from revalign.warehouse import schemas

FILES = {
    # Data Loader: chosen fields, no SystemModstamp, CRLF, a byte-order mark
    "User.csv": (
        "\ufeffId,Name,Email,IsActive,Department,Division\r\n"
        "005Ec00000AAAA1,Sam Seller,sam@acme.example,true,Sales,East\r\n"
        "005Ec00000AAAA2,Ann Closer,ann@acme.example,true,Sales,East\r\n"
        "005Ec00000AAAA3,Mo Marketer,mo@acme.example,true,Marketing,\r\n"
    ),
    "Lead.csv": (
        "Id,LastName,Email,Company,LeadSource,Status,OwnerId,IsConverted,"
        "ConvertedOpportunityId,First_Mql_Date__c,CreatedDate,LastModifiedDate\r\n"
        "00QEc00000LEAD1,Lee,lee@a.example,A,Web,Working,005Ec00000AAAA1,false,,"
        "2024-03-02T10:00:00.000+0000,2024-03-01T09:00:00.000+0000,2024-03-02T10:00:00.000+0000\r\n"
        "00QEc00000LEAD2,Kim,kim@b.example,B,Webinar,Converted,005Ec00000AAAA1,true,"
        "006Ec00000OPP02,2024-03-03T10:00:00.000+0000,2024-03-01T11:00:00.000+0000,"
        "2024-03-10T10:00:00.000+0000\r\n"
        # owned by someone who is not in the User extract
        "00QEc00000LEAD3,Roe,roe@c.example,C,Web,Open,005Ec00000ZZZZ9,false,,,"
        "2024-03-04T11:00:00.000+0000,2024-03-04T11:00:00.000+0000\r\n"
    ),
    "Opportunity.csv": (
        "Id,Name,OwnerId,StageName,Amount,CloseDate,IsClosed,IsWon,CreatedDate\r\n"
        # imported in 2024 from the old CRM: closed in 2023
        "006Ec00000OPP01,Old deal,005Ec00000AAAA2,Closed Won,5000,2023-03-15,true,true,"
        "2024-02-05T08:00:00.000+0000\r\n"
        "006Ec00000OPP02,Kim deal,005Ec00000AAAA2,Discovery,12000,2024-06-30,false,false,"
        "2024-03-10T10:00:00.000+0000\r\n"
        "006Ec00000OPP03,Lost one,005Ec00000AAAA2,Closed Lost,3000,2024-03-20,true,false,"
        "2024-03-12T10:00:00.000+0000\r\n"
        "006Ec00000OPP04,Quote,005Ec00000AAAA2,Proposal/Quote,8000,2024-05-30,false,false,"
        "2024-03-14T10:00:00.000+0000\r\n"
    ),
    "Task.csv": (
        "Id,WhoId,WhatId,OwnerId,CreatedDate\r\n"
        "00TEc00000TASK1,00QEc00000LEAD2,,005Ec00000AAAA1,2024-03-03T12:00:00.000+0000\r\n"
    ),
}
AS_OF = "2024-04-10T00:00:00+00:00"
MAPPING = {"salesforce_field_names": {"mql_date": "First_Mql_Date__c"}}


@pytest.fixture
def org(warehouse_db, tmp_path):
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    results = loader.load(warehouse_db, [write_batch(tmp_path, "01_20240410T000000Z", FILES)])
    assert [r.status for r in results] == ["loaded"] * 4, [r.reason for r in results]
    return warehouse_db


def test_a_field_never_delivered_is_named_and_its_figures_are_null(org):
    transform.build(org, as_of=_as_of())  # no mapping: the org's MQL date is not found
    lines = notes.lines(org)
    assert (
        "salesforce: no MQL date delivered (MQL_Date__c): mqls, mql_attainment, sla_status, "
        "sla_met_rate, median_first_touch_hours, acceptance_status, acceptance_rate, "
        "mql_to_opportunity_rate, is_marketing_sourced, marketing_sourced_pipeline_share, "
        "win_rate_marketing_sourced, win_rate_sales_sourced, persona_alignment_index are "
        "empty; mql_not_followed_up not applicable; map it with salesforce_field_names.mql_date"
    ) in lines
    rows = query(
        org,
        "select count(*), count(mqls), count(marketing_sourced_pipeline_share), "
        "count(win_rate_sales_sourced) from marts.alignment_scorecard",
    )
    assert rows == [(rows[0][0], 0, 0, 0)]  # null, not 0
    assert query(org, "select distinct is_marketing_sourced from marts.fct_opportunities") == [
        (None,)
    ]


def test_the_org_gets_the_figures_metrics_md_defines(org):
    transform.build(org, as_of=_as_of(), variables=MAPPING)
    lines = notes.lines(org)
    assert (
        "salesforce: no win/loss reason delivered (Win_Loss_Reason__c): win_loss_reason, "
        "win_loss_reason_coverage are empty; closed_without_reason not applicable; map it "
        "with salesforce_field_names.win_loss_reason"
    ) in lines
    assert any(
        line.startswith(
            "salesforce: stage(s) not in the stage order: 'Discovery' (1), "
            "'Proposal/Quote' (1); opportunity_missing_amount cannot judge"
        )
        for line in lines
    ), lines
    assert not any("MQL date" in line for line in lines)

    issues = query(org, "select rule, record_id from marts.crm_hygiene_issues order by 1, 2")
    rules = {rule for rule, _ in issues}
    assert "closed_without_reason" not in rules  # the org has no such field
    assert ("opportunity_closed_before_created", "006Ec00000OPP01AAB") in [
        (rule, record[:15] + "AAB") for rule, record in issues
    ]
    missing_owner = [r for rule, r in issues if rule == "lead_missing_owner"]
    assert [r[:15] for r in missing_owner] == ["00QEc00000LEAD3"]  # owner not a user

    months = query(
        org,
        "select month::text, is_complete_month, mqls, marketing_sourced_pipeline_share, "
        "win_loss_reason_coverage from marts.alignment_scorecard where team is null order by 1",
    )
    assert months[0][0] == "2023-03-01"  # the imported deal closed then
    assert months[-1][:2] == ("2024-04-01", False)
    assert all(complete for _, complete, *_ in months[:-1])
    by_month = {m[0]: m for m in months}
    assert by_month["2024-02-01"][3] == 0  # pipeline, none of it marketing-sourced: 0
    assert by_month["2024-03-01"][2] == 2  # MQLs of the org's own MQL field
    assert all(m[4] is None for m in months)  # no reason field delivered: no coverage
    cycle = query(
        org,
        "select sales_cycle_days from marts.fct_opportunities where opportunity_id like "
        "'006Ec00000OPP01%%'",
    )
    assert cycle[0][0] < 0


def test_check_says_not_applicable_and_alerts_nobody_about_it(org, tmp_path):
    transform.build(org, as_of=_as_of(), variables=MAPPING)
    report = hygiene.check(org, channels=[], docs_dir=tmp_path / "docs")
    by_rule = {r.rule: r for r in report.results if r.suite == "crm_hygiene"}
    assert by_rule["closed_without_reason"].status == "not_applicable"
    assert "salesforce never delivered opportunity.win_loss_reason" in (
        by_rule["closed_without_reason"].threshold
    )
    stored = query(
        org,
        "select status from ops.check_results where rule = 'closed_without_reason' and run_id = %s",
        (report.run_id,),
    )
    assert stored == [("not_applicable",)]
    text = hygiene.format_report(report)
    assert "n/a" in text and "closed_without_reason" in text
    pages = "".join(p.read_text() for p in (tmp_path / "docs").rglob("*.html"))
    assert (
        "closed_without_reason: not applicable to: salesforce never delivered "
        "opportunity.win_loss_reason" in pages
    )


def test_check_before_any_build_says_to_build_first(warehouse_db):
    env = {"REVALIGN_WAREHOUSE_URL": warehouse_db.url, "REVALIGN_BI_PASSWORD": "x"}
    out = run_cli("check", env=env)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert "run revalign build first" in out.stderr


def _as_of():
    from revalign.build import moment

    return moment.parse(AS_OF)


def test_the_orgs_opportunity_stages_are_its_stage_order(org, tmp_path):
    batch = tmp_path / "salesforce" / "02_20240411T000000Z"
    batch.mkdir(parents=True)
    (batch / "OpportunityStage.csv").write_text(
        "Id,MasterLabel,SortOrder,IsActive,IsClosed,IsWon\n"
        "01JEc00000STG01,Discovery,1,true,false,false\n"
        "01JEc00000STG02,Needs Analysis,2,true,false,false\n"
        "01JEc00000STG03,Proposal/Quote,3,true,false,false\n"
        "01JEc00000STG04,Closed Won,4,true,true,true\n"
        "01JEc00000STG05,Closed Lost,5,true,true,false\n"
    )
    loader.load(org, [batch])
    transform.build(org, as_of=_as_of(), variables=MAPPING)
    lines = notes.lines(org)
    assert not any("not in the stage order" in line for line in lines)
    assert not any("amount_required_from_stage" in line for line in lines)  # it has one
    order = query(
        org,
        "select stage_name, stage_position from intermediate.int_stage_order "
        "where source_system = 'salesforce' order by 2",
    )
    assert [name for name, _ in order] == [
        "Discovery",
        "Needs Analysis",
        "Proposal/Quote",
        "Closed Won",
        "Closed Lost",
    ]
    # the org retires the stage amounts are required from: the rule cannot judge, and says so
    later = tmp_path / "salesforce" / "03_20240412T000000Z"
    later.mkdir(parents=True)
    (later / "OpportunityStage.csv").write_text(
        "Id,MasterLabel,SortOrder,IsActive,IsClosed,IsWon,LastModifiedDate\n"
        "01JEc00000STG02,Needs Analysis,2,false,false,false,2024-04-12T00:00:00Z\n"
    )
    loader.load(org, [later])
    transform.build(org, as_of=_as_of(), variables=MAPPING)
    assert (
        "salesforce: its stage order has no stage 'Needs Analysis' (amount_required_from_stage): "
        "opportunity_missing_amount cannot judge its opportunities; set "
        "amount_required_from_stage in dbt_project.yml to one of its stages"
    ) in notes.lines(org)


def test_a_few_unreadable_records_stay_out_and_everyone_elses_figures_build(warehouse_db, tmp_path):
    """1 bad record among 150 (under cast_failure_error_share): the build succeeds, the
    record is left out of the marts and listed with its file, row and fields."""
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    batch = tmp_path / "salesforce" / "01_20240410T000000Z"
    batch.mkdir(parents=True)
    rows = [f"00QEc0000{n:06d},Open,2024-03-0{1 + n % 9}T10:00:00.000Z" for n in range(149)]
    rows.insert(70, "00QEc0000BAD001,Open,2024-02-30T10:00:00.000Z")  # no such day
    (batch / "Lead.csv").write_text("Id,Status,CreatedDate\n" + "\n".join(rows) + "\n")
    loader.load(warehouse_db, [batch])
    transform.build(warehouse_db, as_of=_as_of())
    assert query(warehouse_db, "select count(*) from marts.fct_lead_funnel") == [(149,)]
    assert query(
        warehouse_db,
        "select object, file_name, row_number, fields from ops.unreadable_records",
    ) == [("Lead", "Lead.csv", 71, ["createddate"])]
    assert (
        "salesforce Lead: 1 record(s) kept out of the marts: a value cannot be read as its "
        "declared type (e.g. Lead.csv row 71); see ops.unreadable_records"
    ) in notes.lines(warehouse_db)


def test_the_report_says_what_was_never_delivered_instead_of_drawing_it(org, tmp_path):
    """METRICS.md: a field never delivered is not a blank. The report names it, and the
    setting that maps it, where its charts would be; it draws no empty chart."""
    transform.build(org, as_of=_as_of())  # no mapping: the org's MQL date is not found
    found = report.gather(org)
    unavailable = {s.key: s.unavailable for s in found.sections if s.unavailable}
    mql_date = (
        "salesforce: no MQL date delivered (MQL_Date__c), map it with "
        "salesforce_field_names.mql_date"
    )
    for key in ("leads", "follow_up", "quality", "persona"):
        assert unavailable[key] == [mql_date]
    assert unavailable["campaigns"] == ["salesforce: no CampaignMember.csv delivered yet"]
    drawn = {s.key for s in found.sections if any(not c.empty for c in s.charts)}
    assert drawn.isdisjoint(unavailable)
    page = report.render(found)
    assert page.count('class="unavailable"') == len(unavailable)
    assert mql_date in page
    # the deals: won and lost reasons are unknown (no reason field), not "none given"
    (win_loss,) = [s for s in found.sections if s.key == "win_loss"]
    assert {row[1] for row in win_loss.tables[0].rows} == {figures.UNKNOWN_REASON}
