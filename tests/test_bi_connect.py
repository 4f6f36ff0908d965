"""`revalign bi connect`: Metabase gets an admin account and the marts, read as the BI role.

Metabase (a Java service) cannot run here, so a local receiver stands in for the part of
its REST API the command uses, and really accepts the requests; the credentials Metabase
is given are then tried on the real warehouse, where they read marts and nothing else.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import pytest
from conftest import query, run_cli

from revalign.settings import ConnectionInfo
from revalign.warehouse import schemas

BI_ROLE = "revalign_bi_metabase_test"
BI_PASSWORD = "bi-metabase-test"
ADMIN = ("owner@example.com", "metabase-admin-pw")


class FakeMetabase(BaseHTTPRequestHandler):
    """Metabase's setup, session and database endpoints, over in-memory state."""

    state: dict

    def log_message(self, *args):  # quiet
        pass

    def _reply(self, code: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

    def _authorised(self) -> bool:
        return self.headers.get("X-Metabase-Session") in self.state["sessions"]

    def do_GET(self):
        state = self.state
        if self.path == "/api/health":
            return self._reply(200, {"status": "ok"})
        if self.path == "/api/session/properties":
            set_up = state["admin"] is not None
            return self._reply(
                200, {"has-user-setup": set_up, "setup-token": None if set_up else "tok-1"}
            )
        if self.path == "/api/database" and self._authorised():
            return self._reply(200, {"data": state["databases"], "total": len(state["databases"])})
        return self._reply(401, "Unauthenticated")

    def do_POST(self):
        state, body = self.state, self._body()
        if self.path == "/api/setup":
            if state["admin"] is not None or body.get("token") != "tok-1":
                return self._reply(403, {"message": "The setup token is invalid."})
            state["admin"] = (body["user"]["email"], body["user"]["password"])
            state["sessions"].add("session-1")
            return self._reply(200, {"id": "session-1"})
        if self.path == "/api/session":
            if (body.get("username"), body.get("password")) != state["admin"]:
                return self._reply(401, {"errors": {"password": "did not match stored password"}})
            state["sessions"].add("session-2")
            return self._reply(200, {"id": "session-2"})
        if self.path == "/api/database" and self._authorised():
            entry = {**body, "id": len(state["databases"]) + 1}
            state["databases"].append(entry)
            return self._reply(200, entry)
        return self._reply(401, "Unauthenticated")

    def do_PUT(self):
        state, body = self.state, self._body()
        if self.path.startswith("/api/database/") and self._authorised():
            entry = next(d for d in state["databases"] if str(d["id"]) == self.path.rsplit("/")[-1])
            entry.update(body)
            return self._reply(200, entry)
        return self._reply(401, "Unauthenticated")


@pytest.fixture
def metabase():
    state = {"admin": None, "sessions": set(), "databases": []}
    handler = type("Handler", (FakeMetabase,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()


def _connect(warehouse_db: ConnectionInfo, url: str, password: str = ADMIN[1]):
    return run_cli(
        "bi",
        "connect",
        "--wait",
        "30",
        env={
            "REVALIGN_WAREHOUSE_URL": warehouse_db.url,
            "REVALIGN_BI_ROLE": BI_ROLE,
            "REVALIGN_BI_PASSWORD": BI_PASSWORD,
            "REVALIGN_METABASE_URL": url,
            "REVALIGN_METABASE_ADMIN_EMAIL": ADMIN[0],
            "REVALIGN_METABASE_ADMIN_PASSWORD": password,
        },
    )


def test_metabase_gets_an_admin_and_reads_marts_only_as_the_bi_role(warehouse_db, metabase):
    url, state = metabase
    first = _connect(warehouse_db, url)
    assert first.returncode == 0, first.stderr
    assert "created admin owner@example.com" in first.stdout and "added" in first.stdout
    assert state["admin"] == ADMIN
    (database,) = state["databases"]
    details = database["details"]
    assert database["engine"] == "postgres" and database["name"] == "revalign marts"
    assert (details["user"], details["password"]) == (BI_ROLE, BI_PASSWORD)
    assert details["schema-filters-patterns"] == "marts"

    # What Metabase was given reads the marts, and nothing else, on the real warehouse.
    with psycopg2.connect(warehouse_db.url) as pg, pg.cursor() as cur:
        cur.execute("create table marts.probe as select 1 as id")
        cur.execute("create table raw.probe as select 1 as id")
    as_metabase = ConnectionInfo(
        details["host"], details["port"], details["user"], details["password"], details["dbname"]
    )
    assert query(as_metabase, "select id from marts.probe") == [(1,)]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        query(as_metabase, "select id from raw.probe")

    # Again: it logs in and updates the one entry.
    again = _connect(warehouse_db, url)
    assert again.returncode == 0, again.stderr
    assert "logged in as owner@example.com" in again.stdout and "updated" in again.stdout
    assert len(state["databases"]) == 1


def test_a_wrong_admin_password_is_one_line_that_says_what_to_set(warehouse_db, metabase):
    url, _ = metabase
    assert _connect(warehouse_db, url).returncode == 0
    wrong = _connect(warehouse_db, url, password="not-it")
    assert wrong.returncode == 1
    (line,) = wrong.stderr.strip().splitlines()
    assert "401" in line and "REVALIGN_METABASE_ADMIN_PASSWORD" in line


def test_bi_connect_needs_its_settings(warehouse_db):
    schemas.set_up(warehouse_db, BI_ROLE, BI_PASSWORD)
    missing = run_cli("bi", "connect", env={"REVALIGN_WAREHOUSE_URL": warehouse_db.url})
    assert missing.returncode == 1
    assert "REVALIGN_METABASE_URL" in missing.stderr
