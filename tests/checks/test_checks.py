"""Hygiene checks (real GX against the real warehouse) and the alerts they send.

Alerts go to local receivers that really accept them: an SMTP server (aiosmtpd) and
an HTTP server standing in for Slack's incoming webhook and for a JSON webhook.
"""

from __future__ import annotations

import csv
import re
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import airflow_dags_test, airflow_env_for, fresh_database, query
from headless_chromium import open_page
from local_receivers import Receivers

from revalign import generator, settings
from revalign.build import moment, transform
from revalign.checks import hygiene
from revalign.ingest import loader
from revalign.warehouse import salesforce_ids, schemas

ALL_RULES = {
    "lead_missing_owner",
    "lead_missing_source",
    "lead_invalid_email",
    "lead_duplicate_email",
    "mql_not_followed_up",
    "rejected_without_reason",
    "opportunity_missing_amount",
    "opportunity_past_close_date",
    "opportunity_stale",
    "closed_without_reason",
    "opportunity_closed_before_created",
    "nurture_lead_untouched",
}


def _built(conn, out: Path, **generate) -> dict:
    """Generated extracts loaded batch by batch and built; returns truth.json."""
    truth = generator.generate(out, **generate)
    schemas.set_up(conn, "revalign_bi_test", "x")
    loader.load(conn, [out / "plan"])
    for batch in sorted((out / "salesforce").iterdir()):
        loader.load(conn, [batch])
    transform.build(conn)
    return truth


def _observed(conn, run_id: str) -> dict[str, int]:
    rows = query(
        conn,
        "select expectation, observed_value from ops.check_results "
        "where run_id = %s and suite = 'crm_hygiene'",
        (run_id,),
    )
    return {rule: int(value) for rule, value in rows}


@pytest.fixture(scope="module")
def built_db(warehouse_server, tmp_path_factory):
    """One generated, loaded and built warehouse for the tests that only read it."""
    with fresh_database(warehouse_server) as conn:
        _built(conn, tmp_path_factory.mktemp("extracts"), leads=300, seed=7)
        yield conn


@pytest.mark.parametrize("seed", [21, 22])
def test_failing_counts_per_rule_equal_truth(warehouse_db, tmp_path, seed):
    truth = _built(warehouse_db, tmp_path / "extracts", leads=500, seed=seed, batches=2)
    report = hygiene.check(warehouse_db, channels=[], docs_dir=tmp_path / "docs")

    assert set(truth["hygiene"]) == ALL_RULES
    assert _observed(warehouse_db, report.run_id) == truth["hygiene"]
    assert sum(truth["hygiene"].values()) > 0
    for row in query(
        warehouse_db,
        "select expectation, status, unexpected_share from ops.check_results "
        "where run_id = %s and suite = 'crm_hygiene'",
        (report.run_id,),
    ):
        _rule, status, share = row
        fail, warn = settings.hygiene_fail_share(), settings.hygiene_warn_share()
        expected = "failed" if share > fail else "warning" if share > warn else "passed"
        assert status == expected, row
    others = query(
        warehouse_db,
        "select suite, data_asset, expectation, status from ops.check_results "
        "where run_id = %s and suite <> 'crm_hygiene' and status <> 'passed'",
        (report.run_id,),
    )
    assert others == []
    runs = query(warehouse_db, "select checks, failures from ops.check_runs")
    assert runs == [(len(report.results), report.summary()["failed"])]


def test_every_check_passes_on_data_without_problems(warehouse_db, tmp_path):
    clean = dict.fromkeys(generator.world.DEFAULT_RATES, 0.0)
    truth = _built(warehouse_db, tmp_path / "extracts", leads=400, seed=5, rates=clean)
    assert not any(truth["hygiene"].values())
    report = hygiene.check(warehouse_db, channels=[], docs_dir=tmp_path / "docs")
    assert {(r.data_asset, r.check, r.status) for r in report.results if r.status != "passed"} == (
        set()
    )
    assert len([r for r in report.results if r.suite == "raw_contract"]) >= 3 * 8
    assert {r.check for r in report.results if r.suite == "crm_hygiene"} == ALL_RULES


