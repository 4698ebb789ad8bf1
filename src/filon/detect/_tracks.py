"""Vectorised geometry of tracked shipments: cleaning, segments, area visits, corridor excursions.

Kept apart from the detector so the benchmark can feed arrays straight in (millions of points
never become Python objects one by one). Positions are WGS84 lon/lat. Which segment touches which
area is decided in degrees (a few-kilometre segment is straight in degrees to well under a metre),
through one STRtree query on arrays of LineStrings; every distance reported is in metres: lengths
inside an area on the WGS84 ellipsoid (pyproj Geod), distances to a route in the asset's local UTM
zone (pyproj), never in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import Geod, Transformer

EARTH_RADIUS_M = 6_371_008.8
GEOD = Geod(ellps="WGS84")


@dataclass
class Tracks:
    """Positions sorted by (asset, time). `route` indexes `Routes` (-1: none); `row` points back to input."""

    asset: np.ndarray   # int codes
    t: np.ndarray       # seconds (float)
    lon: np.ndarray
    lat: np.ndarray
    route: np.ndarray   # int, -1 when the position cites no known route
    row: np.ndarray     # index of the position in the caller's rows

    @classmethod
    def build(cls, asset, t, lon, lat, route=None, row=None, presorted: bool = False) -> Tracks:
        """Arrays sorted by (asset, time); `presorted`: the input already is (e.g. SQL ORDER BY), skip the sort."""
        asset, t = np.asarray(asset), np.asarray(t, dtype=float)
        n = len(t)
        route = np.full(n, -1, dtype=np.int64) if route is None else np.asarray(route, dtype=np.int64)
        row = np.arange(n) if row is None else np.asarray(row)
        if presorted:
            return cls(asset, t, np.asarray(lon, float), np.asarray(lat, float), route, row)
        order = np.lexsort((t, asset))
        return cls(asset[order], t[order], np.asarray(lon, float)[order], np.asarray(lat, float)[order],
                   route[order], row[order])

    def take(self, mask: np.ndarray) -> Tracks:
        return Tracks(self.asset[mask], self.t[mask], self.lon[mask], self.lat[mask], self.route[mask], self.row[mask])


@dataclass
class Cleaning:
    kept: Tracks
    duplicates: np.ndarray   # rows dropped as a repeated (asset, time)
    glitches: np.ndarray     # rows dropped as single-fix GPS jumps


def haversine_m(lon0, lat0, lon1, lat1) -> np.ndarray:
    p0, p1 = np.radians(lat0), np.radians(lat1)
    a = np.sin((p1 - p0) / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(np.radians(lon1 - lon0) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _speeds(tr: Tracks, step: int) -> np.ndarray:
    """m/s from each position to the one `step` later (inf across a zero time step, nan across assets)."""
    n = len(tr.t)
    out = np.full(n, np.nan)
    if n <= step:
        return out
    same = tr.asset[:-step] == tr.asset[step:]
    d = haversine_m(tr.lon[:-step], tr.lat[:-step], tr.lon[step:], tr.lat[step:])
    dt = tr.t[step:] - tr.t[:-step]
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(dt > 0, d / dt, np.where(d > 0, np.inf, 0.0))
    out[:-step] = np.where(same, v, np.nan)
    return out


def clean(tr: Tracks, max_speed_mps: float) -> Cleaning:
    """Drop repeated (asset, time) fixes, then single-fix glitches.

    A glitch is a fix reached and left at an implausible speed while its two neighbours are
    plausibly close to each other (a jump there and back); at a track's start or end, a fix
    reached or left implausibly fast while the next pair is plausible. Only single fixes: two
    consecutive fixes away from the road are a detour, not noise.
    """
    dup = np.zeros(len(tr.t), dtype=bool)
    dup[1:] = (tr.asset[1:] == tr.asset[:-1]) & (tr.t[1:] == tr.t[:-1])
    duplicates = tr.row[dup]
    tr = tr.take(~dup)
    v1, v2 = _speeds(tr, 1), _speeds(tr, 2)
    fast = v1 > max_speed_mps                      # leg i -> i+1 (nan compares False)
    slow = v1 <= max_speed_mps
    into = np.r_[False, fast[:-1]]                 # leg i-1 -> i is fast
    skip_ok = np.r_[False, v2[:-1] <= max_speed_mps]  # i-1 -> i+1 plausible
    glitch = into & fast & skip_ok
    first = np.r_[True, tr.asset[1:] != tr.asset[:-1]]
    last = np.r_[tr.asset[:-1] != tr.asset[1:], True]
    glitch |= first & fast & np.r_[slow[1:], False]
    if len(tr.t) >= 2:
        glitch |= last & into & np.r_[False, False, slow[:-2]]
    return Cleaning(tr.take(~glitch), duplicates, tr.row[glitch])


@dataclass
class Segments:
    """Legs between consecutive positions of one asset (index of their first position), not yet drawn."""

    start: np.ndarray    # index of the leg's first position in the cleaned tracks
    length_m: np.ndarray
    dt: np.ndarray
    gaps: np.ndarray     # indices of positions followed by a gap too long to draw


def segments(tr: Tracks, max_gap_s: float) -> Segments:
    """Straight legs between consecutive positions of one asset, except across a long gap."""
    if len(tr.t) < 2:
        empty = np.array([], dtype=np.int64)
        return Segments(empty, np.array([]), np.array([]), empty)
    same = tr.asset[1:] == tr.asset[:-1]
    dt = tr.t[1:] - tr.t[:-1]
    drawn = same & (dt <= max_gap_s)
    start = np.flatnonzero(drawn)
    length = haversine_m(tr.lon[start], tr.lat[start], tr.lon[start + 1], tr.lat[start + 1])
    return Segments(start, length, dt[start], np.flatnonzero(same & ~drawn))


def legs(tr: Tracks, start: np.ndarray) -> np.ndarray:
    """LineStrings (degrees) of the legs starting at positions `start`."""
    if not len(start):
        return np.array([], dtype=object)
    coords = np.empty((2 * len(start), 2))
    coords[0::2, 0], coords[0::2, 1] = tr.lon[start], tr.lat[start]
    coords[1::2, 0], coords[1::2, 1] = tr.lon[start + 1], tr.lat[start + 1]
    return np.asarray(shapely.linestrings(coords, indices=np.repeat(np.arange(len(start)), 2)))


#: Finest cell of the grid that spares drawing legs far from every area (degrees, ≈ 1.1 km); coarser
#: when the areas span so much that the grid would pass GRID_MAX_CELLS.
GRID_CELL_DEG = 0.01
GRID_MAX_CELLS = 20_000_000


class AreaGrid:
    """Summed-area table of the cells touched by the areas' bounding boxes (see `near_areas`)."""

    def __init__(self, areas: np.ndarray) -> None:
        b = shapely.bounds(areas)
        span = max(b[:, 2].max() - b[:, 0].min(), 1e-9) * max(b[:, 3].max() - b[:, 1].min(), 1e-9)
        self.cell = cell = max(GRID_CELL_DEG, float(np.sqrt(span / GRID_MAX_CELLS)) * 1.01)
        self.x0, self.y0 = b[:, 0].min() - cell, b[:, 1].min() - cell
        self.nx = nx = int((b[:, 2].max() - self.x0) / cell) + 2
        self.ny = ny = int((b[:, 3].max() - self.y0) / cell) + 2
        marks = np.zeros((ny + 1, nx + 1), dtype=np.int32)  # row and column 0 stay 0 for the table
        ix = np.clip(((b[:, [0, 2]] - self.x0) / cell).astype(np.int64), 0, nx - 1) + 1
        iy = np.clip(((b[:, [1, 3]] - self.y0) / cell).astype(np.int64), 0, ny - 1) + 1
        for x0, x1, y0, y1 in zip(ix[:, 0], ix[:, 1], iy[:, 0], iy[:, 1]):
            marks[y0:y1 + 1, x0:x1 + 1] = 1
        self.table = marks.cumsum(axis=0).cumsum(axis=1)

    def _cells(self, v: np.ndarray, origin: float, n: int) -> np.ndarray:
        return np.clip(np.floor((v - origin) / self.cell), -1, n).astype(np.int64) + 1


