"""The hygiene checkpoint: the GX suites of ``expectations/`` run against the warehouse.

One Great Expectations checkpoint validates, through GX Core's Python API:

- ``raw_contract`` on the newest load of every raw table (its batch is a query built
  here from the source declarations: one row per record);
- ``crm_hygiene`` on dbt's ``check_crm_hygiene`` view of the marts (one row per current
  lead and opportunity, one column per rule of the ``hygiene_rules`` seed), one
  expectation per rule of the seed (``hygiene_suite``);
- ``freshness`` on ``ops.load_ledger``.

Thresholds come from settings (and dbt's ``cast_failure_error_share``) as GX suite
parameters. :func:`run` then builds the Data Docs site once, and returns one
:class:`CheckResult` per expectation; ``revalign.checks.hygiene`` stores and alerts on them.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from psycopg2 import sql

from revalign import settings
from revalign.checks import offline_docs
from revalign.settings import ConnectionInfo
from revalign.warehouse import db, deliveries, sources
from revalign.warehouse.sources import raw_column

log = logging.getLogger(__name__)

SUITES_DIR = settings.PROJECT_ROOT / "expectations"
DATASOURCE = "warehouse"
SITE = "revalign"

#: What staging reads as a timestamp (macros/typed_values.sql rv_timestamp): ISO 8601, or
#: milliseconds since 1970 as HubSpot writes them.
_TIMESTAMP = (
    r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,9})?)?)?([zZ]|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)?|[0-9]{12,13})$"
)
_DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"

#: The view dbt builds for the crm_hygiene suite (models/checks/check_crm_hygiene.sql).
HYGIENE_BATCH = "intermediate.check_crm_hygiene"


@dataclass
class CheckResult:
    """One expectation's outcome, as stored in ``ops.check_results``."""

    suite: str
    data_asset: str
    check: str
    expectation_type: str
    status: str  # passed, warning, failed, error
    observed_value: float | None
    threshold: str
    rule: str | None = None
    element_count: int | None = None
    unexpected_share: float | None = None
    details: dict = field(default_factory=dict)


@dataclass
class Checkpoint:
    results: list[CheckResult]
    data_docs: Path


@dataclass(frozen=True)
class Thresholds:
    hygiene_warn_share: float
    hygiene_fail_share: float
    parsable_share: float
    max_load_age_hours: int

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            hygiene_warn_share=settings.hygiene_warn_share(),
            hygiene_fail_share=settings.hygiene_fail_share(),
            parsable_share=1 - float(deliveries.dbt_var("cast_failure_error_share")),
            max_load_age_hours=settings.max_load_age_hours(),
        )

    def parameters(self) -> dict[str, float]:
        return {
            "hygiene_fail_mostly": 1 - self.hygiene_fail_share,
            "parsable_mostly": self.parsable_share,
            "max_load_age_hours": self.max_load_age_hours,
        }


def load_suite(name: str) -> dict:
    """A suite of ``expectations/`` as GX's JSON."""
    return json.loads((SUITES_DIR / f"{name}.json").read_text())


# --- batches --------------------------------------------------------------------------


