"""route_deviation: a tracked shipment crosses a protected area, leaves its permitted road, or stops inside.

Each asset's positions (`movements`) are ordered by time and joined into straight legs, so a truck
that drives through a reserve between two fixes is caught even when no fix falls inside. Three
findings, on the same cleaned track:

  - **area**: a leg runs at least `min_inside_m` inside an area of a watched kind (protected area,
    indigenous territory, exclusion zone); a shorter graze is GPS noise along a boundary road;
  - **stop**: the asset spends `min_stop_minutes` or more inside such an area at walking pace, or
    unseen across a reporting gap whose two ends lie in the area close together;
  - **corridor**: `min_off_corridor_points` consecutive fixes lie more than `corridor_tolerance_m`
    beyond the half-width of the route they cite (`routes` extension), measured in local UTM.

Noise is tolerated, not hidden: a repeated (asset, time) fix is dropped; a single fix reached and
left at an implausible speed (`max_speed_kmh`) is a glitch and dropped; no leg is drawn across a
gap longer than `max_gap_minutes`. The counts are in each alert's evidence. One alert per asset and
day of the first finding (UTC date of the positions). Value at risk is not estimated: the cargo is
free text.

Scale: positions are read in batches of whole assets (`BATCH_POSITIONS`), and the geometry is
vectorised in `filon.detect._tracks` (benchmarks/route_deviation.py measures it).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from functools import lru_cache

import numpy as np
import shapely

from filon.detect._tracks import (
    AreaIndex,
    Routes,
    Tracks,
    area_visits,
    clean,
    excursions,
    route_offsets,
    segments,
)
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.registry import detector

log = logging.getLogger(__name__)

#: Positions fetched and analysed at once. Tracks are independent, so whole assets are processed in
#: batches of about this many positions: memory stays flat (≈ 0.5 GB) whatever the table's size.
BATCH_POSITIONS = 500_000
_VALID = "lat IS NOT NULL AND lon IS NOT NULL AND time IS NOT NULL"


def _quote(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) or "''"


def _batches(ctx: DetectContext) -> list[tuple[str, str]]:
    """(first, last) asset ids of consecutive assets holding about BATCH_POSITIONS positions together."""
    out: list[tuple[str, str]] = []
    first, size, last = None, 0, None
    for r in ctx.query(f"SELECT asset_id, count(*) AS n FROM movements WHERE {_VALID} GROUP BY asset_id ORDER BY asset_id"):
        if first is not None and size + r["n"] > BATCH_POSITIONS:
            out.append((first, last))
            first, size = None, 0
        first = r["asset_id"] if first is None else first
        size, last = size + r["n"], r["asset_id"]
    if first is not None:
        out.append((first, last))
    return out


def _areas(ctx: DetectContext, p: Parameters) -> tuple[list[dict], np.ndarray]:
    kinds = ", ".join(f"'{k}'" for k in p.area_kinds)
    rows = ctx.query(f"SELECT area_id, kind, name, country, geometry FROM areas WHERE kind IN ({kinds}) "
                     "AND geometry IS NOT NULL ORDER BY area_id")
    geoms = shapely.from_wkt(np.array([r["geometry"] for r in rows], dtype=object), on_invalid="ignore")
    geoms = shapely.make_valid(geoms) if len(rows) else np.array([], dtype=object)
    keep = ~shapely.is_missing(geoms) if len(rows) else np.array([], dtype=bool)
    if len(rows) and not keep.all():
        log.warning("route_deviation: %d area(s) with unreadable geometry ignored", int((~keep).sum()))
    return [r for r, k in zip(rows, keep) if k], np.asarray(geoms)[keep] if len(rows) else geoms


def _routes(ctx: DetectContext) -> tuple[dict[str, int], list[dict], Routes]:
    rows = ctx.query("SELECT route_id, name, width_m, geometry, valid_from, valid_to, country FROM routes "
                     "WHERE geometry IS NOT NULL ORDER BY route_id")
    geoms = shapely.from_wkt(np.array([r["geometry"] for r in rows], dtype=object), on_invalid="ignore")
    good = [i for i in range(len(rows)) if geoms[i] is not None and not geoms[i].is_empty]
    rows = [rows[i] for i in good]
    half = np.array([(r["width_m"] or 0.0) / 2.0 for r in rows])
    return ({r["route_id"]: i for i, r in enumerate(rows)}, rows,
            Routes(np.asarray(geoms)[good] if len(good) else np.array([], dtype=object), half))


def _iso(seconds: float) -> str:
    return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=round(float(seconds)))).isoformat()


@lru_cache(maxsize=4096)
def _day_of(days: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=days)).isoformat()


def _day(seconds: float) -> str:
    """UTC date of an epoch time, as YYYY-MM-DD."""
    return _day_of(int(seconds // 86400))


def _source(m: dict, lineage: dict) -> dict:
    where = lineage.get(m["movement_id"], {})
    return {"table": "movements", "id": m["movement_id"], "time": _iso(m["t"]),
            "file": where.get("_source_file"), "row": where.get("_source_row")}


@detector("route_deviation", version="1.0", title="Tracked shipment off its route or inside a protected area",
          subject_type="asset", tables=("movements", "areas", "routes"))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A tracked truck, boat or aircraft carrying mining inputs or gold drives through, or stops inside,
    a protected area, indigenous territory or mining exclusion zone, or leaves the corridor of its
    permitted route: a detour to an illegal mine or to an unofficial buyer."""
    area_rows, area_geoms = _areas(ctx, p)
    areas = AreaIndex(area_geoms)
    route_index, route_rows, routes = _routes(ctx)
    alerts: list[Alert] = []
    for first, last in _batches(ctx):
        moves = ctx.query(f"""SELECT movement_id, asset_id, epoch(time) AS t, lat, lon, route_id FROM movements
                              WHERE {_VALID} AND asset_id BETWEEN {_quote([first])} AND {_quote([last])}
                              ORDER BY asset_id, time, movement_id""")
        alerts += _analyse(ctx, moves, area_rows, areas, route_index, route_rows, routes, p)
    return alerts


