"""CRM hygiene issues as time passes and records change, built incrementally: the rules
that move with as_of alone fire when as_of passes their moment without a record being
rewritten, and a person whose email twin changes is numbered again. Every step equals
a full build at the same as_of. Files as Data Loader writes them (CRLF, ISO 8601 with
milliseconds and +0000, 15-character ids)."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import query, write_batch

from revalign.build import transform
from revalign.ingest import loader
from revalign.warehouse import schemas

FIRST = {
    "User.csv": (
        "Id,Name,Email,IsActive,Department,Division\r\n"
        "005Ec00000AAAA1,Sam Seller,sam@acme.example,true,Sales,East\r\n"
    ),
    "Lead.csv": (
        "Id,LastName,Email,Company,LeadSource,Status,OwnerId,CreatedDate,SystemModstamp\r\n"
        "00QEc00000LEAD1,Ames,pat@globex.example,Globex,Web,Working,005Ec00000AAAA1,"
        "2024-03-01T09:00:00.000+0000,2024-03-01T09:00:00.000+0000\r\n"
        "00QEc00000LEAD2,Ames,Pat@Globex.example,Globex,Event,Working,005Ec00000AAAA1,"
        "2024-03-02T09:00:00.000+0000,2024-03-02T09:00:00.000+0000\r\n"
        "00QEc00000LEAD3,Bo,bo@initech.example,Initech,Web,Nurturing,005Ec00000AAAA1,"
        "2024-03-03T09:00:00.000+0000,2024-03-03T09:00:00.000+0000\r\n"
    ),
    "Task.csv": (
        "Id,WhoId,WhatId,OwnerId,CreatedDate\r\n"
        "00TEc00000TSK01,00QEc00000LEAD3,,005Ec00000AAAA1,2024-03-10T12:00:00.000+0000\r\n"
    ),
    "Campaign.csv": "Id,Name,Type,StartDate\r\n701Ec00000CMP01,Webinar,Webinar,2024-02-01\r\n",
    "CampaignMember.csv": (
        "Id,CampaignId,LeadId,CreatedDate\r\n"
        "00vEc00000MEM01,701Ec00000CMP01,00QEc00000LEAD1,2024-02-01T09:00:00.000+0000\r\n"
    ),
    "Opportunity.csv": (
        "Id,Name,OwnerId,StageName,Amount,CloseDate,IsClosed,IsWon,CreatedDate\r\n"
        "006Ec00000OPP01,Globex,005Ec00000AAAA1,Prospecting,5000,2024-04-20,false,false,"
        "2024-03-10T10:00:00.000+0000\r\n"
    ),
}
#: the first of the two persons with the same email corrects it
CORRECTED = {
    "Lead_2024-04-16.csv": (
        "Id,LastName,Email,Company,LeadSource,Status,OwnerId,CreatedDate,SystemModstamp\r\n"
        "00QEc00000LEAD1,Ames,pat.ames@globex.example,Globex,Web,Working,005Ec00000AAAA1,"
        "2024-03-01T09:00:00.000+0000,2024-04-16T09:00:00.000+0000\r\n"
    ),
}


def _issues(conn) -> list[tuple]:
    return sorted(
        (rule, record_id[:15], as_of.date().isoformat())
        for rule, record_id, as_of in query(
            conn, "select rule, record_id, as_of from marts.crm_hygiene_issues"
        )
    )


def _rewritten(conn) -> int:
    """Rows of int_hygiene_issues its latest build wrote."""
    return query(
        conn,
        "select count(*) from intermediate.int_hygiene_issues where xmin = (select written_by "
        "from ops.model_writes where model = 'intermediate.int_hygiene_issues')",
    )[0][0]


#: what the issues are built from, and no other mart (eight builds of the whole project
#: took most of this test's time); tested with DBT_INDIRECT_SELECTION=cautious, so
#: that no test of a mart left alone runs
HYGIENE = ["+crm_hygiene_issues"]


def _built(conn, day: str) -> list[tuple]:
    """The issues of an incremental build at ``day``, checked against a full one."""
    as_of = datetime.fromisoformat(f"{day}T00:00:00+00:00")
    transform.build(conn, as_of=as_of, select=HYGIENE)
    incremental = _issues(conn)
    written = _rewritten(conn)
    transform.build(conn, as_of=as_of, full_refresh=True, select=HYGIENE)
    assert _issues(conn) == incremental, day
    return incremental, written


@pytest.mark.slow(minutes=1.5)
def test_issues_follow_time_and_changed_records(warehouse_db, tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    loader.load(warehouse_db, [write_batch(tmp_path, "01_20240401T000000Z", FIRST)])

    issues, _ = _built(warehouse_db, "2024-04-01")
    # the same email (letter case aside): the later person is the duplicate; the
    # nurture lead and the deal were touched 22 days ago
    assert issues == [("lead_duplicate_email", "00QEc00000LEAD2", "2024-04-01")]

    # a fortnight on, nothing delivered: as_of alone makes the nurture lead untouched
    # and the deal stale; only as_of moved, yet the fortnight's issues are there
    issues, written = _built(warehouse_db, "2024-04-15")
    assert written == 0
    assert issues == [
        ("lead_duplicate_email", "00QEc00000LEAD2", "2024-04-15"),
        ("nurture_lead_untouched", "00QEc00000LEAD3", "2024-04-15"),
        ("opportunity_stale", "006Ec00000OPP01", "2024-04-15"),
    ]

    # the first person's email is corrected: the other one is no duplicate any more,
    # though only the first was delivered again
    loader.load(warehouse_db, [write_batch(tmp_path, "02_20240416T000000Z", CORRECTED)])
    issues, written = _built(warehouse_db, "2024-04-16")
    assert ("lead_duplicate_email", "00QEc00000LEAD2", "2024-04-16") not in issues
    assert written == 0  # the two persons were recomputed: neither has an issue left
    assert ("opportunity_past_close_date", "006Ec00000OPP01", "2024-04-16") not in issues

    # the day after CloseDate (UTC), the open deal is past its close date
    issues, _ = _built(warehouse_db, "2024-04-21")
    assert ("opportunity_past_close_date", "006Ec00000OPP01", "2024-04-21") in issues
