"""revalign generate: deterministic, quirky like real exports, and its truth.json is right."""

import csv
import json
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import run_cli
from reference_counts import count, count_journey, current_records, read_rows, truth_journey
from reference_counts_hubspot import count as count_hubspot

from revalign.generator import generate, world
from revalign.warehouse import sources
from revalign.warehouse.sources import parse_timestamp


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        folder = str(tmp_path / name)
        out = run_cli(
            "generate", "--out", folder, "--leads", "300", "--seed", str(seed), "--batches", "3"
        )
        assert out.returncode == 0, out.stderr
    a, b, c = (_tree(tmp_path / n) for n in "abc")
    assert a == b
    assert a.keys() == c.keys()
    assert (
        a["salesforce/01_20260302T180000Z/Lead.csv"] != c["salesforce/01_20260302T180000Z/Lead.csv"]
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out, leads=1500, seed=11, batches=3)
    return out


def _all_csv(out: Path):
    return sorted((out / "salesforce").rglob("*.csv"))


def test_every_export_quirk_appears(generated):
    files = _all_csv(generated)
    raw = {p: p.read_bytes() for p in files}
    assert any(b.startswith(b"\xef\xbb\xbf") for b in raw.values()), "a byte-order mark"
    assert any(not b.startswith(b"\xef\xbb\xbf") for b in raw.values())
    assert any(b"\r\n" in b for b in raw.values()) and any(b"\r\n" not in b for b in raw.values())
    text = "".join(b.decode("utf-8-sig") for b in raw.values())
    assert ".000+0000" in text and ".000Z" in text
    for spelling in ("true", "TRUE", ",1,"):
        assert spelling in text, spelling
    assert '"' in text and "\n" in "".join(  # quoted fields holding newlines
        v for p in files for row in read_rows(p) for v in row.values() if v and "\n" in v
    )
    assert any(ch in text for ch in "üéøł日"), "non-ASCII names"

    declared = {o.object: {f.name for f in o.fields} for o in sources.source("salesforce").objects}
    unknown = set()
    ids15 = ids18 = deleted = empties = 0
    for path in files:
        decl = sources.source("salesforce").object_for_file(path.name)
        rows = list(read_rows(path))
        if not rows:
            continue
        unknown |= set(rows[0]) - declared[decl.object]
        ids15 += sum(len(r["Id"]) == 15 for r in rows)
        ids18 += sum(len(r["Id"]) == 18 for r in rows)
        flag = decl.deleted_flag
        deleted += sum(bool(flag and sources.parse_value("boolean", r[flag])) for r in rows)
        empties += sum(v == "" for r in rows for v in r.values())
    assert unknown, "columns unknown to the declaration"
    assert ids15 and ids18
    assert deleted, "IsDeleted rows in incremental batches"
    assert empties, "empty means null"


def test_deals_walk_their_stages_as_real_ones_do(generated):
    """Stage histories with what real OpportunityHistory holds: a stage skipped, a step
    back, a row that repeats the stage (an amount or close date changed), and deals
    still open."""
    history = current_records(generated / "salesforce", "OpportunityHistory").values()
    opportunities = current_records(generated / "salesforce", "Opportunity")
    rows: dict[str, list] = defaultdict(list)
    for row in history:
        rows[row["OpportunityId"]].append((row["CreatedDate"], row["Id"], row["StageName"]))
    order = [*world.STAGES, "Closed Won", "Closed Lost"]
    seen: Counter[str] = Counter()
    for opp_id, changes in rows.items():
        stages = [stage for _, _, stage in sorted(changes)]
        seen["repeated"] += any(a == b for a, b in pairwise(stages))
        moves = [
            order.index(b) - order.index(a)
            for a, b in pairwise(stages)
            if a != b and not b.startswith("Closed")
        ]
        seen["skipped"] += any(step > 1 for step in moves)
        seen["back"] += any(step < 0 for step in moves)
        seen["open"] += opp_id in opportunities and not opportunities[opp_id]["IsClosed"]
    assert all(seen[k] > 5 for k in ("repeated", "skipped", "back", "open")), seen


