"""Server-rendered SVG charts for the dashboards: no script, no CDN, nothing fetched.

Each chart is an `<svg role="img">` named by its `<title>` (and `aria-labelledby`), with a
`<desc>` summing it up; every bar carries its value and its category as text, so the chart
reads without colour (one colour, plus text), and the page puts the same figures in a table
beside it. Every label is escaped (`html.escape`): a supplier's name or a rejection reason
is data typed by someone else.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

_ids = itertools.count(1)

BAR = "#000091"  # the portal's blue (AA on white)
GRID = "#929292"
TEXT = "#161616"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as printed (e.g. "12", "3,5 %")


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _open(width: int, height: int, title: str, desc: str, css: str) -> tuple[str, str]:
    n = next(_ids)
    title_id, desc_id = f"chart-{n}-title", f"chart-{n}-desc"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-labelledby="{title_id} {desc_id}">'
            f'<title id="{title_id}">{_e(title)}</title>'
            f'<desc id="{desc_id}">{_e(desc)}</desc>')
    return head, "</svg>"


def columns(bars: Sequence[Bar], *, title: str, desc: str, height: int = 220) -> SafeString:
    """Vertical bars (e.g. invoices per month): the value above each bar, its label below."""
    slot = 56
    width = max(slot * len(bars) + 20, 200)
    top, bottom = 24, 40
    plot = height - top - bottom
    peak = max((b.value for b in bars), default=0) or 1
    head, tail = _open(width, height, title, desc, "chart chart-columns")
    parts = [head, f'<line x1="10" y1="{top + plot}" x2="{width - 10}" y2="{top + plot}" '
                   f'stroke="{GRID}" stroke-width="1"/>']
    for i, bar in enumerate(bars):
        x = 10 + i * slot + 8
        h = round(plot * bar.value / peak) if bar.value > 0 else 0
        y = top + plot - h
        parts.append(f'<rect x="{x}" y="{y}" width="{slot - 16}" height="{h}" fill="{BAR}"/>')
        centre = x + (slot - 16) / 2
        parts.append(f'<text x="{centre:g}" y="{y - 6}" text-anchor="middle" font-size="12" '
                     f'fill="{TEXT}">{_e(bar.shown)}</text>')
        parts.append(f'<text x="{centre:g}" y="{top + plot + 18}" text-anchor="middle" '
                     f'font-size="11" fill="{TEXT}">{_e(bar.label)}</text>')
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 — every text above is escaped


def rows(bars: Sequence[Bar], *, title: str, desc: str, maximum: float | None = None,
         label_width: int = 260) -> SafeString:
    """Horizontal bars (e.g. rates by reason): the label on the left, the value after the
    bar; `maximum` fixes the scale (100 for percentages)."""
    line = 26
    width = label_width + 320
    height = max(line * len(bars) + 12, 40)
    peak = maximum or max((b.value for b in bars), default=0) or 1
    span = 240
    head, tail = _open(width, height, title, desc, "chart chart-rows")
    parts = [head]
    for i, bar in enumerate(bars):
        y = 6 + i * line
        w = round(span * min(bar.value, peak) / peak) if bar.value > 0 else 0
        label = bar.label if len(bar.label) <= 40 else bar.label[:39] + "…"
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" '
                     f'font-size="12" fill="{TEXT}">{_e(label)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{w}" height="16" '
                     f'fill="{BAR}"/>')
        parts.append(f'<text x="{label_width + w + 6}" y="{y + 15}" font-size="12" '
                     f'fill="{TEXT}">{_e(bar.shown)}</text>')
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 — every text above is escaped
