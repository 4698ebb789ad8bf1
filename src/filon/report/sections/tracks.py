"""Report section: maps of tracked shipments that left their route or crossed a protected area.

One offline map per route_deviation alert, highest score first, at most `MAX_MAPS`: the asset's
positions that day as a line, the areas it crossed, and its permitted route when it left one. A
reader sees at a glance whether the track cuts through a reserve or only grazes it.
"""

from __future__ import annotations

import shapely
from markupsafe import Markup, escape
from shapely.geometry import LineString, Point

from filon.detect.context import DetectContext
from filon.report.maps import MapLayer, svg_map
from filon.report.sections import Section

MAX_MAPS = 6


def _quote(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) or "''"


def _track(ctx: DetectContext, asset: str, day: str) -> list[dict]:
    return ctx.query(f"""SELECT time, lat, lon FROM movements
                         WHERE asset_id = {_quote([asset])} AND strftime(time, '%Y-%m-%d') = {_quote([day])}
                         ORDER BY time""")


#: The alerts this section shows (it is given only those, and redrawn only when they change).
TYPOLOGIES = ("route_deviation",)


def section(ctx: DetectContext, alerts: list[dict]) -> Section | None:
    chosen = sorted((a for a in alerts if a["typology"] == "route_deviation"),
                    key=lambda a: (-a["score"], a["subject_id"]))
    if not chosen:
        return None
    maps: list[Markup] = []
    for k, a in enumerate(chosen[:MAX_MAPS]):
        ev = a["evidence"]
        points = _track(ctx, a["subject_id"], a["period"])
        if len(points) < 2:
            continue
        line = LineString([(p["lon"], p["lat"]) for p in points])
        area_ids = [x["area_id"] for x in ev.get("areas", [])]
        route_ids = [c["route_id"] for c in ev.get("corridor", [])]
        areas = ctx.query(f"SELECT area_id, name, kind, geometry FROM areas WHERE area_id IN ({_quote(area_ids)})")
        routes = ctx.query(f"SELECT route_id, name, geometry FROM routes WHERE route_id IN ({_quote(route_ids)})")
        layers = [
            MapLayer("Areas crossed", [shapely.from_wkt(r["geometry"]) for r in areas], fill="#2e7d3255",
                     stroke="#2e7d32", labels=[f"{r['name'] or r['area_id']} ({r['kind']})" for r in areas]),
            MapLayer("Permitted route", [shapely.from_wkt(r["geometry"]) for r in routes], stroke="#555555",
                     stroke_width=3.0, labels=[r["name"] or r["route_id"] for r in routes]),
            MapLayer("Track", [line], stroke="#b3261e", stroke_width=1.5, labels=[a["subject_id"]]),
            MapLayer("First and last position", [Point(line.coords[0]), Point(line.coords[-1])], fill="#b3261e",
                     stroke="#b3261e", labels=[str(points[0]["time"]), str(points[-1]["time"])]),
        ]
        title = f"{a['subject_id']} on {a['period']}"
        maps.append(Markup("<figure><figcaption>{}</figcaption>{}</figure>").format(
            escape(a["explanation"]), svg_map(layers, title=title, map_id=f"track-map-{k}")))
    more = len(chosen) - min(len(chosen), MAX_MAPS)
    return Section(
        key="section-tracks", title="Tracked shipments off their route",
        intro=("Each map shows one alerted asset's positions that day (red), the protected areas, indigenous "
               "territories or exclusion zones it crossed (green) and its permitted route (grey)."
               + (f" {more} more alert(s) are listed above without a map." if more else "")),
        html=Markup("").join(maps))
