"""Inline SVG charts, drawn in Python: no JavaScript, no external files.

Every piece of text that goes into the SVG (labels, titles, tooltips) passes
through `markupsafe.escape`; numbers are formatted by this module. The result
is returned as `Markup` so the template can embed it; that is safe only
because this module escapes everything it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "Point", "bar_chart", "grouped_bar_chart", "heat_colour", "scatter_chart"]

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


@dataclass(frozen=True)
class Point:
    x: float          # position on the horizontal axis (e.g. a date as a year fraction)
    y: float
    tooltip: str
    flagged: bool = False


def grouped_bar_chart(groups: list[tuple[str, list[float]]], series: list[tuple[str, str]], *, title: str,
                      description: str = "", unit: str = "", width: int = 860, chart_id: str = "grouped") -> Markup:
    """Vertical bars side by side per group (e.g. produced, imported, exported per country-year).

    `series` gives each bar's (name, colour) in order; each group gives one value per series.
    """
    top, bottom, left, legend_w = 24, 58, 70, 0
    height = 300
    plot_w, plot_h = width - left - 10 - legend_w, height - top - bottom
    vmax = max((v for _, vals in groups for v in vals if v and v > 0), default=0.0) or 1.0
    n = max(len(groups), 1)
    slot = plot_w / n
    bar_w = max(min(slot * 0.8 / max(len(series), 1), 28), 2)
    tid, did = f"{chart_id}-title", f"{chart_id}-desc"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="100%" style="max-width:{width}px" aria-labelledby="{tid} {did}" font-size="12" '
           f'font-family="system-ui, sans-serif"><title id="{tid}">{escape(title)}</title>'
           f'<desc id="{did}">{escape(description)}</desc>']
    for k in range(5):
        v = vmax * k / 4
        y = top + plot_h - plot_h * k / 4
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle" fill="{MUTED}">'
                   f'{escape(_short(v))}</text>')
    for i, (label, values) in enumerate(groups):
        x0 = left + i * slot + (slot - bar_w * len(series)) / 2
        for j, ((name, colour), v) in enumerate(zip(series, values)):
            h = 0 if not v or v <= 0 else max(plot_h * v / vmax, 1)
            out.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                       f'height="{h:.1f}" fill="{escape(colour)}"><title>{escape(label)} · {escape(name)}: '
                       f'{escape(_short(v or 0))} {escape(unit)}</title></rect>')
        out.append(f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                   f'fill="{TEXT}">{escape(_cut(label, max(int(slot / 7), 4)))}</text>')
    for j, (name, colour) in enumerate(series):
        x = left + j * 150
        out.append(f'<rect x="{x}" y="{height - 22}" width="12" height="12" fill="{escape(colour)}"/>'
                   f'<text x="{x + 16}" y="{height - 12}" fill="{TEXT}">{escape(name)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def scatter_chart(points: list[Point], *, title: str, description: str = "", x_label: str = "", y_label: str = "",
                  reference_y: float | None = None, band: tuple[float, float] | None = None, width: int = 860,
                  height: int = 320, chart_id: str = "scatter", log_y: bool = False) -> Markup:
    """Points on two numeric axes, flagged ones in red on top, with an optional reference line and band."""
    import math

    top, bottom, left, right = 16, 44, 70, 16
    plot_w, plot_h = width - left - right, height - top - bottom
    ys = [p.y for p in points if p.y is not None and (p.y > 0 or not log_y)]
    if not points or not ys:
        return Markup("")
    f = (lambda v: math.log10(max(v, 1e-9))) if log_y else (lambda v: v)
    extra = [reference_y] if reference_y is not None else []
    extra += list(band) if band else []
    y0, y1 = min(f(v) for v in ys + extra), max(f(v) for v in ys + extra)
    x0, x1 = min(p.x for p in points), max(p.x for p in points)
    y1, x1 = (y1 if y1 > y0 else y0 + 1), (x1 if x1 > x0 else x0 + 1)

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return top + plot_h - (f(y) - y0) / (y1 - y0) * plot_h

    tid, did = f"{chart_id}-title", f"{chart_id}-desc"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="100%" style="max-width:{width}px" aria-labelledby="{tid} {did}" font-size="12" '
           f'font-family="system-ui, sans-serif"><title id="{tid}">{escape(title)}</title>'
           f'<desc id="{did}">{escape(description)}</desc>']
    if band:
        out.append(f'<rect x="{left}" width="{plot_w}" y="{py(band[1]):.1f}" height="{py(band[0]) - py(band[1]):.1f}" '
                   f'fill="#e8f1e4"><title>normal range</title></rect>')
    for k in range(5):
        v = y0 + (y1 - y0) * k / 4
        label = 10 ** v if log_y else v
        y = top + plot_h - plot_h * k / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle" fill="{MUTED}">'
                   f'{escape(_short(label))}</text>')
    for k in range(int(math.floor(x0)), int(math.floor(x1)) + 1):
        if x0 <= k <= x1:
            out.append(f'<line x1="{px(k):.1f}" x2="{px(k):.1f}" y1="{top}" y2="{top + plot_h}" stroke="{GRID}"/>'
                       f'<text x="{px(k):.1f}" y="{top + plot_h + 14}" text-anchor="middle" fill="{MUTED}">{k}</text>')
    if reference_y is not None:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{py(reference_y):.1f}" y2="{py(reference_y):.1f}" '
                   f'stroke="{BAR_FILL_ALT}" stroke-width="1.5" stroke-dasharray="5 3"/>')
    for p in sorted(points, key=lambda p: p.flagged):
        if p.y is None or (log_y and p.y <= 0):
            continue
        colour, r = ("#c62828", 3.5) if p.flagged else ("#7a7a7a", 2.0)
        out.append(f'<circle cx="{px(p.x):.1f}" cy="{py(p.y):.1f}" r="{r}" fill="{colour}" fill-opacity="0.75">'
                   f'<title>{escape(p.tooltip)}</title></circle>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" fill="{TEXT}">{escape(x_label)}</text>'
               f'<text x="12" y="{top + plot_h / 2:.1f}" transform="rotate(-90 12 {top + plot_h / 2:.1f})" '
               f'text-anchor="middle" fill="{TEXT}">{escape(y_label)}</text></svg>')
    return Markup("".join(out))


def _short(v: float) -> str:
    a = abs(v)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}"
