"""The expected journey figures (METRICS.md "The journey", the scorecard's split by
influence, win/loss reasons), from each current deal's stage history as its CRM
records it.

Counted deal by deal into sums that merge across the generator's chunks; medians
keep their values until ``as_dict``.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

NO_REASON = "(none given)"


@dataclass(frozen=True)
class Stage:
    position: int
    is_closed: bool
    is_won: bool


@dataclass
class DealJourney:
    """What the journey figures read of one current deal."""

    source: str
    created_at: datetime
    #: (at, stage) in the order the CRM recorded them; the stage at creation first
    history: list[tuple[datetime, str]]
    current_stage: str
    is_closed: bool
    is_won: bool
    close_day: date
    amount: int | None
    reason: str | None
    lead_source: str | None
    team: str | None
    influenced: bool
    #: campaign touch times of its people
    touches: list[datetime]


def stage_entries(deal: DealJourney) -> list[tuple[datetime, str]]:
    """Its stage at creation (the first history row's, else its current one), then
    every history row whose stage differs from the row before."""
    rows = sorted(deal.history, key=lambda row: row[0])
    entries = [(deal.created_at, rows[0][1] if rows else deal.current_stage)]
    for previous, row in pairwise(rows):
        if row[1] != previous[1]:
            entries.append(row)
    return entries


def reaches(entered: Stage, stage: Stage, same: bool) -> bool:
    """Whether entering ``entered`` reaches ``stage``: the stage itself, or a later one
    (an open stage is reached by any later stage but a lost one; a closed stage only
    by itself)."""
    if same:
        return True
    if stage.is_closed or (entered.is_closed and not entered.is_won):
        return False
    return entered.position > stage.position


class JourneyTruth:
    def __init__(self):
        self.stages: defaultdict[tuple, Counter] = defaultdict(Counter)
        self.conversion: defaultdict[tuple, Counter] = defaultdict(Counter)
        self.days_to_reach: defaultdict[tuple, list[float]] = defaultdict(list)
        self.reasons: defaultdict[tuple, Counter] = defaultdict(Counter)
        self.scorecard: defaultdict[str, Counter] = defaultdict(Counter)
        self.cycle_days: defaultdict[tuple, list[int]] = defaultdict(list)

    def add_person(self, created_at: datetime, has_opportunity: bool) -> None:
        month = created_at.strftime("%Y-%m")
        self.scorecard[month]["persons"] += 1
        self.scorecard[month]["persons_with_opportunity"] += has_opportunity

    def add_deal(self, deal: DealJourney, order: dict[str, Stage]) -> None:
        entries = stage_entries(deal)
        for n, (entered_at, stage) in enumerate(entries):
            figures = self.stages[(deal.source, stage)]
            figures["entries"] += 1
            exited_at = entries[n + 1][0] if n + 1 < len(entries) else None
            figures["touches_during_stage"] += sum(
                1 for t in deal.touches if t >= entered_at and (exited_at is None or t < exited_at)
            )
            if exited_at is None:
                figures["current"] += 1
            else:
                figures["with_days_in_stage"] += 1
                figures["seconds_in_stage"] += int((exited_at - entered_at).total_seconds())
        created_month = deal.created_at.strftime("%Y-%m")
        for name, stage in order.items():
            cell = (deal.source, created_month, name)
            self.conversion[cell]["created"] += 1
            reached_at = [
                at
                for at, entered in entries
                if entered in order and reaches(order[entered], stage, entered == name)
            ]
            if reached_at:
                self.conversion[cell]["reached"] += 1
                self.conversion[cell]["won"] += deal.is_won
                seconds = (min(reached_at) - deal.created_at).total_seconds()
                self.days_to_reach[cell].append(seconds / 86400)
        if not deal.is_closed:
            return
        closed_month = deal.close_day.strftime("%Y-%m")
        reason = deal.reason or NO_REASON
        figures = self.reasons[(closed_month, deal.is_won, reason, deal.lead_source, deal.team)]
        figures["opportunities"] += 1
        figures["amount"] += deal.amount or 0
        split = "influenced" if deal.influenced else "not_influenced"
        self.scorecard[closed_month][f"closed_{split}"] += 1
        if deal.is_won:
            self.scorecard[closed_month][f"won_{split}"] += 1
            cycle = (deal.close_day - deal.created_at.date()).days
            self.cycle_days[(closed_month, split)].append(cycle)

    def merge(self, other: JourneyTruth) -> None:
        for mine, theirs in (
            (self.stages, other.stages),
            (self.conversion, other.conversion),
            (self.reasons, other.reasons),
            (self.scorecard, other.scorecard),
        ):
            for key, figures in theirs.items():
                mine[key].update(figures)
        for mine, theirs in (
            (self.days_to_reach, other.days_to_reach),
            (self.cycle_days, other.cycle_days),
        ):
            for key, values in theirs.items():
                mine[key].extend(values)

    def as_dict(self) -> dict:
        """The figures in truth.json's shape: lists of rows, medians worked out."""
        stages = [
            {"source_system": source, "stage_name": stage, **{k: figures[k] for k in STAGE_COUNTS}}
            for (source, stage), figures in sorted(self.stages.items())
        ]
        conversion = []
        for (source, month, stage), figures in sorted(self.conversion.items()):
            days = self.days_to_reach.get((source, month, stage))
            conversion.append(
                {
                    "source_system": source,
                    "month": month,
                    "stage_name": stage,
                    "opportunities_created": figures["created"],
                    "opportunities_reached": figures["reached"],
                    "won": figures["won"],
                    "median_days_to_reach": statistics.median(days) if days else None,
                }
            )
        reasons = [
            {
                "month": month,
                "is_won": won,
                "reason": reason,
                "lead_source": source,
                "team": team,
                "opportunities": figures["opportunities"],
                "amount": figures["amount"],
            }
            for (month, won, reason, source, team), figures in sorted(
                self.reasons.items(),
                key=lambda kv: tuple("" if k is None else str(k) for k in kv[0]),
            )
        ]
        scorecard = []
        for month, figures in sorted(self.scorecard.items()):
            row = {"month": month, **{k: figures.get(k, 0) for k in SCORECARD_COUNTS}}
            for split in ("influenced", "not_influenced"):
                days = self.cycle_days.get((month, split))
                row[f"median_sales_cycle_days_{split}"] = statistics.median(days) if days else None
            scorecard.append(row)
        return {
            "opportunity_stages": stages,
            "stage_conversion": conversion,
            "win_loss_reasons": reasons,
            "scorecard": scorecard,
        }


STAGE_COUNTS = (
    "entries",
    "current",
    "with_days_in_stage",
    "seconds_in_stage",
    "touches_during_stage",
)
SCORECARD_COUNTS = (
    "persons",
    "persons_with_opportunity",
    "closed_influenced",
    "won_influenced",
    "closed_not_influenced",
    "won_not_influenced",
)
