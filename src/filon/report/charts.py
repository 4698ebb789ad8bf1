"""Inline SVG charts, drawn in Python: no JavaScript, no external files.

Every piece of text that goes into the SVG (labels, titles, tooltips) passes
through `markupsafe.escape`; numbers are formatted by this module. The result
is returned as `Markup` so the template can embed it; that is safe only
because this module escapes everything it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "bar_chart", "heat_colour"]

#: Chart palette (sufficient contrast on white, and distinguishable in grey print).
BAR_FILL = "#9a6400"
BAR_FILL_ALT = "#1f5f8b"
TEXT = "#1a1a1a"
MUTED = "#555555"
GRID = "#d9d9d9"


@dataclass(frozen=True)
class Bar:
    label: str        # shown left of the bar (cut if too long)
    value: float      # bar length
    value_text: str   # shown right of the bar
    tooltip: str = ""  # full text for the hover / screen-reader title


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(bars: list[Bar], *, title: str, description: str = "", colour: str = BAR_FILL,
              width: int = 860, label_chars: int = 44, chart_id: str = "chart") -> Markup:
    """A horizontal bar chart as an inline `<svg>` element.

    `title` becomes the SVG `<title>` (read by screen readers); each bar has
    its own `<title>` with the full label and value.
    """
    row_h, bar_h, top, bottom = 26, 17, 8, 8
    label_w = min(max(7.2 * max((len(_cut(b.label, label_chars)) for b in bars), default=10) + 12, 120), 360)
    value_w = 130
    plot_w = width - label_w - value_w
    height = top + bottom + row_h * max(len(bars), 1)
    vmax = max((b.value for b in bars if b.value > 0), default=0.0)
    tid, did = f"{chart_id}-title", f"{chart_id}-desc"

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{tid} {did}" '
        f'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, \'DejaVu Sans\', sans-serif" font-size="13">',
        f'<title id="{tid}">{escape(title)}</title>',
        f'<desc id="{did}">{escape(description)}</desc>',
        f'<line x1="{label_w:.1f}" y1="{top - 4}" x2="{label_w:.1f}" y2="{height - bottom + 4}" '
        f'stroke="{GRID}" stroke-width="1"/>',
    ]
    for i, b in enumerate(bars):
        y = top + i * row_h
        w = 0.0 if vmax <= 0 or b.value <= 0 else max(plot_w * b.value / vmax, 2.0)
        cy = y + row_h / 2
        tip = b.tooltip or f"{b.label}: {b.value_text}"
        out.append('<g class="bar">')
        out.append(f"<title>{escape(tip)}</title>")
        out.append(f'<text x="{label_w - 8:.1f}" y="{cy:.1f}" text-anchor="end" dominant-baseline="middle" '
                   f'fill="{TEXT}">{escape(_cut(b.label, label_chars))}</text>')
        out.append(f'<rect x="{label_w:.1f}" y="{y + (row_h - bar_h) / 2:.1f}" width="{w:.1f}" '
                   f'height="{bar_h}" rx="2" fill="{colour}"/>')
        out.append(f'<text x="{label_w + w + 6:.1f}" y="{cy:.1f}" dominant-baseline="middle" '
                   f'fill="{TEXT}" font-weight="600">{escape(b.value_text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


#: Heat-map classes, pale to dark: (background, text). Chosen so every pair has
#: a contrast ratio of at least 4.5:1 (WCAG AA); the count is always printed too.
HEAT_CLASSES: tuple[tuple[str, str], ...] = (
    ("#fff3d6", "#1a1a1a"),
    ("#fbd78a", "#1a1a1a"),
    ("#f2b13c", "#1a1a1a"),
    ("#8f4f00", "#ffffff"),
    ("#5c3300", "#ffffff"),
)


def heat_colour(count: int, vmax: int) -> tuple[str, str]:
    """(background, text colour) for a heat-map cell holding `count` out of `vmax`."""
    if count <= 0 or vmax <= 0:
        return "#ffffff", MUTED
    k = min(len(HEAT_CLASSES) - 1, max(0, -(-count * len(HEAT_CLASSES) // vmax) - 1))
    return HEAT_CLASSES[k]