def near_areas(tr: Tracks, seg: Segments, grid: AreaGrid) -> np.ndarray:
    """Indices into `seg` of legs whose bounding box may touch an area's (a superset, never fewer).

    Cells touched by an area's bounding box are marked on a grid; its summed-area table counts, for
    every leg at once, the marked cells under the leg's bounding box (four lookups). Legs far from
    any area are so dropped with array arithmetic before a single geometry is built.
    """
    s, e = seg.start, seg.start + 1
    cx0 = np.clip(grid._cells(np.minimum(tr.lon[s], tr.lon[e]), grid.x0, grid.nx), 1, grid.nx)
    cx1 = np.clip(grid._cells(np.maximum(tr.lon[s], tr.lon[e]), grid.x0, grid.nx), 0, grid.nx)
    cy0 = np.clip(grid._cells(np.minimum(tr.lat[s], tr.lat[e]), grid.y0, grid.ny), 1, grid.ny)
    cy1 = np.clip(grid._cells(np.maximum(tr.lat[s], tr.lat[e]), grid.y0, grid.ny), 0, grid.ny)
    ok = (cx1 >= cx0) & (cy1 >= cy0)
    t = grid.table
    count = np.zeros(len(s), dtype=np.int64)
    count[ok] = (t[cy1[ok], cx1[ok]] - t[cy0[ok] - 1, cx1[ok]] - t[cy1[ok], cx0[ok] - 1] + t[cy0[ok] - 1, cx0[ok] - 1])
    return np.flatnonzero(count > 0)


