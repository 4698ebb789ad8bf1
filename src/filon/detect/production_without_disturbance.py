"""production_without_disturbance: a right declares production where no mining is seen from space.

Which rights: those declaring fine metal (`production.fine_mass_kg > 0`, at least `min_fine_kg` in
all) whose scale is in `surface_scales` and regime in `surface_regimes`. Artisanal, small and
medium alluvial or open-pit workings strip the forest and the soil, so a producing right of those
scales leaves a scar a Sentinel-2 model sees. Large mines are left out: the standard gives no
mining method, and large gold mines in the region are mostly underground (or long-established
pits whose footprint no longer changes), so producing without a new scar is normal for them.
Exploration rights declare no production legitimately (another typology's business).

Relevant period: from `lookback_months` before the first declared period to `lag_months` after
the last. Disturbance: a detection of that period on the right's polygon, or within `buffer_m`
metres of it when the detection lies in no right at all (a scar inside a neighbouring right is the
neighbour's, however close); distances are measured in a local equal-area projection per zone of
`zone_deg` degrees.

Coverage guard: a right is judged only where the satellite layer covers it, i.e. some detection
of the period lies within about `coverage_km` (a box in degrees around the right, a coarse guard
on purpose: the grid cells of that size around the right's cell); elsewhere silence means "no
imagery", not "no mining". Rights without geometry, or
outside coverage, are skipped and counted in the log (not in each alert's evidence: run-wide counts
would change every alert's evidence whenever any other right's data arrives).

Score: 0.5 + 0.4 × min(1, declared kg / `full_score_kg`) (+0.1 when the right declared every
month of its span). Value at risk: declared fine gold × the year's reference price (the metal
whose origin the right may be laundering). Subject: the right; period: none (one alert per right,
so the id stays the same while new months of production are added).
"""

from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np
import shapely

from filon.detect import _territory as t
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.prices import yearly_price_sql
from filon.detect.incremental import Scope
from filon.detect.registry import detector
from filon.geo.projection import metres_to_degrees, to_equal_area, zone_center, zone_key

log = logging.getLogger(__name__)


def _production_sql() -> str:
    return f"""
    WITH p AS (SELECT right_id, period, commodity, fine_mass_kg, left(period, 4) AS year FROM production
               WHERE fine_mass_kg > 0),
         px AS ({yearly_price_sql()})
    SELECT p.right_id, min(p.period) AS first_period, max(p.period) AS last_period,
           CAST(sum(p.fine_mass_kg) AS DOUBLE) AS fine_kg, count(*) AS records, count(DISTINCT p.period) AS periods,
           string_agg(DISTINCT p.commodity, ';') AS commodities,
           CAST(sum(p.fine_mass_kg * px.usd_per_kg) AS DOUBLE) AS value_usd, count(px.usd_per_kg) AS priced
    FROM p LEFT JOIN px ON px.commodity = p.commodity AND px.year = p.year
    GROUP BY p.right_id ORDER BY p.right_id"""


def _months(first: str, last: str) -> int:
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1


def _coverage(dets, det_dates: np.ndarray, geoms: np.ndarray, w0: np.ndarray, w1: np.ndarray, metres: float
              ) -> list[int]:
    """Detections dated within each window in the cells of about `metres` around each geometry: the
    detections are binned on a lon/lat grid of that size (at the data's mean latitude) and the 3 × 3
    cells around a geometry's centre are searched by date, so memory stays linear in the detections."""
    if not len(dets) or not len(geoms):
        return [0] * len(geoms)
    c = shapely.centroid(dets.geoms)
    dx, dy = shapely.get_x(c), shapely.get_y(c)
    cell = metres_to_degrees(metres, float(np.mean(dy)))
    cx, cy = np.floor(dx / cell).astype(np.int64), np.floor(dy / cell).astype(np.int64)
    order = np.lexsort((det_dates, cy, cx))
    by_cell: dict[tuple[int, int], np.ndarray] = {}
    keys = np.stack([cx[order], cy[order]], axis=1)
    if len(order):
        cut = np.flatnonzero(np.any(np.diff(keys, axis=0) != 0, axis=1)) + 1
        for chunk in np.split(order, cut):
            by_cell[(int(cx[chunk[0]]), int(cy[chunk[0]]))] = det_dates[chunk]
    rc = shapely.centroid(geoms)
    rx, ry = np.floor(shapely.get_x(rc) / cell).astype(np.int64), np.floor(shapely.get_y(rc) / cell).astype(np.int64)
    out = []
    for x, y, a, b in zip(rx.tolist(), ry.tolist(), w0.tolist(), w1.tolist()):
        n = 0
        for ix in (x - 1, x, x + 1):
            for iy in (y - 1, y, y + 1):
                dates = by_cell.get((ix, iy))
                if dates is not None:
                    n += int(np.searchsorted(dates, b, side="right") - np.searchsorted(dates, a, side="left"))
        out.append(n)
    return out


