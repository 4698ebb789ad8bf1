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

What the judgement reads of the map, per surface-mining right (the dates of the scars that count
as its, its coverage cell) and the detections' dates per coverage cell, depends on the rights'
geometries and the detections alone, not on production: it is kept between runs
(`filon.detect.kept`, keyed on those two tables and the spatial parameters), so a production batch
judges the rights it touches by date look-ups, without reading either layer. What it reads of
production (each right's declared fine metal, records, first and last period) is a tally kept
between runs (`BY_RIGHT`), to which a batch adds its own rows' sums; only the rights that fire have
their records read (the periods and metals declared, their value), for the alert.

Score: 0.5 + 0.4 × min(1, declared kg / `full_score_kg`) (+0.1 when the right declared every
month of its span). Value at risk: declared fine gold × the year's reference price (the metal
whose origin the right may be laundering). Subject: the right; period: none (one alert per right,
so the id stays the same while new months of production are added).
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from filon.detect import _territory as t
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.prices import yearly_price_sql
from filon.detect.production_over_capacity import production_tally
from filon.detect.incremental import Scope
from filon.detect.registry import detector
from filon.geo.projection import metres_to_degrees, to_equal_area, zone_center, zone_key

log = logging.getLogger(__name__)


#: Per right: the fine metal it declares, how many records, its first and last period (a tally: a
#: production batch adds its own rows' sums; see `production_over_capacity.production_tally`).
BY_RIGHT = production_tally("production_by_right", {"right_id": "right_id"})


def _produced(ctx: DetectContext, p: Parameters) -> dict[str, dict[str, Any]]:
    """The rights declaring at least `min_fine_kg` (those the run is about, in a scoped run), from
    the `BY_RIGHT` tally: fine_kg, records, first_period, last_period. A scoped run's rights (one per
    new record: thousands) are picked in Arrow, where a list of them in the SQL took longer to parse
    than the query to run."""
    sql = f"""SELECT right_id, CAST(fine_kg AS DOUBLE) AS fine_kg, records, first_period, last_period
              FROM {ctx.tally(BY_RIGHT)} t WHERE CAST(fine_kg AS DOUBLE) >= {float(p.min_fine_kg)!r}"""
    if ctx.scope_keys is None:
        return {r["right_id"]: r for r in ctx.query(sql)}
    table = ctx.query_arrow(sql)
    if table.num_rows:  # (an engine may give an empty result no columns)
        table = table.filter(pc.is_in(pc.cast(table["right_id"], pa.string()),
                                      value_set=pa.array(sorted(ctx.scope_keys), pa.string())))
    return {r["right_id"]: r for r in table.to_pylist()}


def _declared(ctx: DetectContext, ids: list[str]) -> dict[str, dict[str, Any]]:
    """What the alerts of rights `ids` (those that fire: a few) say of their records beyond the tally:
    the periods and metals declared, and their value at the year's reference price (summed as
    decimals, like the tally, so that it does not depend on the order the rows are read in)."""
    if not ids:
        return {}
    rows = ctx.query(f"""
    WITH px AS ({yearly_price_sql()})
    SELECT p.right_id, count(DISTINCT p.period) AS periods, string_agg(DISTINCT p.commodity, ';') AS commodities,
           CAST(sum(CAST(p.fine_mass_kg * px.usd_per_kg AS DECIMAL(38, 6))) AS DOUBLE) AS value_usd
    FROM production p LEFT JOIN px ON px.commodity = p.commodity AND px.year = left(p.period, 4)
    WHERE p.fine_mass_kg > 0 AND p.right_id IN ({', '.join('?' for _ in ids)})
    GROUP BY p.right_id""", ids)
    return {r["right_id"]: r for r in rows}


def _months(first: str, last: str) -> int:
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1


@dataclass
class _Ground:
    """What the judgement reads of the map: the surface-mining rights with a usable geometry (in the
    layer's order) with their areas and coverage cells, the sorted dates of the detections that count
    as each one's (rights without any left out), the other rights with a geometry, and the detections'
    dates (sorted) per coverage cell. Kept as arrays: tens of thousands of small objects would cost
    more to unpickle than the layers cost to read (an alert's own columns are read when it fires)."""

    ids: list[str]
    area_ha: np.ndarray
    cell_x: np.ndarray
    cell_y: np.ndarray
    scars: dict[str, tuple[str, ...]]
    repaired: frozenset[str]
    others: frozenset[str]
    cells: dict[tuple[int, int], list[str]]

    def scarred(self, rid: str, w0: str, w1: str) -> bool:
        dates = self.scars.get(rid, ())
        return bisect_right(dates, w1) > bisect_left(dates, w0)

    def coverage(self, k: int, w0: str, w1: str) -> int:
        """Detections dated within [w0, w1] in the 3 × 3 cells around right `k`'s."""
        x, y = int(self.cell_x[k]), int(self.cell_y[k])
        n = 0
        for ix in (x - 1, x, x + 1):
            for iy in (y - 1, y, y + 1):
                dates = self.cells.get((ix, iy))
                if dates is not None:
                    n += bisect_right(dates, w1) - bisect_left(dates, w0)
        return n


