"""Writes the model as Salesforce-shaped CSV batches, with the quirks of real exports.

Batch 1 is a full export (no deleted rows). Later batches are incremental
queryAll extracts: every record changed or deleted in the batch's window, at its
newest version, deleted ones with ``IsDeleted = true``. Per file the writer
picks a byte-order mark or not, CRLF or LF, a boolean spelling, extra columns
unknown to revalign and a column order; per value, ``+0000`` or ``Z``
datetimes and, for references, 15- or 18-character ids.

Leads are generated in chunks (possibly in parallel): each chunk writes the
bodies of its files into a parts folder, and ``assemble`` joins the parts in
chunk order under each file's header, so the output does not depend on how
many processes made it.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from revalign.warehouse import sources

BOOLEAN_STYLES = (("true", "false"), ("TRUE", "FALSE"), ("1", "0"), ("1", ""))
EXTRA_COLUMNS = (
    "Legacy_Score__c",
    "Region__c",
    "Fax",
    "Jigsaw",
    "Do_Not_Call__c",
    "Notes_JSON__c",
)
NOTES_JSON = json.dumps({"street": "1 Main St, Floor 2", "note": 'said "hi"'})


@dataclass(frozen=True)
class Version:
    """One state of a record: when it was written and its field values (Python types)."""

    at: datetime
    row: dict[str, object]


@dataclass(frozen=True)
class FileFormat:
    """How one file of one batch is written: fixed per file, whatever the chunk."""

    columns: tuple[str, ...]
    extras: frozenset[str]
    bom: bool
    newline: str
    true: str
    false: str


def batch_folder(cutoffs: list[datetime], batch: int) -> str:
    return f"{batch + 1:02d}_{cutoffs[batch]:%Y%m%dT%H%M%SZ}"


def file_name(decl: sources.SourceObject, cutoffs: list[datetime], batch: int) -> str:
    suffix = "" if batch == 0 else f"_{cutoffs[batch]:%Y-%m-%d}"
    return f"{decl.object}{suffix}.csv"


def file_format(seed: int, decl: sources.SourceObject, batch: int) -> FileFormat:
    rng = random.Random(f"{seed}:format:{decl.source}:{batch}:{decl.object}")
    extras = sorted(rng.sample(EXTRA_COLUMNS, min(len(EXTRA_COLUMNS), rng.randint(1, 2 + batch))))
    columns = [f.name for f in decl.fields] + extras
    rng.shuffle(columns)
    true, false = rng.choice(BOOLEAN_STYLES)
    return FileFormat(
        columns=tuple(columns),
        extras=frozenset(extras),
        bom=rng.random() < 0.5,
        newline="\r\n" if rng.random() < 0.5 else "\n",
        true=true,
        false=false,
    )


class PartFile:
    """The body (no header) of one object's file in one batch, for one chunk of leads."""

    def __init__(self, path: Path, decl: sources.SourceObject, fmt: FileFormat, rng: random.Random):
        self.rng = rng
        self.fmt = fmt
        self.rows = 0
        self.handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.handle, lineterminator=fmt.newline)
        types = {f.name: f.type for f in decl.fields}
        self.formatters: list[tuple[str, Callable[[object], str]]] = [
            (column, self._extra if column in fmt.extras else self._formatter(types[column]))
            for column in fmt.columns
        ]

    def write(self, row: dict[str, object], short_id: bool) -> None:
        out = [fmt(row.get(column)) for column, fmt in self.formatters]
        if short_id:
            position = self.fmt.columns.index("Id")
            out[position] = out[position][:15]
        self.writer.writerow(out)
        self.rows += 1

    def _formatter(self, kind: str) -> Callable[[object], str]:
        random_ = self.rng.random
        true, false = self.fmt.true, self.fmt.false

        def boolean(value):
            return "" if value is None else (true if value else false)

        def timestamp(value):
            if value is None:
                return ""
            return value.isoformat()[:19] + (".000+0000" if random_() < 0.6 else ".000Z")

        def plain(value):
            return "" if value is None else str(value)

        def reference(value):
            if value is None:
                return ""
            return value[:15] if random_() < 0.1 else value

        def day(value):
            return "" if value is None else value.isoformat()

        return {"boolean": boolean, "timestamp": timestamp, "id": reference, "date": day}.get(
            kind, plain
        )

    def _extra(self, _value: object) -> str:
        roll = self.rng.random()
        if roll < 0.4:
            return ""
        if roll < 0.5:
            return NOTES_JSON
        return str(int(roll * 1000) % 101)

    def close(self) -> None:
        self.handle.close()


