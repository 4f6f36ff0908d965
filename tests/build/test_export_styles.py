"""Generated data written as real orgs deliver it gives the marts its truth.json says.

Each export style of ``revalign generate --export-style`` (the weekly Data Export, Data
Loader files with chosen fields and no SystemModstamp, report exports with labels and
US dates, an org with its own custom-field names) is loaded batch by batch and built
after each (incremental), then rebuilt in full: both equal the truth.
"""

from __future__ import annotations

import json

import pytest
from conftest import query
from marts_vs_truth import differences, marts_figures, truth_figures

from revalign import generator
from revalign.build import transform
from revalign.ingest import loader
from revalign.warehouse import schemas


@pytest.mark.parametrize("style", ["weekly-export", "data-loader", "report", "custom-fields"])
def test_every_export_style_gives_the_truth_full_and_incremental(warehouse_db, tmp_path, style):
    truth = generator.generate(tmp_path, leads=400, seed=21, batches=2, export_style=style)
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    variables = {}
    if style == "custom-fields":
        variables["salesforce_field_names"] = truth["generator"]["salesforce_field_names"]
    loader.load(warehouse_db, [tmp_path / "plan"])
    for batch in sorted((tmp_path / "salesforce").iterdir()):
        results = loader.load(warehouse_db, [batch])
        assert not [r.reason for r in results if r.status == "quarantined"]
        assert not [r.rejected for r in results if r.rows_rejected]
        if style == "weekly-export":
            assert sum(r.status == "ignored" for r in results) >= 20
        transform.build(warehouse_db, variables=variables)
    truth = json.loads((tmp_path / "truth.json").read_text())

    def compare() -> list[str]:
        return differences(truth_figures(truth), marts_figures(lambda s: query(warehouse_db, s)))

    assert compare() == []
    transform.build(warehouse_db, variables=variables, full_refresh=True)
    assert compare() == []


def test_hubspots_own_export_gives_the_truth_full_and_incremental(warehouse_db, tmp_path):
    """HubSpot's export of a view (labels, owners by name, option and stage labels,
    minute times, its own file names) read as the API's internal names would be."""
    truth = generator.generate(
        tmp_path, leads=400, seed=21, batches=2, export_style="report", crm="hubspot"
    )
    schemas.set_up(warehouse_db, "revalign_bi_test", "x")
    loader.load(warehouse_db, [tmp_path / "plan"])
    for batch in sorted((tmp_path / "hubspot").iterdir()):
        assert list(batch.glob("hubspot-crm-exports-all-contacts-*.csv"))
        results = loader.load(warehouse_db, [batch])
        assert not [r.reason for r in results if r.status == "quarantined"]
        assert not [r.rejected for r in results if r.rows_rejected]
        transform.build(warehouse_db)
    expected = truth_figures(truth)
    assert differences(expected, marts_figures(lambda s: query(warehouse_db, s))) == []
    transform.build(warehouse_db, full_refresh=True)
    assert differences(expected, marts_figures(lambda s: query(warehouse_db, s))) == []
