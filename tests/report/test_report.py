"""The alignment report in a real browser, and the weekly brief through local receivers.

The report is opened in headless Chromium with the network off (tests/headless_chromium.py):
every chart must render, nothing may be asked of another host, the console stays quiet,
and the numbers on the page equal the marts. The brief goes to a local SMTP server and a
local HTTP server (tests/local_receivers.py), once per week and recipient.
"""

from __future__ import annotations

import os
import re
import subprocess
import urllib.error
import urllib.request
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import BIN, airflow_dags_test, airflow_env_for, fresh_database, query, run_cli
from headless_chromium import open_page
from local_receivers import Receivers

from revalign import generator, report
from revalign.build import transform
from revalign.checks import hygiene
from revalign.ingest import loader
from revalign.report import brief, figures
from revalign.warehouse import schemas

#: What the page shows, read from its DOM once rendered.
PAGE = """({
  charts: [...document.querySelectorAll('svg.chart')].map(s => ({
    title: s.getAttribute('aria-label'),
    width: s.getBoundingClientRect().width,
    height: s.getBoundingClientRect().height,
    shapes: s.querySelectorAll('path, rect, line, use').length,
  })),
  headline: Object.fromEntries([...document.querySelectorAll('[data-figure]')].map(
    e => [e.dataset.figure, [e.dataset.value, e.dataset.previous]])),
  tables: Object.fromEntries([...document.querySelectorAll('table[data-table]')].map(
    t => [t.dataset.table, [...t.rows].slice(1).map(r => [...r.cells].map(c => c.textContent))])),
  unavailable: [...document.querySelectorAll('[data-unavailable]')].map(e => e.dataset.unavailable),
  sections: [...document.querySelectorAll('section h2')].map(h => h.textContent),
})"""


@pytest.fixture(scope="module")
def checked_db(warehouse_server, tmp_path_factory):
    """Generated extracts of both CRMs, loaded, built and checked once."""
    out = tmp_path_factory.mktemp("extracts")
    with fresh_database(warehouse_server) as conn:
        generator.generate(out, leads=600, seed=17, batches=1, crm="both")
        schemas.set_up(conn, "revalign_bi_test", "x")
        loader.load(conn, [out])
        transform.build(conn)
        hygiene.check(conn, channels=[], docs_dir=_data_docs(tmp_path_factory))
        yield conn