class ChunkWriter:
    """Every object's part files of every batch for one chunk, fed record by record."""

    def __init__(self, parts: Path, source: str, cutoffs: list[datetime], seed: int, chunk: int):
        self.source = sources.source(source)
        self.objects = {o.object: o for o in self.source.objects}
        self.cutoffs = cutoffs
        self.seed = seed
        self.chunk = chunk
        self.parts = parts
        self.rng = random.Random(f"{seed}:writer:{source}:{chunk}")
        self.files: dict[tuple[int, str], PartFile] = {}

    def _file(self, batch: int, object_name: str) -> PartFile:
        key = (batch, object_name)
        if key not in self.files:
            decl = self.objects[object_name]
            folder = self.parts / batch_folder(self.cutoffs, batch)
            folder.mkdir(parents=True, exist_ok=True)
            rng = random.Random(f"{self.seed}:values:{self.chunk}:{batch}:{object_name}")
            path = folder / f"{object_name}.{self.chunk:06d}.part"
            self.files[key] = PartFile(path, decl, file_format(self.seed, decl, batch), rng)
        return self.files[key]

    def record(
        self, object_name: str, versions: list[Version], deleted_at: datetime | None = None
    ) -> None:
        """Write a record into each batch that sees it change (or be deleted)."""
        flag = self.objects[object_name].deleted_flag
        previous_cut = None
        for batch, cut in enumerate(self.cutoffs):
            seen = [v for v in versions if v.at <= cut]
            if seen:
                latest = seen[-1]
                if deleted_at is not None and deleted_at <= cut:
                    newly = previous_cut is not None and previous_cut < deleted_at
                    if newly and flag:
                        row = {**latest.row, flag: True, "SystemModstamp": deleted_at}
                        self._file(batch, object_name).write(row, short_id=False)
                elif previous_cut is None or seen[-1].at > previous_cut:
                    short = previous_cut is not None and self.rng.random() < 0.2
                    self._file(batch, object_name).write(latest.row, short_id=short)
            previous_cut = cut

    def close(self) -> dict[tuple[int, str], int]:
        for part in self.files.values():
            part.close()
        return {key: part.rows for key, part in self.files.items()}


def assemble(
    out: Path,
    parts: Path,
    source: str,
    cutoffs: list[datetime],
    seed: int,
    objects: tuple[str, ...],
    chunks: int,
    rows: dict[tuple[int, str], int],
) -> None:
    """Join each file's parts in chunk order under its header; then manifests and markers."""
    declared = sources.source(source)
    for batch in range(len(cutoffs)):
        folder = out / source / batch_folder(cutoffs, batch)
        folder.mkdir(parents=True, exist_ok=True)
        counts = {}
        for object_name in objects:
            decl = declared.object(object_name)
            fmt = file_format(seed, decl, batch)
            name = file_name(decl, cutoffs, batch)
            part_dir = parts / batch_folder(cutoffs, batch)
            with open(folder / name, "w", encoding="utf-8", newline="") as target:
                if fmt.bom:
                    target.write("\ufeff")
                csv.writer(target, lineterminator=fmt.newline).writerow(fmt.columns)
                for chunk in range(chunks):
                    part = part_dir / f"{object_name}.{chunk:06d}.part"
                    if part.exists():
                        with open(part, encoding="utf-8", newline="") as body:
                            shutil.copyfileobj(body, target, 1 << 20)
            counts[name] = rows.get((batch, object_name), 0)
        write_marker(folder, source, cutoffs[batch], batch, counts)
    shutil.rmtree(parts, ignore_errors=True)


def write_marker(
    folder: Path, source: str, extracted_at: datetime, batch: int, counts: dict[str, int]
) -> None:
    """A manifest, then ``_SUCCESS`` last: the batch is complete once the marker exists."""
    manifest = {
        "source": source,
        "batch_id": folder.name,
        "extracted_at": extracted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kind": "full" if batch == 0 else "incremental",
        "rows": counts,
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (folder / "_manifest.json").write_text(text)
    (folder / "_SUCCESS").write_text("")
