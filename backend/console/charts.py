"""Charts drawn on the server as SVG: nothing to download, readable without a script, and
described for screen readers (`role="img"`, a title, and the figures as text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from backend.console.format import number_vn

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 160
VALUE_WIDTH = 70
WIDTH = 560


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    tone: str = "primary"
    """A class of the stylesheet: `primary`, `ok`, `warn`, `bad`, `muted`."""


def bar_chart(title: str, bars: Sequence[Bar], *, unit: str = "") -> Markup:
    """Horizontal bars, longest = the largest value. The `<title>` names the chart and the
    `<desc>` reads out every bar, so the picture says nothing a screen reader cannot."""
    top = max((bar.value for bar in bars), default=0) or 1
    height = max(len(bars), 1) * (BAR_HEIGHT + GAP)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    described = "; ".join(f"{bar.label}: {number_vn(bar.value)}{unit}" for bar in bars)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img"'
        f' aria-labelledby="{_id(title)}-t {_id(title)}-d" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{_id(title)}-t">{escape(title)}</title>',
        f'<desc id="{_id(title)}-d">{escape(described)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = index * (BAR_HEIGHT + GAP)
        length = 0 if bar.value <= 0 else max(2.0, span * bar.value / top)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end"'
            f' class="chart-label">{escape(_short(bar.label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}"'
            f' rx="3" class="bar bar-{escape(bar.tone)}"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}"'
            f' class="chart-value">{escape(number_vn(bar.value))}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # every text in it went through escape()


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())[:40]
