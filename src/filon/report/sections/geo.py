"""Territory: an offline map of rights, protected areas and territories, detections and operations,
and the top territorial findings (unlicensed_disturbance, protected_area_disturbance,
production_without_disturbance, displacement).

Two maps: the whole extent (areas, operations, detections as points, red where an alert concerns
them) and a close-up around the highest-scored territorial alert (polygons of rights, areas,
detections and operations). Bounded: at most `MAX_GEOMS` geometries per layer (alerted ones
first), simplified to about a thousandth of the map's width, so the page stays small.
"""

from __future__ import annotations

import numpy as np
import shapely
from markupsafe import Markup

from filon.detect import _territory as t
from filon.detect.context import DetectContext
from filon.geo.layers import Layer, read_layer
from filon.report.maps import MapLayer, svg_map
from filon.report.sections import Section
from filon.report.sections._html import figure, table

TYPOLOGIES = ("unlicensed_disturbance", "protected_area_disturbance", "production_without_disturbance", "displacement")
MAX_GEOMS = 1500
TOP = 15
FOCUS_PAD_DEG = 0.12


def _pick(layer: Layer, flagged: set[str], bounds: tuple[float, float, float, float] | None,
          limit: int | None = None) -> tuple[list, list[str], list[str]]:
    """(geometries, ids, labels) of a layer within `bounds`, alerted first, capped and simplified."""
    if not len(layer):
        return [], [], []
    idx = np.arange(len(layer))
    if bounds is not None:
        idx = layer.tree.query(shapely.box(*bounds))
    order = sorted(idx.tolist(), key=lambda i: (layer.ids[i] not in flagged, layer.ids[i]))[:limit or MAX_GEOMS]
    geoms = layer.geoms[order]
    b = shapely.total_bounds(geoms) if len(order) else np.zeros(4)
    tol = max(b[2] - b[0], b[3] - b[1]) / 1000.0
    geoms = shapely.simplify(geoms, tol, preserve_topology=True) if tol > 0 else geoms
    ids = [layer.ids[i] for i in order]
    return list(geoms), ids, ids


#: What the maps read: kept with them (`DetectContext.memo`) while these tables are unchanged.
MAP_TABLES = ("detections", "areas", "operations", "mining_rights")


def section(ctx: DetectContext, alerts: list[dict]) -> Section | None:
    mine = sorted((a for a in alerts if a["typology"] in TYPOLOGIES), key=lambda a: -a["score"])
    flagged = {a["subject_id"] for a in mine}
    top = next((a for a in mine), None)
    focus_on = (top["typology"], top["subject_id"]) if top is not None else None
    # The maps show which subjects are alerted and where the top alert is, not the alerts' figures: a batch
    # that only moves those (declared production) takes the maps from the last run instead of reading
    # every layer again (seconds at national scale).
    drawn = ctx.memo(("report territory maps", tuple(sorted(flagged)), focus_on),
                     lambda: _maps(ctx, flagged, focus_on), MAP_TABLES, keep="report_territory_maps")
    if drawn is None:
        return None
    overview, focus, caption = drawn
    top_id = focus_on[1] if focus_on else ""
    rows = [(a["typology"], a["subject_id"], a.get("country"), a.get("period"), a["score"],
             _figure(a)) for a in mine[:TOP]]
    parts = [figure(Markup(overview), caption)]
    if focus:
        parts.append(figure(Markup(focus), f"Close-up around the highest-scored territorial alert, {top_id}."))
    if rows:
        parts.append(table(["typology", "subject", "country", "period", "score", "key figure"], rows, numeric=(4,),
                           caption=f"Top {len(rows)} territorial findings of {len(mine)}"))
    return Section(key="territory", title="Territory: mining seen from space",
                   intro="Where mining disturbance is seen against mining rights, protected areas, indigenous "
                         "territories and enforcement operations. Areas are measured in an equal-area projection.",
                   html=Markup("").join(parts))


