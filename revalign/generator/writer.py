"""Writes the model as Salesforce-shaped CSV batches, with the quirks of real exports.

Batch 1 is a full export (no deleted rows). Later batches are incremental
queryAll extracts: every record changed or deleted in the batch's window, at its
newest version, deleted ones with ``IsDeleted = true``. Per file the writer
picks a byte-order mark or not, CRLF or LF, a boolean spelling, extra columns
unknown to revalign and a column order; per value, ``+0000`` or ``Z``
datetimes and, for references, 15- or 18-character ids.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from revalign import sources

BOOLEAN_STYLES = (("true", "false"), ("TRUE", "FALSE"), ("1", "0"), ("1", ""))
EXTRA_COLUMNS = ("Legacy_Score__c", "Region__c", "Fax", "Jigsaw", "Do_Not_Call__c", "Notes_JSON__c")


@dataclass(frozen=True)
class Version:
    """One state of a record: when it was written and its field values (Python types)."""

    at: datetime
    row: dict[str, object]


class ObjectFile:
    def __init__(
        self, path: Path, decl: sources.SourceObject, rng: random.Random, extras: tuple[str, ...]
    ):
        self.decl = decl
        self.rng = rng
        self.true, self.false = rng.choice(BOOLEAN_STYLES)
        self.types = {f.name: f.type for f in decl.fields}
        columns = [f.name for f in decl.fields] + list(extras)
        rng.shuffle(columns)
        self.columns = columns
        self.extras = extras
        self.rows = 0
        bom = rng.random() < 0.5
        newline = "\r\n" if rng.random() < 0.5 else "\n"
        self.handle = open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.handle, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
        self.writer.writerow(columns)

    def write(self, row: dict[str, object], short_id: bool) -> None:
        out = []
        for column in self.columns:
            if column in self.extras:
                out.append(self._extra(column))
                continue
            value = row.get(column)
            kind = self.types[column]
            if column == "Id" and short_id and isinstance(value, str):
                out.append(value[:15])
            else:
                out.append(self._format(kind, value))
        self.writer.writerow(out)
        self.rows += 1

    def _format(self, kind: str, value: object) -> str:
        if value is None:
            return ""
        if kind == "boolean":
            return self.true if value else self.false
        if kind == "timestamp":
            assert isinstance(value, datetime)
            zone = "+0000" if self.rng.random() < 0.6 else "Z"
            return value.strftime("%Y-%m-%dT%H:%M:%S.000") + zone
        if kind == "date":
            assert isinstance(value, date)
            return value.isoformat()
        if kind == "id":
            text = str(value)
            return text[:15] if self.rng.random() < 0.1 else text
        return str(value)

    def _extra(self, column: str) -> str:
        roll = self.rng.random()
        if roll < 0.4:
            return ""
        if column == "Notes_JSON__c":
            return json.dumps({"street": "1 Main St, Floor 2", "note": 'said "hi"'})
        return str(self.rng.randint(0, 100))

    def close(self) -> None:
        self.handle.close()


class BatchWriter:
    """All files of all batches of one source, open at once, fed record by record."""

    def __init__(self, out: Path, source: str, cutoffs: list[datetime], seed: int):
        self.source = sources.source(source)
        self.cutoffs = cutoffs
        self.rng = random.Random(f"{seed}:writer:{source}")
        self.batch_dirs = []
        for k, cutoff in enumerate(cutoffs, start=1):
            folder = out / source / f"{k:02d}_{cutoff:%Y%m%dT%H%M%SZ}"
            folder.mkdir(parents=True, exist_ok=True)
            self.batch_dirs.append(folder)
        self.files: dict[tuple[int, str], ObjectFile] = {}

    def _file(self, batch: int, object_name: str) -> ObjectFile:
        key = (batch, object_name)
        if key not in self.files:
            decl = self.source.object(object_name)
            rng = random.Random(f"{self.rng.random()}:{batch}:{object_name}")
            extras = tuple(sorted(rng.sample(EXTRA_COLUMNS, rng.randint(1, 2 + batch))))
            suffix = "" if batch == 0 else f"_{self.cutoffs[batch]:%Y-%m-%d}"
            path = self.batch_dirs[batch] / f"{decl.object}{suffix}.csv"
            self.files[key] = ObjectFile(path, decl, rng, extras)
        return self.files[key]

    def open_all(self, object_names: Iterable[str]) -> None:
        """Create every object's file in every batch, so an empty object is an empty file."""
        for batch in range(len(self.cutoffs)):
            for name in object_names:
                self._file(batch, name)

    def record(
        self, object_name: str, versions: list[Version], deleted_at: datetime | None = None
    ) -> None:
        """Write a record into each batch that sees it change (or be deleted)."""
        decl = self.source.object(object_name)
        previous_cut = None
        for batch, cut in enumerate(self.cutoffs):
            seen = [v for v in versions if v.at <= cut]
            if seen:
                latest = seen[-1]
                deleted_now = deleted_at is not None and deleted_at <= cut

                def window(t: datetime, lo=previous_cut, hi=cut) -> bool:
                    return lo is None or lo < t <= hi

                if deleted_now:
                    if batch > 0 and window(deleted_at) and decl.deleted_flag:
                        row = {**latest.row, decl.deleted_flag: True, "SystemModstamp": deleted_at}
                        self._file(batch, object_name).write(row, short_id=False)
                elif batch == 0 or any(window(v.at) for v in seen):
                    short = batch > 0 and self.rng.random() < 0.2
                    self._file(batch, object_name).write(latest.row, short_id=short)
            previous_cut = cut

    def write_file(
        self, batch: int, filename: str, header: list[str], rows: list[list[str]]
    ) -> None:
        with open(self.batch_dirs[batch] / filename, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    def close(self) -> dict[str, dict[str, int]]:
        """Close every file, then mark each batch ready: a manifest, then ``_SUCCESS`` last."""
        counts: dict[str, dict[str, int]] = {}
        for (batch, _), handle in sorted(self.files.items()):
            handle.close()
            counts.setdefault(self.batch_dirs[batch].name, {})[Path(handle.handle.name).name] = (
                handle.rows
            )
        for batch, folder in enumerate(self.batch_dirs):
            manifest = {
                "source": self.source.name,
                "batch_id": folder.name,
                "extracted_at": self.cutoffs[batch].strftime("%Y-%m-%dT%H:%M:%SZ"),
                "kind": "full" if batch == 0 else "incremental",
                "rows": counts.get(folder.name, {}),
            }
            (folder / "_manifest.json").write_text(
                json.dumps(manifest, indent=2, sort_keys=True) + "\n"
            )
            (folder / "_SUCCESS").write_text("")
        return counts