def test_later_batches_repeat_records_with_newer_versions(generated):
    batches = sorted(p for p in (generated / "salesforce").iterdir() if p.is_dir())
    first = {r["Id"][:15]: r for r in read_rows(batches[0] / "Lead.csv")}
    later = [r for b in batches[1:] for p in b.glob("Lead_*.csv") for r in read_rows(p)]
    again = [r for r in later if r["Id"][:15] in first]
    assert again
    assert all(
        parse_timestamp(r["SystemModstamp"])
        > parse_timestamp(first[r["Id"][:15]]["SystemModstamp"])
        for r in again
    )
    assert any(len(r["Id"]) == 15 for r in later)


def test_each_batch_is_marked_ready_with_a_manifest(generated):
    for batch in (generated / "salesforce").iterdir():
        manifest = json.loads((batch / "_manifest.json").read_text())
        assert (batch / "_SUCCESS").exists()
        for name, rows in manifest["rows"].items():
            with open(batch / name, encoding="utf-8-sig", newline="") as handle:
                assert sum(1 for _ in csv.DictReader(handle)) == rows
    targets = next((generated / "plan").rglob("Targets.csv"))
    header = next(csv.reader(targets.open()))
    assert header == ["Month", "Metric", "Team", "Target"]


@pytest.mark.parametrize("seed,batches", [(1, 1), (2, 3), (3, 4)])
def test_truth_matches_an_independent_count(tmp_path, seed, batches):
    truth = generate(tmp_path, leads=1200, seed=seed, batches=batches)
    found = count(tmp_path, parse_timestamp(truth["as_of"]))
    _assert_counted(found, truth)
    assert truth["records"]["contacts"] > 0 and truth["opportunities_by_origin"]["contact"] > 0
    assert truth["attribution"]["primary_campaign"] and truth["sourcing"]["marketing_influenced"]


@pytest.mark.parametrize(
    "crm,seed,batches,leads",
    [
        ("hubspot", 1, 1, 1200),
        ("hubspot", 2, 3, 1200),
        ("both", 3, 3, 1200),
        # copies of copies across the CRMs: a lead copying the address of a lead in the
        # other CRM, which had copied one of its own CRM's (lead_duplicate_email)
        ("both", 7, 2, 2000),
    ],
)
def test_hubspot_truth_matches_an_independent_count(tmp_path, crm, seed, batches, leads):
    """HubSpot's files (and, with both CRMs, Salesforce's beside them) recounted from the
    CSV files as METRICS.md "HubSpot" defines the figures."""
    truth = generate(tmp_path, leads=leads, seed=seed, batches=batches, crm=crm, workers=1)
    as_of = parse_timestamp(truth["as_of"])
    found = count_hubspot(tmp_path, as_of)
    if crm == "both":
        found = _summed(found, count(tmp_path, as_of))
    _assert_counted(found, truth)
    assert truth["records"]["persons"] > 1000 and truth["opportunities_by_origin"]["contact"] > 0
    assert truth["attribution"]["first_touch"] and truth["sourcing"]["marketing_influenced"]


def _summed(one: dict, other: dict) -> dict:
    """Two counts of two CRMs, as one (their campaigns never meet; a funnel cell of no
    lead source is both's)."""
    summed = {"records": Counter(one["records"]) + Counter(other["records"])}
    for section in ("hygiene", "opportunities_by_origin", "sourcing", "accounts"):
        summed[section] = Counter(one[section]) + Counter(other[section])
    summed["funnel"] = defaultdict(Counter)
    for funnel in (one["funnel"], other["funnel"]):
        for cell, figures in funnel.items():
            summed["funnel"][cell].update(figures)
    summed["notices"] = {
        side: one["notices"][side] | other["notices"][side] for side in one["notices"]
    }
    summed["journey"] = count_journey(
        deals=one["journey_input"]["deals"] + other["journey_input"]["deals"],
        persons=one["journey_input"]["persons"] + other["journey_input"]["persons"],
        orders={**one["journey_input"]["orders"], **other["journey_input"]["orders"]},
    )
    summed["attribution"] = {
        model: {**one["attribution"].get(model, {}), **other["attribution"].get(model, {})}
        for model in {*one["attribution"], *other["attribution"]}
    }
    return summed


