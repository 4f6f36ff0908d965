"""``revalign inspect``: what a delivery holds, before it is loaded (no warehouse)."""

from __future__ import annotations

from conftest import run_cli

from revalign import generator
from revalign.ingest import inspect


def test_an_org_with_its_own_field_names_is_told_the_setting_line(tmp_path):
    generator.generate(
        tmp_path, leads=60, seed=3, batches=1, export_style="custom-fields", workers=1
    )
    lines = inspect.report(inspect.inspect([tmp_path / "salesforce"]))
    lead = lines.index(next(line for line in lines if line.startswith("salesforce Lead:")))
    assert lines[lead + 1].startswith("  missing MQL_Date__c: mqls, mql_attainment, sla_status")
    assert lines[lead + 1].endswith("; mql_not_followed_up not applicable")
    assert lines[lead + 2].startswith("    looks like: First_Mql_Date__c (name 100% alike; 100% of")
    assert lines[lead + 3] == (
        "    map it: in dbt_project/dbt_project.yml, under vars > salesforce_field_names, set "
        "mql_date: First_Mql_Date__c"
    )
    assert (
        "    map it: in dbt_project/dbt_project.yml, under vars > salesforce_field_names, set "
        "win_loss_reason: Closed_Reason__c"
    ) in lines


def test_a_weekly_export_lists_what_revalign_ignores(tmp_path):
    generator.generate(
        tmp_path, leads=30, seed=3, batches=1, export_style="weekly-export", workers=1
    )
    out = run_cli("inspect", str(tmp_path / "salesforce"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(
        line.startswith("salesforce Lead: recognised (1 file(s), 30 rows, 320 columns)")
        for line in lines
    ), lines
    ignored = [line for line in lines if ": ignored, not used by revalign" in line]
    assert len(ignored) >= 20
    assert "salesforce Branch__c: ignored, not used by revalign (1 file(s)" in "\n".join(ignored)