def test_freshness_fails_when_the_newest_extract_is_too_old(built_db, tmp_path):
    late = moment.built(built_db) + timedelta(hours=settings.max_load_age_hours() + 1)
    assert hygiene.checked_at(built_db, late) is None
    report = hygiene.check(built_db, as_of=late, channels=[], docs_dir=tmp_path / "docs")
    assert hygiene.checked_at(built_db, late) is not None
    (freshness,) = [r for r in report.results if r.suite == "freshness"]
    assert freshness.status == "failed"
    assert freshness.observed_value == pytest.approx(settings.max_load_age_hours() + 1)


# --- Data Docs in a real browser ------------------------------------------------------

#: What a reader of a Data Docs page sees once it rendered: the libraries the pages load
#: from the site itself, bootstrap-table's rendered tables, Bootstrap's styles, the text.
DATA_DOCS_PAGE = """({
  jquery: typeof jQuery,
  tables: document.querySelectorAll('.bootstrap-table').length,
  navbar: getComputedStyle(document.querySelector('nav')).display,
  icons: getComputedStyle(document.querySelector('i.fas, i.fa') || document.body).fontFamily,
  text: document.body.innerText,
})"""


def test_data_docs_open_offline_and_show_the_failing_expectations(built_db, tmp_path):
    """The index and a validation page, in headless Chromium with the network off: every
    script and stylesheet comes from the site (offline_docs), nothing else is asked for."""
    report = hygiene.check(built_db, channels=[], docs_dir=tmp_path / "docs")
    failing = sorted(r.check for r in report.results if r.status == "failed")
    assert failing, "the generated data should fail some hygiene checks"
    (page,) = (tmp_path / "docs" / "validations" / "crm_hygiene").rglob("*.html")
    index = tmp_path / "docs" / "index.html"
    shown = {}
    for name, path in (("index", index), ("page", page)):
        opened = open_page(path.as_uri(), DATA_DOCS_PAGE, tmp_path / f"chromium-{name}")
        assert opened.requests == [] and opened.errors == [], (name, opened)
        assert opened.value["jquery"] == "function"  # the site's own jQuery ran
        assert opened.value["tables"] >= 1  # bootstrap-table rendered the tables
        assert opened.value["navbar"] == "flex"  # Bootstrap's stylesheet applies
        shown[name] = re.sub(r"\s+", " ", opened.value["text"])
    assert "Font Awesome" in opened.value["icons"]
    assert "marts.crm_hygiene" in shown["index"]
    assert f"Unsuccessful Expectations {len(failing)}" in shown["page"]
    for rule in failing:
        assert rule in shown["page"]


# --- alerts ---------------------------------------------------------------------------


def _expected_digests(conn) -> dict[str, set[tuple[str, str]]]:
    """Per active owner's email, the (record, rule) pairs of their open issues."""
    rows = query(
        conn,
        """
        select users.email, issues.record_id, issues.rule
        from marts.crm_hygiene_issues as issues
        inner join intermediate.int_users as users
            on issues.source_system = users.source_system and issues.owner_id = users.user_id
        where users.is_active
        """,
    )
    expected: dict[str, set] = {}
    for address, record, rule in rows:
        expected.setdefault(address, set()).add((record, rule))
    return expected


def _is_notice(subject_or_text: str) -> bool:
    """A notice to sales (revalign/checks/notices.py), not a hygiene alert."""
    return subject_or_text.lstrip("*").startswith("Campaign")


def _mailed(mails) -> dict[str, set[tuple[str, str]]]:
    """(record, rule) pairs per recipient, read off the HTML tables of the owner digests."""
    got: dict[str, set] = {}
    for mail in mails:
        if mail["X-Rcpt"] == "data-team@example.com" or _is_notice(mail["Subject"]):
            continue
        body = mail.get_body(("html",)).get_content()
        pairs = re.findall(
            r"<a href='https://crm.example.com/(\w+)'>\1</a></td><td>\w+</td><td>(\w+)</td>", body
        )
        assert pairs, body[:500]
        got.setdefault(mail["X-Rcpt"], set()).update(pairs)
    return got


