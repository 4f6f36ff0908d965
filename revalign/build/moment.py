"""as_of: the one moment every age-based figure of a run is computed at (METRICS.md, Time).

Nothing reads the clock. A run's as_of is, in this order: the one asked for
(``--as-of``, a DAG run's ``as_of`` param), else the newest one the triggering asset
events carry (raw events carry the newest extraction time loaded, mart events the
as_of the marts were built at), else the newest extraction time loaded. It travels
one way: parsed here, passed to dbt as the var ``as_of`` (``int_as_of`` holds it, or
computes the same default when no var is given), read back from ``int_as_of`` by the
checks (``built``), and carried on by the mart events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from revalign.errors import RevalignError
from revalign.settings import ConnectionInfo
from revalign.warehouse import db

#: The default as_of: the newest extraction time loaded. int_as_of.sql computes the
#: same when no as_of is passed (tests/build/test_moment.py keeps the two equal).
LATEST_EXTRACTION = "select max(extracted_at) from ops.load_ledger where status = 'loaded'"


def parse(text: str) -> datetime:
    """An ``--as-of`` value: ISO 8601; a time without zone is UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RevalignError(
            f"--as-of {text!r} is not an ISO 8601 timestamp (e.g. 2026-11-01T00:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def latest_extraction(conn: ConnectionInfo) -> datetime | None:
    """The newest extraction time loaded: the as_of of a run that names none."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        cur.execute(LATEST_EXTRACTION)
        (moment,) = cur.fetchone()
    return moment


def of_run(
    requested: str | None,
    carried_by_events: list[dict],
    newest_loaded: Callable[[], datetime | None],
) -> datetime | None:
    """A run's as_of: the one asked for, else the newest the events carry, else
    ``newest_loaded()`` (the newest extraction time loaded), asked only then."""
    if requested:
        return parse(requested)
    carried = [parse(e["as_of"]) for e in carried_by_events if e and e.get("as_of")]
    if carried:
        return max(carried)
    return newest_loaded()


def built(conn: ConnectionInfo) -> datetime:
    """The as_of the marts were last built at (``intermediate.int_as_of``)."""
    with db.connect(conn) as pg, pg.cursor() as cur:
        if not db.relations_exist(cur, "intermediate.int_as_of"):
            raise RevalignError("the marts are not built yet: run revalign build first")
        cur.execute("select as_of from intermediate.int_as_of")
        row = cur.fetchone()
    if not row or row[0] is None:
        raise RevalignError("nothing is loaded yet: run revalign load, then revalign build")
    return row[0]


def text(moment: datetime | None) -> str | None:
    """How an as_of travels between tasks, events and dbt's var: ISO 8601."""
    return moment.isoformat() if moment else None
