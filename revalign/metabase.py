"""A Metabase set up for revalign: its admin account, the warehouse's marts as a database
it reads as the read-only BI role, and the collection "Sales and marketing alignment"
with the alignment report's questions and a dashboard (``revalign.metabase_collection``)
(``revalign bi connect``; docker-compose.yml runs it once the Metabase service answers).
Safe to run again: it logs in instead of setting up, and updates the database entry,
the questions and the dashboard instead of adding second ones.

Only Metabase's public REST API is used: ``/api/session/properties`` (is it set up yet,
and the one-time setup token), ``/api/setup``, ``/api/session``, ``/api/database``,
``/api/collection``, ``/api/card`` and ``/api/dashboard``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from revalign.errors import RevalignError
from revalign.metabase_collection import Published, publish
from revalign.settings import ConnectionInfo

#: The name the marts carry in Metabase.
DATABASE_NAME = "revalign marts"


class MetabaseError(RevalignError):
    """Metabase refused a request or did not answer; the message says which and what next."""


@dataclass(frozen=True)
class Connected:
    database_id: int
    created_admin: bool
    created_database: bool
    collection: Published | None = None


class _Client:
    def __init__(self, url: str):
        self.base = url.rstrip("/")
        self.session: str | None = None

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 60):
        headers = {"Content-Type": "application/json"}
        if self.session:
            headers["X-Metabase-Session"] = self.session
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers=headers,
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise MetabaseError(
                f"Metabase at {self.base} answered {exc.code} to {method} {path}: {detail}"
            ) from exc
        return json.loads(raw) if raw.strip() else None


def wait_until_up(url: str, timeout: float = 600, every: float = 3) -> None:
    """Metabase takes a minute or more to start: poll /api/health until it says ok."""
    client = _Client(url)
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            if (client.call("GET", "/api/health", timeout=10) or {}).get("status") == "ok":
                return
            last = "not ready"
        except (OSError, MetabaseError, ValueError) as exc:
            last = str(exc)
        time.sleep(every)
    raise MetabaseError(
        f"Metabase at {url} is not up after {timeout:.0f} s ({last}): is the service running "
        "and REVALIGN_METABASE_URL right?"
    )


def connect(url: str, admin_email: str, admin_password: str, marts: ConnectionInfo) -> Connected:
    """Set up Metabase (first run) or log in, then point its ``revalign marts`` database
    at ``marts`` (the BI role's connection), showing the ``marts`` schema only."""
    client = _Client(url)
    properties = client.call("GET", "/api/session/properties") or {}
    created_admin = not properties.get("has-user-setup", True) and properties.get("setup-token")
    if created_admin:
        answer = client.call(
            "POST",
            "/api/setup",
            {
                "token": properties["setup-token"],
                "user": {
                    "email": admin_email,
                    "password": admin_password,
                    "first_name": "revalign",
                    "last_name": "admin",
                    "site_name": "revalign",
                },
                "prefs": {"site_name": "revalign", "site_locale": "en", "allow_tracking": False},
            },
        )
    else:
        try:
            answer = client.call(
                "POST", "/api/session", {"username": admin_email, "password": admin_password}
            )
        except MetabaseError as exc:
            raise MetabaseError(
                f"{exc}; Metabase is already set up: set REVALIGN_METABASE_ADMIN_EMAIL and "
                "REVALIGN_METABASE_ADMIN_PASSWORD to an admin account of it"
            ) from exc
    client.session = answer["id"]

    details = {
        "host": marts.host,
        "port": marts.port,
        "dbname": marts.dbname,
        "user": marts.user,
        "password": marts.password,
        "ssl": False,
        "schema-filters-type": "inclusion",
        "schema-filters-patterns": "marts",
    }
    listed = client.call("GET", "/api/database")
    databases = listed["data"] if isinstance(listed, dict) else listed
    existing = next((d for d in databases if d.get("name") == DATABASE_NAME), None)
    entry = {"engine": "postgres", "name": DATABASE_NAME, "details": details}
    if existing:
        client.call("PUT", f"/api/database/{existing['id']}", entry)
        database_id = existing["id"]
    else:
        database_id = client.call("POST", "/api/database", {**entry, "is_full_sync": True})["id"]
    return Connected(
        database_id,
        bool(created_admin),
        created_database=not existing,
        collection=publish(client, database_id),
    )