def _data_docs(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp() / "report-data-docs"


def test_the_report_renders_offline_and_shows_the_marts(checked_db, tmp_path):
    path = report.write(checked_db, out=tmp_path / "report.html")
    page = open_page(path.as_uri(), PAGE, tmp_path / "chromium")
    assert page.requests == []  # no request to any other host
    assert page.errors == []  # no console error, no failed load
    shown = page.value

    found = report.gather(checked_db)
    drawn = [c.title for s in found.sections for c in s.charts if not c.empty]
    assert [c["title"] for c in shown["charts"]] == drawn
    assert len(drawn) >= 12
    for chart in shown["charts"]:
        assert chart["width"] > 200 and chart["height"] > 100 and chart["shapes"] > 10, chart
    assert shown["sections"] == [s.question for s in found.sections]
    assert shown["unavailable"] == []  # both CRMs delivered every field these figures need

    # the headline: the week to as_of and the week before, from the marts
    as_of = found.as_of
    for key, (start, end) in {
        "value": (as_of - timedelta(7), as_of),
        "previous": (as_of - timedelta(14), as_of - timedelta(7)),
    }.items():
        mqls, sla, won = query(
            checked_db,
            """
            select
                (select count(*) from marts.fct_lead_funnel
                 where mql_at > %(s)s and mql_at <= %(e)s),
                (select count(*) filter (where sla_status = 'met')::numeric
                    / nullif(count(*) filter (where sla_status in ('met', 'breached')), 0)
                 from marts.fct_lead_funnel where mql_at > %(s)s and mql_at <= %(e)s),
                (select coalesce(sum(amount), 0) from marts.fct_opportunities
                 where is_won and closed_at > %(s)s and closed_at <= %(e)s)
            """,
            {"s": start, "e": end},
        )[0]  # fmt: skip
        index = 0 if key == "value" else 1
        assert int(shown["headline"]["mqls"][index]) == mqls
        assert Decimal(shown["headline"]["won_amount"][index]) == won
        if sla is not None:
            assert float(shown["headline"]["sla_met_rate"][index]) == pytest.approx(float(sla))
    ((issues,),) = query(checked_db, "select count(*) from marts.crm_hygiene_issues")
    assert int(shown["headline"]["open_hygiene_issues"][0]) == issues

    # the numbers drawn: hygiene by rule and MQLs by month and team are the marts'
    by_rule = query(
        checked_db,
        "select rule, count(*) from marts.crm_hygiene_issues group by 1 order by 2 desc, 1",
    )
    assert [(r, int(n.replace(",", ""))) for r, n in shown["tables"]["hygiene-1"]] == by_rule
    months = figures.MONTHS
    scorecard = query(
        checked_db,
        """
        select to_char(month, 'Mon YYYY'), coalesce(team, 'all teams'), mqls
        from marts.alignment_scorecard
        where month in (select distinct month from marts.alignment_scorecard
                        order by month desc limit %s)
        order by team nulls first, month
        """,
        (months,),
    )
    assert [(m, t, int(n.replace(",", ""))) for m, t, n, *_ in shown["tables"]["leads-1"]] == (
        scorecard
    )


def test_the_report_command_writes_the_page(checked_db, tmp_path):
    out = tmp_path / "brief.html"
    done = run_cli("report", "--out", str(out), env={"REVALIGN_WAREHOUSE_URL": checked_db.url})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"report: {out}"
    assert "Does marketing send enough leads?" in out.read_text()


def _brief_mails(receivers: Receivers) -> dict[str, object]:
    return {m["X-Rcpt"]: m for m in receivers.mails}


def test_the_brief_goes_once_per_week_and_recipient(checked_db, receivers, monkeypatch, tmp_path):
    monkeypatch.setenv("REVALIGN_BRIEF_TO", "sales-lead@example.com,marketing-lead@example.com")
    monkeypatch.setenv("REVALIGN_REPORT_DIR", str(tmp_path / "reports"))
    as_of = brief.latest_check(checked_db)

    # the webhook is down: email and Slack go out, the webhook's brief waits for the next run
    with monkeypatch.context() as down:
        down.setenv("REVALIGN_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/nobody-listens")
        down.setenv("REVALIGN_ALERT_ATTEMPTS", "1")
        sent = brief.send(checked_db)
    assert sent.as_of == as_of and sent.report.exists()
    assert {(d.channel, d.status) for d in sent.deliveries} == {
        ("email", "delivered"), ("slack", "delivered"), ("webhook", "failed")
    }  # fmt: skip
    mails = _brief_mails(receivers)
    assert set(mails) == {"sales-lead@example.com", "marketing-lead@example.com"}
    for mail in mails.values():
        assert mail["Subject"].startswith("Sales and marketing alignment, week to")
        body = mail.get_body(("html",)).get_content()
        assert "Does sales follow up in time?" in body and "<svg" in body
        (attached,) = list(mail.iter_attachments())
        assert attached.get_filename() == sent.report.name
        assert attached.get_content().decode() == sent.report.read_text()
    (slack,) = receivers.posts["/slack"]
    assert "MQLs:" in slack["text"] and str(sent.report) in slack["text"]

    receivers.clear()
    again = brief.send(checked_db)  # the same week: only the webhook, which missed it
    assert [(d.channel, d.kind, d.status) for d in again.deliveries] == [
        ("webhook", "weekly_brief_summary", "delivered")
    ]
    (post,) = receivers.posts["/hook"]
    found = report.gather(checked_db, as_of)
    assert {h["figure"]: h["value"] for h in post["headlines"]} == {
        h.key: h.value for h in found.headlines
    }
    assert receivers.mails == [] and receivers.posts["/slack"] == []

    receivers.clear()
    assert brief.send(checked_db).deliveries == []  # the same week again: nothing
    assert receivers.mails == [] and receivers.posts["/hook"] == []

    next_week = brief.send(checked_db, as_of=as_of + timedelta(days=7))
    assert len(next_week.deliveries) == 4 and len(receivers.mails) == 2
    assert query(checked_db, "select count(*) from ops.weekly_briefs") == [(8,)]
    kinds = query(
        checked_db,
        "select kind, status, count(*) from ops.alert_deliveries "
        "where kind like 'weekly_brief%%' group by 1, 2 order by 1, 2",
    )
    assert kinds == [
        ("weekly_brief", "delivered", 4),
        ("weekly_brief_summary", "delivered", 4),
        ("weekly_brief_summary", "failed", 1),
    ]


def test_weekly_brief_runs_under_airflow_once_a_week(airflow_env, checked_db, tmp_path):
    """`airflow dags test weekly_brief`: the brief goes out; a second run the same week
    sends nothing."""
    receivers = Receivers()
    env = {
        **airflow_env_for(airflow_env, checked_db),
        "REVALIGN_REPORT_DIR": str(tmp_path / "reports"),
        "REVALIGN_ALERT_WEBHOOK_URL": receivers.http_url + "/hook",
    }
    query(checked_db, "delete from ops.weekly_briefs")
    try:
        for run in range(2):
            airflow_dags_test(env, "weekly_brief")
            posts = [p for p in receivers.posts["/hook"] if p["kind"] == "weekly_brief_summary"]
            assert len(posts) == 1, f"run {run}: {len(posts)} brief(s) posted"
    finally:
        receivers.stop()
    (path,) = (tmp_path / "reports").glob("alignment-*.html")
    assert posts[0]["report"] == str(path)


def test_docs_serve_serves_dbt_docs_data_docs_and_reports(checked_db, tmp_path, tmp_path_factory):
    """`revalign docs serve`: dbt docs (generated first), the Data Docs and a report (written
    first) behind one local address, nothing else; dbt's site also opens from its file,
    offline, with no failed request."""
    home = tmp_path / "home"
    env = {
        **os.environ,
        "REVALIGN_HOME": str(home),
        "REVALIGN_WAREHOUSE_URL": checked_db.url,
        "REVALIGN_DATA_DOCS_DIR": str(_data_docs(tmp_path_factory)),
    }
    serving = subprocess.Popen(
        [str(BIN / "revalign"), "docs", "serve", "--port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        said = []
        while not any(line.startswith("serving on") for line in said):
            line = serving.stdout.readline()
            assert line, "".join(said)
            said.append(line)
        base = re.search(r"serving on (http://\S+)/", said[-1]).group(1)
        assert any(line.startswith("dbt docs: ") for line in said)
        assert any(line.startswith("report: ") for line in said)

        def get(path: str) -> str:
            with urllib.request.urlopen(base + path, timeout=30) as response:
                return response.read().decode()

        links = re.findall(r'href="([^"]+)"', get("/"))
        assert [link.split("/")[1] for link in links] == ["reports", "data-docs", "dbt"]
        pages = {link.split("/")[1]: get(link) for link in links}
        assert "Does marketing send enough leads?" in pages["reports"]
        assert "marts.crm_hygiene" in pages["data-docs"]
        assert "alignment_scorecard" in pages["dbt"]
        with pytest.raises(urllib.error.HTTPError, match="404"):
            get("/pyproject.toml")
    finally:
        serving.terminate()
        serving.wait(timeout=30)

    dbt_site = home / "dbt_docs" / "index.html"
    page = open_page(
        dbt_site.as_uri() + "#!/model/model.revalign.alignment_scorecard",
        "document.body.innerText",
        tmp_path / "chromium",
        settle=3,
    )
    assert page.requests == [] and page.errors == [], page
    assert "persona_alignment_index" in page.value and "win_rate_influenced" in page.value
