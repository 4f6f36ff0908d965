"""The report's charts as inline SVG, drawn by matplotlib.

Text stays text (``svg.fonttype = none``): the page's own font draws it, screen readers
and searches find it, and the file stays small. Every SVG scales to its container
(``viewBox``, no fixed size), so the same chart fits a phone and a desktop. The output
is deterministic: fixed ids and no date in the metadata.
"""

from __future__ import annotations

import io
import re
from html import escape

from revalign.report.figures import Chart, plain_number

#: Okabe and Ito's colour-blind safe palette.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
WIDTH = 7.2  # inches; the SVG scales, this only sets the proportions


def svg(chart: Chart) -> str:
    """The chart as an ``<svg>`` element to put in HTML."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    with matplotlib.rc_context(_STYLE):
        height = _height(chart)
        figure, axes = plt.subplots(figsize=(WIDTH, height))
        try:
            DRAW[chart.kind](axes, chart)
            _finish(axes, chart)
            figure.tight_layout()
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        finally:
            plt.close(figure)
    return _inline(buffer.getvalue(), chart.title)


_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "revalign",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _height(chart: Chart) -> float:
    if chart.kind == "hbars":
        rows = len(chart.categories) * max(1, len(chart.series))
        return min(9.0, 1.2 + 0.28 * rows)
    return 3.4


def _bars(axes, chart: Chart, stacked: bool = False) -> None:
    count = len(chart.series)
    width = 0.8 / (1 if stacked else max(count, 1))
    bottoms = [0.0] * len(chart.categories)
    for index, (name, values) in enumerate(chart.series.items()):
        heights = [v or 0 for v in values]
        offsets = [i if stacked else i - 0.4 + width * (index + 0.5) for i in range(len(values))]
        axes.bar(offsets, heights, width, bottom=bottoms if stacked else None,
                 label=name, color=COLOURS[index % len(COLOURS)])  # fmt: skip
        targets = chart.marks.get(name)
        if targets:
            for x, target in zip(offsets, targets, strict=True):
                if target is not None:
                    axes.hlines(target, x - width / 2, x + width / 2, colors="#333333",
                                linewidth=2)  # fmt: skip
        if stacked:
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    axes.set_xticks(range(len(chart.categories)), chart.categories)


def _stacked(axes, chart: Chart) -> None:
    _bars(axes, chart, stacked=True)


def _lines(axes, chart: Chart) -> None:
    for index, (name, values) in enumerate(chart.series.items()):
        points = [(i, v) for i, v in enumerate(values) if v is not None]
        if not points:
            continue
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name,
                  color=COLOURS[index % len(COLOURS)],
                  linewidth=3 if index == 0 else 1.5)  # fmt: skip
    axes.set_xticks(range(len(chart.categories)), chart.categories)


def _hbars(axes, chart: Chart) -> None:
    count = len(chart.series)
    height = 0.8 / max(count, 1)
    for index, (name, values) in enumerate(chart.series.items()):
        positions = [i - 0.4 + height * (index + 0.5) for i in range(len(values))]
        axes.barh(positions, [v or 0 for v in values], height, label=name,
                  color=COLOURS[index % len(COLOURS)])  # fmt: skip
    axes.set_yticks(range(len(chart.categories)), [_short(c) for c in chart.categories])
    axes.invert_yaxis()


DRAW = {"bars": _bars, "stacked": _stacked, "lines": _lines, "hbars": _hbars}


def _finish(axes, chart: Chart) -> None:
    from matplotlib.ticker import FuncFormatter

    value_axis = axes.xaxis if chart.kind == "hbars" else axes.yaxis
    value_axis.set_major_formatter(FuncFormatter(lambda v, _: _tick(v, chart.unit)))
    axes.grid(axis="x" if chart.kind == "hbars" else "y", color="#dddddd")
    axes.set_axisbelow(True)
    if len(chart.series) > 1:
        axes.legend(frameon=False, fontsize=9, loc="best")
    if chart.kind != "hbars" and len(chart.categories) > 4:
        axes.tick_params(axis="x", labelsize=8)


def _tick(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.0f} %"
    if unit == "amount":
        for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= size:
                return f"{value / size:.3g}{suffix}"
        return f"{value:.0f}"
    if unit in ("h", "d"):
        return f"{value:.0f} {unit}"
    return plain_number(value)


def _short(label: str, limit: int = 38) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _inline(document: str, title: str) -> str:
    """Strip the XML prolog, size by viewBox and give the chart an accessible title."""
    start = document.index("<svg")
    element = document[start:]
    element = re.sub(r'\swidth="[^"]+"\sheight="[^"]+"', "", element, count=1)
    return element.replace(
        ">",
        f' role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>',
        1,
    )
