"""The Metabase collection "Sales and marketing alignment": the alignment report's questions
as saved questions over the marts, and a dashboard of them.

The definitions are files of the repository (``bi/metabase/``: ``collection.yml`` and
one file per question: name, description, chart, SQL). :func:`publish` makes Metabase
match them through its REST API (``/api/collection``, ``/api/card``,
``/api/dashboard``): it finds the collection, its questions and its dashboard by name
and updates them, and creates only what is missing, so running it again never
duplicates anything. Questions someone added to the collection by hand are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from revalign import settings

DEFINITIONS = settings.PROJECT_ROOT / "bi" / "metabase"


@dataclass(frozen=True)
class Question:
    key: str  # its file's name
    name: str
    description: str
    display: str
    visualization_settings: dict
    sql: str


@dataclass(frozen=True)
class Definitions:
    collection: dict
    dashboard: dict
    questions: list[Question]


@dataclass
class Published:
    name: str
    collection_id: int
    dashboard_id: int
    created: list[str] = field(default_factory=list)  # what did not exist yet
    updated: list[str] = field(default_factory=list)


def definitions(folder: Path = DEFINITIONS) -> Definitions:
    """The collection, its dashboard and its questions, in the dashboard's order."""
    described = yaml.safe_load((folder / "collection.yml").read_text())
    questions = []
    for key in described["questions"]:
        spec = yaml.safe_load((folder / "questions" / f"{key}.yml").read_text())
        questions.append(
            Question(
                key=key,
                name=spec["name"],
                description=spec["description"],
                display=spec["display"],
                visualization_settings=spec.get("visualization_settings", {}),
                sql=spec["sql"].strip(),
            )
        )
    return Definitions(described["collection"], described["dashboard"], questions)


def publish(client, database_id: int, found: Definitions | None = None) -> Published:
    """Make Metabase's collection, questions and dashboard those of ``found`` (default:
    the repository's), through ``client`` (a logged-in ``revalign.metabase._Client``)."""
    found = found or definitions()
    collection_id, created = _collection(client, found.collection)
    result = Published(found.collection["name"], collection_id, 0)
    said = f"collection {found.collection['name']!r}"
    (result.created if created else result.updated).append(said)
    items = _items(client, collection_id)
    card_ids = []
    for question in found.questions:
        card = {
            "name": question.name,
            "description": question.description,
            "display": question.display,
            "visualization_settings": question.visualization_settings,
            "collection_id": collection_id,
            "dataset_query": {
                "type": "native",
                "database": database_id,
                "native": {"query": question.sql, "template-tags": {}},
            },
        }
        existing = items.get(("card", question.name))
        if existing:
            client.call("PUT", f"/api/card/{existing}", card)
            card_ids.append(existing)
            result.updated.append(f"question {question.name!r}")
        else:
            card_ids.append(client.call("POST", "/api/card", card)["id"])
            result.created.append(f"question {question.name!r}")
    result.dashboard_id = _dashboard(client, found.dashboard, items, card_ids, result)
    return result


def _collection(client, described: dict) -> tuple[int, bool]:
    listed = client.call("GET", "/api/collection")
    collections = listed["data"] if isinstance(listed, dict) else listed
    body = {"name": described["name"], "description": described["description"]}
    for collection in collections:
        if collection.get("name") == described["name"] and not collection.get("archived"):
            client.call("PUT", f"/api/collection/{collection['id']}", body)
            return collection["id"], False
    return client.call("POST", "/api/collection", body)["id"], True


def _items(client, collection_id: int) -> dict[tuple[str, str], int]:
    """The collection's cards and dashboards by (model, name)."""
    listed = client.call("GET", f"/api/collection/{collection_id}/items")
    rows = listed["data"] if isinstance(listed, dict) else listed
    return {(row["model"], row["name"]): row["id"] for row in rows}


def _dashboard(client, described: dict, items: dict, card_ids: list[int], result: Published) -> int:
    """The dashboard with one dashcard per question, two side by side; the dashcards of
    questions already on it keep their ids."""
    body = {
        "name": described["name"],
        "description": described["description"],
        "collection_id": result.collection_id,
    }
    dashboard_id = items.get(("dashboard", described["name"]))
    if dashboard_id:
        current_cards = client.call("GET", f"/api/dashboard/{dashboard_id}").get("dashcards", [])
        placed = {d["card_id"]: d["id"] for d in current_cards if d.get("card_id")}
        result.updated.append(f"dashboard {described['name']!r}")
    else:
        dashboard_id = client.call("POST", "/api/dashboard", body)["id"]
        current_cards, placed = [], {}
        result.created.append(f"dashboard {described['name']!r}")
    width, height = described["width"], described["height"]
    per_row = max(1, 24 // width)
    dashcards = [
        {
            "id": placed.get(card_id, -(index + 1)),  # negative: a new dashcard
            "card_id": card_id,
            "row": (index // per_row) * height,
            "col": (index % per_row) * width,
            "size_x": width,
            "size_y": height,
            "parameter_mappings": [],
            "visualization_settings": {},
            "series": [],
        }
        for index, card_id in enumerate(card_ids)
    ]
    # dashcards someone added by hand stay where they are
    ours = set(card_ids)
    dashcards += [d for d in current_cards if d.get("card_id") not in ours]
    client.call("PUT", f"/api/dashboard/{dashboard_id}", {**body, "dashcards": dashcards})
    return dashboard_id
