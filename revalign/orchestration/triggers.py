"""Airflow triggers of revalign, run by the triggerer (imported by DAG files: keep it light)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent


class LandingBatchTrigger(BaseEventTrigger):
    """Fires once per batch that becomes ready in the landing zone, and claims it.

    A batch is ready when ``<landing>/<source>/<batch_id>/_SUCCESS`` exists. The
    trigger renames the marker to ``_SUCCESS.queued`` (so it fires once per batch)
    and yields ``{"batch": <folder>}``, which becomes the extra of the asset event
    that starts ``ingest_extracts``; the triggerer then starts it again.
    """

    def __init__(self, landing: str, poke_interval: float = 2.0):
        super().__init__()
        self.landing = landing
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "revalign.orchestration.triggers.LandingBatchTrigger",
            {"landing": self.landing, "poke_interval": self.poke_interval},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from revalign.ingest import landing

        while True:
            markers = await asyncio.to_thread(landing.ready_markers, self.landing)
            for marker in markers:
                batch = await asyncio.to_thread(landing.claim, marker)
                if batch is not None:
                    self.log.info("batch ready: %s", batch)
                    yield TriggerEvent({"batch": batch})
                    return
            await asyncio.sleep(self.poke_interval)
