"""Bar charts as inline SVG, drawn on the server (presentation only: the numbers come from services).

Horizontal bars suit long labels (return reasons, product names) and narrow phone screens alike.
Each chart carries <title> and <desc> for screen readers; pages put the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

SPAN = 80.0  # percent of the width the longest bar takes; the rest is for its value
ROW = 44  # a label line above each bar
BAR = 16
LABEL_CHARS = 48
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
    """One horizontal bar per value, scaled to the largest, its label above it and its value after
    it. Lengths are percentages of the width, so the chart fills its box and its text keeps its
    real size on a phone as on a desktop."""
    chart_id = f"chart-{next(_ids)}"
    height = max(len(bars), 1) * ROW + 4
    largest = max((b.value for b in bars), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" class="bars">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = index * ROW
        length = 0 if bar.value <= 0 else max(0.5, SPAN * bar.value / largest)
        shown = bar.shown if bar.shown is not None else f"{bar.value:g}"
        colour = TONES.get(bar.tone, TONES["default"])
        parts.append(
            f"<g><title>{escape(bar.label)}: {escape(shown)}</title>"
            f'<text x="0" y="{y + 16}" class="label">{escape(_short(bar.label))}</text>'
            f'<rect x="0" y="{y + 22}" width="{SPAN}%" height="{BAR}" rx="3" class="track"/>'
            f'<rect x="0" y="{y + 22}" width="{length:.2f}%" height="{BAR}" rx="3" fill="{colour}"/>'
            f'<text x="{length + 1.5:.2f}%" y="{y + 35}" class="value">{escape(shown)}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
