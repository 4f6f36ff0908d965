"""``revalign report``: the alignment report, one self-contained HTML page.

The headline numbers of the week with their change against the week before, then one
section per question both teams argue about, each with its charts (inline SVG), a
one-line reading in words and the numbers drawn. Opening the page makes no request to
any other host (its Content-Security-Policy forbids it), so it reads the same from a
file, an email attachment or a phone.

The numbers come from the marts only (:mod:`revalign.report.figures`); the charts from
:mod:`revalign.report.charts`; the page from ``templates/report.html.j2``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from revalign import settings
from revalign.build import moment
from revalign.report import figures
from revalign.report.figures import Headline, Report, format_figure, plain_number
from revalign.settings import ConnectionInfo
from revalign.warehouse import db

TEMPLATES = Path(__file__).parent / "templates"


def default_path(as_of: datetime) -> Path:
    return settings.report_dir() / f"alignment-{as_of.astimezone(UTC):%Y-%m-%d}.html"


def write(conn: ConnectionInfo, as_of: datetime | None = None, out: Path | None = None) -> Path:
    """Write the report as of ``as_of`` (default: the marts' build) to ``out`` (default:
    ``REVALIGN_REPORT_DIR/alignment-<date>.html``) and return its path."""
    path, _ = save(gather(conn, as_of), out)
    return path


def save(found: Report, out: Path | None = None) -> tuple[Path, str]:
    """Render ``found`` and write it; the path and the page."""
    path = Path(out) if out else default_path(found.as_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render(found)
    path.write_text(page, encoding="utf-8")
    return path, page


def gather(conn: ConnectionInfo, as_of: datetime | None = None) -> Report:
    _require_marts(conn)
    return figures.gather(conn, as_of or moment.built(conn))


def _require_marts(conn: ConnectionInfo) -> None:
    """The report reads the built marts: without them, say what to do."""
    db.require_marts(conn, "report on", "marts.alignment_scorecard", "marts.win_loss_reasons")


def render(found: Report) -> str:
    """The page's HTML."""
    import jinja2

    from revalign.report import charts

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    environment.filters.update(
        figure=format_figure, change=change_text, direction=_direction, cell=_cell
    )
    environment.tests["number"] = lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    sections = [
        {
            **vars(section),
            "drawn": [(c.title, charts.svg(c)) for c in section.charts if not c.empty],
        }
        for section in found.sections
    ]
    as_of = found.as_of.astimezone(UTC)
    return environment.get_template("report.html.j2").render(
        as_of_text=f"{as_of:%Y-%m-%d %H:%M} UTC",
        week_text=f"{found.week_start.astimezone(UTC):%d %b} to {as_of:%d %b %Y}",
        headlines=found.headlines,
        sections=sections,
        sources=found.sources,
    )


def change_text(headline: Headline) -> str:
    if headline.value is None or headline.previous is None:
        return "no change to compare"
    delta = headline.value - headline.previous
    if headline.unit == "%":
        return f"{delta * 100:+.0f} points"
    if headline.previous:
        return f"{delta / headline.previous:+.0%}"
    return f"{delta:+,.0f}"


def _direction(headline: Headline) -> str:
    if headline.value is None or headline.previous is None or headline.value == headline.previous:
        return "same"
    return "up" if headline.value > headline.previous else "down"


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return plain_number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
