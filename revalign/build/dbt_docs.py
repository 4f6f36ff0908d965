"""dbt's documentation site as one file that opens from ``file://`` and offline.

dbt's usual ``index.html`` fetches ``manifest.json`` and ``catalog.json`` next to it,
which browsers refuse from ``file://``. ``dbt docs generate --static`` writes
``static_index.html`` with both inside and every script and style inline; revalign
copies it to ``REVALIGN_HOME/dbt_docs/index.html`` with two of its template slips
mended, so the page makes no failed request:

- its sidebar icons say ``xlink:href="{{ getIcon(...) }}"``, which the browser tries
  to load before AngularJS fills it in: revalign makes it ``ng-attr-xlink:href``;
- its favicon link is a bundler expression left unreplaced: revalign drops it.
"""

from __future__ import annotations

import re
from pathlib import Path

from revalign import settings
from revalign.build import transform
from revalign.settings import ConnectionInfo

_ICONS = re.compile(r'<use xlink:href=(\\?)"\{\{')
_FAVICON = re.compile(r"<link rel=\"shortcut icon\" href=\"\$\{require\([^)]*\)\}\"/>")


def site_dir() -> Path:
    return settings.home() / "dbt_docs"


def generate(conn: ConnectionInfo) -> Path:
    """``dbt docs generate --static`` against ``conn``; the site's page."""
    transform.invoke(conn, ["docs", "generate", "--static"])
    page = site_dir() / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    written = (transform.target_dir() / "static_index.html").read_text(encoding="utf-8")
    page.write_text(mend(written), encoding="utf-8")
    return page


def mend(page: str) -> str:
    page = _ICONS.sub(lambda m: f'<use ng-attr-xlink:href={m.group(1)}"{{{{', page)
    return _FAVICON.sub("", page)