def _assert_counted(found: dict, truth: dict) -> None:
    assert {k: found["hygiene"].get(k, 0) for k in truth["hygiene"]} == truth["hygiene"]
    for name in ("persons", "leads", "contacts", "opportunities"):
        assert found["records"][name] == truth["records"][name], name
    for section in ("opportunities_by_origin", "sourcing", "accounts"):
        assert {k: found[section].get(k, 0) for k in truth[section]} == truth[section], section
    assert found["attribution"] == {m: c for m, c in truth["attribution"].items() if c}
    for side in ("notices", "notices_to_the_data_team"):
        assert found["notices"][side] == {tuple(n) for n in truth[side]}, side
    expected_journey = truth_journey(truth["journey"])
    for section, rows in expected_journey.items():
        assert set(found["journey"][section]) == set(rows), section
        for key, figures in rows.items():
            counted = found["journey"][section][key]
            for name, value in figures.items():
                got = counted.get(name, 0 if value is not None else None)
                if isinstance(value, float):
                    assert got == pytest.approx(value, abs=1e-9), (section, key, name)
                else:
                    assert got == value, (section, key, name)
    expected = {(r["month"], r["lead_source"]): r for r in truth["funnel"]}
    assert set(found["funnel"]) == set(expected)
    for key, figures in found["funnel"].items():
        for name, value in expected[key].items():
            if name not in ("month", "lead_source"):
                assert figures.get(name, 0) == value, (key, name)


def test_every_rule_fires_by_default_and_none_when_clean(tmp_path):
    noisy = generate(tmp_path / "noisy", leads=3000, seed=4, batches=2)
    assert all(n > 0 for n in noisy["hygiene"].values()), noisy["hygiene"]
    clean = generate(
        tmp_path / "clean",
        leads=1000,
        seed=4,
        batches=2,
        rates=dict.fromkeys(world.DEFAULT_RATES, 0.0),
    )
    assert set(clean["hygiene"].values()) == {0}
    found = count(tmp_path / "clean", parse_timestamp(clean["as_of"]))
    assert sum(found["hygiene"].values()) == 0


def test_rates_are_configurable(tmp_path):
    low = generate(tmp_path / "low", leads=800, seed=9, rates={"lead_missing_source": 0.0})
    high = generate(tmp_path / "high", leads=800, seed=9, rates={"lead_missing_source": 0.5})
    assert low["hygiene"]["lead_missing_source"] == 0
    persons = high["records"]["persons"]  # the rule reads leads and contacts
    assert 0.4 * persons < high["hygiene"]["lead_missing_source"] < 0.6 * persons
    assert current_records(tmp_path / "low" / "salesforce", "User")


def test_bad_arguments_are_one_line(tmp_path):
    out = run_cli("generate", "--out", str(tmp_path), "--rate", "nonsense=1")
    assert out.returncode == 1 and out.stderr.count("\n") == 1
    assert "unknown hygiene rule" in out.stderr
    out = run_cli("generate", "--out", str(tmp_path), "--leads", "0")
    assert out.returncode == 1 and "--leads" in out.stderr


def test_output_does_not_depend_on_the_number_of_workers(tmp_path, monkeypatch):
    import revalign.generator as gen

    monkeypatch.setattr(gen, "CHUNK_LEADS", 120)
    one = generate(tmp_path / "one", leads=500, seed=6, batches=2, workers=1)
    two = generate(tmp_path / "two", leads=500, seed=6, batches=2, workers=2)
    assert one == two
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")
    assert not list((tmp_path / "one").glob(".parts-*")), "parts are cleaned up"
    found = count(tmp_path / "two", parse_timestamp(two["as_of"]))
    assert {k: found["hygiene"].get(k, 0) for k in two["hygiene"]} == two["hygiene"]