def _analyse(ctx: DetectContext, moves: list[dict], area_rows: list[dict], areas: AreaIndex,
             route_index: dict[str, int], route_rows: list[dict], routes: Routes, p: Parameters) -> list[Alert]:
    """Findings on one batch of whole tracks."""
    unknown_routes = sorted({m["route_id"] for m in moves if m["route_id"] and m["route_id"] not in route_index})
    if unknown_routes:
        log.warning("route_deviation: %d route id(s) cited by movements are not in routes (corridor not checked): %s",
                    len(unknown_routes), ", ".join(unknown_routes[:10]))
    assets = np.array([m["asset_id"] for m in moves], dtype=object)
    tracks = Tracks.build(assets, [m["t"] for m in moves], [m["lon"] for m in moves], [m["lat"] for m in moves],
                          [route_index.get(m["route_id"], -1) for m in moves], presorted=True)
    cleaned = clean(tracks, p.max_speed_kmh / 3.6)
    tr = cleaned.kept
    seg = segments(tr, p.max_gap_minutes * 60.0)
    visits = area_visits(tr, seg, areas, p.stop_speed_kmh / 3.6, p.stop_radius_m,
                         min_inside_m=p.min_inside_m, min_stop_s=p.min_stop_minutes * 60.0)
    offsets = route_offsets(tr, routes, p.corridor_tolerance_m)
    trips = excursions(tr, offsets, p.corridor_tolerance_m, p.min_off_corridor_points)
    if not visits and not trips:
        return []
    noise = _noise(moves, cleaned, seg, tracks)
    findings: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: {"areas": [], "corridor": []})
    for v in visits:
        findings[(v.asset, _day(v.entry_t))]["areas"].append(v)
    for e in trips:
        findings[(e.asset, _day(tr.t[e.first]))]["corridor"].append(e)
    chosen = {key: _rows(found, tr)[:p.max_sources] for key, found in findings.items()}
    wanted = sorted({moves[r]["movement_id"] for rows in chosen.values() for r in rows}
                    | {moves[rows[0]]["movement_id"] for rows in chosen.values()})
    lineage = {r["movement_id"]: r for r in ctx.query(
        f"SELECT movement_id, cargo, _source_file, _source_row FROM movements WHERE movement_id IN ({_quote(wanted)})")}
    return [_alert(asset, day, found, tr, moves, chosen[(asset, day)], lineage, area_rows, route_rows, noise[asset], p)
            for (asset, day), found in sorted(findings.items())]


