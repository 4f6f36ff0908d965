"""Source declarations: what each extract holds, read from the dbt sources YAML.

A source (salesforce, olist, plan) is declared once, in
``dbt_project/models/staging/<source>/_<source>__sources.yml``: its objects,
which files hold them, their key, modified-at cursor, deleted flag and field
types. dbt staging reads that file as its sources; the loader and the tests read
it through this module. Adding a source means adding such a file and its
staging models.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache, cached_property
from pathlib import Path

import yaml

from revalign import settings
from revalign.warehouse import salesforce_ids

STAGING_DIR = settings.PROJECT_ROOT / "dbt_project" / "models" / "staging"

FIELD_TYPES = ("id", "text", "timestamp", "date", "boolean", "number", "integer", "month")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool = False
    custom_field: str | None = None
    labels: tuple[str, ...] = ()  # headers a report export writes for it
    feeds: tuple[str, ...] = ()  # the funnel fields it supplies (seed funnel_fields)


@dataclass(frozen=True)
class SourceObject:
    source: str
    name: str  # dbt source table name, e.g. "lead"
    raw_table: str  # table in schema raw, e.g. "salesforce__lead"
    object: str  # the extract's own name, e.g. "Lead"
    files: tuple[str, ...]  # file name patterns
    key: tuple[str, ...]
    cursors: tuple[str, ...]  # modified-at fields, first delivered wins; none: delivery order
    deleted_flag: str | None
    fields: tuple[Field, ...]
    #: what the figures miss while no file of the object was delivered, in words
    when_missing: str | None = None

    @property
    def cursor(self) -> str | None:
        """The preferred modified-at field (SystemModstamp for Salesforce)."""
        return self.cursors[0] if self.cursors else None

    @cached_property
    def _raw_columns(self) -> frozenset[str]:
        return frozenset(raw_column(f.name) for f in self.fields)

    @cached_property
    def _labels(self) -> dict[str, str]:
        return {
            label.lower(): raw_column(f.name) for f in reversed(self.fields) for label in f.labels
        }

    def column_for(self, header: str) -> tuple[str, bool]:
        """The raw column of a delivered header, and whether the header was a report label:
        a declared API name (case ignored) or an unknown column as itself, a declared
        field's label (``Lead ID``) as that field's API name."""
        column = raw_column(header)
        if column in self._raw_columns:
            return column, False
        label = self._labels.get(" ".join(header.split()).lower())
        return (label, True) if label is not None else (column, False)

    def matches(self, filename: str) -> bool:
        return any(fnmatch.fnmatchcase(filename, pattern) for pattern in self.files)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class Source:
    name: str
    objects: tuple[SourceObject, ...]

    def object_for_file(self, filename: str) -> SourceObject | None:
        return next((o for o in self.objects if o.matches(filename)), None)

    def object(self, name: str) -> SourceObject:
        for candidate in self.objects:
            if name in (candidate.name, candidate.object):
                return candidate
        raise KeyError(f"source {self.name} declares no object {name!r}")


class DeclarationError(ValueError):
    """A source declaration file is malformed."""


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _revalign_meta(node: dict) -> dict:
    return ((node.get("config") or {}).get("meta") or {}).get("revalign") or {}


def _parse_file(path: Path) -> list[Source]:
    # libyaml's loader: these files are read when a DAG file is parsed, where 0.2 s counts
    document = yaml.load(path.read_text(), Loader=_SafeLoader) or {}
    found = []
    for source in document.get("sources", []):
        objects = []
        for table in source.get("tables", []):
            meta = _revalign_meta(table)
            where = f"{path.name}: {source['name']}.{table['name']}"
            if "object" not in meta or "files" not in meta or "key" not in meta:
                raise DeclarationError(f"{where} needs config.meta.revalign object, files and key")
            fields = []
            for column in table.get("columns", []):
                column_meta = _revalign_meta(column)
                kind = column_meta.get("type", "text")
                if kind not in FIELD_TYPES:
                    raise DeclarationError(f"{where}.{column['name']}: unknown type {kind!r}")
                fields.append(
                    Field(
                        name=column["name"],
                        type=kind,
                        required=bool(column_meta.get("required")),
                        custom_field=column_meta.get("custom_field"),
                        labels=tuple(column_meta.get("labels") or ()),
                        feeds=_names(column_meta.get("feeds")),
                    )
                )
            key = meta["key"]
            objects.append(
                SourceObject(
                    source=source["name"],
                    name=table["name"],
                    raw_table=table.get("identifier", table["name"]),
                    object=meta["object"],
                    files=tuple(meta["files"]),
                    key=tuple(key) if isinstance(key, list) else (key,),
                    cursors=_names(meta.get("cursor")),
                    deleted_flag=meta.get("deleted_flag"),
                    fields=tuple(fields),
                    when_missing=meta.get("when_missing"),
                )
            )
        found.append(Source(name=source["name"], objects=tuple(objects)))
    return found


def _names(value: str | list[str] | None) -> tuple[str, ...]:
    """One name or a list of them, as a tuple."""
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@cache
def raw_column(name: str) -> str:
    """Column name in raw: the delivered name, trimmed and lower-cased (API names ignore case)."""
    return name.strip().lower()


def load_sources(staging_dir: Path = STAGING_DIR) -> dict[str, Source]:
    """Every declared source by name."""
    sources: dict[str, Source] = {}
    for path in sorted(staging_dir.glob("*/_*__sources.yml")):
        for source in _parse_file(path):
            sources[source.name] = source
    return sources


def source(name: str) -> Source:
    sources = load_sources()
    if name not in sources:
        raise KeyError(f"no source {name!r}; declared: {', '.join(sorted(sources))}")
    return sources[name]


# --- typed values ---------------------------------------------------------------------

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
#: HubSpot's API writes times as milliseconds since 1970: 12 or 13 digits (1973 to 2286).
EPOCH_MILLISECONDS = re.compile(r"^\d{12,13}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_value(kind: str, text: str | None) -> object:
    """Typed value of one delivered field; empty is None. Raises ValueError naming the problem."""
    if text is None or text == "":
        return None
    if kind == "text":
        return text
    value = text.strip()
    if value == "":
        return None
    if kind == "id":
        return salesforce_ids.to_18(value)
    if kind == "boolean":
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"not a boolean: {text!r}")
    if kind == "timestamp":
        return parse_timestamp(value)
    if kind == "date":
        try:
            return date.fromisoformat(value[:10]) if len(value) >= 10 else date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from None
    if kind == "number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a number: {text!r}") from None
        if not number.is_finite():
            raise ValueError(f"not a finite number: {text!r}")
        return number
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"not a whole number: {text!r}") from None
    if kind == "month":
        match = _MONTH.match(value)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        return date(int(match.group(1)), int(match.group(2)), 1)
    raise ValueError(f"unknown field type {kind!r}")


def parse_timestamp(value: str) -> datetime:
    """Salesforce ``2024-01-22T20:36:47.000+0000`` / ``...Z``, ``2024-01-22 20:36:47``, or
    HubSpot's milliseconds since 1970 (12 or 13 digits); UTC."""
    text = value.strip()
    if EPOCH_MILLISECONDS.match(text):
        return _EPOCH + timedelta(milliseconds=int(text))
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
