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
from urllib.parse import quote, unquote, urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Airflow connection id that DAGs use to reach the warehouse.
WAREHOUSE_CONN_ID = "revalign_warehouse"

#: Schemas of the warehouse, in flow order.
SCHEMAS = ("raw", "staging", "intermediate", "marts", "ops")


@dataclass(frozen=True)
class Setting:
    """One documented environment variable."""

    env: str
    default: str | None
    help: str


#: The documented settings. The README's table is generated from this list
#: (``revalign settings``), so code and docs cannot drift apart.
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
        "AIRFLOW_CONN_" + WAREHOUSE_CONN_ID.upper(): airflow_connection_json(warehouse),
        "REVALIGN_HOME": str(home()),
        "REVALIGN_WAREHOUSE_URL": warehouse.url,
        "NO_PROXY": "*",
    }
    env.update(dbt_environment(warehouse))
    return env
