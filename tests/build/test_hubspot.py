"""HubSpot as a source: an org's exports (tests/hubspot_org.py) in both header styles
load, build every mart as METRICS.md ("HubSpot") defines it, and give the same marts."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import hubspot_org
import pytest
from conftest import fresh_database, query, run_cli
from marts_vs_truth import differences, marts_figures, truth_figures

from revalign import generator
from revalign.build import notes, transform
from revalign.ingest import loader
from revalign.warehouse import schemas

AS_OF = datetime.fromisoformat(hubspot_org.AS_OF)

#: Every mart, ordered by its key, as BI reads it (timestamps as text).
MARTS = {
    "fct_lead_funnel": "lead_id",
    "fct_opportunities": "opportunity_id",
    "account_funnel": "account_id",
    "campaign_performance": "campaign_id",
    "campaign_attribution": "attribution_model, campaign_id",
    "alignment_scorecard": "month, team nulls first",
    "crm_hygiene_issues": "rule, record_id",
    "owner_hygiene_scorecard": "owner_id",
    "fct_opportunity_stages": "opportunity_id, entry_number",
    "stage_conversion": "month, source_system, stage_name",
    "win_loss_reasons": "month, is_won, reason, lead_source, team",
    "lead_rejection_reasons": "month, reason, lead_source, team",
}


def _built(conn, tmp_path: Path, style: str):
    schemas.set_up(conn, "revalign_bi_test", "x")
    batch = hubspot_org.write_batch(tmp_path / style / "hubspot" / "01_20240410T000000Z", style)
    results = loader.load(conn, [batch])
    assert {r.status for r in results} == {"loaded"}, [(r.path.name, r.reason) for r in results]
    assert sum(r.rows_rejected for r in results) == 0
    transform.build(conn, as_of=AS_OF)
    return conn


@pytest.fixture(scope="module")
def both_styles(warehouse_server, tmp_path_factory):
    """The org loaded from its API-style files and from HubSpot's own export, each in a
    database of its own."""
    tmp = tmp_path_factory.mktemp("hubspot")
    with fresh_database(warehouse_server) as names, fresh_database(warehouse_server) as labels:
        yield {"names": _built(names, tmp, "names"), "labels": _built(labels, tmp, "labels")}


@pytest.mark.parametrize("style", ["names", "labels"])
def test_the_funnel_of_hubspot_contacts_is_what_metrics_md_defines(both_styles, style):
    conn = both_styles[style]
    expected = hubspot_org.EXPECTED
    rows = query(
        conn,
        "select lead_id, person_type, source_system, sla_status, acceptance_status, "
        "opportunity_id from marts.fct_lead_funnel",
    )
    assert {r[0] for r in rows} == expected["persons"]
    assert {(r[1], r[2]) for r in rows} == {("contact", "hubspot")}
    assert {r[0]: r[3:] for r in rows} == expected["funnel"]


@pytest.mark.parametrize("style", ["names", "labels"])
def test_hubspot_deals_issues_accounts_and_attribution(both_styles, style):
    conn = both_styles[style]
    expected = hubspot_org.EXPECTED
    deals = query(
        conn,
        "select opportunity_id, origin_person_id, is_marketing_sourced, "
        "is_marketing_influenced, stage_name, is_closed, is_won from marts.fct_opportunities",
    )
    assert {d[0]: d[1:] for d in deals} == expected["opportunities"]
    issues = query(conn, "select rule, record_id from marts.crm_hygiene_issues")
    assert set(issues) == expected["issues"]
    accounts = query(
        conn,
        "select account_id, people, mqls, opportunities, open_pipeline_amount, won_amount, "
        "is_customer from marts.account_funnel",
    )
    assert {a[0]: a[1:] for a in accounts} == expected["accounts"]
    credits = query(
        conn,
        "select attribution_model, campaign_id, attributed_amount from marts.campaign_attribution "
        "where attributed_amount > 0",
    )
    found: dict[str, dict[str, float]] = {}
    for model, campaign, amount in credits:
        found.setdefault(model, {})[campaign] = amount
    assert found == expected["attribution"]
    # persona fit: the won deal's origin person (a contact: HubSpot has no leads)
    personas = query(
        conn,
        "select count(persona_alignment_index) from marts.alignment_scorecard "
        "where team is null and month = '2024-03-01'",
    )
    assert personas == [(1,)]
    # the MQL figures: HubSpot's MQL date is the contact's, delivered: counted, not unknown
    assert query(
        conn,
        "select month, mqls from marts.alignment_scorecard where team is null and mqls > 0 "
        "order by month",
    ) == query(
        conn,
        "select date_trunc('month', mql_at at time zone 'UTC')::date, count(*) "
        "from marts.fct_lead_funnel where mql_at is not null group by 1 order by 1",
    )
    assert query(conn, "select count(*) - count(mqls) from marts.campaign_performance") == [(0,)]


@pytest.mark.parametrize("style", ["names", "labels"])
def test_hubspot_deal_stage_history_makes_the_journey(both_styles, style):
    """The dealstage property history: a repeated stage is no new entry, a skipped stage
    is still reached (by a later one), a step back is an entry, a deal without history
    rows is in its current stage since creation; closed deals' reasons."""
    conn = both_styles[style]
    expected = hubspot_org.EXPECTED
    entries = query(
        conn,
        "select opportunity_id, stage_name, days_in_stage::float8, is_current "
        "from marts.fct_opportunity_stages order by opportunity_id, entry_number",
    )
    found: dict[str, list] = {}
    for deal, stage, days, current in entries:
        found.setdefault(deal, []).append((stage, days))
        assert current == (days is None)
    assert found == expected["stages"]
    conversion = query(
        conn,
        "select stage_name, opportunities_reached, median_days_to_reach::float8, won, "
        "opportunities_created from marts.stage_conversion where month = '2024-03-01'",
    )
    assert {c[0]: c[1:4] for c in conversion} == expected["conversion"]
    assert {c[4] for c in conversion} == {4}
    reasons = query(
        conn,
        "select to_char(month, 'YYYY-MM'), is_won, reason, lead_source, team, opportunities, "
        "amount from marts.win_loss_reasons",
    )
    assert {r[:5]: r[5:] for r in reasons} == expected["reasons"]