def raw_contract_queries(conn: ConnectionInfo) -> dict[str, str]:
    """Per raw table that holds rows: the query over its newest load."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            "select table_name, array_agg(column_name::text) from information_schema.columns "
            "where table_schema = 'raw' group by table_name"
        )
        columns = dict(cur.fetchall())
        queries = {}
        for source in sources.load_sources().values():
            for obj in source.objects:
                present = set(columns.get(obj.raw_table, ()))
                if "_loaded_at" in present:
                    queries[obj.raw_table] = _raw_contract_query(obj, present).as_string(pg)
    return queries


def _raw_contract_query(obj: sources.SourceObject, present: set[str]) -> sql.Composed:
    missing = [f.name for f in obj.fields if f.required and raw_column(f.name) not in present]
    # The key's required parts identify a record (a plan target's blank Team is the company).
    required = {f.name for f in obj.fields if f.required}
    key = [raw_column(k) for k in obj.key if k in required and raw_column(k) in present]
    record_id = (
        sql.SQL(" || '|' || ").join(sql.SQL("r.{}").format(sql.Identifier(k)) for k in key)
        if key
        else sql.SQL("null::text")
    )
    parsable = [
        sql.SQL("(r.{c} is null or trim(r.{c}) = '' or trim(r.{c}) ~ {p})").format(
            c=sql.Identifier(raw_column(f.name)),
            p=sql.Literal(_TIMESTAMP if f.type == "timestamp" else _DATE),
        )
        for f in obj.fields
        if f.type in ("timestamp", "date") and raw_column(f.name) in present
    ]
    table = sql.Identifier("raw", obj.raw_table)
    return sql.SQL(
        "select r._row_number as row_number, r._file as file_name, {record_id} as record_id, "
        "{missing}::int as missing_required_columns, {parsable} as timestamps_parsable "
        "from {table} as r where r._loaded_at = (select max(_loaded_at) from {table})"
    ).format(
        record_id=record_id,
        missing=sql.Literal(len(missing)),
        parsable=sql.SQL(" and ").join(parsable) if parsable else sql.SQL("true"),
        table=table,
    )


def hygiene_query() -> str:
    """The crm_hygiene batch: dbt's check_crm_hygiene view (one row per current record,
    one boolean column per rule of the seed; null where the rule does not apply)."""
    return f"select * from {HYGIENE_BATCH}"


def hygiene_suite(rules: list[dict], not_applicable: dict[str, str] | None = None) -> dict:
    """The crm_hygiene suite: its JSON's ``expectation_per_rule``, once per seed rule; a
    rule not applicable to some sources' records says so in its notes (Data Docs)."""
    suite = load_suite("crm_hygiene")
    template = suite["meta"]["expectation_per_rule"]
    not_applicable = not_applicable or {}
    suite["expectations"] = [
        {
            **template,
            "kwargs": {"column": rule["rule"], **template["kwargs"]},
            "meta": {
                "check": rule["rule"],
                "rule": rule["rule"],
                "describes": rule["description"],
            },
            **(
                {
                    "description": (
                        f"{rule['rule']}: not applicable to: {not_applicable[rule['rule']]}."
                    )
                }
                if rule["rule"] in not_applicable
                else {}
            ),
        }
        for rule in rules
    ]
    return suite


def _suite(name: str, rules: list[dict], not_applicable: dict[str, str]) -> dict:
    return hygiene_suite(rules, not_applicable) if name == "crm_hygiene" else load_suite(name)


def freshness_query(as_of: datetime) -> str:
    moment = as_of.isoformat()
    return (
        "select max(extracted_at) as newest_extract, "
        f"extract(epoch from (timestamptz '{moment}' - max(extracted_at))) / 3600.0 "
        "as hours_since_newest_extract from ops.load_ledger where status = 'loaded'"
    )


