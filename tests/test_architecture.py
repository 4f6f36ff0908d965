"""The architecture's promises, checked on the files (fast: no warehouse).

- The marts know no CRM: no file under models/marts/, and no macro the marts call,
  names a source; what changed reaches them through the intermediate layer.
- A hygiene rule is its seed row plus its condition: its id stands in no other file
  of the project (tests, docs, the README and the generator, which plants each rule's
  problems on purpose, aside).
- Only dbt_project/macros/postgres/ holds the PostgreSQL versions of dispatched macros.
"""

import csv
import re
from pathlib import Path

from conftest import REPO

DBT = REPO / "dbt_project"
SOURCES = ("salesforce", "olist", "hubspot")


def _macros() -> dict[str, Path]:
    """Every macro of the project: name -> its file."""
    found = {}
    for path in (DBT / "macros").rglob("*.sql"):
        for name in re.findall(r"{%-?\s*macro\s+(\w+)\s*\(", path.read_text()):
            found[name] = path
    return found


def _called(text: str, macros: dict[str, Path]) -> set[str]:
    return {name for name in macros if re.search(rf"\b{name}\s*\(", text)}


def test_no_file_of_the_marts_or_macro_they_call_names_a_source():
    macros = _macros()
    marts = sorted((DBT / "models" / "marts").iterdir())
    reached: set[str] = set()
    pending = set().union(*(_called(p.read_text(), macros) for p in marts if p.is_file()))
    while pending:  # the macros the marts call, and those these call, ...
        name = pending.pop()
        reached.add(name)
        body = _macro_body(macros[name], name)
        pending |= _called(body, macros) - reached
    naming = [
        f"{path.relative_to(REPO)}"
        for path in marts
        if any(s in path.read_text().lower() for s in SOURCES)
    ] + [
        f"{name} ({macros[name].relative_to(REPO)})"
        for name in sorted(reached)
        if any(s in _macro_body(macros[name], name).lower() for s in SOURCES)
    ]
    assert naming == [], "the marts must read sources through the intermediate layer"


def _macro_body(path: Path, name: str) -> str:
    text = path.read_text()
    start = re.search(rf"{{%-?\s*macro\s+{name}\s*\(", text).start()
    end = text.index("endmacro", start)
    return text[start:end]


def test_a_hygiene_rule_id_stands_in_its_seed_row_and_its_condition_only():
    with open(DBT / "seeds" / "hygiene_rules.csv", newline="") as handle:
        rules = [row["rule"] for row in csv.DictReader(handle)]
    allowed = {"tests", "docs", "generator", ".venv", ".revalign", ".git", ".hypothesis"}
    allowed |= {"target", "logs"}  # dbt's own output where dbt ran in dbt_project/ (ignored)
    files = [
        p
        for p in REPO.rglob("*")
        if p.is_file()
        and not allowed & set(p.relative_to(REPO).parts)
        and p.name != "README.md"
        and p.suffix in {".py", ".sql", ".yml", ".yaml", ".json", ".csv", ".md", ".toml"}
    ]
    texts = {p: p.read_text(errors="replace") for p in files}
    for rule in rules:
        where = sorted(str(p.relative_to(REPO)) for p, text in texts.items() if rule in text)
        assert where == [
            "dbt_project/models/intermediate/int_hygiene_issues.sql",
            "dbt_project/seeds/hygiene_rules.csv",
        ], rule


def test_postgresql_versions_live_together_and_every_dispatch_has_one():
    macros = _macros()
    outside = [
        name
        for name, path in macros.items()
        if name.startswith("postgres__") and path.parent.name != "postgres"
    ]
    assert outside == [], "PostgreSQL's versions of macros go to dbt_project/macros/postgres/"
    dispatched = set()
    for path in (DBT / "macros").rglob("*.sql"):
        dispatched |= set(re.findall(r"adapter\.dispatch\('(\w+)'", path.read_text()))
    assert dispatched, "no macro is dispatched"
    missing = sorted(
        name
        for name in dispatched
        if f"postgres__{name}" not in macros and f"default__{name}" not in macros
    )
    assert missing == []
    documented = (REPO / "docs" / "adapters.md").read_text()
    assert [name for name in sorted(dispatched) if f"`{name}(" not in documented] == []


#: revalign's layers, from the top: a module may import from its own layer and those
#: below it, never above (the command line and the generator sit on top of all).
LAYERS = ("orchestration", "report", "checks", "build", "ingest", "warehouse")
BASE = {"settings", "errors", "redaction", "progress"}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "revalign" or len(parts) < 2:
        return None
    return parts[1]


def test_imports_flow_one_way_through_the_stages():
    upward = []
    for path in (REPO / "revalign").rglob("*.py"):
        parts = path.relative_to(REPO / "revalign").parts
        here = parts[0] if len(parts) > 1 else None
        if here not in LAYERS:
            continue  # the top (cli, demo, generator, compatibility modules) may import all
        text = path.read_text()
        imported = re.findall(r"^\s*from (revalign\.[\w.]+) import", text, re.M)
        imported += [
            f"revalign.{name}"
            for names in re.findall(r"^\s*from revalign import ([\w, ]+)", text, re.M)
            for name in names.replace(" ", "").split(",")
        ]
        for module in imported:
            there = _layer(module)
            if there in BASE or there not in LAYERS:
                assert there in BASE or there is None, f"{path.name} imports {module}"
                continue
            if LAYERS.index(there) < LAYERS.index(here):
                upward.append(f"{path.relative_to(REPO)} imports {module}")
    assert upward == [], "a stage imports only from itself and the stages below it"
