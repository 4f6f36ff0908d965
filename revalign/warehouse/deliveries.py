"""What each source delivered: the funnel fields it sent, and those it never sent.

METRICS.md ("Delivered, blank and missing"): a field no loaded file of a source ever
held (after the field-name mapping) is *never delivered*, not blank. The figures that
need it are null for that source's records, the hygiene rules that read it are not
applicable to them, and load, build and check say so, one line per field.

Each declared column names the funnel field it feeds (``feeds`` in the source
declaration; the seed ``funnel_fields`` puts it in words with the figures that need
it; the seed ``hygiene_rules`` lists the fields each rule reads). The ledger keeps the
columns of every loaded file. :func:`refresh` works out, per source and funnel field,
whether it was delivered, into ``ops.delivered_fields``, which dbt reads (the views
``int_delivered_fields`` and ``int_rule_applicability``); :func:`never_delivered`
gives the lines to print.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import yaml
from psycopg2.extras import execute_values

from revalign import settings
from revalign.settings import ConnectionInfo
from revalign.warehouse import db, ops_tables, sources
from revalign.warehouse.sources import raw_column

SEEDS = settings.PROJECT_ROOT / "dbt_project" / "seeds"
DBT_PROJECT = settings.PROJECT_ROOT / "dbt_project" / "dbt_project.yml"


@dataclass(frozen=True)
class Delivery:
    source: str
    field: str  # funnel field, e.g. lead.mql_at
    objects: tuple[str, ...]  # the objects whose columns feed it
    columns: tuple[str, ...]  # those columns' names as the files must carry them
    settings: tuple[str, ...]  # the dbt var entries that map them (custom fields)
    delivered: bool
    object_delivered: bool  # some file of those objects was loaded


def dbt_var(name: str):
    """A var of dbt_project.yml (the settings of METRICS.md)."""
    return _project_vars()[name]


@cache
def _project_vars() -> dict:
    return yaml.safe_load(DBT_PROJECT.read_text())["vars"]


@cache
def funnel_fields() -> dict[str, dict]:
    """The seed funnel_fields by field: {words, figures}."""
    with open(SEEDS / "funnel_fields.csv", newline="") as handle:
        return {
            row["field"]: {"words": row["words"], "figures": row["figures"].split()}
            for row in csv.DictReader(handle)
        }


@cache
def rules_by_field() -> dict[str, list[str]]:
    """The hygiene rules that read each field (seed hygiene_rules). A rule about every
    person (applies_to lead or mql) reads the same field on a contact: contact.email for
    lead.email, named ``<rule> (contacts)``."""
    found: dict[str, list[str]] = {}
    with open(SEEDS / "hygiene_rules.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            for name in row["fields"].split():
                found.setdefault(name, []).append(row["rule"])
                if row["applies_to"] in ("lead", "mql") and name.startswith("lead."):
                    contact_field = "contact." + name.removeprefix("lead.")
                    found.setdefault(contact_field, []).append(f"{row['rule']} (contacts)")
    return found


def _feeding_columns(
    source: sources.Source, field_names: dict | None = None
) -> dict[str, list[tuple[str, str, str | None]]]:
    """Per funnel field: (object, column name, setting) of each declared column feeding
    it; a custom field's name is the one salesforce_field_names maps it to."""
    names = {**(dbt_var("salesforce_field_names") or {}), **(field_names or {})}
    feeding: dict[str, list[tuple[str, str, str | None]]] = {}
    for obj in source.objects:
        for declared in obj.fields:
            name, setting = declared.name, None
            if declared.custom_field:
                name = names.get(declared.custom_field, declared.name)
                setting = f"salesforce_field_names.{declared.custom_field}"
            for field in declared.feeds:
                feeding.setdefault(field, []).append((obj.object, name, setting))
    return feeding


