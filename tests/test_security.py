"""Hostile input and secrets: nothing outside the landing zone is read or moved, no secret
or record content is printed, no single file blocks its batch. Each test is a case an
attacker (or an unlucky export) tried on revalign."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
from conftest import BIN, REPO, query, run_cli

from revalign import settings
from revalign.build import transform
from revalign.generator import generate
from revalign.ingest import landing, loader
from revalign.orchestration import tasks as orchestration
from revalign.warehouse import db, ops_tables, raw_tables, schemas

LEAD_HEADER = "Id,LastName,Company,Title,Status,Email,LeadSource,CreatedDate,SystemModstamp"
PERSON = "Zelda Quarrington"  # a personal value that must never reach a message


def _lead(n: int, name: str = PERSON) -> str:
    stamp = "2026-10-01T09:00:00.000+0000"
    return f"00Q5e{n:010d}AAA,{name},Acme,CFO,Open,z{n}@example.com,Web,{stamp},{stamp}"


def _batch(root: Path, source: str = "salesforce", name: str = "01_20261101T060000Z") -> Path:
    folder = root / source / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Lead.csv").write_text("\n".join([LEAD_HEADER, _lead(1), _lead(2)]) + "\n")
    (folder / "_SUCCESS").write_text("")
    return folder


@pytest.fixture
def wh(warehouse_db):
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    return warehouse_db


@pytest.fixture
def airflow_task_env(wh, tmp_path, monkeypatch):
    """What an ingest_extracts task sees: the warehouse connection, the landing zone."""
    root = tmp_path / "landing"
    root.mkdir()
    monkeypatch.setenv("AIRFLOW_CONN_REVALIGN_WAREHOUSE", settings.airflow_connection_json(wh))
    monkeypatch.setenv("REVALIGN_LANDING_DIR", str(root))
    return root


# --- batch paths: the landing zone and nothing else -------------------------------------


def _untouched(folder: Path) -> bool:
    return (folder / "_SUCCESS").exists() and (folder / "Lead.csv").exists()


def test_an_event_naming_a_folder_outside_the_landing_zone_reads_and_moves_nothing(
    airflow_task_env, wh, tmp_path
):
    elsewhere = _batch(tmp_path / "elsewhere")
    summary = orchestration.ingest_claimed_batches([str(elsewhere)])
    assert summary["refused"] == [str(elsewhere)] and summary["batches"] == {}
    assert _untouched(elsewhere)
    assert not (airflow_task_env / "archive").exists()
    assert query(wh, "select count(*) from ops.load_ledger") == [(0,)]


def test_dot_dot_out_of_the_landing_zone_is_refused(airflow_task_env, wh, tmp_path):
    elsewhere = _batch(tmp_path / "elsewhere")
    (airflow_task_env / "salesforce").mkdir()
    sneaky = f"{airflow_task_env}/salesforce/../../elsewhere/salesforce/01_20261101T060000Z"
    summary = orchestration.ingest_claimed_batches([sneaky])
    assert summary["refused"] == [sneaky]
    assert _untouched(elsewhere)
    with pytest.raises(landing.OutsideLandingZone, match="refused: a batch must be a folder"):
        landing.process_batch(wh, sneaky, str(airflow_task_env))
    assert _untouched(elsewhere)


def test_a_symlinked_batch_is_neither_watched_nor_loaded(airflow_task_env, wh, tmp_path):
    target = _batch(tmp_path / "elsewhere")
    (airflow_task_env / "salesforce").mkdir()
    link = airflow_task_env / "salesforce" / "02_20261102T060000Z"
    link.symlink_to(target, target_is_directory=True)
    assert landing.ready_markers(str(airflow_task_env)) == []
    summary = orchestration.ingest_claimed_batches([str(link)])
    assert summary["refused"] == [str(link)]
    assert _untouched(target) and link.is_symlink()
    # nor through a symlinked source folder
    (tmp_path / "other").mkdir()
    _batch(tmp_path / "other", source="plan")
    (airflow_task_env / "plan").symlink_to(tmp_path / "other" / "plan")
    assert landing.ready_markers(str(airflow_task_env)) == []


def test_a_good_batch_in_the_same_event_still_loads(airflow_task_env, wh, tmp_path):
    good = _batch(airflow_task_env)
    elsewhere = _batch(tmp_path / "elsewhere")
    summary = orchestration.ingest_claimed_batches([str(elsewhere), str(good)])
    assert summary["raw_tables"] == ["salesforce__lead"]
    assert _untouched(elsewhere)
    assert (airflow_task_env / "archive" / "salesforce" / good.name / "Lead.csv").exists()


def test_a_symlinked_file_in_a_batch_is_quarantined_unread(wh, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(LEAD_HEADER + "\n" + _lead(9, "Never Loaded") + "\n")
    folder = _batch(tmp_path / "landing")
    (folder / "Lead_2026-11-02.csv").symlink_to(secret)
    results = {r.path.name: r for r in loader.load(wh, [folder])}
    assert results["Lead.csv"].status == "loaded"
    linked = results["Lead_2026-11-02.csv"]
    assert linked.status == "quarantined" and "symbolic link" in linked.reason
    assert query(wh, "select count(*) from raw.salesforce__lead") == [(2,)]


# --- secrets ----------------------------------------------------------------------------

SECRETS = {
    "REVALIGN_WAREHOUSE_URL": "postgresql://revalign:wh-Pa55word@db.internal:5432/analytics",
    "REVALIGN_ALERT_SMTP_URL": "smtp://mailer:smtp-Pa55word@smtp.example.com:587?from=a@b.c",
    "REVALIGN_ALERT_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/slackTOKEN42",
    "REVALIGN_ALERT_WEBHOOK_URL": "https://hooks.example.com/hook/webhookTOKEN42?token=tok42x",
    "REVALIGN_BI_PASSWORD": "bi-Pa55word",
    "REVALIGN_EMAIL_KEY_SECRET": "email-key-Secret",
}
CLEAR = ["wh-Pa55word", "smtp-Pa55word", "slackTOKEN42", "webhookTOKEN42", "tok42x"]


def test_settings_masks_every_secret_unless_asked():
    shown = run_cli("settings", env=SECRETS)
    assert shown.returncode == 0, shown.stderr
    for secret in [*CLEAR, "bi-Pa55word", "email-key-Secret"]:
        assert secret not in shown.stdout
    assert "postgresql://revalign:***@db.internal:5432/analytics" in shown.stdout
    assert "https://hooks.slack.com/***" in shown.stdout
    clear = run_cli("settings", "--show-secrets", env=SECRETS)
    assert all(secret in clear.stdout for secret in CLEAR)


def test_a_failing_slack_delivery_logs_no_token(tmp_path):
    """The Slack hook logs the URL it retries; nothing of the token may reach the output."""
    script = (
        "from revalign.checks import alerts\n"
        "(slack,) = [c for c in alerts.configured_channels() if c.name == 'slack']\n"
        "digest = alerts.Digest('summary', 'title', 'data-team', [], lines=['x'])\n"
        "print(alerts.deliver(slack, digest, attempts=2, sleep=lambda s: None))\n"
    )
    env = {
        **os.environ,
        "REVALIGN_ALERT_SLACK_WEBHOOK_URL": "http://127.0.0.1:9/services/T0/B0/slackTOKEN42",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",  # the hook logs its retry at info
    }
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    both = out.stdout + out.stderr
    assert "status='failed'" in both and "retry the same request: POST ***" in both, both
    assert "slackTOKEN42" not in both


# --- no record content in errors --------------------------------------------------------


def test_a_warehouse_crash_mid_load_prints_one_line_without_record_content(wh, tmp_path):
    folder = _batch(tmp_path)
    rows = [_lead(n) for n in range(400_000)]
    (folder / "Lead.csv").write_text("\n".join([LEAD_HEADER, *rows]) + "\n")
    env = {**os.environ, "REVALIGN_WAREHOUSE_URL": wh.url, "REVALIGN_BI_PASSWORD": "x"}
    proc = subprocess.Popen(
        [str(BIN / "revalign"), "load", str(folder / "Lead.csv")],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    admin = wh.with_database("postgres")
    deadline = time.monotonic() + 60
    terminated = 0
    while not terminated and time.monotonic() < deadline:
        terminated = query(
            admin,
            "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = %s and query ilike 'copy%%' and state = 'active') t",
            (wh.dbname,),
        )[0][0]
        time.sleep(0.02)
    out, err = proc.communicate(timeout=120)
    assert terminated, "the load never started its COPY"
    assert proc.returncode == 1
    assert "Traceback" not in err and PERSON not in err + out and "CONTEXT" not in err, err
    (line,) = err.strip().splitlines()
    assert "Lead.csv: the warehouse went away" in line and "load it again" in line
    assert query(wh, "select count(*) from ops.load_ledger") == [(0,)]


# --- files that must not block their batch ----------------------------------------------


def test_a_file_wider_than_postgresql_loads_its_declared_columns(airflow_task_env, wh):
    """Through the function ingest_extracts' task calls: the batch loads and is archived."""
    folder = _batch(airflow_task_env)
    extra = [f"Extra_{n}__c" for n in range(2000)]
    values = [f"value number {n}" for n in range(2000)]  # rows too big for a page, too
    (folder / "Lead.csv").write_text(
        ",".join([LEAD_HEADER, *extra])
        + "\n"
        + "\n".join(",".join([_lead(n), *values]) for n in range(3))
        + "\n"
    )
    (folder / "User.csv").write_text(
        "Id,Name,IsActive,SystemModstamp\n005Ec0000000001MAA,Ana,true,2026-01-01T00:00:00Z\n"
    )
    summary = orchestration.ingest_claimed_batches([str(folder)])
    assert summary["raw_tables"] == ["salesforce__lead", "salesforce__user"]
    (lead, user) = summary["batches"][str(folder)]
    assert lead.startswith("loaded") and "3 rows of 3, 0 rejected" in lead
    assert "2000 unknown column(s) not loaded (extra_0__c, extra_1__c" in lead
    assert user.startswith("loaded")
    assert (airflow_task_env / "archive" / "salesforce" / folder.name / "Lead.csv").exists()
    assert query(wh, "select count(*), min(status) from raw.salesforce__lead") == [(3, "Open")]
    (dropped,) = query(wh, "select columns_dropped from ops.load_ledger where object = 'Lead'")
    assert len(dropped[0]) == 2000