def _scars(rights, dets, det_dates: np.ndarray, geoms: np.ndarray, p: Parameters) -> list[list[str]]:
    """Per geometry, the dates of the detections on it or within `buffer_m` of it and in no right at
    all: a scar lying in another right is that right's, however close (plants, ponds and tailings
    beside a right lie in none)."""
    out: list[list[str]] = [[] for _ in range(len(geoms))]
    if not len(dets) or not len(geoms):
        return out
    b = shapely.bounds(geoms)
    pad = np.array([metres_to_degrees(p.buffer_m, la) for la in (b[:, 1] + b[:, 3]) / 2])
    ci, di = dets.tree.query(shapely.box(b[:, 0] - pad, b[:, 1] - pad, b[:, 2] + pad, b[:, 3] + pad))
    if not len(ci):
        return out
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
                out[int(ci[s])].append(str(det_dates[di[s]]))
    for dates in out:
        dates.sort()
    return out


def _cells(dets, det_dates: np.ndarray, geoms: np.ndarray, metres: float
           ) -> tuple[dict[tuple[int, int], list[str]], np.ndarray, np.ndarray]:
    """The coverage grid: detections binned on a lon/lat grid of about `metres` (at the data's mean
    latitude), their dates sorted per cell, and each geometry's cell (by its centre), so coverage is
    counted by date in the 3 × 3 cells around a right with memory linear in the detections."""
    if not len(dets) or not len(geoms):
        return {}, np.zeros(len(geoms), dtype=np.int64), np.zeros(len(geoms), dtype=np.int64)
    c = shapely.centroid(dets.geoms)
    dx, dy = shapely.get_x(c), shapely.get_y(c)
    cell = metres_to_degrees(metres, float(np.mean(dy)))
    cells: dict[tuple[int, int], list[str]] = {}
    for x, y, d in zip(np.floor(dx / cell).astype(np.int64).tolist(), np.floor(dy / cell).astype(np.int64).tolist(),
                       det_dates.tolist()):
        cells.setdefault((x, y), []).append(d)
    for dates in cells.values():
        dates.sort()
    rc = shapely.centroid(geoms)
    rx, ry = np.floor(shapely.get_x(rc) / cell).astype(np.int64), np.floor(shapely.get_y(rc) / cell).astype(np.int64)
    return cells, rx, ry


def _ground(ctx: DetectContext, p: Parameters) -> _Ground:
    """The map as the judgement reads it (see `_Ground`), from the rights' and detections' layers."""
    rights, dets = t.rights(ctx), t.detections(ctx)
    pick = np.array([i for i, row in enumerate(rights.rows)
                     if row.get("scale") in p.surface_scales and row.get("regime") in p.surface_regimes], dtype=int)
    det_dates = np.array([r["date"] or "" for r in dets.rows])
    geoms = rights.geoms[pick]
    scars = _scars(rights, dets, det_dates, geoms, p)
    cells, cell_x, cell_y = _cells(dets, det_dates, geoms, p.coverage_km * 1000.0)
    ids = [rights.ids[i] for i in pick.tolist()]
    area = rights.area_ha[pick] if len(pick) else np.empty(0)
    return _Ground(ids, area, cell_x, cell_y, {rid: tuple(d) for rid, d in zip(ids, scars) if d},
                   frozenset(rights.repaired) & set(ids), frozenset(rights.ids) - set(ids), cells)


def ground(ctx: DetectContext, p: Parameters) -> _Ground:
    """`_ground`, once per analysis and kept between runs while the rights, the detections and the
    spatial parameters are the same."""
    key = ("production_without_disturbance.ground", p.buffer_m, p.zone_deg, p.coverage_km,
           tuple(p.surface_scales), tuple(p.surface_regimes))
    return ctx.memo(key, lambda: _ground(ctx, p), ("mining_rights", "detections"),
                    keep="production_without_disturbance")