def _owner_posts(posts) -> dict[str, set[tuple[str, str]]]:
    got: dict[str, set] = {}
    for post in posts:
        if post["kind"] == "owner_digest":
            got.setdefault(post["emails"][0], set()).update(
                (i["record_id"], i["rule"]) for i in post["issues"]
            )
    return got


def _rewrite_lead(extracts: Path, record_id: str, batch: str, **fields: str) -> Path:
    """A batch with one Lead row: the record's newest delivered version, fields replaced."""
    newest = None
    for path in sorted((extracts / "salesforce").glob("*/Lead*.csv")):
        with open(path, newline="", encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                if row["Id"][:15] == record_id[:15]:
                    newest = row
    assert newest is not None, record_id
    newest.update(fields)
    folder = extracts / "salesforce" / batch
    folder.mkdir()
    with open(folder / "Lead.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(newest))
        writer.writeheader()
        writer.writerow(newest)
    return folder


@pytest.mark.slow
def test_alerts_reach_owners_once_and_again_when_an_issue_returns(
    warehouse_db, tmp_path, receivers
):
    extracts = tmp_path / "extracts"
    _built(warehouse_db, extracts, leads=300, seed=8)
    docs = tmp_path / "docs"

    first = hygiene.check(warehouse_db, docs_dir=docs)
    expected = _expected_digests(warehouse_db)
    assert expected, "some active owner should have issues"
    assert _mailed(receivers.mails) == expected
    assert _owner_posts(receivers.posts["/hook"]) == expected
    summaries = [
        m
        for m in receivers.mails
        if m["X-Rcpt"] == "data-team@example.com" and not _is_notice(m["Subject"])
    ]
    assert len(summaries) == 2  # records without an active owner, and the run's summary
    slack_texts = [p["text"] for p in receivers.posts["/slack"] if not _is_notice(p["text"])]
    assert len(slack_texts) == len(expected) + 2
    assert all(d.status == "delivered" for d in first.deliveries)

    # The same issues again: nothing new for the owners, only the data team's summary.
    receivers.clear()
    hygiene.check(warehouse_db, docs_dir=docs)
    assert [m["X-Rcpt"] for m in receivers.mails] == ["data-team@example.com"]
    assert [p["kind"] for p in receivers.posts["/hook"]] == ["summary"]
    assert len(receivers.posts["/slack"]) == 1

    # One owner fixes a lead's source: no alert for it, and it is forgotten ...
    owner_email, record = next(
        (address, record)
        for address, pairs in sorted(expected.items())
        for record, rule in sorted(pairs)
        if rule == "lead_missing_source" and record.startswith("00Q")  # a lead, not a contact
    )
    stamp = "2026-11-01T07:00:00.000+0000"
    loader.load(
        warehouse_db,
        [_rewrite_lead(extracts, record, "03_20261101T070000Z", LeadSource="Web",
                       SystemModstamp=stamp)],
    )  # fmt: skip
    transform.build(warehouse_db)
    receivers.clear()
    hygiene.check(warehouse_db, docs_dir=docs)
    assert all(record not in str(p) for p in receivers.posts["/hook"])
    assert query(
        warehouse_db,
        "select count(*) from ops.alerted_issues where record_id = %s and rule = %s",
        (record, "lead_missing_source"),
    ) == [(0,)]

    # ... so when it comes back, its owner hears about it again.
    loader.load(
        warehouse_db,
        [_rewrite_lead(extracts, record, "04_20261101T080000Z", LeadSource="",
                       SystemModstamp="2026-11-01T08:00:00.000+0000")],
    )  # fmt: skip
    transform.build(warehouse_db)
    receivers.clear()
    hygiene.check(warehouse_db, docs_dir=docs)
    assert (record, "lead_missing_source") in _mailed(receivers.mails).get(owner_email, set())
    assert (record, "lead_missing_source") in _owner_posts(receivers.posts["/hook"])[owner_email]


def test_an_owner_in_both_crms_gets_one_digest_linking_each_record_to_its_crm(
    warehouse_db, tmp_path, receivers, monkeypatch
):
    """Salesforce and HubSpot side by side: the same person owns records in both (one
    email in both user lists) and gets one digest, each record linked into its CRM."""
    monkeypatch.setenv("REVALIGN_HUBSPOT_HUB_ID", "4711")
    out = tmp_path / "extracts"
    generator.generate(out, leads=300, seed=8, crm="both", workers=1)
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    loader.load(warehouse_db, [out / "plan", out / "salesforce", out / "hubspot"])
    transform.build(warehouse_db)
    report = hygiene.check(warehouse_db, docs_dir=tmp_path / "docs")
    # HubSpot's raw files meet the extract contract (epoch-millisecond times included)
    contract = [r for r in report.results if r.data_asset.startswith("raw.hubspot__")]
    assert contract and all(r.status == "passed" for r in contract), [
        (r.data_asset, r.check) for r in contract if r.status != "passed"
    ]

    expected = _expected_digests(warehouse_db)  # per email: both CRMs' records
    owner_mails = [
        m
        for m in receivers.mails
        if m["X-Rcpt"] != "data-team@example.com" and not _is_notice(m["Subject"])
    ]
    assert sorted(m["X-Rcpt"] for m in owner_mails) == sorted(expected)  # one each
    got: dict[str, set] = {}
    crms_of: dict[str, set] = {}
    for mail in owner_mails:
        body = mail.get_body(("html",)).get_content()
        for link, record, rule in re.findall(
            r"<a href='([^']+)'>(\w+)</a></td><td>\w+</td><td>(\w+)</td>", body
        ):
            got.setdefault(mail["X-Rcpt"], set()).add((record, rule))
            if link.startswith("https://app.hubspot.com/"):
                assert re.fullmatch(
                    rf"https://app\.hubspot\.com/contacts/4711/record/0-[13]/{record}", link
                )
                crms_of.setdefault(mail["X-Rcpt"], set()).add("hubspot")
            else:
                assert link == f"https://crm.example.com/{record}"
                crms_of.setdefault(mail["X-Rcpt"], set()).add("salesforce")
    assert got == expected
    assert any(crms == {"hubspot", "salesforce"} for crms in crms_of.values())

    # the owner scorecard has the same people, each once, with an id per CRM
    owners = query(
        warehouse_db,
        "select owner_ids from marts.owner_hygiene_scorecard where cardinality(owner_ids) = 2",
    )
    assert owners
    assert all({i.split(":")[0] for i in ids} == {"hubspot", "salesforce"} for (ids,) in owners)


def test_an_alert_that_cannot_be_delivered_is_retried_logged_and_does_not_fail_the_run(
    built_db, tmp_path, monkeypatch
):
    monkeypatch.setenv("REVALIGN_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/nobody-listens")
    monkeypatch.setenv("REVALIGN_ALERT_ATTEMPTS", "2")
    report = hygiene.check(built_db, docs_dir=tmp_path / "docs")

    assert report.deliveries and all(d.status == "failed" for d in report.deliveries)
    assert all(d.attempts == 2 and "Connection refused" in d.error for d in report.deliveries)
    logged = query(
        built_db,
        "select count(*) from ops.alert_deliveries where run_id = %s and status = 'failed'",
        (report.run_id,),
    )
    assert logged == [(len(report.deliveries),)]
    assert query(built_db, "select count(*) from ops.alerted_issues") == [(0,)]
    assert "campaign_notice" in {d.kind for d in report.deliveries}
    assert query(built_db, "select count(*) from ops.campaign_notices") == [(0,)]  # next run
    stored = query(
        built_db, "select count(*) from ops.check_results where run_id = %s", (report.run_id,)
    )
    assert stored == [(len(report.results),)]


def test_check_hygiene_runs_under_airflow(airflow_env, built_db, tmp_path):
    """`airflow dags test check_hygiene` runs the real checkpoint through the connection,
    and sends the notices to sales after it: once, never again at the next check."""
    before = {run for (run,) in query(built_db, "select run_id from ops.check_runs")}
    receivers = Receivers()
    env = {
        **airflow_env_for(airflow_env, built_db),
        "REVALIGN_DATA_DOCS_DIR": str(tmp_path / "docs"),
        "REVALIGN_ALERT_WEBHOOK_URL": receivers.http_url + "/hook",
    }
    try:
        for run in range(2):
            airflow_dags_test(env, "check_hygiene")
            posts = receivers.posts["/hook"]
            notices = {
                (p["recipient"], c["campaign_id"])
                for p in posts
                if p["kind"] == "campaign_notice"
                for c in p["campaigns"]
            }
            if run == 0:
                expected = set(
                    query(
                        built_db,
                        "select distinct owner_id, campaign_id "
                        "from intermediate.check_campaign_notices where owner_is_active",
                    )
                )
                assert expected and notices == expected
            else:
                assert notices == set()
            receivers.clear()
    finally:
        receivers.stop()
    runs = query(built_db, "select run_id, checks from ops.check_runs")
    new = [checks for run, checks in runs if run not in before]
    assert len(new) == 2 and new[0] > 30
    assert (tmp_path / "docs" / "index.html").exists()


# --- notices to sales -------------------------------------------------------------------


def _notices(posts) -> list[tuple[str, str, str, list[str]]]:
    """(owner email, campaign id, start date, account ids) of each notice the webhook got
    (an owner's digest has one per campaign)."""
    return [
        (
            p["emails"][0],
            c["campaign_id"],
            c["start_date"],
            sorted(a["account_id"] for a in c["accounts"]),
        )
        for p in posts
        if p["kind"] == "campaign_notice"
        for c in p["campaigns"]
    ]


def _salesforce_row(extracts: Path, obj: str, **fields: str) -> dict:
    """A row of ``obj`` as the generated files write it, its fields replaced."""
    path = next(iter(sorted((extracts / "salesforce").glob(f"01_*/{obj}.csv"))))
    with open(path, newline="", encoding="utf-8-sig") as f:
        row = next(csv.DictReader(f))
    return {**row, **fields}


def _write_batch(folder: Path, rows: dict[str, list[dict]]) -> Path:
    folder.mkdir(parents=True)
    for obj, objects in rows.items():
        with open(folder / f"{obj}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(objects[0]))
            writer.writeheader()
            writer.writerows(objects)
    return folder


def test_notices_tell_owners_once_and_again_only_for_new_accounts(
    warehouse_db, tmp_path, receivers, monkeypatch
):
    """A campaign reaching customers and accounts with open deals notifies exactly their
    owners, once per campaign (truth.json); nothing again on the next check; an account
    of theirs joining later sends one more notice with only that account; a campaign
    announced before its start date is noticed before it starts; a campaign reaching
    only prospects sends nothing."""
    extracts = tmp_path / "extracts"
    truth = _built(warehouse_db, extracts, leads=300, seed=8)
    emails = dict(query(warehouse_db, "select user_id, email from intermediate.int_users"))
    expected: dict[tuple[str, str], set[str]] = {}
    for _, campaign, owner, account in truth["notices"]:
        expected.setdefault((emails[owner], campaign), set()).add(account)
    assert expected, "the generated world should have campaigns reaching worked accounts"

    # the webhook is down: the check runs, its notices fail, and nothing is remembered
    with monkeypatch.context() as down:
        down.setenv("REVALIGN_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/nobody-listens")
        down.setenv("REVALIGN_ALERT_ATTEMPTS", "1")
        report = hygiene.check(warehouse_db, docs_dir=tmp_path / "docs")
    failed = {d.kind for d in report.deliveries if d.status == "failed"}
    assert {"campaign_notice", "notice_summary"} <= failed
    assert query(
        warehouse_db, "select count(*) from ops.campaign_notices where channel = 'webhook'"
    ) == [(0,)]  # (email and Slack were up: their notices went out)

    # up again: the next check sends them
    hygiene.check(warehouse_db, docs_dir=tmp_path / "docs")
    sent = _notices(receivers.posts["/hook"])
    assert len(sent) == len(expected)  # one per owner and campaign
    assert {(e, c): set(a) for e, c, _, a in sent} == expected
    notice_mails = [
        m
        for m in receivers.mails
        if _is_notice(m["Subject"]) and m["X-Rcpt"] != "data-team@example.com"
    ]
    assert sorted(m["X-Rcpt"] for m in notice_mails) == sorted({e for e, _ in expected})
    summary = [p for p in receivers.posts["/hook"] if p["kind"] == "notice_summary"]
    assert len(summary) == 1 and len(summary[0]["notices"]) == len(expected)

    receivers.clear()
    hygiene.check(warehouse_db, docs_dir=tmp_path / "docs")
    assert _notices(receivers.posts["/hook"]) == []  # never twice

    # Later: an account of an owner joins a campaign they heard of; a new campaign, not
    # started yet, reaches one of their accounts; another reaches only a prospect.
    ((owner, campaign, told),) = query(
        warehouse_db,
        "select owner_id, campaign_id, array_agg(account_id) from ops.campaign_notices "
        "where channel = 'webhook' group by 1, 2 order by count(*), 1, 2 limit 1",
    )
    account, person = query(
        warehouse_db,
        """
        select notices.account_id, contacts.contact_id
        from intermediate.check_campaign_notices as notices
        inner join intermediate.int_contacts as contacts
            on notices.account_id = contacts.account_id
        where notices.owner_id = %s and notices.account_id <> all(%s)
        order by 1, 2 limit 1
        """,
        (owner, told),
    )[0]
    (prospect,) = query(
        warehouse_db,
        "select lead_id from intermediate.int_leads where account_id is null order by 1 limit 1",
    )[0]
    as_of = moment.built(warehouse_db)
    start = (as_of + timedelta(days=14)).date().isoformat()
    stamp = (as_of + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    upcoming, prospects_only = (salesforce_ids.make("701", n) for n in (90_001, 90_002))
    campaigns = [
        _salesforce_row(extracts, "Campaign", Id=upcoming, Name="Customer summit",
                        Type="Event", StartDate=start, Status="Planned", SystemModstamp=stamp,
                        CreatedDate=stamp),
        _salesforce_row(extracts, "Campaign", Id=prospects_only, Name="Cold outreach",
                        Type="Email", Status="Planned", SystemModstamp=stamp, CreatedDate=stamp),
    ]  # fmt: skip
    members = [
        _salesforce_row(extracts, "CampaignMember", Id=salesforce_ids.make("00v", 90_000 + n),
                        CampaignId=c,
                        LeadId=lead or "", ContactId=contact or "", FirstRespondedDate="",
                        CreatedDate=stamp, SystemModstamp=stamp)
        for n, (c, lead, contact) in enumerate(
            [(campaign, None, person), (upcoming, None, person), (prospects_only, prospect, None)]
        )
    ]  # fmt: skip
    batch = _write_batch(
        extracts / "salesforce" / "04_later",
        {"Campaign": campaigns, "CampaignMember": members},
    )
    loader.load(warehouse_db, [batch])
    transform.build(warehouse_db)
    receivers.clear()
    hygiene.check(warehouse_db, docs_dir=tmp_path / "docs")
    sent = _notices(receivers.posts["/hook"])
    reached = set(
        query(
            warehouse_db,
            "select owner_id, campaign_id from intermediate.check_campaign_notices "
            "where account_id = %s and campaign_id in (%s, %s)",
            (account, campaign, upcoming),
        )
    )
    assert len(sent) == len(reached) and (owner, campaign) in reached
    assert {(c, tuple(a)) for _, c, _, a in sent} == {
        (c, (account,)) for _, c in reached
    }  # only the new account, for the old campaign and the new one
    assert {s for _, c, s, _ in sent if c == upcoming} == {start}  # before it starts
    assert all(c != prospects_only for _, c, _, _ in sent)