def test_label_and_name_style_exports_give_identical_marts(both_styles):
    for mart, order in MARTS.items():
        # email_key is keyed per warehouse (rv_email_key): compared as whether it is set
        sql = (
            f"select to_jsonb(m) - 'email_key' || jsonb_build_object('has_email_key', "
            f"to_jsonb(m) ? 'email_key' and to_jsonb(m) ->> 'email_key' is not null) "
            f"from marts.{mart} as m order by {order}"
        )
        names, labels = (query(both_styles[s], sql) for s in ("names", "labels"))
        assert names, mart
        for name_row, label_row in zip(names, labels, strict=True):
            differing = {k for k in name_row[0] if name_row[0][k] != label_row[0].get(k)}
            assert not differing, (mart, name_row[0], {k: label_row[0][k] for k in differing})


def test_hubspot_owners_by_team_and_what_hubspot_never_delivers(both_styles):
    conn = both_styles["names"]
    owners = query(
        conn,
        "select owner_id, team from marts.owner_hygiene_scorecard order by owner_id",
    )
    assert [o[:2] for o in owners] == [
        ("101", "Sales"),
        ("102", "Sales"),
        ("103", "Marketing"),
        ("104", "Sales"),
    ]
    lines = notes.lines(conn)
    # HubSpot has no leads, contact roles' primary flag or opportunity history: nothing
    # it lacks by design is reported as missing
    assert not [line for line in lines if line.startswith("hubspot:")], lines


