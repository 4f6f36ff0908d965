"""One parse of the dbt project for every ``as_of``.

``as_of`` is a ``--vars`` value that changes with nearly every build (each batch's
extraction time, each test's day), and dbt drops its saved parse whenever a var
changes: a full parse of the project (6-9 s) before any model runs. A build here parses
with its vars *but* ``as_of``, which dbt reuses from the build before (its own checks of
changed files, profile and env vars still apply), then builds on that manifest with its
``as_of``. This holds because the parse does not depend on ``as_of``: dbt renders vars at
parse time only to find refs and configs, and ``as_of`` is read in SQL alone
(tests/orchestration/test_watcher_build.py parses with and without it and compares).

Used by ``revalign build`` (transform.invoke) and by build_marts' producer task under
Airflow (orchestration/watcher_build.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import yaml

#: The dbt var that changes with every build.
RUN_VAR = "as_of"

#: ``dbt build`` options that ``dbt parse`` takes too, each followed by its value.
_PARSE_OPTIONS = ("--project-dir", "--profiles-dir", "--profile", "--target", "--target-path")
#: ``dbt build`` flags (no value) that change how dbt parses.
_PARSE_FLAGS = ("--no-static-parser", "--static-parser", "--no-partial-parse")


def parse_args(build_args: list[str]) -> list[str]:
    """The ``dbt parse`` arguments for ``build_args``: same project, profile and vars but
    ``RUN_VAR``; selection, log format and build flags left out."""
    kept: list[str] = []
    tokens = iter(build_args[1:])
    for token in tokens:
        if token in _PARSE_OPTIONS:
            kept += [token, next(tokens)]
        elif token == "--vars":
            values = yaml.safe_load(next(tokens)) or {}
            values.pop(RUN_VAR, None)
            if values:
                kept += ["--vars", yaml.safe_dump(values)]
        elif token in _PARSE_FLAGS:
            kept.append(token)
    return kept


def invoke(
    args: list[str],
    callbacks: list[Callable[[Any], None]] | None = None,
    parse_flags: Sequence[str] = (),
) -> Any:
    """``dbtRunner(callbacks).invoke(args)``; a ``build`` runs on a manifest parsed
    without ``RUN_VAR`` (``parse_flags``, e.g. ``--quiet``, added to that parse)."""
    from dbt.cli.main import dbtRunner

    if not args or args[0] != "build":
        return dbtRunner(callbacks=callbacks).invoke(args)
    # the build writes manifest.json itself when it ends: the parse need not (1 s)
    parsed = dbtRunner().invoke(["parse", *parse_args(args), *parse_flags, "--no-write-json"])
    if not parsed.success:
        return parsed
    return dbtRunner(manifest=parsed.result, callbacks=callbacks).invoke(args)