def _rows(found: dict, tr: Tracks) -> list[int]:
    """Input rows of a finding's positions, in time order."""
    pieces = [(v.first, v.last) for v in found["areas"]] + [(e.first, e.last) for e in found["corridor"]]
    return sorted({int(tr.row[i]) for a, b in pieces for i in range(a, b + 1)})


def _noise(moves: list[dict], cleaned, seg, tracks: Tracks) -> dict[str, dict]:
    out: dict[str, dict] = defaultdict(lambda: {"positions": 0, "duplicates_dropped": 0, "glitches_dropped": 0,
                                                "gaps_not_drawn": 0})
    for a in tracks.asset:
        out[a]["positions"] += 1
    for r in cleaned.duplicates:
        out[moves[r]["asset_id"]]["duplicates_dropped"] += 1
    for r in cleaned.glitches:
        out[moves[r]["asset_id"]]["glitches_dropped"] += 1
    for i in seg.gaps:
        out[cleaned.kept.asset[i]]["gaps_not_drawn"] += 1
    return out


def _alert(asset: str, day: str, found: dict, tr: Tracks, moves: list[dict], rows: list[int], lineage: dict,
           area_rows: list[dict], route_rows: list[dict], noise: dict, p: Parameters) -> Alert:
    visits, trips = found["areas"], found["corridor"]
    cargo = lineage.get(moves[rows[0]]["movement_id"], {}).get("cargo")
    evidence_areas = []
    score = 0.0
    for v in visits:
        area = area_rows[v.area]
        stopped = v.stop_s >= p.min_stop_minutes * 60.0
        score = max(score, 0.6 + 0.3 * min(1.0, v.inside_m / p.full_score_inside_m) + (0.1 if stopped else 0.0))
        evidence_areas.append({
            "area_id": area["area_id"], "name": area["name"], "kind": area["kind"], "country": area["country"],
            "entry_time": _iso(v.entry_t), "exit_time": _iso(v.exit_t), "inside_m": round(v.inside_m, 1),
            "minutes_inside": round((v.exit_t - v.entry_t) / 60.0, 1), "minutes_stopped": round(v.stop_s / 60.0, 1),
            "stopped": stopped})
    evidence_corridor = []
    for e in trips:
        route = route_rows[e.route]
        score = max(score, 0.4 + 0.3 * min(1.0, e.max_off_m / p.full_score_off_corridor_m))
        evidence_corridor.append({
            "route_id": route["route_id"], "route_name": route["name"], "width_m": route["width_m"],
            "left_at": _iso(tr.t[e.first]), "back_at": _iso(tr.t[e.last]), "positions_outside": e.points,
            "max_beyond_corridor_m": round(e.max_off_m, 1)})
    if visits and trips:
        score += 0.1
    what = []
    if evidence_areas:
        a = evidence_areas[0]
        what.append(f"{'stops' if a['stopped'] else 'runs'} {a['inside_m']:,.0f} m inside {a['kind'].replace('_', ' ')} "
                    f"{a['name'] or a['area_id']} ({a['entry_time'][11:16]}-{a['exit_time'][11:16]})")
    if evidence_corridor:
        c = evidence_corridor[0]
        what.append(f"leaves route {c['route_id']} by up to {c['max_beyond_corridor_m']:,.0f} m beyond its corridor")
    extra = len(evidence_areas) + len(evidence_corridor) - len(what)
    return Alert(
        typology="route_deviation", subject_type="asset", subject_id=asset,
        country=(area_rows[visits[0].area]["country"] if visits else route_rows[trips[0].route]["country"]), period=day,
        score=min(1.0, score), value_at_risk_usd=None,
        explanation=(f"Asset {asset} (cargo: {cargo or 'not declared'}) on {day} "
                     f"{' and '.join(what)}{f' (+{extra} more)' if extra > 0 else ''}."),
        evidence={
            "cargo": cargo, "areas": evidence_areas, "corridor": evidence_corridor,
            "track": noise, "max_speed_kmh": p.max_speed_kmh, "max_gap_minutes": p.max_gap_minutes,
            "corridor_tolerance_m": p.corridor_tolerance_m,
            "sources": [_source(moves[r], lineage) for r in rows],
        })