@detector("production_without_disturbance", version="1.0", title="Production without disturbance",
          subject_type="right", tables=("production", "mining_rights", "detections", "prices"),
          scope=Scope({"production": ("t.right_id",)}))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A surface-mining right (alluvial or open pit, by its scale and regime) declares production while
    no mining disturbance is detected on or near it in that period: its papers may be giving a legal
    origin to gold mined elsewhere."""
    produced = _produced(ctx, p)
    if not produced:
        return []
    g = ground(ctx, p)
    pick = [k for k, rid in enumerate(g.ids) if rid in produced]
    surface = {g.ids[k] for k in pick}
    no_geometry = sorted(rid for rid in produced if rid not in surface and rid not in g.others)
    if no_geometry:
        log.info("production_without_disturbance: %d producing rights have no geometry and were skipped",
                 len(no_geometry))
    out_of_scope = len(g.others & produced.keys())
    windows: dict[tuple[str, str], tuple[str, str]] = {}  # many rights share their first and last periods
    uncovered, found = 0, []
    for k in pick:
        rid = g.ids[k]
        pr = produced[rid]
        span = (str(pr["first_period"]), str(pr["last_period"]))
        if span not in windows:
            windows[span] = (t.add_months(t.period_bounds(span[0])[0], -p.lookback_months),
                             t.add_months(t.period_bounds(span[1])[1], p.lag_months))
        w0, w1 = windows[span]
        if g.scarred(rid, w0, w1):
            continue
        covered = g.coverage(k, w0, w1)
        if not covered:
            uncovered += 1
            continue
        found.append((k, rid, w0, w1, covered))
    log.info("production_without_disturbance: skipped %d right(s) without geometry (%s), %d out of scope "
             "(scale or regime), %d outside the detections' coverage", len(no_geometry), ", ".join(no_geometry[:10]),
             out_of_scope, uncovered)
    firing = [rid for _, rid, *_ in found]
    rows, declared = _right_rows(ctx, firing), _declared(ctx, firing)
    return [_alert(rid, rows[rid], float(g.area_ha[k]), rid in g.repaired, {**produced[rid], **declared[rid]},
                   w0, w1, covered, p)
            for k, rid, w0, w1, covered in found]


def _right_rows(ctx: DetectContext, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The register's columns of the rights `ids` (those that fire: a few)."""
    if not ids:
        return {}
    cols = ", ".join(f'"{c}"' for c in t.RIGHT_COLUMNS)
    rows = ctx.query(f"SELECT right_id, {cols} FROM mining_rights WHERE right_id IN ({', '.join('?' for _ in ids)})",
                     ids)
    return {r["right_id"]: r for r in rows}


def _alert(rid: str, row: dict[str, Any], area_ha: float, repaired: bool, pr: dict[str, Any], w0: str, w1: str,
           covered: int, p: Parameters) -> Alert:
    months = _months(str(pr["first_period"])[:7] if len(str(pr["first_period"])) >= 7 else f"{pr['first_period']}-01",
                     str(pr["last_period"])[:7] if len(str(pr["last_period"])) >= 7 else f"{pr['last_period']}-12")
    steady = pr["periods"] >= months and len(str(pr["first_period"])) == 7
    score = 0.5 + 0.4 * min(1.0, pr["fine_kg"] / p.full_score_kg) + (0.1 if steady else 0.0)
    var = float(pr["value_usd"]) if pr["value_usd"] else None
    return Alert(
        typology="production_without_disturbance", subject_type="right", subject_id=rid, country=row["country"],
        period=None, score=min(1.0, score), value_at_risk_usd=var,
        explanation=(f"Right {rid} ({row.get('scale')} {row.get('regime')}) declares {pr['fine_kg']:,.2f} kg of "
                     f"fine {pr['commodities']} from {pr['first_period']} to {pr['last_period']}, but no mining "
                     f"disturbance is detected within {p.buffer_m:g} m of it between {w0} and {w1}, "
                     f"while {covered} detections are seen within about {p.coverage_km:g} km."),
        evidence={
            "scale": row.get("scale"), "regime": row.get("regime"), "status": row.get("status"),
            "holder_id": row.get("holder_id"), "declared_fine_kg": round(float(pr["fine_kg"]), 4),
            "commodities": pr["commodities"], "first_period": pr["first_period"], "last_period": pr["last_period"],
            "production_records": pr["records"], "window": [w0, w1], "buffer_m": p.buffer_m,
            "detections_within_buffer": 0, "detections_nearby_for_coverage": covered,
            "coverage_km": p.coverage_km, "right_area_ha": round(area_ha, 3),
            "geometry_repaired": repaired,
            "sources": [t.lineage("mining_rights", rid, row)],
        })