@detector("production_without_disturbance", version="1.0", title="Production without disturbance",
          subject_type="right", tables=("production", "mining_rights", "detections", "prices"),
          scope=Scope({"production": ("t.right_id",)}))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A surface-mining right (alluvial or open pit, by its scale and regime) declares production while
    no mining disturbance is detected on or near it in that period: its papers may be giving a legal
    origin to gold mined elsewhere."""
    produced = {r["right_id"]: r for r in ctx.query(_production_sql()) if (r["fine_kg"] or 0) >= p.min_fine_kg}
    if not produced:
        return []
    rights = t.rights(ctx)
    no_geometry = sorted(set(produced) - set(rights.ids))
    if no_geometry:
        log.info("production_without_disturbance: %d producing rights have no geometry and were skipped",
                 len(no_geometry))
    pick = [i for i, rid in enumerate(rights.ids) if rid in produced
            and rights.rows[i].get("scale") in p.surface_scales and rights.rows[i].get("regime") in p.surface_regimes]
    out_of_scope = sum(1 for i, rid in enumerate(rights.ids) if rid in produced) - len(pick)
    if not pick:
        return []
    cand = np.array(pick)
    windows = []
    for i in pick:
        pr = produced[rights.ids[i]]
        first = t.period_bounds(str(pr["first_period"]))[0]
        last = t.period_bounds(str(pr["last_period"]))[1]
        windows.append((t.add_months(first, -p.lookback_months), t.add_months(last, p.lag_months)))
    w0 = np.array([w[0] for w in windows])
    w1 = np.array([w[1] for w in windows])
    dets = t.detections(ctx)
    det_dates = np.array([r["date"] or "" for r in dets.rows])
    geoms = rights.geoms[cand]
    b = shapely.bounds(geoms)
    lat = (b[:, 1] + b[:, 3]) / 2

    def near(metres: float) -> tuple[np.ndarray, np.ndarray]:
        """(candidate row, detection) pairs within a degree box of `metres`, dated in the window."""
        if not len(dets):
            return np.empty(0, dtype=int), np.empty(0, dtype=int)
        pad = np.array([metres_to_degrees(metres, la) for la in lat])
        boxes = shapely.box(b[:, 0] - pad, b[:, 1] - pad, b[:, 2] + pad, b[:, 3] + pad)
        ci, di = dets.tree.query(boxes)
        dated = (det_dates[di] >= w0[ci]) & (det_dates[di] <= w1[ci])
        return ci[dated], di[dated]

    ci, di = near(p.buffer_m)
    seen: dict[int, list[tuple[float, int]]] = defaultdict(list)
    # A scar lying in another right is that right's, however close: only scars on this right, or in
    # no right at all (plants, ponds, tailings beside it), count for it.
    in_some_right = set()
    if len(ci):
        hit_d, _ = rights.tree.query(dets.geoms[np.unique(di)], predicate="intersects")
        in_some_right = set(np.unique(di)[hit_d].tolist())
        c = shapely.centroid(geoms[ci])
        keys = zone_key(shapely.get_x(c), shapely.get_y(c), p.zone_deg)
        for key in np.unique(keys):
            sel = np.flatnonzero(keys == key)
            lon0, lat0 = zone_center(key, p.zone_deg)
            d = shapely.distance(to_equal_area(geoms[ci[sel]], lon0, lat0), to_equal_area(dets.geoms[di[sel]], lon0, lat0))
            for s, dist in zip(sel.tolist(), d.tolist()):
                if dist == 0 or (dist <= p.buffer_m and int(di[s]) not in in_some_right):
                    seen[int(ci[s])].append((dist, int(di[s])))
    blind = [k for k in range(len(cand)) if k not in seen]
    if not blind:
        return []
    covered = _coverage(dets, det_dates, geoms[blind], w0[blind], w1[blind], p.coverage_km * 1000.0)
    covered = {k: n for k, n in zip(blind, covered) if n}
    uncovered = [k for k in blind if not covered.get(k)]
    log.info("production_without_disturbance: skipped %d right(s) without geometry (%s), %d out of scope "
             "(scale or regime), %d outside the detections' coverage", len(no_geometry), ", ".join(no_geometry[:10]),
             out_of_scope, len(uncovered))
    alerts = []
    for k in blind:
        if not covered.get(k):
            continue
        i = int(cand[k])
        rid, row = rights.ids[i], rights.rows[i]
        pr = produced[rid]
        months = _months(str(pr["first_period"])[:7] if len(str(pr["first_period"])) >= 7 else f"{pr['first_period']}-01",
                         str(pr["last_period"])[:7] if len(str(pr["last_period"])) >= 7 else f"{pr['last_period']}-12")
        steady = pr["periods"] >= months and len(str(pr["first_period"])) == 7
        score = 0.5 + 0.4 * min(1.0, pr["fine_kg"] / p.full_score_kg) + (0.1 if steady else 0.0)
        var = float(pr["value_usd"]) if pr["value_usd"] and pr["priced"] == pr["records"] else (
            float(pr["value_usd"]) if pr["value_usd"] else None)
        alerts.append(Alert(
            typology="production_without_disturbance", subject_type="right", subject_id=rid, country=row["country"],
            period=None, score=min(1.0, score), value_at_risk_usd=var,
            explanation=(f"Right {rid} ({row.get('scale')} {row.get('regime')}) declares {pr['fine_kg']:,.2f} kg of "
                         f"fine {pr['commodities']} from {pr['first_period']} to {pr['last_period']}, but no mining "
                         f"disturbance is detected within {p.buffer_m:g} m of it between {w0[k]} and {w1[k]}, "
                         f"while {covered[k]} detections are seen within about {p.coverage_km:g} km."),
            evidence={
                "scale": row.get("scale"), "regime": row.get("regime"), "status": row.get("status"),
                "holder_id": row.get("holder_id"), "declared_fine_kg": round(float(pr["fine_kg"]), 4),
                "commodities": pr["commodities"], "first_period": pr["first_period"], "last_period": pr["last_period"],
                "production_records": pr["records"], "window": [w0[k], w1[k]], "buffer_m": p.buffer_m,
                "detections_within_buffer": 0, "detections_nearby_for_coverage": covered[k],
                "coverage_km": p.coverage_km, "right_area_ha": round(float(rights.area_ha[i]), 3),
                "geometry_repaired": rid in rights.repaired,
                "sources": [t.lineage("mining_rights", rid, row)],
            }))
    return alerts
