"""A hygiene rule is one seed row plus one SQL condition: added to a copy of the project
with no other edit, it reaches the mart, the GX check, the owner scorecard and the alerts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from conftest import REPO, query

from revalign.generator import generate

RULE = "lead_never_touched"
SEED_ROW = (
    f"{RULE},lead,lead,low,No sales rep has touched the lead yet.,"
    "Call or email the lead and log it.,activity.who_id\n"
)
#: The condition, added to int_hygiene_issues.sql beside the other lead rules.
ANCHOR = "            case when leads.lead_source is null then 'lead_missing_source' end,\n"
CONDITION = f"            case when leads.first_touch_at is null then '{RULE}' end,\n"


def _copy_of_the_project(root: Path) -> Path:
    skip = shutil.ignore_patterns("__pycache__", "target", "logs", "dbt_packages")
    for part in ("revalign", "dbt_project", "expectations"):
        shutil.copytree(REPO / part, root / part, ignore=skip)
    return root


def _add_the_rule(project: Path) -> None:
    seed = project / "dbt_project" / "seeds" / "hygiene_rules.csv"
    seed.write_text(seed.read_text() + SEED_ROW)
    model = project / "dbt_project" / "models" / "intermediate" / "int_hygiene_issues.sql"
    text = model.read_text()
    assert ANCHOR in text, "the lead rules' conditions moved: update this test's anchor"
    model.write_text(text.replace(ANCHOR, ANCHOR + CONDITION, 1))


class _Webhook(BaseHTTPRequestHandler):
    posts: ClassVar[list[dict]] = []

    def do_POST(self):
        self.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_rule_added_as_a_seed_row_and_a_condition_reaches_every_output(warehouse_db, tmp_path):
    project = _copy_of_the_project(tmp_path / "project")
    _add_the_rule(project)
    generate(tmp_path / "extracts", leads=300, seed=8, batches=1)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "PYTHONPATH": str(project),  # the copy's revalign, so its PROJECT_ROOT
        "REVALIGN_WAREHOUSE_URL": warehouse_db.url,
        "REVALIGN_BI_PASSWORD": "x",
        "REVALIGN_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/hook",
        "REVALIGN_DATA_DOCS_DIR": str(tmp_path / "docs"),
        "DBT_TARGET_PATH": str(tmp_path / "dbt-target"),
        "DBT_LOG_PATH": str(tmp_path / "dbt-logs"),
    }
    try:
        run = subprocess.run(
            [sys.executable, "-m", "revalign", "run", str(tmp_path / "extracts")],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stderr[-3000:]

    issues = query(
        warehouse_db,
        "select count(*), count(owner_id), min(severity) from marts.crm_hygiene_issues "
        "where rule = %s",
        (RULE,),
    )[0]
    untouched = query(
        warehouse_db, "select count(*) from marts.fct_lead_funnel where first_touch_at is null"
    )[0][0]
    assert issues[0] == untouched > 0 and issues[2] == "low"

    (check,) = query(
        warehouse_db,
        "select observed_value, element_count from ops.check_results "
        "where suite = 'crm_hygiene' and rule = %s",
        (RULE,),
    )
    assert check[0] == untouched
    assert check[1] == query(warehouse_db, "select count(*) from marts.fct_lead_funnel")[0][0]
    assert RULE in run.stdout  # the check's line in revalign check's report

    per_owner = query(warehouse_db, f"select sum({RULE}) from marts.owner_hygiene_scorecard")
    assert per_owner == [(issues[1],)]
    comment = query(
        warehouse_db,
        "select col_description('marts.owner_hygiene_scorecard'::regclass, attnum) "
        "from pg_attribute where attrelid = 'marts.owner_hygiene_scorecard'::regclass "
        "and attname = %s",
        (RULE,),
    )
    assert comment == [
        (
            f"Issues of the rule {RULE} on the owner's records: "
            "No sales rep has touched the lead yet.",
        )
    ]

    alerted = [
        issue
        for post in _Webhook.posts
        for issue in post.get("issues", [])
        if issue.get("rule") == RULE
    ]
    assert alerted and all(i["how_to_fix"] == "Call or email the lead and log it." for i in alerted)
