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
