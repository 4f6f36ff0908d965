"""The warehouse: this module is the embedded PostgreSQL cluster; beside it, connections
(``db``), schemas and the BI role (``schemas``), the ``ops`` and raw tables, and the
source declarations (``sources``) every stage reads.

The embedded warehouse is a private PostgreSQL cluster under ``REVALIGN_HOME``.

It serves when ``REVALIGN_WAREHOUSE_URL`` is not set. The cluster listens on
127.0.0.1 only (no Unix socket), on a free port chosen at first start, with a
generated password kept in ``REVALIGN_HOME/warehouse/state.json`` (mode 0600).

PostgreSQL refuses to run as root, so when revalign runs as root the cluster
is owned and run by an unprivileged OS user (``REVALIGN_PG_OS_USER``, default
``postgres``) through ``runuser``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from revalign import settings
from revalign.errors import RevalignError
from revalign.settings import ConnectionInfo

SUPERUSER = "revalign"
WAREHOUSE_DB = "revalign"
AIRFLOW_DB = "airflow"
START_TIMEOUT_S = 60
START_ATTEMPTS = 5

# Included from postgresql.conf; written at each start of the cluster.
_CONF_TEMPLATE = """\
# Written by revalign at each start of the cluster: set your own with ALTER SYSTEM.
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
max_connections = 200
shared_buffers = '{shared_buffers}'
work_mem = '{work_mem}'
maintenance_work_mem = '256MB'
synchronous_commit = off
# An incremental build rewrites pages all over large tables. A checkpoint forced in
# the middle of it makes the next change of every page log the whole page again: at
# a million leads the build wrote 2.1 GB of WAL and forced checkpoints, with these
# settings 0.8 GB and none (docs/benchmarks.md).
wal_buffers = '64MB'
max_wal_size = '4GB'
checkpoint_timeout = '30min'
wal_compression = {wal_compression}
# The warehouse's pages are in memory or on an SSD: a page read out of order costs
# about what one in order does. At 4 (spinning disks) the incremental marts' lookups
# of a few thousand keys were planned as scans of whole tables.
random_page_cost = 1.1
timezone = 'UTC'
log_timezone = 'UTC'
"""


class WarehouseError(RevalignError):
    """The embedded warehouse cannot do what was asked."""


@dataclass(frozen=True)
class Status:
    running: bool
    detail: str
    pid: int | None = None


def state_dir() -> Path:
    return settings.home() / "warehouse"


def _state_file() -> Path:
    return state_dir() / "state.json"


def _load_state() -> dict | None:
    path = _state_file()
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise WarehouseError(
            f"{path} is unreadable ({exc}); remove {state_dir()} to start a new warehouse"
        ) from exc


def _save_state(state: dict) -> None:
    path = _state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(state, fh, indent=2)
    tmp.replace(path)


# --- running PostgreSQL's programs -------------------------------------------------


def _is_root() -> bool:
    return os.geteuid() == 0


def find_bindir() -> Path:
    """Folder holding initdb, pg_ctl and postgres."""
    configured = settings.pg_bindir()
    if configured:
        candidates = [Path(configured)]
    else:
        candidates = []
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(os.path.realpath(on_path)).parent)

        def version(initdb: Path) -> float:
            try:
                return float(initdb.parent.parent.name)
            except ValueError:
                return 0.0

        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version, reverse=True)
        candidates += [p.parent for p in found]
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise WarehouseError(
        "PostgreSQL server programs (initdb, pg_ctl) not found: install them "
        "(Debian/Ubuntu: apt-get install postgresql), set REVALIGN_PG_BINDIR to their folder, "
        "or set REVALIGN_WAREHOUSE_URL to use an existing PostgreSQL"
    )


def _os_user() -> str | None:
    """The OS user the cluster runs as; None means the current user."""
    if not _is_root():
        return None
    user = settings.pg_os_user()
    try:
        import pwd

        pwd.getpwnam(user)
    except KeyError:
        raise WarehouseError(
            f"running as root, the embedded PostgreSQL needs an unprivileged OS user and "
            f"{user!r} does not exist: create it (useradd --system {user}) or set "
            "REVALIGN_PG_OS_USER to another one"
        ) from None
    return user


def _as_cluster_user(argv: list[str]) -> list[str]:
    user = _os_user()
    return ["runuser", "-u", user, "--", *argv] if user else argv


def _run(argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        _as_cluster_user(argv),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C", "LANG": "C"},
    )
    if check and proc.returncode != 0:
        output = (proc.stderr or proc.stdout).strip().splitlines()
        reason = output[-1] if output else f"exit status {proc.returncode}"
        raise WarehouseError(f"{Path(argv[0]).name} failed: {reason}")
    return proc


def _chown_to_cluster_user(path: Path) -> None:
    user = _os_user()
    if user:
        shutil.chown(path, user=user, group=None)


def _cluster_user_can_reach(path: Path) -> bool:
    user = _os_user()
    if not user:
        return True
    probe = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(path)], check=False)
    return probe.returncode == 0


def _cluster_root(state: dict) -> Path:
    return Path(state["cluster_root"])


def _data_dir(state: dict) -> Path:
    return _cluster_root(state) / "pgdata"


def _log_file(state: dict) -> Path:
    return _cluster_root(state) / "postgresql.log"


def _choose_cluster_root() -> Path:
    """Where the data directory lives: under REVALIGN_HOME when the cluster user can reach it."""
    preferred = state_dir() / "cluster"
    preferred.parent.mkdir(parents=True, exist_ok=True)
    if _cluster_user_can_reach(preferred.parent):
        return preferred
    # Running as root in a folder the cluster user may not enter (such as /root):
    # keep the data under /var/tmp, keyed by the project folder, and say so in status.
    key = hashlib.sha256(str(state_dir()).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"revalign-warehouse-{key}"


# --- ports ---------------------------------------------------------------------------


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the cluster ---------------------------------------------------------------------


def _new_state() -> dict:
    state = {
        "cluster_root": str(_choose_cluster_root()),
        "port": _free_port(),
        "superuser": SUPERUSER,
        "password": secrets.token_urlsafe(24),
        "bi_password": secrets.token_urlsafe(24),
    }
    _save_state(state)
    return state


def _initdb(state: dict, bindir: Path) -> None:
    root = _cluster_root(state)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    _chown_to_cluster_user(root)
    data = _data_dir(state)
    if data.exists() and not (data / "PG_VERSION").exists():
        shutil.rmtree(data)  # left over by an initdb that was interrupted
    with tempfile.NamedTemporaryFile("w", dir=root, delete=False) as pw:
        pw.write(state["password"] + "\n")
    pwfile = Path(pw.name)
    try:
        _chown_to_cluster_user(pwfile)
        _run(
            [
                str(bindir / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                state["superuser"],
                "--pwfile",
                str(pwfile),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-instructions",
            ]
        )
    finally:
        pwfile.unlink(missing_ok=True)
    with open(data / "postgresql.conf", "a") as conf:
        conf.write("\ninclude_if_exists = 'revalign.conf'\n")
    _write_conf(state)


def _write_conf(state: dict) -> None:
    conf = _data_dir(state) / "revalign.conf"
    version = (_data_dir(state) / "PG_VERSION").read_text().strip()
    conf.write_text(
        _CONF_TEMPLATE.format(
            port=state["port"],
            **_memory_settings(),
            # lz4 is cheaper and smaller than PostgreSQL's own pglz; it came with 15
            wal_compression="lz4" if int(version.split(".")[0]) >= 15 else "on",
        )
    )
    _chown_to_cluster_user(conf)


def _memory_settings() -> dict[str, str]:
    """PostgreSQL's page cache and the memory of each sort or hash, by the memory this
    process may use (the machine's, or its container's limit when lower). With 8 GB or
    more: a 1 GB cache (the large tables' indexes of a million-lead warehouse stay in
    it) and 128 MB a sort, in which the marts that aggregate a million persons per
    month sort and hash in memory (alignment_scorecard's persons per month and team:
    1.7 s with 32 MB, 0.9 s with 128 MB). A quarter of the memory, as PostgreSQL's
    documentation advises, made the incremental build slower at both one and five
    million leads (6 GB here; the facts' lookups, which it was meant to keep in
    memory, took as long: docs/benchmarks.md)."""
    if _usable_memory() >= 8 * 1024**3:
        return {"shared_buffers": "1GB", "work_mem": "128MB"}
    return {"shared_buffers": "256MB", "work_mem": "32MB"}


#: A container's memory limit: cgroup v2, then v1 (a huge number when unlimited).
_CGROUP_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
)
#: Above this, a cgroup v1 limit means none.
_NO_LIMIT = 1 << 60


def _usable_memory() -> int:
    """The machine's memory in bytes, or the container's limit when lower (0 when
    neither can be read)."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        memory = 0
    for limit_file in _CGROUP_LIMITS:
        try:
            limit = int(limit_file.read_text().strip())
        except (OSError, ValueError):  # absent, or "max": no limit
            continue
        if 0 < limit < (memory or _NO_LIMIT):
            memory = limit
        break
    return memory


