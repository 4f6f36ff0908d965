"""The landing zone: ready batches, claims, archive and quarantine; folders and fsspec URLs."""

from pathlib import Path

import pytest
from conftest import query

from revalign.ingest import landing
from revalign.warehouse import schemas

HEADER = "Id,Name,IsActive,Department,Division,SystemModstamp"
ROW = "005Ec0000000001MAA,Ana,true,Sales,East,2026-01-01T00:00:00.000Z"


def _batch(root, name="01_20261101T060000Z", marker=True):
    folder = root / "salesforce" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "User.csv").write_text(f"{HEADER}\n{ROW}\n")
    (folder / "CampaignMember.csv").write_text("Id\n00v\n")  # without its CampaignId
    if marker:
        (folder / "_SUCCESS").write_text("")
    return folder


@pytest.fixture(params=["folder", "url"])
def root(request, tmp_path):
    """A plain folder, or a URL handled by Airflow's ObjectStoragePath (as s3:// would be)."""
    if request.param == "folder":
        return tmp_path / "landing"
    location = landing.storage_path(f"file://{tmp_path}/landing-url")
    assert not isinstance(location, Path)
    location.mkdir(parents=True, exist_ok=True)
    return location


def test_only_marked_batches_are_ready_and_a_claim_is_taken_once(root):
    _batch(root, "01_20261101T060000Z")
    _batch(root, "02_20261102T060000Z", marker=False)
    markers = landing.ready_markers(str(root))
    assert [m.parent.name for m in markers] == ["01_20261101T060000Z"]
    assert landing.claim(markers[0]) == str(markers[0].parent)
    assert landing.claim(markers[0]) is None
    assert landing.ready_markers(str(root)) == []
    assert [Path(str(b)).name for b in landing.claimed_batches(str(root))] == [
        "01_20261101T060000Z"
    ]


def test_a_processed_batch_is_archived_and_bad_files_quarantined(root, warehouse_db):
    schemas.ensure_schemas(warehouse_db)
    folder = _batch(root)
    (marker,) = landing.ready_markers(str(root))
    batch = landing.claim(marker)
    outcome = landing.process_batch(warehouse_db, batch, str(root))
    assert outcome.raw_tables == {"salesforce__user"}
    assert not folder.exists() or not list(folder.iterdir())
    archived = root / "archive" / "salesforce" / folder.name
    assert sorted(p.name for p in archived.iterdir()) == ["User.csv", "_SUCCESS.queued"]
    quarantined = root / "quarantine" / "salesforce" / folder.name / "CampaignMember.csv"
    assert quarantined.exists()
    assert query(warehouse_db, "select count(*) from raw.salesforce__user") == [(1,)]
    assert landing.claimed_batches(str(root)) == []


def test_batches_come_in_the_order_of_their_numbers(root, tmp_path):
    """Past 99 batches, 100_... sorts before 10_... by name: numbers count by value."""
    from revalign.ingest import loader

    names = ["100_20261203T060000Z", "9_20261101T060000Z", "10_20261102T060000Z"]
    for name in names:
        _batch(root, name)
    ordered = ["9_20261101T060000Z", "10_20261102T060000Z", "100_20261203T060000Z"]
    assert [m.parent.name for m in landing.ready_markers(str(root))] == ordered
    local = tmp_path / "local"
    for name in names:
        _batch(local, name)
    folders = [p.parent.name for p in loader.data_files(local) if p.name == "User.csv"]
    assert folders == ordered
