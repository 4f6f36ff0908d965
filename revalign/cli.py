"""The ``revalign`` command line. Each subcommand wires library functions; no logic lives here."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
from pathlib import Path

from revalign import settings
from revalign.errors import RevalignError

#: Rejected records printed per file; the rest are in ops.rejected_rows.
SHOWN_REJECTS = 5


def _warehouse(args: argparse.Namespace) -> int:
    from revalign import warehouse

    if args.action == "start":
        conn = warehouse.start()
        _set_up(conn)
        where = "external" if not warehouse.is_embedded() else "embedded"
        print(f"warehouse ({where}) ready at {conn.redacted()}")
        return 0
    if args.action == "stop":
        print("warehouse stopped" if warehouse.stop() else "warehouse was not running")
        return 0
    if args.action == "status":
        state = warehouse.status()
        print(("running: " if state.running else "not running: ") + state.detail)
        return 0 if state.running else 3
    if args.action == "url":
        conn = warehouse.bi_connection() if args.bi else warehouse.connection()
        print(conn.url if args.show_password else conn.redacted())
        return 0
    if args.action == "init":
        created = _set_up(warehouse.connection())
        print(f"schemas ready ({', '.join(created) or 'none'} created)")
        return 0
    raise AssertionError(args.action)


def _set_up(conn: settings.ConnectionInfo) -> list[str]:
    from revalign import warehouse
    from revalign.warehouse import schemas

    password = warehouse.bi_password()
    created = schemas.set_up(conn, settings.bi_role(), password)
    if password is None:
        print(
            f"note: BI role {settings.bi_role()} not set up: set REVALIGN_BI_PASSWORD to create it",
            file=sys.stderr,
        )
    return created


def _ready_warehouse() -> settings.ConnectionInfo:
    """The warehouse, started (when embedded) and set up."""
    from revalign import warehouse

    conn = warehouse.start()
    _set_up(conn)
    return conn


def _build(args: argparse.Namespace) -> int:
    from revalign.build import moment, transform

    as_of = moment.parse(args.as_of) if args.as_of else None
    conn = _ready_warehouse()
    nodes = transform.build(
        conn, as_of=as_of, full_refresh=args.full_refresh, unit_tests=args.unit_tests
    )
    print(f"build ok: {len(nodes)} nodes")
    _print_notes(conn)
    if args.docs:
        from revalign.build import dbt_docs

        print(f"docs: {dbt_docs.generate(conn)} (opens from the file; or revalign docs serve)")
    return 0


def _check(args: argparse.Namespace) -> int:
    from revalign.build import moment
    from revalign.checks import hygiene

    as_of = moment.parse(args.as_of) if args.as_of else None
    conn = _ready_warehouse()
    report = hygiene.check(conn, as_of=as_of)
    print(hygiene.format_report(report))
    _print_notes(conn)
    if args.strict and report.summary()["failed"]:
        raise RevalignError(f"{report.summary()['failed']} check(s) failed (--strict)")
    return 0


def _report(args: argparse.Namespace) -> int:
    from revalign import report
    from revalign.build import moment

    as_of = moment.parse(args.as_of) if args.as_of else None
    conn = _ready_warehouse()
    path = report.write(conn, as_of=as_of, out=Path(args.out) if args.out else None)
    print(f"report: {path}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    """Serve dbt docs, Data Docs and the reports on this machine until interrupted."""
    from revalign import docs_site

    conn = _ready_warehouse()
    for line in docs_site.prepare(conn, refresh=args.refresh):
        print(line)
    found = docs_site.sites()
    httpd = docs_site.server(args.port, found)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    print(f"serving on {base}/ (Ctrl-C to stop)")
    for site in found:
        state = "" if site.ready else f": none yet, run {site.missing}"
        print(f"  {base}{site.path}  {site.title}{state}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


def _print_notes(conn: settings.ConnectionInfo) -> None:
    """The lines METRICS.md asks every build and check to print: fields never delivered,
    stages outside the stage order, records kept out of the marts."""
    from revalign.build import notes

    for line in notes.lines(conn):
        print(f"note: {line}")


def _run(args: argparse.Namespace) -> int:
    """load, build and check in one go."""
    status = _load(args)
    _build(argparse.Namespace(as_of=args.as_of, full_refresh=False, docs=False, unit_tests=False))
    _check(argparse.Namespace(as_of=args.as_of, strict=False))
    return status


def _generate(args: argparse.Namespace) -> int:
    from revalign import generator

    rates = {}
    if args.clean:
        rates = dict.fromkeys(generator.world.DEFAULT_RATES, 0.0)
    for item in args.rate:
        rule, _, value = item.partition("=")
        try:
            rates[rule] = float(value)
        except ValueError:
            raise RevalignError(
                f"--rate {item!r}: write RULE=SHARE, e.g. "
                f"{next(iter(generator.world.DEFAULT_RATES))}=0.05"
            ) from None
    out = _writable_folder(Path(args.out), "--out")
    try:
        truth = generator.generate(
            out,
            leads=args.leads,
            seed=args.seed,
            batches=args.batches,
            rates=rates,
            workers=args.workers,
            export_style=args.export_style,
            crm=args.crm,
        )
    except ValueError as exc:
        raise RevalignError(str(exc)) from None
    records = truth["records"]
    crm = generator.CRM_NAMES[args.crm]
    print(
        f"wrote {args.batches} batch(es) of {crm} to {args.out} as {args.export_style} "
        f"exports: {records['persons']} persons ({records['leads']} leads), "
        f"{records['opportunities']} opportunities, as of {truth['as_of']}; expected "
        f"figures in {Path(args.out) / 'truth.json'}"
    )
    if args.export_style == "custom-fields":
        mapping = ", ".join(
            f"{role}: {name}" for role, name in generator.custom_field_setting().items()
        )
        print(f"map its fields in dbt_project.yml vars: salesforce_field_names: {{{mapping}}}")
    return 0


def _writable_folder(path: Path, option: str) -> Path:
    """``path`` as a folder this user may write into (created if missing), else one line why."""
    if path.exists() and not path.is_dir():
        raise RevalignError(f"{option} {path} is a file: name a folder (created if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RevalignError(
            f"{option} {path}: cannot create it ({exc.strerror}): name a folder you may write to"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise RevalignError(f"{option} {path}: not writable by you: name a folder you may write to")
    return path


def _load(args: argparse.Namespace) -> int:
    from revalign.ingest import loader
    from revalign.warehouse import deliveries

    conn = _ready_warehouse()
    try:
        results = loader.load(conn, [Path(p) for p in args.paths], args.source)
    except (FileNotFoundError, ValueError) as exc:
        raise RevalignError(str(exc)) from None
    for result in results:
        print(result.summary())
        for rejected in result.rejected[:SHOWN_REJECTS]:
            print(f"  {result.path.name} line {rejected.line}: {rejected.reason}")
        if len(result.rejected) > SHOWN_REJECTS:
            print(f"  ... {len(result.rejected) - SHOWN_REJECTS} more in ops.rejected_rows")
    statuses = ("loaded", "skipped", "ignored", "quarantined")
    counts = {s: sum(r.status == s for r in results) for s in statuses}
    print(", ".join(f"{n} {status}" for status, n in counts.items()) + f" of {len(results)} files")
    for line in deliveries.never_delivered(deliveries.stored(conn)):
        print(f"note: {line}")
    if counts["quarantined"]:
        print(
            f"revalign load: {counts['quarantined']} file(s) quarantined; "
            "see ops.quarantined_files for why",
            file=sys.stderr,
        )
        return 1
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from revalign.ingest import inspect

    try:
        found = inspect.inspect([Path(p) for p in args.paths], args.source)
    except (FileNotFoundError, ValueError) as exc:
        raise RevalignError(str(exc)) from None
    for line in inspect.report(found):
        print(line)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from revalign import demo

    demo.run(sys.stdout, crm=args.crm)
    return 0


def _manifest(args: argparse.Namespace) -> int:
    from revalign.orchestration import dbt_airflow

    path = dbt_airflow.write_manifest()
    print(f"wrote {path} ({dbt_airflow.model_count(path)} models)")
    return 0


def _airflow(args: argparse.Namespace) -> int:
    """Run Airflow's own command line with revalign's derived configuration.

    ``standalone`` runs through ``revalign.orchestration.airflow_standalone`` (nothing
    listens beyond this machine unless REVALIGN_AIRFLOW_HOST says so); the admin password
    is written where Airflow reads it before Airflow starts, so Airflow never prints one.
    """
    from revalign import warehouse
    from revalign.orchestration import airflow_standalone, dbt_airflow

    conn = _ready_warehouse()
    dbt_airflow.ensure_manifest()  # build_marts is rendered from it
    env = {**os.environ, **settings.airflow_environment(conn, warehouse.airflow_db_connection())}
    bindir = Path(sys.executable).parent
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    airflow_bin = shutil.which("airflow", path=env["PATH"])
    if airflow_bin is None:
        raise RevalignError("Airflow's command line is not installed here: run `make install`")
    settings.airflow_home().mkdir(parents=True, exist_ok=True)
    _write_airflow_admin_password(settings.airflow_home())
    loopback = settings.airflow_host_is_loopback()
    if args.airflow_args[:1] == ["standalone"]:
        argv = [
            sys.executable,
            "-m",
            "revalign.orchestration.airflow_standalone",
            *args.airflow_args[1:],
        ]
    else:
        argv = [airflow_bin, *airflow_standalone.component_command(args.airflow_args, loopback)]
    # `airflow standalone` stops cleanly only on SIGINT; a shell's background job
    # starts with SIGINT ignored, which exec would pass on.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.execve(argv[0], argv, env)
    return 1  # not reached


def _bi(args: argparse.Namespace) -> int:
    """Point a BI tool (Metabase) at the marts, as the read-only BI role."""
    from revalign import metabase, warehouse

    url = settings.metabase_url()
    password = settings.metabase_admin_password()
    if not url or not password:
        raise RevalignError(
            "set REVALIGN_METABASE_URL (e.g. http://localhost:3000) and "
            "REVALIGN_METABASE_ADMIN_PASSWORD first"
        )
    if not warehouse.bi_password():
        raise RevalignError("set REVALIGN_BI_PASSWORD: Metabase reads the marts as the BI role")
    _set_up(warehouse.connection())  # the BI role exists, with that password
    metabase.wait_until_up(url, timeout=args.wait)
    email = settings.metabase_admin_email()
    done = metabase.connect(url, email, password, warehouse.bi_connection())
    admin = f"created admin {email}" if done.created_admin else f"logged in as {email}"
    entry = "added" if done.created_database else "updated"
    print(
        f"Metabase at {url}: {admin}; database '{metabase.DATABASE_NAME}' (id {done.database_id}) "
        f"{entry}, read as {settings.bi_role()}"
    )
    published = done.collection
    print(
        f"  collection '{published.name}' (id {published.collection_id}) and its "
        f"dashboard (id {published.dashboard_id}): {len(published.created)} created, "
        f"{len(published.updated)} updated"
    )
    return 0


def _write_airflow_admin_password(airflow_home: Path) -> None:
    """The admin password, where Airflow's simple auth manager reads (and keeps) it.

    REVALIGN_AIRFLOW_ADMIN_PASSWORD when set; else one generated here the first time, so
    that Airflow, which prints the passwords it generates, finds one and prints nothing.
    """
    import secrets

    path = airflow_home / AIRFLOW_PASSWORD_FILE
    password = settings.airflow_admin_password()
    if not password and path.exists() and path.stat().st_size:
        return
    path.touch(mode=0o600)
    path.chmod(0o600)  # touch's mode applies only to a file it creates
    path.write_text(json.dumps({"admin": password or secrets.token_urlsafe(16)}) + "\n")


#: Where Airflow's simple auth manager keeps its users' passwords, in AIRFLOW_HOME.
AIRFLOW_PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"


def _settings(args: argparse.Namespace) -> int:
    from revalign import redaction

    width = max(len(s.env) for s in settings.SETTINGS)
    for item in settings.SETTINGS:
        current = settings.current_value(item)
        shown = current if args.show_secrets else redaction.shown_value(item, current)
        print(f"{item.env:<{width}}  {shown or '-'}  [default: {item.shown_default}]")
        print(f"{'':<{width}}  {item.help}")
    return 0


def parser() -> argparse.ArgumentParser:
    from revalign.generator import CRMS
    from revalign.generator.writer import EXPORT_STYLES

    top = argparse.ArgumentParser(
        prog="revalign",
        description="Measure the marketing-to-sales hand-off: load CRM extracts, build the "
        "funnel and alignment marts, check CRM hygiene.",
    )
    top.add_argument(
        "--debug", action="store_true", help="on an error, print its full trace, not one line"
    )
    top.add_argument(
        "--verbose",
        action="store_true",
        help="show dbt's own log on the console too (it always goes to its log file)",
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    wh = sub.add_parser("warehouse", help="the embedded PostgreSQL warehouse")
    wh.add_argument(
        "action",
        choices=["start", "stop", "status", "url", "init"],
        help="start/stop the embedded cluster, tell whether it answers, print its URL, "
        "or (init) create the schemas and BI role on whichever warehouse is configured",
    )
    wh.add_argument("--show-password", action="store_true", help="url: print the password too")
    wh.add_argument("--bi", action="store_true", help="url: the read-only BI role's URL")
    wh.set_defaults(func=_warehouse)

    build = sub.add_parser("build", help="dbt build of the marts")
    build.add_argument("--as-of", help="timestamp age-based figures are computed at (ISO 8601)")
    build.add_argument("--full-refresh", action="store_true", help="rebuild incremental models")
    build.add_argument(
        "--unit-tests",
        action="store_true",
        help="also run dbt's unit tests (the models' SQL against fixed rows: development, CI)",
    )
    build.add_argument(
        "--docs",
        action="store_true",
        help="then write dbt's documentation site (dbt docs generate)",
    )
    build.set_defaults(func=_build)

    check = sub.add_parser(
        "check", help="hygiene checks (Great Expectations): results, Data Docs and alerts"
    )
    check.add_argument("--as-of", help="the run's moment (default: the last build's as_of)")
    check.add_argument("--strict", action="store_true", help="exit 1 when a check failed")
    check.set_defaults(func=_check)

    report = sub.add_parser(
        "report",
        help="the alignment report: one self-contained HTML page of charts (the weekly brief)",
    )
    report.add_argument(
        "--as-of", help="the week the report ends with (default: the last build's as_of)"
    )
    report.add_argument(
        "--out", help="file to write (default: REVALIGN_REPORT_DIR/alignment-DATE.html)"
    )
    report.set_defaults(func=_report)

    docs = sub.add_parser(
        "docs", help="serve dbt docs, the Data Docs and the alignment reports on this machine"
    )
    docs.add_argument("action", choices=["serve"], help="serve: until Ctrl-C")
    docs.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (8000; 0: any)")
    docs.add_argument(
        "--refresh", action="store_true", help="generate dbt docs again before serving"
    )
    docs.set_defaults(func=_docs)

    run = sub.add_parser("run", help="load, build and check in one go")
    run.add_argument(
        "paths", nargs="+", metavar="PATH", help="files, batch folders or a landing zone"
    )
    run.add_argument("--source", help="source of the files (default: from the folders)")
    run.add_argument("--as-of", help="timestamp age-based figures are computed at (ISO 8601)")
    run.set_defaults(func=_run)

    load = sub.add_parser("load", help="load extract files or batch folders into raw")
    load.add_argument(
        "paths", nargs="+", metavar="PATH", help="files, batch folders or a landing zone"
    )
    load.add_argument(
        "--source", help="source of the files (default: from <source>/<batch>/ folders)"
    )
    load.set_defaults(func=_load)

    look = sub.add_parser(
        "inspect",
        help="what a delivery holds, before loading it: objects recognised or ignored, fields "
        "delivered and missing (with the figures they feed), columns that look like a missing "
        "custom field and the setting that maps them",
    )
    look.add_argument(
        "paths", nargs="+", metavar="PATH", help="files, batch folders or a landing zone"
    )
    look.add_argument("--source", help="source of the files (default: from the folders)")
    look.set_defaults(func=_inspect)

    gen = sub.add_parser(
        "generate", help="realistic Salesforce or HubSpot sample extracts, with truth.json"
    )
    gen.add_argument("--out", required=True, help="folder to write the batches into")
    gen.add_argument("--leads", type=int, default=1000, help="number of leads (default 1000)")
    gen.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    gen.add_argument("--batches", type=int, default=1, help="1 full + K-1 incremental batches")
    gen.add_argument(
        "--rate",
        action="append",
        default=[],
        metavar="RULE=SHARE",
        help="share of records with the problem the hygiene rule RULE (an id of the "
        "hygiene_rules seed) finds, e.g. 0.1 (repeatable)",
    )
    gen.add_argument("--clean", action="store_true", help="inject no hygiene problem at all")
    gen.add_argument(
        "--export-style",
        default="api",
        choices=EXPORT_STYLES,
        help="write the files as Salesforce's tools do: api (Bulk API, every field; the "
        "default), weekly-export (every object of the org, 300+ columns on Lead), data-loader "
        "(chosen fields, no SystemModstamp), report (labels, US dates, owners by name) or "
        "custom-fields (the org's own custom-field names)",
    )
    gen.add_argument(
        "--crm",
        default="salesforce",
        choices=CRMS,
        help="the CRM whose exports to write: salesforce (the default), hubspot (--export-style "
        "api: internal names; report: HubSpot's own export, labels) or both (every other "
        "lead in HubSpot, the same users in each)",
    )
    gen.add_argument(
        "--workers", type=int, default=None, help="processes to use (default: one per core)"
    )
    gen.set_defaults(func=_generate)

    demo = sub.add_parser("demo", help="sample data end to end, then a summary")
    demo.add_argument(
        "--crm",
        default="salesforce",
        choices=CRMS,
        help="the sample company's CRM: salesforce (the default), hubspot, or both",
    )
    demo.set_defaults(func=_demo)

    manifest = sub.add_parser(
        "manifest",
        help="write the dbt manifest that Airflow renders build_marts from (revalign airflow "
        "does it when the dbt project changed)",
    )
    manifest.set_defaults(func=_manifest)

    airflow = sub.add_parser(
        "airflow",
        help="run Airflow's command line with revalign's configuration (e.g. revalign airflow "
        "standalone)",
    )
    airflow.add_argument("airflow_args", nargs=argparse.REMAINDER)
    airflow.set_defaults(func=_airflow)

    bi = sub.add_parser("bi", help="connect a BI tool to the marts, as the read-only BI role")
    bi.add_argument(
        "action",
        choices=["connect"],
        help="connect: set up the Metabase at REVALIGN_METABASE_URL (admin account on first "
        "run) and add the marts as its database",
    )
    bi.add_argument(
        "--wait", type=float, default=600, help="seconds to wait for Metabase to answer (600)"
    )
    bi.set_defaults(func=_bi)

    show = sub.add_parser(
        "settings", help="list the settings, their values (secrets masked) and defaults"
    )
    show.add_argument(
        "--show-secrets", action="store_true", help="print passwords and tokens in clear"
    )
    show.set_defaults(func=_settings)
    return top


def main(argv: list[str] | None = None) -> int:
    from revalign import progress, redaction

    args = parser().parse_args(argv)
    _log_to_stderr()
    try:
        with progress.reporting(verbose=args.verbose):
            return args.func(args)
    except KeyboardInterrupt:
        print(f"revalign {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        message = _one_line(exc, args.command)
    print(f"revalign {args.command}: {redaction.redact(message)}", file=sys.stderr)
    return 1


def _one_line(exc: Exception, command: str) -> str:
    """An error as one line that says what to do next; the trace is --debug's."""
    if isinstance(exc, RevalignError):
        return str(exc)
    if isinstance(exc, OSError):  # a path the user gave
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or type(exc).__name__}{where}"
    if type(exc).__module__.startswith("psycopg2"):
        # The warehouse's own words, first line only: DETAIL and CONTEXT quote data.
        from revalign.warehouse import db

        return f"the warehouse reported: {db.error_line(exc)}"
    first = (str(exc).strip().splitlines() or [""])[0]
    return (
        f"{type(exc).__name__}: {first} (unexpected: `revalign --debug {command} ...` "
        "prints its trace; please report it)"
    )


def _log_to_stderr() -> None:
    """Warnings of revalign and the libraries it drives go to stderr, secrets masked."""
    import logging

    from revalign.redaction import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()  # at Python's default level, WARNING
    if not any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        root.addHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
