"""The one place that reads revalign's configuration.

Every setting is an environment variable with a documented default (see the
README's "Configuration" table). Other modules never call ``os.environ``: they
ask this module, and the dbt profile and the Airflow connection are derived
from what it returns (``dbt_environment()``, ``airflow_environment()``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Airflow connection id that DAGs use to reach the warehouse.
WAREHOUSE_CONN_ID = "revalign_warehouse"

#: Options of every session revalign opens on the warehouse (dbt, GX, loads). PostgreSQL's
#: JIT compiler is off: the marts' queries are large, so their cost estimates pass the JIT
#: thresholds and each one paid up to 9 s of compilation (on a 4,000-lead warehouse, where
#: the query itself takes 0.2 s). libpq reads them from PGOPTIONS or the ``options`` keyword.
SESSION_OPTIONS = "-c jit=off"

#: Schemas of the warehouse, in flow order.
SCHEMAS = ("raw", "staging", "intermediate", "marts", "ops")


def _text(name: str, raw: str) -> str:
    return raw


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value


def _share(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number between 0 and 1, got {raw!r}") from None
    if not 0 <= value <= 1:
        raise SettingsError(f"{name} must be between 0 and 1, got {value}")
    return value


def _boolean(name: str, raw: str) -> bool:
    if raw.lower() in ("true", "1", "yes", "on"):
        return True
    if raw.lower() in ("false", "0", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _list(name: str, raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


DATE_ORDERS = ("auto", "MDY", "DMY", "YMD")


def _date_orders(name: str, raw: str) -> dict[str, str]:
    """``MDY`` for every source, or per source: ``salesforce=DMY,hubspot=MDY``."""
    orders: dict[str, str] = {}
    for item in _list(name, raw):
        source, _, order = item.rpartition("=")
        order = order.strip()
        normalised = order if order == "auto" else order.upper()
        if normalised not in DATE_ORDERS:
            raise SettingsError(
                f"{name}: {order!r} is no date order; write one of {', '.join(DATE_ORDERS)}, "
                "for every source or per source (salesforce=DMY,hubspot=MDY)"
            )
        orders[source.strip() or "*"] = normalised
    return orders


@dataclass(frozen=True)
class Setting:
    """One documented environment variable, declared once: its name, its default, how its
    value is read, what it means.

    ``default`` is the value used when the variable is unset, read by ``parse`` like a
    set one (None: no value). Where the default is worked out at run time (a folder
    under REVALIGN_HOME, a generated password), ``default`` is None and ``shown`` says
    what it is; the accessor below works it out. ``secret`` says what of its value must
    never be printed (``revalign.redaction``): ``"value"`` all of it, ``"url"`` a URL's
    password, ``"url-path"`` also the URL's path (a webhook's token); None: nothing.
    """

    env: str
    default: str | None
    help: str
    secret: str | None = None
    parse: Callable[[str, str], Any] = _text
    shown: str | None = None

    @property
    def shown_default(self) -> str:
        """The default as ``revalign settings`` and the README state it."""
        return self.shown or self.default or "unset"


#: The documented settings, listed by ``revalign settings``. A test keeps the README's
#: Configuration table in step with this list.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "REVALIGN_HOME",
        None,
        "Folder for local state: the embedded warehouse, Airflow home, logs.",
        shown=".revalign under the project",
    ),
    Setting(
        "REVALIGN_WAREHOUSE_URL",
        None,
        "libpq URL of an existing PostgreSQL. When set, no embedded warehouse is started "
        "and every part (CLI, dbt, Airflow, GX) uses it.",
        secret="url",
        shown="unset (embedded warehouse)",
    ),
    Setting(
        "REVALIGN_AIRFLOW_DB_URL",
        None,
        "libpq URL of Airflow's metadata database.",
        secret="url",
        shown="database airflow on the warehouse server",
    ),
    Setting(
        "REVALIGN_BI_ROLE",
        "revalign_bi",
        "Read-only role for BI tools: may select from schema marts and nothing else.",
    ),
    Setting(
        "REVALIGN_BI_PASSWORD",
        None,
        "Password of the BI role.",
        secret="value",
        shown="generated for the embedded warehouse",
    ),
    Setting(
        "REVALIGN_AIRFLOW_ADMIN_PASSWORD",
        None,
        "Password of Airflow's admin user (simple auth manager); revalign airflow writes it "
        "where Airflow reads it. Set it where several machines share one Airflow.",
        secret="value",
        shown="generated by revalign airflow into Airflow's home",
    ),
    Setting(
        "REVALIGN_EMAIL_KEY_SECRET",
        None,
        "Secret of the marts' email_key (HMAC-SHA-256 of the email): set it to keep keys "
        "equal across warehouses; after changing it run revalign build --full-refresh.",
        secret="value",
        shown="generated once, kept in ops.email_key_secret",
    ),
    Setting(
        "REVALIGN_AIRFLOW_HOST",
        "127.0.0.1",
        "Address revalign's Airflow listens on (API server; task log servers are not started "
        "on a loopback address). Set 0.0.0.0 where other machines must reach it.",
    ),
    Setting(
        "REVALIGN_ADJUST_COSMOS",
        "true",
        "Whether build_marts' tasks take revalign's adjustments to Cosmos (one dbt parse "
        "for every as_of, only the XCom posts the model tasks read, model tasks niced; "
        "revalign/orchestration/watcher_build.py). false runs Cosmos as it ships.",
        parse=_boolean,
    ),
    Setting(
        "REVALIGN_METABASE_URL",
        None,
        "Metabase that revalign bi connect sets up: its admin account, and the warehouse's "
        "marts as a database it reads with the BI role.",
        secret="url",
    ),
    Setting(
        "REVALIGN_METABASE_ADMIN_EMAIL",
        "admin@revalign.local",
        "Email (login) of the Metabase admin account that revalign bi connect creates or uses.",
    ),
    Setting(
        "REVALIGN_METABASE_ADMIN_PASSWORD",
        None,
        "Its password.",
        secret="value",
    ),
    Setting(
        "REVALIGN_LANDING_DIR",
        None,
        "Landing zone for extract batches: a folder or an fsspec URL.",
        shown="REVALIGN_HOME/landing",
    ),
    Setting(
        "REVALIGN_PG_BINDIR",
        None,
        "Folder of the PostgreSQL server programs the embedded warehouse runs.",
        shown="initdb on PATH, else newest /usr/lib/postgresql/*/bin",
    ),
    Setting(
        "REVALIGN_PG_OS_USER",
        "postgres",
        "Unprivileged OS user that owns and runs the embedded cluster when revalign runs as root.",
        shown="postgres (only as root)",
    ),
    Setting(
        "REVALIGN_LANDING_POKE_SECONDS",
        "2",
        "How often the landing-zone watcher looks for new _SUCCESS markers.",
        parse=_positive_int,
    ),
    Setting(
        "REVALIGN_MAX_FIELD_CHARS",
        "131072",
        "Longest field a loaded file may hold (Salesforce's long text limit); longer "
        "records are rejected.",
        parse=_positive_int,
    ),
    Setting(
        "REVALIGN_DATE_ORDER",
        "auto",
        "Day and month order of dates in report exports (02/03/2026): MDY, DMY or YMD, for "
        "every source or per source (salesforce=DMY,hubspot=MDY); auto reads it from the "
        "file's dates and says so when they cannot tell.",
        parse=_date_orders,
    ),
    Setting(
        "REVALIGN_DBT_THREADS",
        "2",
        "Threads dbt uses for a build.",
        parse=_positive_int,
    ),
    Setting(
        "REVALIGN_HYGIENE_WARN_SHARE",
        "0",
        "A hygiene check warns when more than this share of the records its rule applies "
        "to fails the rule.",
        parse=_share,
    ),
    Setting(
        "REVALIGN_HYGIENE_FAIL_SHARE",
        "0.05",
        "A hygiene check fails when more than this share of the records its rule applies "
        "to fails the rule.",
        parse=_share,
    ),
    Setting(
        "REVALIGN_MAX_LOAD_AGE_HOURS",
        "48",
        "The freshness check fails when the newest extract is older than this at as_of.",
        parse=_positive_int,
    ),
    Setting(
        "REVALIGN_DATA_DOCS_DIR",
        None,
        "Folder of the Great Expectations Data Docs site that revalign check builds.",
        shown="REVALIGN_HOME/data_docs",
    ),
    Setting(
        "REVALIGN_REPORT_DIR",
        None,
        "Folder where revalign report and the weekly brief write the alignment report.",
        shown="REVALIGN_HOME/reports",
    ),
    Setting(
        "REVALIGN_BRIEF_TO",
        "",
        "Email address(es), comma-separated, that receive the weekly alignment brief (the "
        "report as HTML body and attachment); Slack and the webhook get its summary.",
        parse=_list,
    ),
    Setting(
        "REVALIGN_BRIEF_SCHEDULE",
        "0 7 * * 1",
        "When the weekly_brief DAG runs: a cron expression in UTC (default Mondays 07:00).",
    ),
    Setting(
        "REVALIGN_ALERT_SMTP_URL",
        None,
        "Send alerts by email through this server: "
        "smtp://[user:password@]host[:port]?from=ADDRESS[&security=starttls|ssl|none].",
        secret="url",
    ),
    Setting(
        "REVALIGN_ALERT_SLACK_WEBHOOK_URL",
        None,
        "Send alerts to Slack through this incoming-webhook URL.",
        secret="url-path",
    ),
    Setting(
        "REVALIGN_ALERT_WEBHOOK_URL",
        None,
        "POST every alert as JSON to this URL.",
        secret="url-path",
    ),
    Setting(
        "REVALIGN_ALERT_DATA_TEAM",
        "",
        "Email address(es), comma-separated, of the data team: they get each run's summary "
        "and the issues of records without an active owner.",
        parse=_list,
    ),
    Setting(
        "REVALIGN_ALERT_REPEAT_HOURS",
        "168",
        "An issue already alerted is alerted again only when it changes or after this many "
        "hours (of as_of).",
        parse=_positive_int,
    ),
    Setting(
        "REVALIGN_ALERT_ATTEMPTS",
        "3",
        "Attempts to deliver one alert before it is logged as failed (and retried next run).",
        parse=_positive_int,
    ),
    Setting(
        "REVALIGN_CRM_RECORD_URL",
        "https://login.salesforce.com/{record_id}",
        "Link to a record in the CRM, quoted in alerts; {record_id} and {source_system} "
        "are filled in. HubSpot's records have their own (REVALIGN_HUBSPOT_RECORD_URL).",
    ),
    Setting(
        "REVALIGN_HUBSPOT_HUB_ID",
        None,
        "Your HubSpot account's Hub ID (Settings > Account Management), which HubSpot's "
        "record links need; unset, alerts name HubSpot records without a link.",
    ),
    Setting(
        "REVALIGN_HUBSPOT_RECORD_URL",
        "https://app.hubspot.com/contacts/{hub_id}/record/{object_type_id}/{record_id}",
        "Link to a HubSpot record, quoted in alerts; {hub_id} (REVALIGN_HUBSPOT_HUB_ID), "
        "{object_type_id} (0-1 a contact, 0-3 a deal) and {record_id} are filled in.",
    ),
)

_BY_NAME = {setting.env: setting for setting in SETTINGS}


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def current_value(setting: Setting) -> str | None:
    """What the environment sets for ``setting`` now (None: its default applies)."""
    return _env(setting.env)


def value(name: str) -> Any:
    """The setting ``name``: its variable read by its parser, else its default (or None)."""
    setting = _BY_NAME[name]
    raw = _env(name)
    if raw is None:
        raw = setting.default
    if raw is None:
        return None
    return setting.parse(name, raw)


def home() -> Path:
    """Folder for local state (ignored by git)."""
    return Path(value("REVALIGN_HOME") or PROJECT_ROOT / ".revalign").resolve()


def landing_dir() -> str:
    return value("REVALIGN_LANDING_DIR") or str(home() / "landing")


def dbt_threads() -> int:
    return value("REVALIGN_DBT_THREADS")


def landing_poke_seconds() -> int:
    return value("REVALIGN_LANDING_POKE_SECONDS")


def max_field_chars() -> int:
    return value("REVALIGN_MAX_FIELD_CHARS")


def date_order(source: str) -> str:
    """The date order of a source's report exports: MDY, DMY, YMD or auto."""
    orders = value("REVALIGN_DATE_ORDER")
    return orders.get(source, orders.get("*", "auto"))


