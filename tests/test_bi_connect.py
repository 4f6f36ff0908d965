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

from revalign import generator, metabase_collection
from revalign.build import transform
from revalign.ingest import loader
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

    def _item(self, kind: str) -> dict | None:
        """The collection, card or dashboard the path names (/api/<kind>/<id>...)."""
        parts = self.path.split("/")
        return next((x for x in self.state[kind] if str(x["id"]) == parts[3]), None)

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
        if not self._authorised():
            return self._reply(401, "Unauthenticated")
        if self.path == "/api/collection":
            return self._reply(200, [{"id": "root", "name": "Our analytics"}, *state["collection"]])
        if self.path.startswith("/api/collection/") and self.path.endswith("/items"):
            collection = self._item("collection")
            rows = [
                {"id": x["id"], "name": x["name"], "model": model}
                for model, kind in (("card", "card"), ("dashboard", "dashboard"))
                for x in state[kind]
                if x["collection_id"] == collection["id"]
            ]
            return self._reply(200, {"data": rows, "total": len(rows)})
        if self.path.startswith("/api/dashboard/"):
            return self._reply(200, self._item("dashboard"))
        return self._reply(404, "Not found.")

    def _create(self, kind: str, body: dict) -> None:
        entry = {**body, "id": state_id(self.state)}
        if kind == "card":
            query = body["dataset_query"]
            database_ids = [d["id"] for d in self.state["databases"]]
            if query["type"] != "native" or query["database"] not in database_ids:
                return self._reply(400, {"message": "unknown database"})
        if kind in ("card", "dashboard") and body.get("collection_id") not in [
            c["id"] for c in self.state["collection"]
        ]:
            return self._reply(400, {"message": "unknown collection"})
        if kind == "dashboard":
            entry["dashcards"] = []
        self.state[kind].append(entry)
        return self._reply(200, entry)

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
        if self._authorised() and self.path in ("/api/collection", "/api/card", "/api/dashboard"):
            return self._create(self.path.split("/")[2], body)
        return self._reply(401, "Unauthenticated")

    def do_PUT(self):
        state, body = self.state, self._body()
        if self.path.startswith("/api/database/") and self._authorised():
            entry = next(d for d in state["databases"] if str(d["id"]) == self.path.rsplit("/")[-1])
            entry.update(body)
            return self._reply(200, entry)
        if not self._authorised():
            return self._reply(401, "Unauthenticated")
        kind = self.path.split("/")[2]
        entry = self._item(kind)
        if kind == "dashboard" and "dashcards" in body:
            cards = {c["id"] for c in state["card"]}
            if any(d["card_id"] not in cards for d in body["dashcards"]):
                return self._reply(400, {"message": "unknown card"})
            known = {d["id"] for d in entry["dashcards"]}
            # Metabase: a negative id is a new dashcard; a dashcard left out is removed
            body["dashcards"] = [
                {**d, "id": d["id"] if d["id"] in known else state_id(state)}
                for d in body["dashcards"]
            ]
        entry.update(body)
        return self._reply(200, entry)


def state_id(state: dict) -> int:
    state["ids"] += 1
    return state["ids"]


@pytest.fixture
def metabase():
    state = {
        "admin": None, "sessions": set(), "databases": [], "collection": [], "card": [],
        "dashboard": [], "ids": 100,
    }  # fmt: skip
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


def test_bi_connect_keeps_the_alignment_collection_and_its_dashboard(
    warehouse_db, metabase, tmp_path
):
    """The collection, its questions (bi/metabase/) and a dashboard of them; each question's
    SQL runs on the real marts as the BI role and returns what its chart draws; a second
    run updates them in place (a question edited in Metabase comes back to its file's),
    adds nothing and leaves a hand-added dashcard where it was."""
    url, state = metabase
    out = tmp_path / "extracts"
    generator.generate(out, leads=300, seed=3)
    schemas.set_up(warehouse_db, BI_ROLE, BI_PASSWORD)
    loader.load(warehouse_db, [out])
    transform.build(warehouse_db)
    found = metabase_collection.definitions()
    made = 1 + len(found.questions) + 1  # the collection, the questions, the dashboard

    first = _connect(warehouse_db, url)
    assert first.returncode == 0, first.stderr
    assert f"{made} created, 0 updated" in first.stdout
    (collection,) = state["collection"]
    assert collection["name"] == "Sales and marketing alignment"
    cards = state["card"]
    assert [c["name"] for c in cards] == [q.name for q in found.questions]
    (database,) = state["databases"]
    details = database["details"]
    as_bi = ConnectionInfo(
        details["host"], details["port"], details["user"], details["password"], details["dbname"]
    )
    for card in cards:
        assert card["collection_id"] == collection["id"]
        assert card["dataset_query"]["database"] == database["id"]
        with psycopg2.connect(as_bi.url) as pg, pg.cursor() as cur:
            cur.execute(card["dataset_query"]["native"]["query"])
            columns = {d.name for d in cur.description}
            assert cur.fetchall(), f"{card['name']}: no rows on the generated marts"
        drawn = card["visualization_settings"]
        assert set(drawn["graph.dimensions"]) | set(drawn["graph.metrics"]) <= columns, card
    (dashboard,) = state["dashboard"]
    assert dashboard["collection_id"] == collection["id"]
    placed = [(d["card_id"], d["row"], d["col"]) for d in dashboard["dashcards"]]
    assert [card_id for card_id, _, _ in placed] == [c["id"] for c in cards]
    assert len({(row, col) for _, row, col in placed}) == len(placed)  # no two in one place
    assert all(d["col"] + d["size_x"] <= 24 for d in dashboard["dashcards"])

    # someone edits a question in Metabase and adds their own card to the dashboard
    cards[0]["dataset_query"]["native"]["query"] = "select 1"
    own = {"id": 999, "name": "My own question", "collection_id": collection["id"]}
    state["card"].append(own)
    ours = {d["card_id"]: d["id"] for d in dashboard["dashcards"]}
    dashboard["dashcards"].append(
        {"id": 998, "card_id": 999, "row": 99, "col": 0, "size_x": 6, "size_y": 4}
    )

    again = _connect(warehouse_db, url)
    assert again.returncode == 0, again.stderr
    assert f"0 created, {made} updated" in again.stdout
    assert len(state["collection"]) == 1 and len(state["dashboard"]) == 1
    assert len(state["card"]) == len(found.questions) + 1
    assert cards[0]["dataset_query"]["native"]["query"] == found.questions[0].sql
    after = {d["card_id"]: d["id"] for d in state["dashboard"][0]["dashcards"]}
    assert after == {**ours, 999: 998}  # the same dashcards, the hand-added one kept
