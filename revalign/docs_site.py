"""``revalign docs serve``: the pages people read, served together on this machine.

- ``/dbt/``: dbt's documentation site (``revalign.build.dbt_docs``), generated first
  when there is none yet or with ``--refresh``;
- ``/data-docs/``: Great Expectations' Data Docs that ``revalign check`` builds
  (``REVALIGN_DATA_DOCS_DIR``), their libraries shipped with them;
- ``/reports/``: the alignment reports (``REVALIGN_REPORT_DIR``), one written first
  when there is none yet;
- ``/``: a page linking the three.

Every page also opens straight from its file; the server binds loopback only.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from revalign import settings
from revalign.settings import ConnectionInfo


@dataclass(frozen=True)
class Site:
    path: str  # where it is served, e.g. /dbt/
    title: str
    folder: Path
    missing: str  # what to run when it is not there yet

    @property
    def ready(self) -> bool:
        return self.folder.is_dir() and any(self.folder.glob("*.html"))


def sites() -> list[Site]:
    from revalign.build import dbt_docs

    return [
        Site("/reports/", "The alignment report", settings.report_dir(),
             "revalign report"),
        Site("/data-docs/", "CRM hygiene checks (Great Expectations Data Docs)",
             settings.data_docs_dir(), "revalign check"),
        Site("/dbt/", "The marts' documentation (dbt docs)", dbt_docs.site_dir(),
             "revalign docs serve --refresh"),
    ]  # fmt: skip


def prepare(conn: ConnectionInfo | None, refresh: bool = False) -> list[str]:
    """Generate dbt docs and a report when missing (or dbt docs on ``refresh``); what
    was made, one line each."""
    from revalign import report
    from revalign.build import dbt_docs

    made = []
    if conn is not None:
        if refresh or not (dbt_docs.site_dir() / "index.html").exists():
            made.append(f"dbt docs: {dbt_docs.generate(conn)}")
        if not any(settings.report_dir().glob("alignment-*.html")):
            made.append(f"report: {report.write(conn)}")
    return made


def home_page(found: list[Site]) -> str:
    items = []
    for site in found:
        if site.ready:
            latest = _latest(site)
            link = f'<a href="{site.path}{html.escape(latest)}">{html.escape(site.title)}</a>'
            items.append(f"<li>{link}</li>")
        else:
            items.append(
                f"<li>{html.escape(site.title)}: none yet (run "
                f"<code>{html.escape(site.missing)}</code>)</li>"
            )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>revalign</title><style>body{font-family:sans-serif;max-width:720px;"
        "margin:2em auto;padding:0 1em;line-height:1.6}</style></head><body>"
        f"<h1>revalign</h1><ul>{''.join(items)}</ul></body></html>"
    )


def _latest(site: Site) -> str:
    """The page to open: the site's index, else its newest report."""
    if (site.folder / "index.html").exists():
        return "index.html"
    return max(site.folder.glob("*.html"), key=lambda p: p.name).name


def server(port: int, found: list[Site]) -> ThreadingHTTPServer:
    """A server for ``found`` on 127.0.0.1:``port`` (0: any free port)."""
    roots = {site.path: site.folder for site in found}

    class Handler(SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            for prefix, folder in roots.items():
                if path.startswith(prefix):
                    self.directory = str(folder)  # this request's site
                    return super().translate_path("/" + path[len(prefix) :])
            raise FileNotFoundError(path)

        def send_head(self):
            if self.path in ("/", "/index.html"):
                body = home_page(found).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return io.BytesIO(body)
            try:
                return super().send_head()
            except FileNotFoundError:  # outside the three sites: nothing else is served
                self.send_error(404, "Not found: revalign serves /dbt/, /data-docs/ and /reports/")
                return None

        def log_message(self, format, *args):
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)