def hygiene_warn_share() -> float:
    return value("REVALIGN_HYGIENE_WARN_SHARE")


def hygiene_fail_share() -> float:
    return value("REVALIGN_HYGIENE_FAIL_SHARE")


def max_load_age_hours() -> int:
    return value("REVALIGN_MAX_LOAD_AGE_HOURS")


def data_docs_dir() -> Path:
    return Path(value("REVALIGN_DATA_DOCS_DIR") or home() / "data_docs").resolve()


def report_dir() -> Path:
    return Path(value("REVALIGN_REPORT_DIR") or home() / "reports").resolve()


def brief_to() -> list[str]:
    return value("REVALIGN_BRIEF_TO")


def brief_schedule() -> str:
    return value("REVALIGN_BRIEF_SCHEDULE")


def alert_smtp_url() -> str | None:
    return value("REVALIGN_ALERT_SMTP_URL")


def alert_slack_webhook_url() -> str | None:
    return value("REVALIGN_ALERT_SLACK_WEBHOOK_URL")


def alert_webhook_url() -> str | None:
    return value("REVALIGN_ALERT_WEBHOOK_URL")


def alert_data_team() -> list[str]:
    return value("REVALIGN_ALERT_DATA_TEAM")


def alert_repeat_hours() -> int:
    return value("REVALIGN_ALERT_REPEAT_HOURS")


