"""Bar charts as inline SVG, drawn on the server (presentation only: the numbers come from services).

Horizontal bars suit long labels (return reasons, product names) and narrow phone screens alike.
Each chart carries <title> and <desc> for screen readers; pages put the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 230
VALUE_WIDTH = 60
ROW = 30
BAR = 20
LABEL_CHARS = 34
TONES = {"default": "#0f766e", "ok": "#16a34a", "warn": "#d97706", "danger": "#dc2626", "muted": "#94a3b8"}
_ids = count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    tone: str = "default"  # a key of TONES
    shown: str | None = None  # the value as written beside the bar; the number when None


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(bars: Sequence[Bar], *, title: str, desc: str) -> Markup:
    """One horizontal bar per value, scaled to the largest; labels left, values right."""
    chart_id = f"chart-{next(_ids)}"
    height = max(len(bars), 1) * ROW + 8
    largest = max((b.value for b in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" class="bars">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = 4 + index * ROW
        length = 0 if bar.value <= 0 else max(2.0, span * bar.value / largest)
        shown = bar.shown if bar.shown is not None else f"{bar.value:g}"
        colour = TONES.get(bar.tone, TONES["default"])
        parts.append(
            f"<g><title>{escape(bar.label)}: {escape(shown)}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR / 2 + 5}" text-anchor="end" class="label">'
            f"{escape(_short(bar.label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR}" rx="3" fill="{colour}"/>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR / 2 + 5}" class="value">'
            f"{escape(shown)}</text>"
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