@dataclass
class Visit:
    """One passage of an asset through one area: consecutive legs (or a stay across a gap) inside it."""

    asset: object
    area: int
    first: int           # index of the first position (cleaned tracks) of the visit's first leg
    last: int            # index of the last position of the visit's last leg
    entry_t: float
    exit_t: float
    inside_m: float
    stop_s: float


def _geodesic_lengths(geoms: np.ndarray) -> np.ndarray:
    """Ellipsoidal length in metres of each (Multi)LineString."""
    out = np.zeros(len(geoms))
    if not len(geoms):
        return out
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        return out
    same = part[1:] == part[:-1]
    _, _, d = GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    np.add.at(out, owner[part[:-1][same]], np.asarray(d)[same])
    return out


class AreaIndex:
    """Areas prepared once for many tracks: an STRtree of the polygons and one of their edges."""

    def __init__(self, areas: np.ndarray) -> None:
        self.areas = np.asarray(areas)
        shapely.prepare(self.areas)
        self.tree = shapely.STRtree(self.areas)
        self.grid = AreaGrid(self.areas) if len(self.areas) else None
        parts, part_area = shapely.get_parts(self.areas, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, ring = shapely.get_coordinates(rings, return_index=True)
        same = ring[1:] == ring[:-1]
        self.edge_xy = np.column_stack([coords[:-1][same], coords[1:][same]])  # x0, y0, x1, y1
        self.edge_area = part_area[ring_part[ring[:-1][same]]]
        self.edge_tree = shapely.STRtree(shapely.linestrings(
            self.edge_xy.reshape(-1, 2), indices=np.repeat(np.arange(len(self.edge_xy)), 2))) \
            if len(self.edge_xy) else None


def _crossings(index: AreaIndex, g: np.ndarray, area: np.ndarray, ax, ay, bx, by) -> tuple[np.ndarray, ...]:
    """Share of each leg inside its area, and where it enters and leaves (0-1 along the leg).

    Exact and vectorised: the leg's crossings with the area's edges (from the edge STRtree) toggle
    inside/outside from the state of its start. `ok` is False where that walk does not end in the
    state of the leg's end (a leg grazing a vertex, running along an edge): the caller measures
    those with a full polygon intersection.
    """
    n = len(g)
    frac, f_in, f_out = np.zeros(n), np.zeros(n), np.ones(n)
    start_in = shapely.contains_xy(index.areas[area], ax, ay)
    end_in = shapely.contains_xy(index.areas[area], bx, by)
    li, ei = index.edge_tree.query(g, predicate="intersects") if index.edge_tree is not None and n else \
        (np.array([], dtype=np.int64),) * 2
    mine = index.edge_area[ei] == area[li]
    li, ei = li[mine], ei[mine]
    rx, ry = (bx - ax)[li], (by - ay)[li]
    x0, y0, x1, y1 = index.edge_xy[ei].T
    sx, sy = x1 - x0, y1 - y0
    denom = rx * sy - ry * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((x0 - ax[li]) * sy - (y0 - ay[li]) * sx) / denom
    parallel = np.zeros(n, dtype=bool)
    parallel[li[~np.isfinite(t)]] = True
    li, t = li[np.isfinite(t)], np.clip(t[np.isfinite(t)], 0.0, 1.0)
    order = np.lexsort((t, li))
    li, t = li[order], t[order]
    dup = np.r_[False, (li[1:] == li[:-1]) & (np.abs(t[1:] - t[:-1]) < 1e-12)]  # a vertex: two edges, one crossing
    li, t = li[~dup], t[~dup]
    count = np.bincount(li, minlength=n)
    ok = ~parallel & ((start_in ^ (count % 2 == 1)) == end_in)
    # walk: breakpoints 0, t1..tk, 1 per leg; interval j is inside when start_in xor (j odd)
    keys = np.r_[np.arange(n), li, np.arange(n)]
    ts = np.r_[np.zeros(n), t, np.ones(n)]
    order = np.lexsort((ts, keys))
    keys, ts = keys[order], ts[order]
    rank = np.arange(len(keys)) - np.repeat(np.r_[0, np.cumsum(count + 2)[:-1]], count + 2)
    nxt = np.flatnonzero(keys[1:] == keys[:-1])  # intervals [ts[i], ts[i+1]] within one leg
    inside = start_in[keys[nxt]] ^ (rank[nxt] % 2 == 1)
    seg_len = ts[nxt + 1] - ts[nxt]
    np.add.at(frac, keys[nxt][inside], seg_len[inside])
    has = np.zeros(n, dtype=bool)
    has[keys[nxt][inside]] = True
    first_in = np.full(n, 2.0)
    last_out = np.full(n, -1.0)
    np.minimum.at(first_in, keys[nxt][inside], ts[nxt][inside])
    np.maximum.at(last_out, keys[nxt][inside], ts[nxt + 1][inside])
    f_in[has], f_out[has] = first_in[has], last_out[has]
    return np.clip(frac, 0.0, 1.0), f_in, f_out, ok


def _pieces_on_legs(tr: Tracks, seg: Segments, index: AreaIndex, stop_speed_mps: float) -> tuple[np.ndarray, ...]:
    """(first, last, area, t_in, t_out, inside_m, stop_s) of every leg touching an area."""
    areas = index.areas
    cand = near_areas(tr, seg, index.grid) if len(seg.start) else np.array([], dtype=np.int64)
    geoms = legs(tr, seg.start[cand])
    if not len(geoms):
        return tuple(np.array([]) for _ in range(7))
    g_idx, a_idx = index.tree.query(geoms, predicate="intersects")
    s_idx = cand[g_idx]
    g = geoms[g_idx]
    start = seg.start[s_idx]
    _, _, geodesic = GEOD.inv(tr.lon[start], tr.lat[start], tr.lon[start + 1], tr.lat[start + 1])
    length = np.asarray(geodesic, dtype=float)
    frac, f_in, f_out, ok = _crossings(index, g, a_idx, tr.lon[start], tr.lat[start], tr.lon[start + 1],
                                       tr.lat[start + 1])
    inside = frac * length
    hard = np.flatnonzero(~ok)
    if len(hard):  # degenerate contacts: measure with a full polygon intersection
        inter = shapely.intersection(g[hard], areas[a_idx[hard]])
        inside[hard] = _geodesic_lengths(inter)
        f_in[hard], f_out[hard] = 0.0, 1.0
        coords, owner = shapely.get_coordinates(inter, return_index=True)
        if len(coords):
            firsts = np.r_[True, owner[1:] != owner[:-1]]
            lasts = np.r_[owner[:-1] != owner[1:], True]
            loc_a = shapely.line_locate_point(g[hard][owner[firsts]], shapely.points(coords[firsts]), normalized=True)
            loc_b = shapely.line_locate_point(g[hard][owner[lasts]], shapely.points(coords[lasts]), normalized=True)
            f_in[hard[owner[firsts]]] = np.minimum(loc_a, loc_b)
            f_out[hard[owner[firsts]]] = np.maximum(loc_a, loc_b)
    f_in, f_out = np.nan_to_num(f_in), np.nan_to_num(f_out, nan=1.0)
    frac = np.where(length > 0, np.clip(inside / np.where(length > 0, length, 1), 0, 1), 1.0)
    dt = seg.dt[s_idx]
    speed = np.where(dt > 0, length / np.where(dt > 0, dt, 1), 0.0)
    stop = np.where(speed <= stop_speed_mps, dt * frac, 0.0)
    t0 = tr.t[start]
    return start, start + 1, a_idx, t0 + dt * f_in, t0 + dt * f_out, inside, stop


def area_visits(tr: Tracks, seg: Segments, index: AreaIndex, stop_speed_mps: float, stop_radius_m: float,
                min_inside_m: float = 0.0, min_stop_s: float = 0.0) -> list[Visit]:
    """Passages of tracks through areas with at least `min_inside_m` inside or `min_stop_s` stopped."""
    if not len(index.areas) or not len(tr.t):
        return []
    tree = index.tree
    pieces = [_pieces_on_legs(tr, seg, index, stop_speed_mps)]
    extra = _stays_across_gaps(tr, seg.gaps, tree, stop_radius_m) + _isolated_points(tr, seg, tree)
    if extra:
        pieces.append(tuple(np.array(col) for col in zip(*extra)))
    first, last, area, t_in, t_out, inside, stop = (np.concatenate([p[i] for p in pieces]) for i in range(7))
    if not len(first):
        return []
    first, last, area = first.astype(np.int64), last.astype(np.int64), area.astype(np.int64)
    order = np.lexsort((last, first, area))
    first, last, area, t_in, t_out, inside, stop = (a[order] for a in (first, last, area, t_in, t_out, inside, stop))
    new = np.r_[True, (area[1:] != area[:-1]) | (first[1:] > last[:-1])]  # a leg shares no position with the last
    at = np.flatnonzero(new)
    g_inside, g_stop = np.add.reduceat(inside, at), np.add.reduceat(stop, at)
    keep = np.flatnonzero((g_inside >= min_inside_m) | (g_stop >= min_stop_s) if (min_inside_m or min_stop_s)
                          else np.ones(len(at), dtype=bool))
    g_first, g_last = first[at], np.maximum.reduceat(last, at)
    g_in, g_out = np.minimum.reduceat(t_in, at), np.maximum.reduceat(t_out, at)
    return [Visit(tr.asset[g_first[k]], int(area[at[k]]), int(g_first[k]), int(g_last[k]), float(g_in[k]),
                  float(g_out[k]), float(g_inside[k]), float(g_stop[k])) for k in keep]


def _stays_across_gaps(tr: Tracks, gaps: np.ndarray, tree: shapely.STRtree, stop_radius_m: float) -> list[tuple]:
    """A gap whose two ends lie in the same area, close together: the asset stayed there unseen."""
    if not len(gaps):
        return []
    close = haversine_m(tr.lon[gaps], tr.lat[gaps], tr.lon[gaps + 1], tr.lat[gaps + 1]) <= stop_radius_m
    gaps = gaps[close]
    if not len(gaps):
        return []
    p_idx, a_idx = tree.query(shapely.points(tr.lon[gaps], tr.lat[gaps]), predicate="intersects")
    q_idx, b_idx = tree.query(shapely.points(tr.lon[gaps + 1], tr.lat[gaps + 1]), predicate="intersects")
    ends = set(zip(q_idx.tolist(), b_idx.tolist()))
    out = []
    for p, a in zip(p_idx.tolist(), a_idx.tolist()):
        if (p, a) in ends:
            i = int(gaps[p])
            out.append((i, i + 1, a, tr.t[i], tr.t[i + 1], 0.0, float(tr.t[i + 1] - tr.t[i])))
    return out


def _isolated_points(tr: Tracks, seg: Segments, tree: shapely.STRtree) -> list[tuple]:
    """Positions on no drawn leg (gaps on both sides) that lie inside an area."""
    on_seg = np.zeros(len(tr.t), dtype=bool)
    on_seg[seg.start] = True
    on_seg[seg.start + 1] = True
    lone = np.flatnonzero(~on_seg)
    if not len(lone):
        return []
    p_idx, a_idx = tree.query(shapely.points(tr.lon[lone], tr.lat[lone]), predicate="intersects")
    return [(int(lone[p]), int(lone[p]), int(a), tr.t[lone[p]], tr.t[lone[p]], 0.0, 0.0)
            for p, a in zip(p_idx.tolist(), a_idx.tolist())]


@dataclass
class Excursion:
    """Consecutive positions farther from the asset's permitted route than allowed."""

    asset: object
    route: int
    first: int
    last: int
    max_off_m: float
    points: int


def utm_epsg(lon: float, lat: float) -> int:
    zone = int(min(max((lon + 180.0) // 6.0 + 1, 1), 60))
    return (32600 if lat >= 0 else 32700) + zone


@dataclass
class Routes:
    geoms: np.ndarray                 # (Multi)LineStrings in degrees
    half_width_m: np.ndarray
    _projected: dict[int, np.ndarray] = field(default_factory=dict)
    _corridors: dict[tuple[int, float], np.ndarray] = field(default_factory=dict)

    def projected(self, epsg: int) -> np.ndarray:
        if epsg not in self._projected:
            to_utm = Transformer.from_crs(4326, epsg, always_xy=True)
            self._projected[epsg] = shapely.transform(
                self.geoms, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])))
        return self._projected[epsg]

    def corridors(self, epsg: int, tolerance_m: float) -> np.ndarray:
        """Prepared polygons (UTM) of the points within half-width + tolerance of each route, a little
        inside the true buffer (its arcs are chords), so a point they contain is surely within."""
        key = (epsg, tolerance_m)
        if key not in self._corridors:
            polys = shapely.buffer(self.projected(epsg), self.half_width_m + tolerance_m, quad_segs=8)
            shapely.prepare(polys)
            self._corridors[key] = polys
        return self._corridors[key]


def route_offsets(tr: Tracks, routes: Routes, tolerance_m: float) -> np.ndarray:
    """Metres beyond the half-width of each position's route, in local UTM: nan without a route, 0 for
    positions within `tolerance_m` of the corridor (tested without building a geometry per position;
    exact distances only for the few outside).

    The zone is the asset's (its mean position), so a track is measured in one frame even when it
    crosses a zone edge (the scale error a few degrees outside a zone stays below 0.1 %).
    """
    off = np.full(len(tr.t), np.nan)
    routed = np.flatnonzero(tr.route >= 0)
    if not len(routed) or not len(routes.geoms):
        return off
    code = np.cumsum(np.r_[0, tr.asset[1:] != tr.asset[:-1]])  # tracks are sorted by asset
    _, inverse = np.unique(code[routed], return_inverse=True)
    n_assets = int(inverse.max()) + 1
    counts = np.bincount(inverse, minlength=n_assets)
    mean_lon = np.bincount(inverse, weights=tr.lon[routed], minlength=n_assets) / counts
    mean_lat = np.bincount(inverse, weights=tr.lat[routed], minlength=n_assets) / counts
    epsg = np.array([utm_epsg(x, y) for x, y in zip(mean_lon, mean_lat)])[inverse]
    for code in np.unique(epsg):
        idx = routed[epsg == code]
        x, y = Transformer.from_crs(4326, int(code), always_xy=True).transform(tr.lon[idx], tr.lat[idx])
        x, y = np.asarray(x), np.asarray(y)
        route = tr.route[idx]
        within = shapely.contains_xy(routes.corridors(int(code), tolerance_m)[route], x, y)
        off[idx[within]] = 0.0
        out = np.flatnonzero(~within)
        if len(out):
            lines = routes.projected(int(code))[route[out]]
            off[idx[out]] = shapely.distance(shapely.points(x[out], y[out]), lines) - routes.half_width_m[route[out]]
    return off


def excursions(tr: Tracks, off: np.ndarray, tolerance_m: float, min_points: int) -> list[Excursion]:
    """Runs of consecutive positions of one asset more than `tolerance_m` outside their corridor."""
    out_mask = np.nan_to_num(off, nan=-1.0) > tolerance_m
    if not out_mask.any():
        return []
    idx = np.flatnonzero(out_mask)
    breaks = np.flatnonzero((np.diff(idx) != 1) | (tr.asset[idx[1:]] != tr.asset[idx[:-1]])) + 1
    found = []
    for run in np.split(idx, breaks):
        if len(run) >= min_points:
            found.append(Excursion(tr.asset[run[0]], int(tr.route[run[0]]), int(run[0]), int(run[-1]),
                                   float(off[run].max()), len(run)))
    return found