def _postmaster_pid(state: dict) -> int | None:
    pidfile = _data_dir(state) / "postmaster.pid"
    try:
        first = pidfile.read_text().split("\n", 1)[0]
        return int(first)
    except (OSError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _server_running(state: dict) -> int | None:
    """pid of the live postmaster of this cluster, or None."""
    pid = _postmaster_pid(state)
    if pid is None or not _pid_alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid  # not Linux: trust the pid
    return pid if b"postgres" in cmdline else None


def connection(database: str = WAREHOUSE_DB) -> ConnectionInfo:
    """Connection to the warehouse: the user's own, or the embedded one's."""
    external = settings.external_warehouse_url()
    if external:
        conn = ConnectionInfo.from_url(external)
        return conn if database == WAREHOUSE_DB else conn.with_database(database)
    state = _load_state()
    if state is None:
        raise WarehouseError(
            "no warehouse yet: run `revalign warehouse start`, or set REVALIGN_WAREHOUSE_URL"
        )
    return ConnectionInfo(
        host="127.0.0.1",
        port=state["port"],
        user=state["superuser"],
        password=state["password"],
        dbname=database,
    )


def airflow_db_connection() -> ConnectionInfo:
    override = settings.airflow_db_url_override()
    if override:
        return ConnectionInfo.from_url(override)
    return connection().with_database(AIRFLOW_DB)


def bi_password() -> str | None:
    """The BI role's password: configured, or generated for the embedded warehouse."""
    configured = settings.bi_password()
    if configured:
        return configured
    state = _load_state() if is_embedded() else None
    return state["bi_password"] if state else None


def bi_connection() -> ConnectionInfo:
    """The warehouse as the read-only BI role sees it (what a BI tool connects with)."""
    conn = connection()
    return ConnectionInfo(
        conn.host, conn.port, settings.bi_role(), bi_password() or "", conn.dbname
    )


def is_embedded() -> bool:
    return settings.external_warehouse_url() is None


def start() -> ConnectionInfo:
    """Start the embedded cluster (creating it on first use); idempotent."""
    if not is_embedded():
        return connection()
    bindir = find_bindir()
    state = _load_state() or _new_state()
    if not (_data_dir(state) / "PG_VERSION").exists():
        _initdb(state, bindir)
    if _server_running(state) is None:
        if not _port_is_free(state["port"]):
            state["port"] = _free_port()
            _save_state(state)
        _write_conf(state)  # this version's settings, on a cluster made by an earlier one
        _pg_ctl_start(state, bindir)
    _create_databases()
    return connection()


def _pg_ctl_start(state: dict, bindir: Path) -> None:
    argv = [
        str(bindir / "pg_ctl"),
        "start",
        "--pgdata",
        str(_data_dir(state)),
        "--log",
        str(_log_file(state)),
        "--wait",
        "--timeout",
        str(START_TIMEOUT_S),
    ]
    # After a crash the dead postmaster's children hold its shared memory for a
    # moment, and PostgreSQL refuses to start until they are gone: try again briefly.
    for attempt in range(START_ATTEMPTS):
        proc = _run(argv, check=False)
        if proc.returncode == 0:
            return
        time.sleep(1 + attempt)
    raise WarehouseError(
        f"PostgreSQL did not start; read its log {_log_file(state)} "
        f"({(proc.stderr or proc.stdout).strip().splitlines()[-1:]})"
    )


def _create_databases() -> None:
    from revalign.warehouse import db

    with db.connect(connection("postgres"), autocommit=True) as conn, conn.cursor() as cur:
        for name in (WAREHOUSE_DB, AIRFLOW_DB):
            cur.execute("select 1 from pg_database where datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(f'create database "{name}"')
        # Only revalign's own user reaches Airflow's metadata.
        cur.execute(f'revoke connect on database "{AIRFLOW_DB}" from public')


def stop() -> bool:
    """Stop the embedded cluster; returns False when it was not running."""
    if not is_embedded():
        raise WarehouseError(
            "REVALIGN_WAREHOUSE_URL is set: revalign does not stop a warehouse it did not start"
        )
    state = _load_state()
    if state is None or _server_running(state) is None:
        return False
    _run([str(find_bindir() / "pg_ctl"), "stop", "--pgdata", str(_data_dir(state)), "-m", "fast"])
    return True


def status() -> Status:
    """The truth about the warehouse: is a server answering on its URL?"""
    from revalign.warehouse import db

    if not is_embedded():
        conn = connection()
        try:
            db.ping(conn)
        except db.DatabaseError as exc:
            return Status(False, f"external warehouse {conn.redacted()} does not answer: {exc}")
        return Status(True, f"external warehouse {conn.redacted()} answers")
    state = _load_state()
    if state is None:
        return Status(False, "not created yet: run `revalign warehouse start`")
    pid = _server_running(state)
    if pid is None:
        stale = " (stale pid file from a crash; start recovers)" if _postmaster_pid(state) else ""
        return Status(False, f"stopped{stale}; data in {_data_dir(state)}")
    try:
        db.ping(connection())
    except db.DatabaseError as exc:
        return Status(False, f"process {pid} exists but does not answer: {exc}", pid)
    return Status(True, f"running, pid {pid}, data in {_data_dir(state)}", pid)
