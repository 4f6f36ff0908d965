"""The one place that reads revalign's configuration.

Every setting is an environment variable with a documented default (see the
README's "Configuration" table). Other modules never call ``os.environ``: they
ask this module, and the dbt profile and the Airflow connection are derived
from what it returns (``dbt_environment()``, ``airflow_environment()``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
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


@dataclass(frozen=True)
class Setting:
    """One documented environment variable."""

    env: str
    default: str | None
    help: str


#: The documented settings, listed by ``revalign settings``. A test keeps the README's
#: Configuration table in step with this list.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "REVALIGN_HOME",
        ".revalign (under the project)",
        "Folder for local state: the embedded warehouse, Airflow home, logs.",
    ),
    Setting(
        "REVALIGN_WAREHOUSE_URL",
        None,
        "libpq URL of an existing PostgreSQL. When set, no embedded warehouse is started "
        "and every part (CLI, dbt, Airflow, GX) uses it.",
    ),
    Setting(
        "REVALIGN_AIRFLOW_DB_URL",
        "database 'airflow' on the warehouse server",
        "libpq URL of Airflow's metadata database.",
    ),
    Setting(
        "REVALIGN_BI_ROLE",
        "revalign_bi",
        "Read-only role for BI tools: may select from schema marts and nothing else.",
    ),
    Setting(
        "REVALIGN_BI_PASSWORD",
        "generated, stored in REVALIGN_HOME",
        "Password of the BI role.",
    ),
    Setting(
        "REVALIGN_LANDING_DIR",
        "REVALIGN_HOME/landing",
        "Landing zone for extract batches: a folder or an fsspec URL.",
    ),
    Setting(
        "REVALIGN_PG_BINDIR",
        "initdb on PATH, else the newest /usr/lib/postgresql/*/bin",
        "Folder of the PostgreSQL server programs the embedded warehouse runs.",
    ),
    Setting(
        "REVALIGN_PG_OS_USER",
        "postgres (only when run as root)",
        "Unprivileged OS user that owns and runs the embedded cluster when revalign runs as root.",
    ),
    Setting(
        "REVALIGN_LANDING_POKE_SECONDS",
        "2",
        "How often the landing-zone watcher looks for new _SUCCESS markers.",
    ),
    Setting(
        "REVALIGN_MAX_FIELD_CHARS",
        "131072",
        "Longest field a loaded file may hold (Salesforce's long text limit); longer "
        "records are rejected.",
    ),
    Setting(
        "REVALIGN_DBT_THREADS",
        "2",
        "Threads dbt uses for a build.",
    ),
    Setting(
        "REVALIGN_HYGIENE_WARN_SHARE",
        "0",
        "A hygiene check warns when more than this share of the records its rule applies "
        "to fails the rule.",
    ),
    Setting(
        "REVALIGN_HYGIENE_FAIL_SHARE",
        "0.05",
        "A hygiene check fails when more than this share of the records its rule applies "
        "to fails the rule.",
    ),
    Setting(
        "REVALIGN_MAX_LOAD_AGE_HOURS",
        "48",
        "The freshness check fails when the newest extract is older than this at as_of.",
    ),
    Setting(
        "REVALIGN_DATA_DOCS_DIR",
        "REVALIGN_HOME/data_docs",
        "Folder of the Great Expectations Data Docs site that revalign check builds.",
    ),
    Setting(
        "REVALIGN_ALERT_SMTP_URL",
        None,
        "Send alerts by email through this server: "
        "smtp://[user:password@]host[:port]?from=ADDRESS[&security=starttls|ssl|none].",
    ),
    Setting(
        "REVALIGN_ALERT_SLACK_WEBHOOK_URL",
        None,
        "Send alerts to Slack through this incoming-webhook URL.",
    ),
    Setting(
        "REVALIGN_ALERT_WEBHOOK_URL",
        None,
        "POST every alert as JSON to this URL.",
    ),
    Setting(
        "REVALIGN_ALERT_DATA_TEAM",
        None,
        "Email address(es), comma-separated, of the data team: they get each run's summary "
        "and the issues of records without an active owner.",
    ),
    Setting(
        "REVALIGN_ALERT_REPEAT_HOURS",
        "168",
        "An issue already alerted is alerted again only when it changes or after this many "
        "hours (of as_of).",
    ),
    Setting(
        "REVALIGN_ALERT_ATTEMPTS",
        "3",
        "Attempts to deliver one alert before it is logged as failed (and retried next run).",
    ),
    Setting(
        "REVALIGN_CRM_RECORD_URL",
        "https://login.salesforce.com/{record_id}",
        "Link to a record in the CRM, quoted in alerts; {record_id} and {source_system} "
        "are filled in.",
    ),
)


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def current_value(setting: Setting) -> str | None:
    """What the environment sets for ``setting`` now (None: its default applies)."""
    return _env(setting.env)


def home() -> Path:
    """Folder for local state (ignored by git)."""
    return Path(_env("REVALIGN_HOME") or PROJECT_ROOT / ".revalign").resolve()


def landing_dir() -> str:
    return _env("REVALIGN_LANDING_DIR") or str(home() / "landing")


def _positive_int(name: str, default: int) -> int:
    raw = _env(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value


def dbt_threads() -> int:
    return _positive_int("REVALIGN_DBT_THREADS", 2)


def landing_poke_seconds() -> int:
    return _positive_int("REVALIGN_LANDING_POKE_SECONDS", 2)


def max_field_chars() -> int:
    return _positive_int("REVALIGN_MAX_FIELD_CHARS", 131_072)


def _share(name: str, default: float) -> float:
    raw = _env(name) or str(default)
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number between 0 and 1, got {raw!r}") from None
    if not 0 <= value <= 1:
        raise SettingsError(f"{name} must be between 0 and 1, got {value}")
    return value


def hygiene_warn_share() -> float:
    return _share("REVALIGN_HYGIENE_WARN_SHARE", 0.0)


def hygiene_fail_share() -> float:
    return _share("REVALIGN_HYGIENE_FAIL_SHARE", 0.05)


def max_load_age_hours() -> int:
    return _positive_int("REVALIGN_MAX_LOAD_AGE_HOURS", 48)


def data_docs_dir() -> Path:
    return Path(_env("REVALIGN_DATA_DOCS_DIR") or home() / "data_docs").resolve()


def alert_smtp_url() -> str | None:
    return _env("REVALIGN_ALERT_SMTP_URL")


def alert_slack_webhook_url() -> str | None:
    return _env("REVALIGN_ALERT_SLACK_WEBHOOK_URL")


def alert_webhook_url() -> str | None:
    return _env("REVALIGN_ALERT_WEBHOOK_URL")


def alert_data_team() -> list[str]:
    return [a.strip() for a in (_env("REVALIGN_ALERT_DATA_TEAM") or "").split(",") if a.strip()]


def alert_repeat_hours() -> int:
    return _positive_int("REVALIGN_ALERT_REPEAT_HOURS", 168)


def alert_attempts() -> int:
    return _positive_int("REVALIGN_ALERT_ATTEMPTS", 3)


def crm_record_url() -> str:
    return _env("REVALIGN_CRM_RECORD_URL") or "https://login.salesforce.com/{record_id}"


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
    return _env("REVALIGN_WAREHOUSE_URL")


def pg_bindir() -> str | None:
    return _env("REVALIGN_PG_BINDIR")


def pg_os_user() -> str:
    return _env("REVALIGN_PG_OS_USER") or "postgres"


def bi_role() -> str:
    return _env("REVALIGN_BI_ROLE") or "revalign_bi"


def bi_password() -> str | None:
    return _env("REVALIGN_BI_PASSWORD")


def airflow_db_url_override() -> str | None:
    return _env("REVALIGN_AIRFLOW_DB_URL")


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


def airflow_environment(warehouse: ConnectionInfo, metadata_db: ConnectionInfo) -> dict[str, str]:
    """Environment under which Airflow runs revalign's DAGs."""
    sqlalchemy_url = metadata_db.url.replace("postgresql://", "postgresql+psycopg2://", 1)
    env = {
        "AIRFLOW_HOME": str(airflow_home()),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # The pipeline is event-driven: its DAGs run as soon as data arrives.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url,
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home() / "cosmos-cache"),
        # Cosmos's watcher producer would rewrite an Airflow Variable with every node's
        # status as dbt goes (a backup for its retry): O(nodes^2) writes. Off, the backup
        # is written once, when the producer fails.
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "AIRFLOW_CONN_" + WAREHOUSE_CONN_ID.upper(): airflow_connection_json(warehouse),
        "REVALIGN_HOME": str(home()),
        "REVALIGN_WAREHOUSE_URL": warehouse.url,
        "NO_PROXY": "*",
    }
    env.update(dbt_environment(warehouse))
    env.update(alert_connections())
    return env
