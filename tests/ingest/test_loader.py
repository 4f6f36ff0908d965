"""revalign load against a real PostgreSQL: exactly once, whole files, nothing lost."""

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import BIN, REPO, query, run_cli

from revalign.generator import generate
from revalign.ingest import loader
from revalign.warehouse import schemas, sources

USER_HEADER = "Id,Name,IsActive,Department,Division,SystemModstamp"
GOOD_USER = "005Ec0000000001MAA,Ana Silva,true,Sales,East,2026-01-01T00:00:00.000Z"


@pytest.fixture
def wh(warehouse_db):
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    return warehouse_db


def _batch(root: Path, name: str = "01_20261101T060000Z") -> Path:
    folder = root / "salesforce" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _count(conn, table: str) -> int:
    return query(conn, f"select count(*) from raw.{table}")[0][0]


def _ledger(conn) -> list[tuple]:
    return query(conn, "select file_name, rows_in, rows_loaded, rows_rejected from ops.load_ledger")


def test_a_batch_delivered_three_times_loads_once(wh, tmp_path):
    generate(tmp_path / "gen", leads=400, seed=3, batches=2)
    once = {}
    for attempt in range(3):
        results = loader.load(wh, [tmp_path / "gen"])
        assert {r.status for r in results} == ({"loaded"} if attempt == 0 else {"skipped"})
        counts = {
            obj.raw_table: _count(wh, obj.raw_table) for obj in sources.source("salesforce").objects
        }
        once = once or counts
        assert counts == once
    manifests = {
        name: rows
        for manifest in (tmp_path / "gen").rglob("_manifest.json")
        for name, rows in __import__("json").loads(manifest.read_text())["rows"].items()
    }
    assert sum(once.values()) + _count(wh, "plan__targets") == sum(manifests.values())


def test_same_content_under_another_name_is_skipped(wh, tmp_path):
    folder = _batch(tmp_path)
    _write(folder, "User.csv", f"{USER_HEADER}\n{GOOD_USER}\n")
    again = _batch(tmp_path, "02_20261102T060000Z")
    _write(again, "User_copy.csv", f"{USER_HEADER}\n{GOOD_USER}\n")
    first, second = loader.load(wh, [tmp_path])
    assert (first.status, second.status) == ("loaded", "skipped")
    assert "already loaded as 01_20261101T060000Z/User.csv" in second.reason
    assert _count(wh, "salesforce__user") == 1


def test_load_metadata_is_kept(wh, tmp_path):
    folder = _batch(tmp_path)
    _write(folder, "User.csv", f"{USER_HEADER}\n{GOOD_USER}\n")
    loader.load(wh, [tmp_path])
    row = query(
        wh,
        "select _batch_id, _file, _row_number, _extracted_at, _loaded_at is not null, id "
        "from raw.salesforce__user",
    )[0]
    assert row[:3] == ("01_20261101T060000Z", "User.csv", 1)
    assert row[3].isoformat() == "2026-11-01T06:00:00+00:00"
    assert row[4] is True and row[5] == "005Ec0000000001MAA"


