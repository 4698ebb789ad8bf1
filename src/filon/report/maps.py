"""Offline maps as inline SVG: rights, areas, detections, tracks, without a tile server.

Geometries are shapely objects in longitude/latitude (WGS 84). They are drawn in an
equirectangular projection scaled by the cosine of the map's middle latitude, which keeps
shapes right at the scale of a district or a department (the region sits near the equator).
Every label passes through `markupsafe.escape`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from shapely.geometry.base import BaseGeometry


@dataclass
class MapLayer:
    name: str                               # legend text
    geometries: list[BaseGeometry]
    fill: str = "none"                      # CSS colour, e.g. "#2e7d3280"
    stroke: str = "#333333"
    stroke_width: float = 1.0
    labels: list[str] = field(default_factory=list)  # tooltip per geometry (same order), optional
    point_radius: float = 3.0


def svg_map(layers: list[MapLayer], *, title: str, width: int = 720, height: int = 480,
            bounds: tuple[float, float, float, float] | None = None, map_id: str = "map") -> Markup:
    """Draw `layers` (first at the bottom) with a legend and a scale bar; bounds default to
    every geometry's extent with a 5 % margin."""
    geoms = [g for layer in layers for g in layer.geometries if g is not None and not g.is_empty]
    if bounds is None:
        if not geoms:
            return Markup("")
        xs0, ys0, xs1, ys1 = zip(*(g.bounds for g in geoms))
        bounds = (min(xs0), min(ys0), max(xs1), max(ys1))
    x0, y0, x1, y1 = bounds
    pad_x, pad_y = max((x1 - x0) * 0.05, 0.005), max((y1 - y0) * 0.05, 0.005)
    x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y
    kx = math.cos(math.radians((y0 + y1) / 2))
    legend_h = 18 * len(layers) + 8
    plot_h = height - legend_h
    scale = min(width / ((x1 - x0) * kx), plot_h / (y1 - y0))
    off_x = (width - (x1 - x0) * kx * scale) / 2
    off_y = (plot_h - (y1 - y0) * scale) / 2

    def xy(x: float, y: float) -> str:
        return f"{off_x + (x - x0) * kx * scale:.1f},{off_y + (y1 - y) * scale:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{map_id}-t" '
             f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px;background:#f7f7f2">',
             f'<title id="{map_id}-t">{escape(title)}</title>']
    for layer in layers:
        parts.append(f'<g fill="{escape(layer.fill)}" stroke="{escape(layer.stroke)}" '
                     f'stroke-width="{layer.stroke_width}"><title>{escape(layer.name)}</title>')
        for i, g in enumerate(layer.geometries):
            if g is None or g.is_empty:
                continue
            tip = f"<title>{escape(layer.labels[i])}</title>" if i < len(layer.labels) else ""
            parts.append(_shape(g, xy, layer.point_radius, tip))
        parts.append("</g>")
    km = _scale_km((x1 - x0) * kx * 111.32 / 4)
    bar = km / ((x1 - x0) * kx * 111.32) * width
    y = plot_h - 10
    parts.append(f'<g stroke="#1a1a1a" stroke-width="2"><line x1="10" y1="{y}" x2="{10 + bar:.1f}" y2="{y}"/></g>'
                 f'<text x="10" y="{y - 4}" font-size="11" fill="#1a1a1a">{km:g} km</text>')
    for i, layer in enumerate(layers):
        ly = plot_h + 14 + 18 * i
        parts.append(f'<rect x="10" y="{ly - 10}" width="14" height="12" fill="{escape(layer.fill)}" '
                     f'stroke="{escape(layer.stroke)}"/><text x="30" y="{ly}" font-size="12" fill="#1a1a1a">'
                     f'{escape(layer.name)} ({len(layer.geometries)})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _scale_km(approx: float) -> float:
    if approx <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(approx))
    return max(m * base for m in (1, 2, 5) if m * base <= approx) if approx >= base else base


def _shape(g: BaseGeometry, xy, radius: float, tip: str) -> str:
    kind = g.geom_type
    if kind == "Point":
        cx, cy = xy(g.x, g.y).split(",")
        return f'<circle cx="{cx}" cy="{cy}" r="{radius}">{tip}</circle>'
    if kind == "LineString":
        return f'<polyline fill="none" points="{" ".join(xy(x, y) for x, y in g.coords)}">{tip}</polyline>'
    if kind == "Polygon":
        rings = [g.exterior, *g.interiors]
        d = " ".join("M" + " L".join(xy(x, y) for x, y in r.coords) + " Z" for r in rings)
        return f'<path fill-rule="evenodd" d="{d}">{tip}</path>'
    if hasattr(g, "geoms"):
        return f"<g>{tip}" + "".join(_shape(p, xy, radius, "") for p in g.geoms) + "</g>"
    return ""