def alert_attempts() -> int:
    return value("REVALIGN_ALERT_ATTEMPTS")


#: HubSpot's object type ids, by the kind of record an alert is about.
HUBSPOT_OBJECT_TYPES = {"lead": "0-1", "contact": "0-1", "account": "0-2", "opportunity": "0-3"}


def crm_record_url(source_system: str, record_type: str, record_id: str) -> str | None:
    """The link to a record in its CRM; None where it cannot be made (a HubSpot record
    while REVALIGN_HUBSPOT_HUB_ID is unset and the template needs it)."""
    if source_system != "hubspot":
        return value("REVALIGN_CRM_RECORD_URL").format(
            record_id=record_id, source_system=source_system
        )
    template = value("REVALIGN_HUBSPOT_RECORD_URL")
    hub_id = value("REVALIGN_HUBSPOT_HUB_ID")
    if "{hub_id}" in template and not hub_id:
        return None
    return template.format(
        hub_id=hub_id or "",
        object_type_id=HUBSPOT_OBJECT_TYPES.get(record_type, "0-1"),
        record_id=record_id,
        source_system=source_system,
    )


#: Airflow connection ids of the alert channels (derived from the settings above).
SMTP_CONN_ID = "revalign_smtp"
SLACK_CONN_ID = "revalign_slack"