def test_two_loads_of_one_file_at_once_load_it_once(wh, tmp_path):
    generate(tmp_path / "gen", leads=3000, seed=4)
    lead = next((tmp_path / "gen").rglob("Lead.csv"))
    env = {"REVALIGN_WAREHOUSE_URL": wh.url, "REVALIGN_BI_PASSWORD": "x"}
    procs = [
        subprocess.Popen(
            [str(BIN / "revalign"), "load", "--source", "salesforce", str(lead)],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    outputs = [out for out, _ in outputs]
    assert sorted(o.split()[0] for o in outputs) == ["loaded", "skipped"]
    rows = _ledger(wh)
    assert len(rows) == 1
    assert _count(wh, "salesforce__lead") == rows[0][2]


def test_a_loader_killed_mid_file_leaves_nothing_and_a_rerun_completes(wh, tmp_path):
    big = _batch(tmp_path)
    lines = [USER_HEADER] + [
        f"005Ec{n:010d}AAA,User {n},true,Sales,East,2026-01-01T00:00:00.000Z"
        for n in range(600_000)
    ]
    path = _write(big, "User.csv", "\n".join(lines) + "\n")
    env = {**os.environ, "REVALIGN_WAREHOUSE_URL": wh.url, "REVALIGN_BI_PASSWORD": "x"}
    proc = subprocess.Popen([str(BIN / "revalign"), "load", str(path)], env=env, cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        copying = query(
            wh.with_database("postgres"),
            "select count(*) from pg_stat_activity where datname = %s and query ilike 'copy%%'",
            (wh.dbname,),
        )[0][0]
        if copying:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the loader never started its COPY")
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    _wait_for_backends_to_end(wh)
    assert _ledger(wh) == []
    assert _count(wh, "salesforce__user") == 0
    rerun = run_cli(
        "load", str(path), env={"REVALIGN_WAREHOUSE_URL": wh.url, "REVALIGN_BI_PASSWORD": "x"}
    )
    assert rerun.returncode == 0, rerun.stderr
    assert _count(wh, "salesforce__user") == 600_000
    assert _ledger(wh) == [("User.csv", 600_000, 600_000, 0)]


def _wait_for_backends_to_end(conn, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        busy = query(
            conn.with_database("postgres"),
            "select count(*) from pg_stat_activity where datname = %s and pid <> pg_backend_pid()"
            " and application_name = 'revalign'",
            (conn.dbname,),
        )[0][0]
        if not busy:
            return
        time.sleep(0.1)
    pytest.fail("the killed loader's session never ended")


def test_bad_records_are_rejected_with_file_line_and_reason(wh, tmp_path, monkeypatch):
    monkeypatch.setenv("REVALIGN_MAX_FIELD_CHARS", "1000")
    folder = _batch(tmp_path)
    body = b"\r\n".join(
        [
            USER_HEADER.encode(),
            GOOD_USER.encode(),
            b"005Ec0000000002MAA,too,few",  # line 3: ragged
            # line 4: Latin-1, not UTF-8
            b"005Ec0000000003MAA,Jos\xe9 Latin-1,true,Sales,East,2026-01-01T00:00:00.000Z",
            b'005Ec0000000004MAA,"multi\nline",true,Sales,East,2026-01-01T00:00:00.000Z',  # 5-6
            b"005Ec0000000005MAA," + b"x" * 2000 + b",true,Sales,East,2026-01-01T00:00:00.000Z",
            GOOD_USER.replace("0001MAA", "0006MAA").encode(),  # line 8
            b'005Ec0000000007MAA,"never closed,true,Sales,East,2026-01-01T00:00:00.000Z',  # 9
        ]
    )
    _write(folder, "User.csv", body + b"\r\n")
    (result,) = loader.load(wh, [tmp_path])
    assert result.status == "loaded", result.reason
    assert result.rows_in == result.rows_loaded + result.rows_rejected
    assert result.rows_loaded == 3
    reasons = {r.line: r.reason for r in result.rejected}
    assert reasons[3] == "3 fields where the header has 6"
    assert reasons[4] == "bytes that are not UTF-8"
    assert reasons[7] == (
        "field 'Name' has 2000 characters, over the limit of 1000 (REVALIGN_MAX_FIELD_CHARS)"
    )
    assert 9 in reasons
    stored = query(wh, "select line, reason, raw_record from ops.rejected_rows order by line")
    assert [r[0] for r in stored] == sorted(reasons)
    assert "\\xe9" in stored[1][2]
    assert _count(wh, "salesforce__user") == 3
    assert query(wh, "select name from raw.salesforce__user where id like '%%04MAA'") == [
        ("multi\nline",)
    ]


def test_missing_required_column_quarantines_the_file(wh, tmp_path):
    folder = _batch(tmp_path)
    _write(folder, "CampaignMember.csv", "Id,LeadId\n00vEc0000000001MAA,\n")
    _write(folder, "Lead.csv", "")
    results = {r.path.name: r for r in loader.load(wh, [tmp_path])}
    assert results["CampaignMember.csv"].status == "quarantined"
    assert results["CampaignMember.csv"].reason == (
        "missing required column(s) CampaignId: no figure can use CampaignMember records "
        "without them"
    )
    assert results["Lead.csv"].reason == "the file is empty or its header is blank"
    stored = query(wh, "select file_name, reason from ops.quarantined_files order by file_name")
    assert [r[0] for r in stored] == ["CampaignMember.csv", "Lead.csv"]
    assert _ledger(wh) == []


def test_only_the_key_and_references_are_required(wh, tmp_path):
    """Data Loader files carry the fields someone ticked: no SystemModstamp, no IsActive."""
    folder = _batch(tmp_path)
    _write(folder, "User.csv", "Id,Name\n005Ec0000000001MAA,Ana\n")
    _write(folder, "Task.csv", "Id,WhoId,CreatedDate\n00TEc0000000001MAA,,2026-11-01\n")
    _write(folder, "Opportunity.csv", "Id,StageName\n006Ec0000000001MAA,Prospecting\n")
    results = loader.load(wh, [tmp_path])
    assert [r.status for r in results] == ["loaded"] * 3, [r.reason for r in results]


def test_objects_revalign_does_not_use_are_acknowledged_not_quarantined(wh, tmp_path):
    """A weekly Data Export delivers every object of the org."""
    folder = _batch(tmp_path)
    _write(folder, "Case.csv", "Id,Subject\n500Ec0000000001MAA,Help\n")
    _write(folder, "Branch__c.csv", "Id,Name\na00Ec0000000001MAA,North\n")
    _write(folder, "User.csv", f"{USER_HEADER}\n{GOOD_USER}\n")
    results = {r.path.name: r for r in loader.load(wh, [tmp_path])}
    assert results["Case.csv"].status == "ignored"
    assert results["Case.csv"].summary() == (
        "ignored     01_20261101T060000Z/Case.csv: not used by revalign "
        "(no salesforce object revalign reads)"
    )
    assert results["Branch__c.csv"].status == "ignored"
    assert query(wh, "select count(*) from ops.quarantined_files") == [(0,)]
    ledger = query(wh, "select object, status, raw_table from ops.load_ledger order by object")
    assert ledger == [
        ("Branch__c", "ignored", None),
        ("Case", "ignored", None),
        ("User", "loaded", "salesforce__user"),
    ]
    again = {r.path.name: r.status for r in loader.load(wh, [tmp_path])}
    assert again == {"Case.csv": "ignored", "Branch__c.csv": "ignored", "User.csv": "skipped"}
    env = {"REVALIGN_WAREHOUSE_URL": wh.url, "REVALIGN_BI_PASSWORD": "x"}
    out = run_cli("load", str(tmp_path), env=env)
    assert out.returncode == 0, out.stderr
    assert "0 loaded, 1 skipped, 2 ignored, 0 quarantined of 3 files" in out.stdout.splitlines()


def test_new_columns_are_added_and_unknown_ones_never_break_a_load(wh, tmp_path):
    first = _batch(tmp_path)
    _write(first, "User.csv", f"{USER_HEADER}\n{GOOD_USER}\n")
    second = _batch(tmp_path, "02_20261102T060000Z")
    _write(
        second,
        "User.csv",
        f"Brand_New__c,{USER_HEADER}\nhello,{GOOD_USER.replace('0001MAA', '0002MAA')}\n",
    )
    results = loader.load(wh, [tmp_path])
    assert [r.status for r in results] == ["loaded", "loaded"]
    assert results[1].columns_added == ["brand_new__c"]
    assert query(wh, "select brand_new__c from raw.salesforce__user order by _batch_id") == [
        (None,),
        ("hello",),
    ]


def test_a_hostile_header_is_a_column_name_never_sql(wh, tmp_path):
    query(wh, "create table public.x (id int)")
    folder = _batch(tmp_path)
    hostile = 'Id"; DROP TABLE x; --'
    _write(
        folder,
        "User.csv",
        f'{USER_HEADER},"{hostile.replace(chr(34), chr(34) * 2)}"\n{GOOD_USER},boom\n',
    )
    (result,) = loader.load(wh, [tmp_path])
    assert result.status == "loaded", result.reason
    assert query(wh, "select count(*) from public.x") == [(0,)]
    column = hostile.lower()
    assert query(
        wh, f'select "{column.replace(chr(34), chr(34) * 2)}" from raw.salesforce__user'
    ) == [("boom",)]


def test_command_prints_a_line_per_file_and_fails_on_quarantine(wh, tmp_path):
    folder = _batch(tmp_path)
    _write(folder, "User.csv", f"{USER_HEADER}\n{GOOD_USER}\n")
    _write(folder, "CampaignMember.csv", "Id\n00v\n")
    env = {"REVALIGN_WAREHOUSE_URL": wh.url, "REVALIGN_BI_PASSWORD": "x"}
    out = run_cli("load", str(tmp_path), env=env)
    assert out.returncode == 1
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith(
        "quarantined 01_20261101T060000Z/CampaignMember.csv: missing required"
    )
    assert lines[1].startswith(
        "loaded      01_20261101T060000Z/User.csv -> raw.salesforce__user: 1 rows"
    )
    assert lines[2] == "1 loaded, 0 skipped, 0 ignored, 1 quarantined of 2 files"
    assert out.stderr.count("\n") == 1 and "ops.quarantined_files" in out.stderr
    missing = run_cli("load", str(tmp_path / "nope"), env=env)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_concurrent_loads_of_different_files_into_one_new_table(wh, tmp_path):
    paths = []
    for n in range(4):
        folder = _batch(tmp_path, f"0{n + 1}_20261101T06000{n}Z")
        row = GOOD_USER.replace("0001MAA", f"000{n}MAA")
        paths.append(_write(folder, "User.csv", f"{USER_HEADER}\n{row}\n"))
    errors = []

    def run(path):
        try:
            loader.load(wh, [path])
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert _count(wh, "salesforce__user") == 4


def test_what_postgresql_would_read_differently_takes_the_careful_path(wh, tmp_path, monkeypatch):
    monkeypatch.setenv("REVALIGN_MAX_FIELD_CHARS", "1000")
    folder = _batch(tmp_path)
    long_multiline = '"' + "abc\n" * 400 + '"'  # 1,600 characters, no line over 1,000
    end_marker = '"before\n\\.\nafter"'  # a line holding only \. ends COPY's CSV input
    rows = [
        USER_HEADER,
        GOOD_USER,
        f"005Ec0000000002MAA,{long_multiline},true,Sales,East,2026-01-01T00:00:00.000Z",
        f"005Ec0000000003MAA,{end_marker},true,Sales,East,2026-01-01T00:00:00.000Z",
        GOOD_USER.replace("0001MAA", "0004MAA"),
    ]
    _write(folder, "User.csv", "\n".join(rows) + "\n")
    (result,) = loader.load(wh, [tmp_path])
    assert (result.rows_in, result.rows_loaded, result.rows_rejected) == (4, 3, 1)
    assert "field 'Name' has 1600 characters, over the limit" in result.rejected[0].reason
    names = query(wh, "select name from raw.salesforce__user order by _row_number")
    assert names == [("Ana Silva",), ("before\n\\.\nafter",), ("Ana Silva",)]


def test_a_clean_file_is_numbered_in_file_order(wh, tmp_path):
    folder = _batch(tmp_path)
    body = "\n".join(GOOD_USER.replace("0001MAA", f"{n:04d}MAA") for n in range(1, 51))
    _write(folder, "User.csv", f"{USER_HEADER}\n{body}\n")
    second = _batch(tmp_path, "02_20261102T060000Z")
    _write(second, "User.csv", f"{USER_HEADER}\n{GOOD_USER.replace('0001MAA', '9999MAA')}\n")
    loader.load(wh, [tmp_path])
    rows = query(wh, "select _batch_id, _row_number, id from raw.salesforce__user order by 1, 2")
    assert [r[1] for r in rows[:50]] == list(range(1, 51))
    assert all(r[2].startswith(f"005Ec000000{r[1]:04d}") for r in rows[:50])
    assert rows[50][:2] == ("02_20261102T060000Z", 1)


def test_a_few_malformed_records_do_not_send_the_file_down_the_careful_path(
    wh, tmp_path, monkeypatch
):
    """Well-formed records go to COPY as delivered; each malformed one is judged alone,
    rejected with its line and reason, and keeps its number (rows are numbered as the
    records stand in the file)."""
    monkeypatch.setenv("REVALIGN_MAX_FIELD_CHARS", "1000")
    careful = []
    monkeypatch.setattr(loader, "_careful_copy", lambda *args: careful.append(args))
    good = [GOOD_USER.replace("0001MAA", f"{n:04d}MAA").encode() for n in range(1, 9)]
    body = [
        good[0],
        b"005Ec0000000101MAA,one,field,too,many,for,it",  # line 3
        good[1],
        b"005Ec0000000102MAA,Jos\xe9 Latin-1,true,Sales,East,2026-01-01T00:00:00.000Z",  # 5
        b'005Ec0000000003MAA,"Silva,\r\nAna",true,Sales,East,2026-01-01T00:00:00.000Z',  # 6-7
        b"005Ec0000000103MAA,a NUL \x00,true,Sales,East,2026-01-01T00:00:00.000Z",  # 8
        b"",  # line 9: a blank line is no record
        good[3],
        b"005Ec0000000104MAA," + b"x" * 1200 + b",true,Sales,East,2026-01-01T00:00:00.000Z",
        good[4],
        b'005Ec0000000105MAA,"quoted "then not,true,Sales,East,2026-01-01T00:00:00.000Z',
        good[5],
    ]
    _write(_batch(tmp_path), "User.csv", b"\r\n".join([USER_HEADER.encode(), *body]) + b"\r\n")

    (result,) = loader.load(wh, [tmp_path])

    assert careful == []
    assert (result.rows_in, result.rows_loaded, result.rows_rejected) == (11, 6, 5)
    assert [(r.line, r.reason) for r in result.rejected] == [
        (3, "7 fields where the header has 6"),
        (5, "bytes that are not UTF-8"),
        (8, "a NUL byte, which PostgreSQL cannot store in text"),
        (11, "field 'Name' has 1200 characters, over the limit of 1000 (REVALIGN_MAX_FIELD_CHARS)"),
        (13, "malformed CSV: ',' expected after '\"'"),
    ]
    rows = query(wh, "select _row_number, id, name from raw.salesforce__user order by 1")
    assert rows == [
        (1, "005Ec0000000001MAA", "Ana Silva"),
        (3, "005Ec0000000002MAA", "Ana Silva"),
        (5, "005Ec0000000003MAA", "Silva,\r\nAna"),
        (7, "005Ec0000000004MAA", "Ana Silva"),
        (9, "005Ec0000000005MAA", "Ana Silva"),
        (11, "005Ec0000000006MAA", "Ana Silva"),
    ]
    stored = query(wh, "select line, raw_record from ops.rejected_rows order by line")
    assert [line for line, _ in stored] == [3, 5, 8, 11, 13]
    assert "\\x00" in stored[2][1] and "\\xe9" in stored[1][1]


def test_a_new_file_is_hashed_as_it_loads_and_a_known_size_before(wh, tmp_path):
    """A file of a size no loaded file had is hashed while COPY reads it; one of a known
    size is hashed first and skipped without a COPY; one loaded before sizes were kept
    is found by its hash after its COPY, which is rolled back: loaded once, always."""
    users = [GOOD_USER.replace("0001MAA", f"{n:04d}MAA") for n in range(1, 4)]
    text = "\n".join([USER_HEADER, *users]) + "\n"
    _write(_batch(tmp_path, "01_20261101T060000Z"), "User.csv", text)
    (first,) = loader.load(wh, [tmp_path / "salesforce" / "01_20261101T060000Z"])
    assert first.status == "loaded"
    assert query(wh, "select file_bytes from ops.load_ledger") == [(len(text),)]

    _write(_batch(tmp_path, "02_20261102T060000Z"), "User.csv", text)
    same_size = text.replace("0002MAA", "0009MAA")
    _write(_batch(tmp_path, "03_20261103T060000Z"), "User.csv", same_size)
    again, other = loader.load(
        wh,
        [
            tmp_path / "salesforce" / "02_20261102T060000Z",
            tmp_path / "salesforce" / "03_20261103T060000Z",
        ],
    )
    assert again.status == "skipped" and "already loaded as 01_20261101T060000Z" in again.reason
    assert other.status == "loaded"

    query(wh, "update ops.load_ledger set file_bytes = null")  # as loaded before sizes were
    _write(_batch(tmp_path, "04_20261104T060000Z"), "User.csv", text)
    (late,) = loader.load(wh, [tmp_path / "salesforce" / "04_20261104T060000Z"])
    assert late.status == "skipped" and "already loaded as 01_20261101T060000Z" in late.reason
    assert _count(wh, "salesforce__user") == 6