def compute(conn: ConnectionInfo, field_names: dict | None = None) -> list[Delivery]:
    """Every source and funnel field (seed funnel_fields), delivered or not: a field none
    of a source's declared columns feeds is never delivered by it."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute("select source, object, columns from ops.load_ledger where status = 'loaded'")
        loaded = cur.fetchall()
    delivered_columns: dict[tuple[str, str], set[str] | None] = {}
    for source_name, obj, columns in loaded:
        key = (source_name, obj)
        if columns is None or delivered_columns.get(key, set()) is None:
            delivered_columns[key] = None  # loaded before columns were kept: assume all
        else:
            delivered_columns.setdefault(key, set()).update(columns)
    found = []
    for source in sources.load_sources().values():
        feeds = _feeding_columns(source, field_names)
        for field in sorted({*funnel_fields(), *feeds}):
            feeding = feeds.get(field, [])
            delivered = object_delivered = False
            for obj, column, _ in feeding:
                if (source.name, obj) not in delivered_columns:
                    continue
                object_delivered = True
                columns = delivered_columns[(source.name, obj)]
                delivered |= columns is None or raw_column(column) in columns
            found.append(
                Delivery(
                    source=source.name,
                    field=field,
                    objects=tuple(dict.fromkeys(o for o, _, _ in feeding)),
                    columns=tuple(dict.fromkeys(c for _, c, _ in feeding)),
                    settings=tuple(s for _, _, s in feeding if s),
                    delivered=delivered,
                    object_delivered=object_delivered,
                )
            )
    return found


def refresh(conn: ConnectionInfo, field_names: dict | None = None) -> list[Delivery]:
    """Work out what each source delivered and store it in ``ops.delivered_fields``.

    ``field_names`` overrides entries of the var salesforce_field_names (a build's --vars).
    """
    ops_tables.ensure(conn)
    found = compute(conn, field_names)
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('revalign.delivered_fields'))")
        cur.execute(
            "delete from ops.delivered_fields where source || '|' || field <> all(%s)",
            ([f"{item.source}|{item.field}" for item in found],),
        )
        if not found:
            return found
        execute_values(  # one statement: a load's last step, it must stay cheap
            cur,
            "insert into ops.delivered_fields (source, field, delivered, columns, "
            "object_delivered, objects, settings) values %s "
            "on conflict (source, field) do update set delivered = excluded.delivered, "
            "columns = excluded.columns, object_delivered = excluded.object_delivered, "
            "objects = excluded.objects, settings = excluded.settings, changed_at = "
            "case when ops.delivered_fields.delivered = excluded.delivered "
            "then ops.delivered_fields.changed_at else now() end",
            [
                (
                    item.source,
                    item.field,
                    item.delivered,
                    [*item.columns],
                    item.object_delivered,
                    [*item.objects],
                    [*item.settings],
                )
                for item in found
            ],
            template="(%s, %s, %s, %s::text[], %s, %s::text[], %s::text[])",
        )
    return found


def stored(conn: ConnectionInfo) -> list[Delivery]:
    """What the last load or build worked out (with that build's field-name mapping).

    The ops tables exist by then: load, build and check each ensure them first.
    """
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            "select source, field, objects, columns, settings, delivered, object_delivered "
            "from ops.delivered_fields order by source, field"
        )
        return [
            Delivery(s, f, tuple(o), tuple(c), tuple(x), d, od)
            for s, f, o, c, x, d, od in cur.fetchall()
        ]


def never_delivered(found: list[Delivery]) -> list[str]:
    """One line per funnel field a source delivered files of its object(s) without.

    For example ``salesforce: no MQL date delivered (MQL_Date__c): mqls, sla_status, ...
    are empty; <the rules reading it> not applicable; map it with
    salesforce_field_names.mql_date``. An object no file of the source delivered at all
    is one line, for all its fields.
    """
    lines = []
    loaded_sources = {item.source for item in found if item.object_delivered}
    words = funnel_fields()
    rules = rules_by_field()
    missing_objects: dict[tuple[str, tuple[str, ...]], list[Delivery]] = {}
    for item in found:
        if item.delivered or not item.columns or item.source not in loaded_sources:
            continue
        if not item.object_delivered:
            missing_objects.setdefault((item.source, item.objects), []).append(item)
            continue
        described = words.get(item.field, {"words": item.field, "figures": []})
        said = consequences(described["figures"], rules.get(item.field, []))
        if not said:
            continue
        line = f"{item.source}: no {described['words']} delivered ({', '.join(item.columns)})"
        line += ": " + said
        if item.settings:
            line += f"; map it with {' or '.join(dict.fromkeys(item.settings))}"
        lines.append(line)
    for (source, objects), items in missing_objects.items():
        figures = [f for i in items for f in words.get(i.field, {"figures": []})["figures"]]
        applies = [r for i in items for r in rules.get(i.field, [])]
        said = _when_missing(source, objects) or consequences(
            list(dict.fromkeys(figures)), list(dict.fromkeys(applies))
        )
        if said:
            names = " or ".join(f"{o}.csv" for o in objects)
            lines.append(f"{source}: no {names} delivered yet: {said}")
    return lines


def _when_missing(source: str, objects: tuple[str, ...]) -> str | None:
    """What the declaration says the figures miss without these objects (when_missing)."""
    declared = sources.load_sources().get(source)
    if declared is None:
        return None
    said = [o.when_missing for o in declared.objects if o.object in objects and o.when_missing]
    return "; ".join(dict.fromkeys(said)) or None


def consequences(figures: list[str], applies: list[str]) -> str:
    """'<figures> are empty; <rules> not applicable', each part when it has names."""
    parts = []
    if figures:
        parts.append(f"{', '.join(figures)} {'is' if len(figures) == 1 else 'are'} empty")
    if applies:
        parts.append(f"{', '.join(applies)} not applicable")
    return "; ".join(parts)
