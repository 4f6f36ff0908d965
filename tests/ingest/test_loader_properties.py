"""Property: whatever bytes arrive, the loader reports, never crashes, and counts reconcile."""

import uuid

from conftest import query
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revalign.ingest import loader
from revalign.warehouse import schemas

HEADER = b"Id,Name,IsActive,Department,Division,SystemModstamp\r\n"
PIECES = st.sampled_from(
    [
        b",",
        b'"',
        b'""',
        b"\r\n",
        b"\n",
        b"\r",
        b"x",
        b"\xe9",
        b"\xff\xfe",
        b"\x00",
        b"005Ec0000000001MAA",
        b"true",
        b" ",
        b"\xef\xbb\xbf",
        "日本".encode(),
        b"a" * 300,
    ]
)
BODIES = st.lists(PIECES, max_size=60).map(b"".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=BODIES, with_header=st.booleans())
def test_any_file_is_loaded_or_quarantined_and_counts_reconcile(
    warehouse_db, tmp_path, body, with_header
):
    schemas.ensure_schemas(warehouse_db)
    folder = tmp_path / uuid.uuid4().hex / "salesforce" / "01_20261101T060000Z"
    folder.mkdir(parents=True)
    path = folder / "User.csv"
    path.write_bytes((HEADER if with_header else b"") + body)
    before = (
        query(warehouse_db, "select count(*) from ops.rejected_rows")[0][0]
        if _ops(warehouse_db)
        else 0
    )

    (result,) = loader.load(warehouse_db, [folder])

    assert result.status in ("loaded", "quarantined", "skipped")
    if result.status == "quarantined":
        assert result.reason
        return
    if result.status == "skipped":
        return
    assert result.rows_in == result.rows_loaded + result.rows_rejected
    loaded = query(
        warehouse_db,
        "select count(*) from raw.salesforce__user where _file = 'User.csv' and _batch_id = %s "
        "and _loaded_at = (select max(_loaded_at) from raw.salesforce__user)",
        (folder.name,),
    )[0][0]
    assert loaded == result.rows_loaded
    after = query(warehouse_db, "select count(*) from ops.rejected_rows")[0][0]
    assert after - before == result.rows_rejected
    ledger = query(
        warehouse_db,
        "select rows_in, rows_loaded, rows_rejected from ops.load_ledger where file_sha256 = %s",
        (loader.file_sha256(path),),
    )
    assert ledger == [(result.rows_in, result.rows_loaded, result.rows_rejected)]


def _ops(conn) -> bool:
    return bool(
        query(
            conn, "select 1 from pg_tables where schemaname = 'ops' and tablename = 'rejected_rows'"
        )
    )


GOOD_RECORDS = [
    b"005Ec0000000001MAA,Ana Silva,true,Sales,East,2026-01-01T00:00:00.000Z",
    b'005Ec0000000002MAA,"Silva, Ana",,Sales,"East\nWing",',
    "Jos\u00e9,Fern\u00e1ndez,true,Vendas,Sul,2026-01-01T00:00:00.000Z".encode(),
    b'x,"say ""hi""",a,b,c,"\\."',
    b'"a\r\nb",c,d,e,f,g',
]
BAD_RECORDS = [
    b"005Ec0000000003MAA,too,few",
    b"a,b,c,d,e,f,one too many",
    b"Jos\xe9 Latin-1,b,c,d,e,f",
    b"a,b\x00,c,d,e,f",
    b"a,b\rc,d,e,f",
    b"",
    b"\\.",
    b"a," + b"x" * 1200 + b",c,d,e,f",
    b'a,"quote "inside,c,d,e,f',
    b'a,b"c,d,e,f,g',  # a literal to Python, a quote to PostgreSQL
]
ENDINGS = st.sampled_from([None, None, None, b"\n", b"\r\n", b"\r"])  # None: the file's
RECORDS = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(GOOD_RECORDS),
            st.sampled_from(GOOD_RECORDS),
            st.sampled_from(BAD_RECORDS),
        ),
        ENDINGS,
    ),
    max_size=30,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=RECORDS,
    eol=st.sampled_from([b"\n", b"\r\n"]),
    last_break=st.booleans(),
    left_open=st.booleans(),
    chunk=st.one_of(st.integers(1, 80), st.just(1 << 18)),
)
def test_records_sorted_for_copy_load_as_the_careful_reader_reads_them(
    warehouse_db, tmp_path, monkeypatch, records, eol, last_break, left_open, chunk
):
    """Good records straight to COPY and suspect ones judged one by one (the fast path),
    at any chunk size, load the same rows with the same numbers and reject the same
    records with the same lines and reasons as reading the whole file carefully."""
    from revalign.ingest import record_scan

    monkeypatch.setenv("REVALIGN_MAX_FIELD_CHARS", "1000")
    monkeypatch.setattr(record_scan, "CHUNK", chunk)
    schemas.ensure_schemas(warehouse_db)
    body = b"".join(record + (ending or eol) for record, ending in records)
    if not last_break and body.endswith(eol):
        body = body[: -len(eol)]
    if left_open:  # a file cut off inside a quoted field
        body += b'005Ec0000000009MAA,"cut off' + eol + b"here,"
    folder = tmp_path / uuid.uuid4().hex / "salesforce" / "01_20261101T060000Z"
    folder.mkdir(parents=True)
    (folder / "User.csv").write_bytes(HEADER.replace(b"\r\n", eol) + body)

    sorted_ = _loaded(warehouse_db, folder)
    careful = None
    with monkeypatch.context() as patch:
        patch.setattr(loader, "_server_parsed_copy", lambda *args: None)
        careful = _loaded(warehouse_db, folder)
    assert sorted_ == careful


def _loaded(conn, folder) -> tuple:
    """What one load of the folder kept, then forgotten, so it can be loaded again."""
    (result,) = loader.load(conn, [folder])
    if result.status != "loaded":
        return (result.status, result.reason)
    rows = query(
        conn,
        "select _row_number, coalesce(id, ''), coalesce(name, ''), coalesce(isactive, ''), "
        "coalesce(department, ''), coalesce(division, ''), coalesce(systemmodstamp, '') "
        "from raw.salesforce__user order by _row_number",
    )
    rejected = query(conn, "select line, reason, raw_record from ops.rejected_rows order by line")
    kept = (result.rows_in, result.rows_loaded, result.rows_rejected, rows, rejected)
    for table in ("raw.salesforce__user", "ops.rejected_rows", "ops.load_ledger"):
        query(conn, f"delete from {table}")
    return kept