def _maps(ctx: DetectContext, flagged: set[str], focus_on: tuple[str, str] | None) -> tuple[str, str, str] | None:
    """(overview map, close-up around `focus_on` (typology, subject) or "", the overview's caption) as
    SVG text; None when there is nothing to map."""
    dets = t.detections(ctx)
    zones = read_layer(ctx, "areas", "area_id", ("kind", "name", "country"),
                       where="kind IN ('protected_area', 'indigenous_territory', 'exclusion_zone')")
    ops = read_layer(ctx, "operations", "operation_id", ("name", "start_date"))
    if not len(dets) and not len(ops):
        return None
    rights = t.rights(ctx)

    # Overview: detections as points.
    d_geoms, d_ids, _ = _pick(dets, flagged, None)
    pts = shapely.point_on_surface(np.array(d_geoms, dtype=object)) if d_geoms else []
    alert_pts = [g for g, i in zip(pts, d_ids) if i in flagged]
    plain_pts = [g for g, i in zip(pts, d_ids) if i not in flagged]
    z_geoms, z_ids, _ = _pick(zones, set(), None)
    o_geoms, o_ids, _ = _pick(ops, flagged, None)
    overview = svg_map([
        MapLayer("protected areas, territories, exclusion zones", z_geoms, fill="#2e7d3240", stroke="#2e7d32",
                 labels=[f"{i}: {zones.rows[zones.index[i]].get('name') or ''}" for i in z_ids]),
        MapLayer("enforcement operations", o_geoms, fill="#1565c040", stroke="#1565c0", labels=o_ids),
        MapLayer("detections", plain_pts, fill="#8d6e63", stroke="none", point_radius=1.5),
        MapLayer("detections with an alert", alert_pts, fill="#c62828", stroke="#7f0000", point_radius=3.0,
                 labels=[i for i in d_ids if i in flagged]),
    ], title="Mining disturbance across the region", map_id="geo-overview")

    # Close-up around the top alert.
    focus = Markup("")
    where = None
    if focus_on is not None:
        for layer in (dets, rights, ops):
            if focus_on[1] in layer.index:
                where = layer.geoms[layer.index[focus_on[1]]]
                break
    if where is not None:
        x0, y0, x1, y1 = where.bounds
        pad = FOCUS_PAD_DEG if focus_on[0] != "displacement" else 0.3
        box = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        r_geoms, r_ids, _ = _pick(rights, flagged, box)
        zf, zf_ids, _ = _pick(zones, set(), box)
        of, of_ids, _ = _pick(ops, flagged, box)
        df, df_ids, _ = _pick(dets, flagged, box)
        focus = svg_map([
            MapLayer("mining rights", [g for g, i in zip(r_geoms, r_ids) if i not in flagged], fill="#fbc02d30",
                     stroke="#f9a825", stroke_width=0.6),
            MapLayer("rights with an alert", [g for g, i in zip(r_geoms, r_ids) if i in flagged], fill="#fb8c0080",
                     stroke="#e65100", stroke_width=1.2),
            MapLayer("protected areas, territories", zf, fill="#2e7d3240", stroke="#2e7d32", labels=zf_ids),
            MapLayer("enforcement operations", of, fill="#1565c030", stroke="#1565c0", labels=of_ids),
            MapLayer("detections", [g for g, i in zip(df, df_ids) if i not in flagged], fill="#8d6e63", stroke="#5d4037",
                     stroke_width=0.5),
            MapLayer("detections with an alert", [g for g, i in zip(df, df_ids) if i in flagged], fill="#c62828",
                     stroke="#7f0000", labels=[i for i in df_ids if i in flagged]),
        ], title=f"Around {focus_on[1]} ({focus_on[0]})", bounds=box, map_id="geo-focus")

    caption = f"{len(dets):,} detections ({len(d_geoms):,} drawn), {len(zones):,} reference areas, {len(ops):,} operations; "
    return str(overview), str(focus), caption + "red points have an alert."


def _figure(a: dict) -> str:
    e = a.get("evidence") or {}
    if a["typology"] == "unlicensed_disturbance":
        return f"{e.get('outside_ha', 0):,.2f} ha outside rights in force"
    if a["typology"] == "protected_area_disturbance":
        names = ", ".join(str(z.get("name") or z.get("area_id")) for z in e.get("areas", [])[:2])
        return f"{e.get('overlap_ha', 0):,.2f} ha inside {names}"
    if a["typology"] == "production_without_disturbance":
        return f"{e.get('declared_fine_kg', 0):,.1f} kg declared, no scar within {e.get('buffer_m', 0):g} m"
    rises = e.get("ring_rise_ha") or {}
    return "ring rise " + ", ".join(f"{k}: +{v:,.1f} ha" for k, v in rises.items())
