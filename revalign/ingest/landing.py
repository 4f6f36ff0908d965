"""The landing zone: ``<landing>/<source>/<batch_id>/`` folders, ready once ``_SUCCESS`` exists.

A producer writes a batch's files, then the marker. The watcher claims a ready
batch by renaming its marker to ``_SUCCESS.queued`` (one rename: two watchers
cannot both claim it); the ingest task loads every claimed batch, then moves it
to ``archive/<source>/<batch_id>/`` and any file that could not be loaded to
``quarantine/<source>/<batch_id>/``. The landing zone is a local folder or any
fsspec URL (``s3://bucket/landing``, through Airflow's ``ObjectStoragePath``);
remote batches are copied to a local temporary folder to be loaded.
"""

from __future__ import annotations

import contextlib
import logging
import posixpath
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from revalign.errors import RevalignError
from revalign.settings import ConnectionInfo

log = logging.getLogger(__name__)

MARKER = "_SUCCESS"
CLAIMED = "_SUCCESS.queued"
ARCHIVE = "archive"
QUARANTINE = "quarantine"


def storage_path(location: str):
    """A pathlib-like handle on a folder, or on an fsspec URL through Airflow's ObjectStoragePath
    (``s3://aws_default@bucket/landing`` takes its credentials from that Airflow connection)."""
    if "://" not in location:
        return Path(location)
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(location)


class OutsideLandingZone(RevalignError):
    """A batch path that is not a ``<source>/<batch_id>/`` folder of the landing zone."""


RULE = "a batch must be a folder <landing>/<source>/<batch_id>/, not a symbolic link"


def confined_batch(batch: str, landing: str) -> str:
    """``batch`` if it is a batch folder of the landing zone; else OutsideLandingZone.

    Whoever names the batch (the watcher, an asset event posted through Airflow's REST
    API, a DAG), the path is resolved first, symbolic links and ``..`` included: it must
    then be ``<landing>/<source>/<batch_id>`` exactly, outside ``archive/`` and
    ``quarantine/``, and neither it nor its source folder may be a symbolic link. Nothing
    is read or moved before this check passes.
    """
    if ("://" in batch) != ("://" in landing):
        raise OutsideLandingZone(f"batch {batch!r} refused: {RULE} (landing zone {landing})")
    if "://" in landing:
        relative = _relative_url(batch, landing)
    else:
        relative = _relative_folder(Path(batch), Path(landing))
    if relative is None or len(relative) != 2 or relative[0] in (ARCHIVE, QUARANTINE):
        raise OutsideLandingZone(f"batch {batch!r} refused: {RULE} (landing zone {landing})")
    return batch


def _relative_folder(folder: Path, root: Path) -> tuple[str, ...] | None:
    if not folder.is_absolute():
        return None
    if folder.is_symlink() or folder.parent.is_symlink() or not folder.is_dir():
        return None
    try:
        relative = folder.resolve(strict=True).relative_to(root.resolve(strict=True))
    except (OSError, ValueError):
        return None
    return relative.parts


def _relative_url(batch: str, landing: str) -> tuple[str, ...] | None:
    scheme, _, path = batch.partition("://")
    root_scheme, _, root = landing.partition("://")
    if scheme != root_scheme or ".." in path.split("/"):
        return None
    path, root = posixpath.normpath(path), posixpath.normpath(root)
    if not path.startswith(root.rstrip("/") + "/"):
        return None
    return tuple(path[len(root.rstrip("/")) + 1 :].split("/"))


def _is_batch_folder(folder, landing: str) -> bool:
    try:
        confined_batch(str(folder), landing)
    except OutsideLandingZone as refused:
        log.warning("%s", refused)
        return False
    return True


def batch_order(path: Path) -> tuple:
    """Sort key of batch folders and files: by name, numbers in it by value, so that batch
    ``2_...`` comes before ``10_...`` and ``100_...`` after ``99_...``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", path.name)
        if part
    )


def ready_markers(landing: str) -> list:
    """Markers of batches ready to load, oldest batch first (never through a symbolic link)."""
    root = storage_path(landing)
    if not root.exists():
        return []
    found = [
        p
        for p in root.glob(f"*/*/{MARKER}")
        if p.parent.parent.name not in (ARCHIVE, QUARANTINE)
        and not _is_link(p)
        and _is_batch_folder(p.parent, landing)
    ]
    return sorted(found, key=lambda p: (p.parent.parent.name, batch_order(p.parent)))


def _is_link(path) -> bool:
    return isinstance(path, Path) and path.is_symlink()


def claim(marker) -> str | None:
    """Take a ready batch for loading; None if another watcher took it first."""
    try:
        marker.rename(marker.with_name(CLAIMED))
    except (FileNotFoundError, OSError):
        return None
    return str(marker.parent)


def claimed_batches(landing: str) -> list[str]:
    """Batches claimed and not yet loaded (including those of a run that failed)."""
    root = storage_path(landing)
    if not root.exists():
        return []
    found = [p.parent for p in root.glob(f"*/*/{CLAIMED}") if not _is_link(p)]
    found = [
        p
        for p in found
        if p.parent.name not in (ARCHIVE, QUARANTINE) and _is_batch_folder(p, landing)
    ]
    return [str(p) for p in sorted(found, key=lambda p: (p.parent.name, p.name))]


@dataclass
class BatchOutcome:
    batch: str
    results: list  # loader.FileResult

    @property
    def raw_tables(self) -> set[str]:
        return {r.raw_table for r in self.results if r.status == "loaded" and r.raw_table}


def process_batch(conn: ConnectionInfo, batch: str, landing: str) -> BatchOutcome:
    """Load one claimed batch, then archive it (quarantining what could not be loaded).

    Refuses (OutsideLandingZone) a path that is not a batch folder of ``landing``.
    """
    from revalign.ingest import loader

    folder = storage_path(confined_batch(batch, landing))
    local, temporary = _local_copy(folder)
    try:
        results = loader.load(conn, [local])
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    root = storage_path(landing)
    source, batch_id = folder.parent.name, folder.name
    for result in results:
        if result.status == "quarantined":
            target = root / QUARANTINE / source / batch_id / result.path.name
            _move(folder / result.path.name, target)
    archive = root / ARCHIVE / source / batch_id
    for item in list(folder.iterdir()):
        _move(item, archive / item.name)
    with contextlib.suppress(OSError):  # object stores have no folders to remove
        folder.rmdir()
    return BatchOutcome(batch=batch, results=results)


def _local_copy(folder) -> tuple[Path, Path | None]:
    if isinstance(folder, Path):
        return folder, None
    temporary = Path(tempfile.mkdtemp(prefix="revalign-batch-"))
    local = temporary / folder.parent.name / folder.name
    local.mkdir(parents=True)
    for item in folder.iterdir():
        if item.is_file():
            with item.open("rb") as source, open(local / item.name, "wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
    return local, temporary


def _move(source, target) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        source.replace(target)
    else:
        source.rename(target)