def alert_connections() -> dict[str, str]:
    """``AIRFLOW_CONN_*`` variables for the alert channels that are set.

    Airflow's Slack and SMTP notifiers read their server from a connection; these
    are derived from ``REVALIGN_ALERT_SMTP_URL`` and ``REVALIGN_ALERT_SLACK_WEBHOOK_URL``.
    """
    env = {}
    if url := alert_smtp_url():
        env["AIRFLOW_CONN_" + SMTP_CONN_ID.upper()] = _smtp_connection_json(url)
    if url := alert_slack_webhook_url():
        env["AIRFLOW_CONN_" + SLACK_CONN_ID.upper()] = json.dumps(
            {"conn_type": "slackwebhook", "password": url}
        )
    return env


def use_alert_connections() -> None:
    """Make the alert channels' connections visible to Airflow's hooks in this process."""
    os.environ.update(alert_connections())


def _smtp_connection_json(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise SettingsError(
            f"REVALIGN_ALERT_SMTP_URL must start with smtp://, got {parts.scheme or 'nothing'!r}"
        )
    query = dict(parse_qsl(parts.query))
    sender = query.get("from")
    if not sender:
        raise SettingsError("REVALIGN_ALERT_SMTP_URL needs ?from=ADDRESS, the alerts' sender")
    security = query.get("security", "ssl" if parts.scheme == "smtps" else "starttls")
    if security not in ("starttls", "ssl", "none"):
        raise SettingsError(
            f"REVALIGN_ALERT_SMTP_URL security must be starttls, ssl or none, got {security!r}"
        )
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if security == "ssl" else 587),
            "login": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "extra": {
                "from_email": sender,
                "disable_ssl": security != "ssl",
                "disable_tls": security != "starttls",
                "timeout": 30,
                "retry_limit": 1,
            },
        }
    )


