"""displacement: after an enforcement operation, mining falls inside its area and rises around it.

For each `operations` row with a geometry and a start date, detections are measured (equal-area
hectares of the part of each detection in each zone, in a LAEA projection centred on the operation,
so ring distances are true metres) in:

- the operation polygon itself ("inside"), and
- rings around it, `rings_km` pairs of distances from the polygon's edge (0-10 km, 10-30 km),

over the `months_before` months before the start date and the `months_after` months from it.

It fires when **both** mining fell inside (by at least `min_inside_drop_ha` and
`min_inside_drop_share` of the before figure) **and** it rose in at least one ring (by at least
`min_ring_rise_ha` and to at least `min_ring_rise_ratio` × the before figure). An operation with no
spill-over (rings flat) or no effect inside stays silent. Operations without geometry are skipped
(counted in the evidence of each alert).

Score: 0.5 + 0.5 × min(1, largest ring rise / `full_score_rise_ha`). No value at risk. Subject: the
operation (`area`, its operation_id); period: its start date, fixed for the operation.
"""

from __future__ import annotations

import numpy as np
import shapely

from filon.detect import _territory as t
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.registry import detector
from filon.geo.layers import read_layer
from filon.geo.projection import metres_to_degrees, to_equal_area


def measure(op_geom, start: str, dets, det_dates: np.ndarray, p: Parameters) -> dict:
    """Hectares of disturbance inside the operation and in each ring, before and after `start`."""
    c = op_geom.centroid
    lon0, lat0 = c.x, c.y
    outer_m = max(b for _, b in p.rings_km) * 1000.0
    first, last = t.add_months(start, -p.months_before), t.add_months(start, p.months_after)
    pad = metres_to_degrees(outer_m, lat0)
    x0, y0, x1, y1 = op_geom.bounds
    idx = dets.tree.query(shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad))
    idx = idx[(det_dates[idx] >= first) & (det_dates[idx] <= last)]
    op_m = to_equal_area(op_geom, lon0, lat0)[0]
    zones = [("inside", op_m)]
    for a, b in p.rings_km:
        ring = op_m.buffer(b * 1000.0, quad_segs=16)
        ring = ring.difference(op_m.buffer(a * 1000.0, quad_segs=16) if a > 0 else op_m)
        zones.append((f"{a:g}-{b:g} km", ring))
    out = {name: {"before_ha": 0.0, "after_ha": 0.0, "before_detections": 0, "after_detections": 0}
           for name, _ in zones}
    if len(idx):
        geoms_m = to_equal_area(dets.geoms[idx], lon0, lat0)
        after = det_dates[idx] >= start
        for name, zone in zones:
            ha = shapely.area(shapely.intersection(geoms_m, zone)) / 10_000.0
            for flag, key in ((False, "before"), (True, "after")):
                sel = (after == flag) & (ha > 0)
                out[name][f"{key}_ha"] = round(float(ha[sel].sum()), 4)
                out[name][f"{key}_detections"] = int(sel.sum())
    return {"window": [first, last], "zones": out}


@detector("displacement", version="1.0", title="Displacement after an enforcement operation",
          subject_type="area", tables=("operations", "detections"))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """After an enforcement operation, mining disturbance falls inside the operation's area but rises in
    the rings around it: the miners moved next door instead of stopping."""
    ops = read_layer(ctx, "operations", "operation_id", ("country", "start_date", "end_date", "name", "kind",
                                                         "_source_file", "_source_row"))
    if not len(ops):
        return []
    dets = t.detections(ctx)
    det_dates = np.array([r["date"] or "" for r in dets.rows])
    skipped = {"without_geometry": len(ops.missing), "unusable_geometry": len(ops.problems)}
    alerts = []
    for i, oid in enumerate(ops.ids):
        row = ops.rows[i]
        start = t.iso(row["start_date"])
        if not start or not len(dets):
            continue
        m = measure(ops.geoms[i], start, dets, det_dates, p)
        z = m["zones"]
        inside = z["inside"]
        drop = inside["before_ha"] - inside["after_ha"]
        fell = drop >= p.min_inside_drop_ha and drop >= p.min_inside_drop_share * inside["before_ha"]
        rises = {}
        for name, v in z.items():
            if name == "inside":
                continue
            rise = v["after_ha"] - v["before_ha"]
            if rise >= p.min_ring_rise_ha and v["after_ha"] >= p.min_ring_rise_ratio * v["before_ha"]:
                rises[name] = rise
        if not (fell and rises):
            continue
        ring, rise = max(rises.items(), key=lambda kv: kv[1])
        score = 0.5 + 0.5 * min(1.0, rise / p.full_score_rise_ha)
        alerts.append(Alert(
            typology="displacement", subject_type="area", subject_id=oid, country=row["country"], period=start,
            score=min(1.0, score), value_at_risk_usd=None,
            explanation=(f"After operation {row.get('name') or oid} began on {start}, mining disturbance inside its "
                         f"area fell from {inside['before_ha']:,.1f} to {inside['after_ha']:,.1f} ha while in the "
                         f"{ring} ring it rose from {z[ring]['before_ha']:,.1f} to {z[ring]['after_ha']:,.1f} ha "
                         f"({p.months_before} months before vs {p.months_after} after)."),
            evidence={
                "start_date": start, "end_date": t.iso(row.get("end_date")), "kind": row.get("kind"),
                "name": row.get("name"), "window": m["window"], "months_before": p.months_before,
                "months_after": p.months_after, "zones": z, "inside_drop_ha": round(drop, 4),
                "ring_rise_ha": {k: round(v, 4) for k, v in rises.items()},
                "operation_ha": round(float(ops.area_ha[i]), 2), "skipped_operations": skipped,
                "sources": [t.lineage("operations", oid, row)],
            }))
    return alerts