def test_unknown_columns_fill_a_table_up_to_its_limit_and_no_further(wh, tmp_path):
    folder = _batch(tmp_path)
    extra = [f"Extra_{n}__c" for n in range(2000)]
    (folder / "Lead.csv").write_text(
        ",".join([LEAD_HEADER, *extra]) + "\n" + ",".join([_lead(1), *["x"] * 2000]) + "\n"
    )
    (result,) = loader.load(wh, [folder / "Lead.csv"])
    assert result.status == "loaded"
    columns = query(
        wh,
        "select count(*) from pg_attribute where attrelid = 'raw.salesforce__lead'::regclass "
        "and attnum > 0",
    )[0][0]
    assert columns == raw_tables.MAX_TABLE_COLUMNS
    assert len(result.columns_added) + len(result.columns_dropped) == 2000
    assert query(wh, 'select "extra_0__c" from raw.salesforce__lead') == [("x",)]


def test_any_error_quarantines_the_file_and_the_batch_loads_on(wh, tmp_path):
    """Whatever the warehouse refuses of one file (here a constraint an admin added), that
    file is quarantined with the warehouse's reason and the rest of the batch loads."""
    raw_tables.ensure_all(wh)
    with db.connect(wh) as pg, pg.cursor() as cur:
        cur.execute(
            "alter table raw.salesforce__lead add constraint no_acme check (company <> 'Acme')"
        )
    folder = _batch(tmp_path)
    (folder / "User.csv").write_text(
        "Id,Name,IsActive,SystemModstamp\n005Ec0000000001MAA,Ana,true,2026-01-01T00:00:00Z\n"
    )
    results = {r.path.name: r for r in loader.load(wh, [folder])}
    assert results["Lead.csv"].status == "quarantined"
    assert "the warehouse refused it" in results["Lead.csv"].reason
    assert PERSON not in results["Lead.csv"].reason
    assert results["User.csv"].status == "loaded"
    assert query(wh, "select file_name from ops.quarantined_files") == [("Lead.csv",)]