def external_warehouse_url() -> str | None:
    """The user's own warehouse, or None when the embedded one serves."""
    return value("REVALIGN_WAREHOUSE_URL")


def pg_bindir() -> str | None:
    return value("REVALIGN_PG_BINDIR")


def pg_os_user() -> str:
    return value("REVALIGN_PG_OS_USER")


def bi_role() -> str:
    return value("REVALIGN_BI_ROLE")


def bi_password() -> str | None:
    return value("REVALIGN_BI_PASSWORD")


def airflow_db_url_override() -> str | None:
    return value("REVALIGN_AIRFLOW_DB_URL")


def dbt_log_path() -> str | None:
    """dbt's own DBT_LOG_PATH, where set: where dbt writes its log."""
    return _env("DBT_LOG_PATH")


def dbt_target_path() -> str | None:
    """dbt's own DBT_TARGET_PATH, where set: revalign looks for dbt's artifacts there too."""
    return _env("DBT_TARGET_PATH")


def airflow_admin_password() -> str | None:
    return value("REVALIGN_AIRFLOW_ADMIN_PASSWORD")


def email_key_secret() -> str | None:
    return value("REVALIGN_EMAIL_KEY_SECRET")


def airflow_host() -> str:
    return value("REVALIGN_AIRFLOW_HOST")


def airflow_host_is_loopback() -> bool:
    """Whether revalign's Airflow listens only on this machine (no log servers needed then)."""
    import ipaddress

    host = airflow_host()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def adjust_cosmos() -> bool:
    return value("REVALIGN_ADJUST_COSMOS")


def metabase_url() -> str | None:
    return value("REVALIGN_METABASE_URL")


def metabase_admin_email() -> str:
    return value("REVALIGN_METABASE_ADMIN_EMAIL")


def metabase_admin_password() -> str | None:
    return value("REVALIGN_METABASE_ADMIN_PASSWORD")


class SettingsError(ValueError):
    """A setting has a value revalign cannot use."""


@dataclass(frozen=True)
class ConnectionInfo:
    """A PostgreSQL connection, parsed from a libpq URL."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    dbname: str

    @classmethod
    def from_url(cls, url: str) -> ConnectionInfo:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise SettingsError(
                f"warehouse URL must start with postgresql://, got {parts.scheme or 'nothing'!r}"
            )
        if not parts.path.strip("/"):
            raise SettingsError("warehouse URL names no database: add /<dbname> at its end")
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            user=unquote(parts.username or os.environ.get("USER", "postgres")),
            password=unquote(parts.password or ""),
            dbname=unquote(parts.path.strip("/")),
        )

    @property
    def url(self) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return urlunsplit(("postgresql", f"{auth}@{host}:{self.port}", "/" + self.dbname, "", ""))

    @property
    def session_url(self) -> str:
        """The URL with revalign's session options, for SQLAlchemy (GX)."""
        return f"{self.url}?{urlencode({'options': SESSION_OPTIONS})}"

    def with_database(self, dbname: str) -> ConnectionInfo:
        return ConnectionInfo(self.host, self.port, self.user, self.password, dbname)

    def redacted(self) -> str:
        """The URL with the password masked, for printing."""
        shown = self.url
        if self.password:
            shown = shown.replace(":" + quote(self.password, safe="") + "@", ":***@", 1)
        return shown


