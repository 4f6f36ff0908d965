"""``revalign inspect PATH``: what a delivery holds, before anything is loaded.

Per object of a file, batch or landing zone: recognised or ignored, files and rows, the
declared fields delivered and those missing (with the figures and hygiene rules each
feeds), and, for each missing custom field, the delivered columns that look like it by
name and by values, with the setting line that maps it. Reads the files only: no
warehouse is needed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from revalign import settings
from revalign.ingest import csv_records, loader, report_exports
from revalign.warehouse import deliveries, sources
from revalign.warehouse.sources import raw_column

SAMPLE_RECORDS = 500
SUGGESTIONS = 3
#: A delivered column looks like a missing field when its name is this close...
NAME_SCORE = 0.5
#: ...and at least this share of its non-empty sampled values read as the field's type.
VALUE_SHARE = 0.8


@dataclass
class ObjectDelivery:
    source: str
    object: str
    decl: sources.SourceObject | None
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # raw column -> header as delivered
    samples: dict[str, list[str]] = field(default_factory=dict)  # raw column -> values
    problems: list[str] = field(default_factory=list)


def inspect(paths: list[Path], source: str | None = None) -> list[ObjectDelivery]:
    """Every object delivered under ``paths``, its files read (not loaded)."""
    declared = sources.load_sources()
    if source is not None and source not in declared:
        raise ValueError(f"unknown source {source!r}; declared: {', '.join(sorted(declared))}")
    found: dict[tuple[str, str], ObjectDelivery] = {}
    for root in paths:
        for path in loader.data_files(Path(root)):
            chosen = declared[source] if source else loader.source_of(path, declared)
            if chosen is None:
                item = found.setdefault(("?", path.name), ObjectDelivery("?", path.name, None))
                item.files.append(path)
                item.problems.append(
                    f"{path.name}: cannot tell its source: put it under "
                    "<landing>/<source>/<batch>/ or pass --source"
                )
                continue
            decl = chosen.object_for_file(path.name)
            name = decl.object if decl else re.sub(r"_\d[\d-]*$", "", path.stem)
            item = found.setdefault((chosen.name, name), ObjectDelivery(chosen.name, name, decl))
            item.files.append(path)
            _read(path, item)
    return sorted(found.values(), key=lambda d: (d.decl is None, d.source, d.object))


def _read(path: Path, item: ObjectDelivery) -> None:
    try:
        header = csv_records.read_header(path)
    except (csv_records.HeaderError, OSError) as exc:
        item.problems.append(f"{path.name}: {exc}")
        return
    if item.decl is None:
        item.rows += _count_records(path)
        return
    columns = [item.decl.column_for(name)[0] for name in header]
    for column, name in zip(columns, header, strict=True):
        item.columns.setdefault(column, name)
    limit = settings.max_field_chars()
    for number, record in enumerate(csv_records.careful_records(path, header, limit)):
        if isinstance(record, csv_records.Rejected):
            continue
        item.rows += 1
        if number < SAMPLE_RECORDS:
            for column, value in zip(columns, record, strict=False):
                if value.strip():
                    item.samples.setdefault(column, []).append(value.strip())


def _count_records(path: Path) -> int:
    with open(path, encoding=csv_records.ENCODING, errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return sum(1 for row in reader if row)


def report(found: list[ObjectDelivery]) -> list[str]:
    """What ``revalign inspect`` prints."""
    lines = []
    words = deliveries.funnel_fields()
    rules = deliveries.rules_by_field()
    names = deliveries.dbt_var("salesforce_field_names") or {}
    for item in found:
        files = f"{len(item.files)} file(s), {item.rows} rows"
        if item.decl is None:
            lines.append(f"{item.source} {item.object}: ignored, not used by revalign ({files})")
            lines.extend(f"  problem: {p}" for p in item.problems)
            continue
        declared = [f for f in item.decl.fields]
        delivered, missing = [], []
        for declared_field in declared:
            name = declared_field.name
            if declared_field.custom_field:
                name = names.get(declared_field.custom_field, name)
            (delivered if raw_column(name) in item.columns else missing).append(
                (declared_field, name)
            )
        lines.append(
            f"{item.source} {item.object}: recognised ({files}, {len(item.columns)} columns); "
            f"{len(delivered)} of {len(declared)} declared fields delivered"
        )
        lines.extend(f"  problem: {p}" for p in item.problems)
        quiet = []
        fed = {feed for f, _ in delivered for feed in f.feeds}
        for declared_field, name in missing:
            if declared_field.feeds and set(declared_field.feeds) <= fed:
                continue  # another delivered column feeds the same (OwnerId, Owner.Name)
            figures = [
                f for feed in declared_field.feeds for f in words.get(feed, {}).get("figures", [])
            ]
            applies = [r for feed in declared_field.feeds for r in rules.get(feed, [])]
            if not figures and not applies and not declared_field.custom_field:
                quiet.append(name)
                continue
            consequence = deliveries.consequences(
                list(dict.fromkeys(figures)), list(dict.fromkeys(applies))
            )
            lines.append(f"  missing {name}" + (f": {consequence}" if consequence else ""))
            if declared_field.custom_field:
                lines.extend(_suggestions(item, declared_field))
        if quiet:
            lines.append(f"  missing, used by no figure: {', '.join(quiet)}")
    return lines


def _suggestions(item: ObjectDelivery, wanted: sources.Field) -> list[str]:
    """The delivered columns that look like a missing custom field, best first."""
    declared = {raw_column(f.name) for f in item.decl.fields}
    scored = []
    for column, header in item.columns.items():
        if column in declared:
            continue
        score = _name_score(wanted, header)
        values = item.samples.get(column, [])
        readable = _readable_share(wanted.type, values)
        if score >= NAME_SCORE and (not values or readable >= VALUE_SHARE):
            scored.append((score, header, len(values), readable))
    scored.sort(key=lambda s: (-s[0], s[1]))
    if not scored:
        return [
            f"    no delivered column looks like it: if the org keeps it under another "
            f"name, map it with salesforce_field_names.{wanted.custom_field}"
        ]
    found = []
    for score, header, sampled, readable in scored[:SUGGESTIONS]:
        values = (
            f"{readable:.0%} of {sampled} sampled values read as {wanted.type}"
            if sampled
            else "no values in the sample"
        )
        found.append(f"    looks like: {header} (name {score:.0%} alike; {values})")
    best = scored[0][1]
    found.append(
        "    map it: in dbt_project/dbt_project.yml, under vars > salesforce_field_names, set "
        f"{wanted.custom_field}: {best}"
    )
    return found


def _words(name: str) -> str:
    """A field name as comparable words: no __c, no separators, lower case."""
    name = re.sub(r"__c$", "", name.strip(), flags=re.IGNORECASE)
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return " ".join(re.split(r"[\s_./-]+", name.lower())).strip()


def _name_score(wanted: sources.Field, header: str) -> float:
    candidates = [wanted.name, *wanted.labels, wanted.custom_field or ""]
    given = _words(header)
    best = 0.0
    for candidate in filter(None, candidates):
        target = _words(candidate)
        ratio = SequenceMatcher(None, target, given).ratio()
        shared = set(target.split()) & set(given.split())
        overlap = len(shared) / len(set(target.split())) if target else 0
        best = max(best, ratio, overlap)
    return best


def _readable_share(kind: str, values: list[str]) -> float:
    if not values:
        return 0.0
    return sum(_reads_as(kind, value) for value in values) / len(values)


def _reads_as(kind: str, value: str) -> bool:
    """Whether a value reads as the type: dates and times in any form a report writes,
    day or month first."""
    readers = (
        [lambda v, order=order: report_exports.local_datetime(v, order) for order in ("MDY", "DMY")]
        if kind in ("timestamp", "date")
        else [lambda v: sources.parse_value(kind, v)]
    )
    for read in readers:
        try:
            read(value)
        except ValueError:
            continue
        return True
    return False
