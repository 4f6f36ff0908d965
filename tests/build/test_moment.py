"""as_of, resolved in revalign.build.moment and carried one way: asked for, else carried by the
triggering events, else the newest extraction time loaded, which int_as_of computes too."""

from datetime import UTC, datetime

import pytest

from revalign.build import moment, transform
from revalign.errors import RevalignError
from revalign.ingest import loader
from revalign.warehouse import schemas


def test_as_of_parsing():
    assert moment.parse("2026-11-01T10:00:00Z") == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert moment.parse("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert moment.parse("2026-11-01T12:00:00+02:00") == datetime(2026, 11, 1, 10, tzinfo=UTC)
    with pytest.raises(RevalignError, match="ISO 8601"):
        moment.parse("yesterday")


def _nothing_loaded():
    return None


def test_a_run_takes_the_as_of_asked_for_then_the_newest_carried():
    carried = [{"as_of": "2026-11-01T06:00:00Z"}, {"as_of": "2026-11-02T06:00:00+00:00"}, {}]
    asked = moment.of_run("2026-10-01", carried, _nothing_loaded)
    assert asked == datetime(2026, 10, 1, tzinfo=UTC)
    assert moment.of_run(None, carried, _nothing_loaded) == datetime(2026, 11, 2, 6, tzinfo=UTC)
    assert moment.of_run(None, [], _nothing_loaded) is None
    assert moment.text(datetime(2026, 11, 2, 6, tzinfo=UTC)) == "2026-11-02T06:00:00+00:00"


def test_the_default_is_the_newest_extraction_in_python_and_in_dbt(warehouse_db, tmp_path):
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    with pytest.raises(RevalignError, match="not built yet"):
        moment.built(warehouse_db)
    for day in ("01", "03", "02"):
        batch = tmp_path / "salesforce" / f"{day}_202611{day}T060000Z"
        batch.mkdir(parents=True)
        (batch / "User.csv").write_text(
            f"Id,Name,IsActive,SystemModstamp\n005Ec00000000{day}MAA,Ana,true,2026-11-01T00:00:00Z\n"
        )
    loader.load(warehouse_db, [tmp_path])
    newest = datetime(2026, 11, 3, 6, tzinfo=UTC)
    assert moment.latest_extraction(warehouse_db) == newest
    transform.build(warehouse_db, select=["int_as_of"])
    assert moment.built(warehouse_db) == newest
