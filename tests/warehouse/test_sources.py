"""Source declarations: well-formed, and the real Olist files parse with them, no row lost."""

import csv
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from conftest import REPO

from revalign.warehouse import salesforce_ids, sources

OLIST = REPO.parent / "shared" / "datasets" / "olist"


def test_every_source_is_declared_with_keys_and_required_fields():
    declared = sources.load_sources()
    assert set(declared) >= {"salesforce", "olist", "plan"}
    salesforce = declared["salesforce"]
    assert {o.object for o in salesforce.objects} == {
        "User",
        "Campaign",
        "CampaignMember",
        "Lead",
        "Task",
        "Event",
        "Opportunity",
        "OpportunityHistory",
        "OpportunityStage",
        "Account",
        "Contact",
        "OpportunityContactRole",
    }
    for source in declared.values():
        for obj in source.objects:
            assert obj.key and all(obj.field(k) for k in obj.key), obj.name
            assert obj.field(obj.key[0]).required, obj.name  # Team may be blank in a composite key
            assert obj.raw_table == f"{source.name}__{obj.name}"
            if obj.cursor:
                assert obj.field(obj.cursor).type == "timestamp"


def test_files_are_matched_to_objects_by_name():
    salesforce = sources.source("salesforce")
    assert salesforce.object_for_file("Lead.csv").object == "Lead"
    assert salesforce.object_for_file("Lead_2026-11-01.csv").object == "Lead"
    assert salesforce.object_for_file("OpportunityHistory.csv").object == "OpportunityHistory"
    assert salesforce.object_for_file("Opportunity_1.csv").object == "Opportunity"
    assert salesforce.object_for_file("Leads.csv") is None


def test_custom_fields_are_marked_for_the_field_name_setting():
    lead = sources.source("salesforce").object("Lead")
    custom = {f.custom_field: f.name for f in lead.fields if f.custom_field}
    assert custom == {
        "mql_date": "MQL_Date__c",
        "persona": "Persona__c",
        "disqualified_reason": "Disqualified_Reason__c",
    }
    assert not any(f.required for f in lead.fields if f.custom_field)


@pytest.mark.parametrize(
    "kind,text,value",
    [
        (
            "timestamp",
            "2024-01-22T20:36:47.000+0000",
            datetime(2024, 1, 22, 20, 36, 47, tzinfo=UTC),
        ),
        ("timestamp", "2024-01-22T20:36:47.000Z", datetime(2024, 1, 22, 20, 36, 47, tzinfo=UTC)),
        (
            "timestamp",
            "2024-01-22T22:36:47.000+0200",
            datetime(2024, 1, 22, 20, 36, 47, tzinfo=UTC),
        ),
        ("timestamp", "2018-02-26 19:58:54", datetime(2018, 2, 26, 19, 58, 54, tzinfo=UTC)),
        # HubSpot: its API's milliseconds since 1970, and its export's minutes
        (
            "timestamp",
            "1705955807883",
            datetime(2024, 1, 22, 20, 36, 47, 883000, tzinfo=UTC),
        ),
        ("timestamp", "2024-01-22 20:36", datetime(2024, 1, 22, 20, 36, tzinfo=UTC)),
        ("date", "2024-01-22", date(2024, 1, 22)),
        ("boolean", "true", True),
        ("boolean", "TRUE", True),
        ("boolean", "1", True),
        ("boolean", "True", True),
        ("boolean", "false", False),
        ("boolean", "0", False),
        ("boolean", "", None),
        ("text", "", None),
        ("number", "0.0", Decimal("0.0")),
        ("id", "00QEc00000BBaeX", "00QEc00000BBaeXMAT"),
        ("id", "00QEc00000BBaeXMAT", "00QEc00000BBaeXMAT"),
        ("month", "2026-11", date(2026, 11, 1)),
    ],
)
def test_values_parse_as_real_exports_write_them(kind, text, value):
    assert sources.parse_value(kind, text) == value


@pytest.mark.parametrize(
    "kind,text",
    [
        ("boolean", "maybe"),
        ("timestamp", "yesterday"),
        ("timestamp", "12345678901"),  # 11 digits: no epoch time revalign reads
        ("date", "22/01/2024"),
        ("number", "1,5"),
        ("number", "NaN"),
        ("id", "short"),
        ("month", "2026-13"),
        ("integer", "1.5"),
    ],
)
def test_bad_values_are_refused_with_the_reason(kind, text):
    with pytest.raises(ValueError, match=r"not a|unknown"):
        sources.parse_value(kind, text)


def test_15_and_18_character_ids_name_the_same_record():
    made = salesforce_ids.make("006", 123456)
    assert len(made) == 18
    assert salesforce_ids.to_18(made[:15]) == made
    assert salesforce_ids.to_18(made.lower()[:15] + made[15:]) != made  # ids are case-sensitive


@pytest.mark.skipif(not OLIST.exists(), reason="../shared/datasets/olist is not beside the repo")
@pytest.mark.parametrize(
    "filename,rows",
    [
        ("olist_marketing_qualified_leads_dataset.csv", 8000),
        ("olist_closed_deals_dataset.csv", 842),
    ],
)
def test_olist_files_parse_with_the_declared_types_and_lose_no_row(filename, rows):
    decl = sources.source("olist").object_for_file(filename)
    assert decl is not None, f"no olist object declares {filename}"
    path = OLIST / filename
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert set(decl.required) <= set(reader.fieldnames)
        parsed = []
        for number, raw in enumerate(reader, start=2):
            row = {}
            for field in decl.fields:
                try:
                    row[field.name] = sources.parse_value(field.type, raw[field.name])
                except ValueError as exc:
                    pytest.fail(f"{filename} line {number} {field.name}: {exc}")
            parsed.append(row)
    with open(path, encoding="utf-8", newline="") as handle:
        physical_records = sum(1 for _ in csv.reader(handle)) - 1
    assert len(parsed) == physical_records == rows
    for field in decl.required:
        assert all(r[field] is not None for r in parsed), field
    keys = [tuple(r[k] for k in decl.key) for r in parsed]
    assert len(set(keys)) == len(keys)


def test_every_custom_field_has_its_name_setting():
    import yaml

    project = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text())
    names = project["vars"]["salesforce_field_names"]
    declared = {
        f.custom_field: f.name
        for obj in sources.source("salesforce").objects
        for f in obj.fields
        if f.custom_field
    }
    assert names == declared