@pytest.mark.slow
@pytest.mark.parametrize("crm", ["hubspot", "both"])
def test_generated_hubspot_batches_match_truth_incremental_and_full(warehouse_db, tmp_path, crm):
    """HubSpot alone and beside Salesforce in one warehouse: batch after batch (updates,
    archived records, new associations), then a full refresh, against truth.json."""
    out = tmp_path / "extracts"
    truth = generator.generate(out, leads=1200, seed=5, batches=3, crm=crm, workers=1)
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    loader.load(warehouse_db, [out / "plan"])
    sources = ["hubspot"] if crm == "hubspot" else ["salesforce", "hubspot"]
    for batch in range(3):
        for source in sources:
            loader.load(warehouse_db, [sorted((out / source).iterdir())[batch]])
        transform.build(warehouse_db)
    expected = truth_figures(truth)
    assert differences(expected, marts_figures(lambda sql: query(warehouse_db, sql))) == []
    transform.build(warehouse_db, full_refresh=True)
    assert differences(expected, marts_figures(lambda sql: query(warehouse_db, sql))) == []


def test_a_hubspot_field_never_delivered_is_named_and_its_figures_are_null(warehouse_db, tmp_path):
    """An export without the MQL date property: MQL figures are null for HubSpot, the
    rules that need it do not apply, and the build says so in one line."""
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    batch = hubspot_org.write_batch(tmp_path / "hubspot" / "01_20240410T000000Z", "names")
    contacts = batch / "contacts.csv"
    with contacts.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    dropped = "hs_lifecyclestage_marketingqualifiedlead_date"
    with contacts.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, [k for k in rows[0] if k != dropped], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    loader.load(warehouse_db, [batch])
    transform.build(warehouse_db, as_of=AS_OF)
    lines = notes.lines(warehouse_db)
    assert any(
        line.startswith(f"hubspot: no contact MQL date delivered ({dropped}): mqls")
        and "mql_not_followed_up (contacts) not applicable" in line
        for line in lines
    ), lines
    assert query(
        warehouse_db,
        "select count(mql_at), count(sla_status) from marts.fct_lead_funnel",
    ) == [(0, 0)]
    assert query(warehouse_db, "select count(mqls) from marts.alignment_scorecard") == [(0,)]
    rules = {
        r for (r,) in query(warehouse_db, "select distinct rule from marts.crm_hygiene_issues")
    }
    assert "mql_not_followed_up" not in rules and "lead_missing_source" in rules


def test_without_a_deal_stage_history_hubspot_is_left_out_of_the_journey(warehouse_db, tmp_path):
    """No deal property history delivered: no HubSpot row in the stage marts (not a
    guess from the current stage), the build says so in one line; the rest is built."""
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    batch = hubspot_org.write_batch(tmp_path / "hubspot" / "01_20240410T000000Z", "names")
    (batch / "deal_property_history.csv").unlink()
    loader.load(warehouse_db, [batch])
    transform.build(warehouse_db, as_of=AS_OF)
    lines = notes.lines(warehouse_db)
    assert (
        "hubspot: no deal_property_history.csv delivered yet: fct_opportunity_stages and "
        "stage_conversion have no HubSpot rows (no deal stage history)"
    ) in lines, lines
    counts = query(
        warehouse_db,
        "select (select count(*) from marts.fct_opportunity_stages), "
        "(select count(*) from marts.stage_conversion), "
        "(select count(*) from marts.win_loss_reasons), "
        "(select count(*) from marts.fct_opportunities)",
    )
    assert counts == [(0, 0, 2, 4)]


def test_revalign_run_takes_a_hubspot_batch_as_it_lands(warehouse_db, tmp_path):
    """`revalign run` on a batch folder of the landing zone's shape: loaded (its source
    told by its folder), built and checked."""
    batch = hubspot_org.write_batch(tmp_path / "hubspot" / "01_20240410T000000Z", "labels")
    env = {"REVALIGN_WAREHOUSE_URL": warehouse_db.url, "REVALIGN_BI_PASSWORD": "x"}
    out = run_cli("run", str(batch), "--as-of", hubspot_org.AS_OF, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "loaded" in out.stdout and "hubspot-crm-exports-all-contacts" in out.stdout
    assert query(
        warehouse_db, "select source_system, count(*) from marts.fct_lead_funnel group by 1"
    ) == [("hubspot", len(hubspot_org.EXPECTED["persons"]))]
    assert query(warehouse_db, "select count(*) > 0 from ops.check_runs") == [(True,)]