def dbt_environment(conn: ConnectionInfo, threads: int | None = None) -> dict[str, str]:
    """Variables read by ``dbt_project/profiles.yml`` through ``env_var()``."""
    return {
        "REVALIGN_DBT_HOST": conn.host,
        "REVALIGN_DBT_PORT": str(conn.port),
        "REVALIGN_DBT_USER": conn.user,
        "REVALIGN_DBT_PASSWORD": conn.password,
        "REVALIGN_DBT_DBNAME": conn.dbname,
        "REVALIGN_DBT_THREADS": str(threads or dbt_threads()),
        "REVALIGN_BI_ROLE": bi_role(),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt_project"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "PGOPTIONS": SESSION_OPTIONS,
    }


def airflow_connection_json(conn: ConnectionInfo) -> str:
    """The warehouse as an Airflow connection (``AIRFLOW_CONN_REVALIGN_WAREHOUSE``)."""
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": conn.host,
            "port": conn.port,
            "login": conn.user,
            "password": conn.password,
            "schema": conn.dbname,
        }
    )


def airflow_home() -> Path:
    return home() / "airflow"


#: Airflow settings revalign chooses, unless the environment sets them itself (a team
#: deployment sets ``AIRFLOW__CORE__EXECUTOR=CeleryExecutor``, for example).
AIRFLOW_DEFAULTS = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    # The pipeline is event-driven: its DAGs run as soon as data arrives.
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    # LocalExecutor, importing what the tasks need once, before it forks its workers.
    "AIRFLOW__CORE__EXECUTOR": "revalign.orchestration.local_executor.PreloadingLocalExecutor",
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    # Cosmos's watcher producer would rewrite an Airflow Variable with every node's
    # status as dbt goes (a backup for its retry): O(nodes^2) writes. Off, the backup
    # is written once, when the producer fails.
    "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
    # A task's supervisor waits in select() for up to this many seconds between
    # heartbeats. When the task's process closes its sockets a moment before it exits,
    # the supervisor sees the sockets close first and then waits the whole interval
    # before it notices the exit. At Airflow's default (5 s) that added 5 s to about
    # half of all tasks, so each model's 0.4 s report took 5.5 s. At 1 s the wait is at
    # most 1 s, at the cost of one heartbeat a second for each running task.
    "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
    # Celery workers import what revalign's tasks need once, before they fork a task.
    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "revalign.orchestration.celery_config.CELERY_CONFIG",
}


def airflow_environment(warehouse: ConnectionInfo, metadata_db: ConnectionInfo) -> dict[str, str]:
    """Environment under which Airflow runs revalign's DAGs."""
    sqlalchemy_url = metadata_db.url.replace("postgresql://", "postgresql+psycopg2://", 1)
    env = {name: _env(name) or value for name, value in AIRFLOW_DEFAULTS.items()}
    env["AIRFLOW__API__HOST"] = _env("AIRFLOW__API__HOST") or airflow_host()
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home()),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url,
            "AIRFLOW__COSMOS__CACHE_DIR": str(home() / "cosmos-cache"),
            "AIRFLOW_CONN_" + WAREHOUSE_CONN_ID.upper(): airflow_connection_json(warehouse),
            "REVALIGN_HOME": str(home()),
            "REVALIGN_WAREHOUSE_URL": warehouse.url,
            "NO_PROXY": "*",
        }
    )
    env.update(dbt_environment(warehouse))
    env.update(alert_connections())
    return env