def test_a_header_only_file_is_an_empty_delivery(wh, tmp_path):
    folder = _batch(tmp_path)
    (folder / "Lead.csv").write_text(LEAD_HEADER + "\r\n")
    (result,) = loader.load(wh, [folder])
    assert result.status == "loaded" and result.rows_in == 0
    assert "0 rows of 0, 0 rejected (header only: the file delivers no records)" in (
        result.summary()
    )
    assert query(wh, "select rows_in from ops.load_ledger") == [(0,)]
    readme = (REPO / "README.md").read_text()
    assert "A header-only file is a delivery" in readme


def test_a_field_over_the_csv_ceiling_names_the_configured_limit(wh, tmp_path, monkeypatch):
    monkeypatch.setenv("REVALIGN_MAX_FIELD_CHARS", "1000")
    folder = _batch(tmp_path)
    huge = '"' + "a" * 20_000 + '"'
    (folder / "Lead.csv").write_text(
        "\n".join([LEAD_HEADER, _lead(1), _lead(2).replace(PERSON, huge)]) + "\n"
    )
    (result,) = loader.load(wh, [folder])
    assert result.rows_loaded == 1 and result.rows_rejected == 1
    reason = result.rejected[0].reason
    assert "over the limit of 1000 (REVALIGN_MAX_FIELD_CHARS)" in reason
    assert "16000" in reason and "field larger than field limit" not in reason