def hygiene_rules(conn: ConnectionInfo) -> list[dict]:
    """The hygiene_rules seed as dbt built it."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            "select rule, record_type, applies_to, severity, description, how_to_fix "
            "from staging.hygiene_rules order by rule"
        )
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# --- the checkpoint -------------------------------------------------------------------


def run(
    conn: ConnectionInfo,
    as_of: datetime,
    run_name: str,
    thresholds: Thresholds | None = None,
    docs_dir: Path | None = None,
) -> Checkpoint:
    """Validate raw, marts and freshness in one GX checkpoint and build the Data Docs."""
    thresholds = thresholds or Thresholds.from_settings()
    docs_dir = docs_dir or settings.data_docs_dir()
    rules = hygiene_rules(conn)
    not_applicable = rules_not_applicable(conn)
    batches: dict[str, tuple[str, str]] = {  # validation name -> (suite, query)
        f"raw.{table}": ("raw_contract", query)
        for table, query in sorted(raw_contract_queries(conn).items())
    }
    batches["marts.crm_hygiene"] = ("crm_hygiene", hygiene_query())
    batches["ops.freshness"] = ("freshness", freshness_query(as_of))

    import great_expectations as gx

    context = _context(gx, docs_dir)
    datasource = context.data_sources.add_postgres(
        name=DATASOURCE,
        connection_string=conn.session_url,
        # each batch's query runs once, into a temporary table, instead of once per metric
        create_temp_table=True,
    )
    suites = {
        name: context.suites.add(gx.ExpectationSuite(**_suite(name, rules, not_applicable)))
        for name in {suite for suite, _ in batches.values()}
    }
    definitions = []
    for name, (suite, query) in batches.items():
        asset = datasource.add_query_asset(name=name, query=query)
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(
                    name=name,
                    data=asset.add_batch_definition_whole_table(name),
                    suite=suites[suite],
                )
            )
        )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="revalign_hygiene",
            validation_definitions=definitions,
            # No UpdateDataDocsAction: it rebuilds the site once per validation (13 times,
            # each compiling GX's page templates anew), 60% of a check's time.
            actions=[],
            result_format={"result_format": "SUMMARY"},
        )
    )
    outcome = checkpoint.run(
        expectation_parameters=thresholds.parameters(),
        run_id=gx.RunIdentifier(run_name=run_name, run_time=datetime.now().astimezone()),
    )
    # The ephemeral context holds this run's suites and results only: one build renders
    # their pages and an index over every run's pages in docs_dir.
    built_from = time.time() - 1  # file times are coarser than the clock on some systems
    context.build_data_docs(site_names=[SITE])
    offline_docs.make_offline(docs_dir, since=built_from)
    results = []
    for validation in outcome.run_results.values():
        asset = validation.meta["active_batch_definition"]["data_asset_name"]
        suite = validation.suite_name
        results.extend(_check_result(suite, asset, er, thresholds) for er in validation.results)
    _mark_not_applicable(results, not_applicable)
    return Checkpoint(results=results, data_docs=docs_dir / "index.html")


def rules_not_applicable(conn: ConnectionInfo) -> dict[str, str]:
    """Per hygiene rule, the sources (and person types: a lead rule may apply to a
    source's leads and not its contacts) it does not apply to and the fields they
    never delivered (dbt's int_rules_not_applicable), in words."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(
            "select rule, source_system, person_type, missing_fields "
            "from intermediate.int_rules_not_applicable "
            "order by rule, source_system, person_type nulls first"
        )
        missing: dict[str, list[str]] = {}
        for rule, source, person_type, fields in cur.fetchall():
            whose = f"{source} ({person_type}s)" if person_type else source
            missing.setdefault(rule, []).append(f"{whose} never delivered {', '.join(fields)}")
    return {rule: "; ".join(found) for rule, found in missing.items()}


def _mark_not_applicable(results: list[CheckResult], not_applicable: dict[str, str]) -> None:
    """A rule that applies to no record because its sources never delivered a field it
    reads is not applicable (METRICS.md), not passed; where it is so for some sources
    only, its details name them."""
    for result in results:
        if result.suite != "crm_hygiene" or result.rule not in not_applicable:
            continue
        result.details["not_applicable"] = not_applicable[result.rule]
        if not result.element_count:
            result.status = "not_applicable"
            result.threshold = f"not applicable: {not_applicable[result.rule]}"


def _context(gx, docs_dir: Path):
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    docs_dir.mkdir(parents=True, exist_ok=True)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites={
            SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _raised(info: dict | None) -> dict | None:
    """The exception an expectation raised, if any (GX nests it per metric at times)."""
    if not info:
        return None
    if info.get("raised_exception"):
        return info
    return next(
        (v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")), None
    )


def _check_result(suite: str, asset: str, er, thresholds: Thresholds) -> CheckResult:
    config = er.expectation_config
    meta = config.meta or {}
    kwargs = config.kwargs
    result = er.result or {}
    check = meta.get("check") or kwargs.get("column") or config.type
    base = {
        "suite": suite,
        "data_asset": asset,
        "check": check,
        "expectation_type": config.type,
        "rule": meta.get("rule"),
    }
    if error := _raised(er.exception_info):
        message = error.get("exception_message") or "the expectation raised"
        return CheckResult(
            **base,
            status="error",
            observed_value=None,
            threshold="",
            details={"error": message.splitlines()[0]},
        )
    if "unexpected_count" in result:
        elements = int(result.get("element_count") or 0)
        considered = elements - int(result.get("missing_count") or 0)
        unexpected = int(result.get("unexpected_count") or 0)
        share = unexpected / considered if considered else 0.0
        status = "passed" if er.success else "failed"
        if suite == "crm_hygiene":
            warn, fail = thresholds.hygiene_warn_share, thresholds.hygiene_fail_share
            threshold = f"warn > {warn:g}, fail > {fail:g} of applicable records"
            if status == "passed" and share > thresholds.hygiene_warn_share:
                status = "warning"
        else:
            mostly = kwargs.get("mostly", 1)
            threshold = f"fail > {1 - mostly:g} of records"
        return CheckResult(
            **base,
            status=status,
            observed_value=unexpected,
            threshold=threshold,
            element_count=considered,
            unexpected_share=share,
            details={"partial_unexpected_list": result.get("partial_unexpected_list", [])[:5]},
        )
    observed = result.get("observed_value")
    if isinstance(observed, float) and not math.isfinite(observed):
        observed = None
    return CheckResult(
        **base,
        status="passed" if er.success else "failed",
        observed_value=float(observed) if observed is not None else None,
        threshold=f"at most {kwargs.get('max_value')}",
    )