def test_generate_into_a_file_or_an_unwritable_place_is_one_line():
    out = run_cli("generate", "--out", "/etc/passwd")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip() == (
        "revalign generate: --out /etc/passwd is a file: name a folder (created if missing)"
    )
    out = run_cli("generate", "--out", "/proc/revalign/sample")  # no one may create it
    assert out.returncode == 1 and "Traceback" not in out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("revalign generate: --out /proc/revalign/sample: cannot create it")
    assert line.endswith("name a folder you may write to")


# --- the email key ----------------------------------------------------------------------


def test_the_email_key_secret_is_generated_once_and_hidden_from_bi(wh, monkeypatch):
    monkeypatch.delenv("REVALIGN_EMAIL_KEY_SECRET", raising=False)
    first = query(wh, "select inner_pad, outer_pad from ops.email_key_secret")
    ops_tables.ensure(wh)
    assert query(wh, "select inner_pad, outer_pad from ops.email_key_secret") == first
    assert len(first) == 1 and len(bytes(first[0][0])) == 64
    bi = settings.ConnectionInfo(wh.host, wh.port, "revalign_bi_test", "x", wh.dbname)
    with pytest.raises(psycopg2.errors.InsufficientPrivilege), db.connect(bi) as pg:
        pg.cursor().execute("select * from ops.email_key_secret")


def test_email_key_is_a_keyed_hash_bi_users_cannot_recompute(wh, tmp_path, monkeypatch):
    monkeypatch.setenv("REVALIGN_EMAIL_KEY_SECRET", "per-installation-secret")
    ops_tables.ensure(wh)
    generate(tmp_path / "gen", leads=150, seed=4, batches=1)
    loader.load(wh, [tmp_path / "gen"])
    transform.build(wh)
    pairs = query(
        wh,
        "select lower(trim(raw.email)), mart.email_key from marts.fct_lead_funnel as mart "
        "join raw.salesforce__lead as raw on left(raw.id, 15) = left(mart.lead_id, 15) "
        "where raw.email <> '' limit 20",
    )
    assert pairs
    for email, key in pairs:
        expected = hmac.new(b"per-installation-secret", email.encode(), hashlib.sha256)
        assert key == expected.hexdigest()[:32]  # its first 128 bits
        assert key != hashlib.md5(email.encode()).hexdigest()


def test_airflow_tasks_mask_every_secret_of_the_settings(monkeypatch):
    """What a task's log would show: Airflow's own masker knows revalign's secrets."""
    from airflow.sdk._shared.secrets_masker import redact

    from revalign import redaction

    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    redaction.mask_in_airflow()
    logged = redact(f"posting to {SECRETS['REVALIGN_ALERT_SLACK_WEBHOOK_URL']} as wh-Pa55word")
    assert "slackTOKEN42" not in logged and "wh-Pa55word" not in logged
