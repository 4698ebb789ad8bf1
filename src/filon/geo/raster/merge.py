"""Joining the pieces of regions that window edges cut apart, then applying the mapping unit.

Two pieces belong to one region when a pixel of one and a pixel of the other face each other
across a window edge (4-connectivity, the same rule used inside a window). Those pairs come from
the label strips each window keeps along its interior edges; connected components of the pair
graph give the regions. Pieces are in integer pixel coordinates, so their union is exact and
the result equals a single-window scan; collinear vertices are dropped and rings normalised so
the same region gives the same geometry (and id) whatever the window size. Areas and scores
are sums over pieces, so nothing is re-measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from filon.geo.raster.windows import Piece, WindowResult


@dataclass
class Region:
    """One disturbance in pixel coordinates, with its area per class and its confidence."""

    polygon: shapely.Geometry
    area_m2_by_kind: np.ndarray
    confidence: float

    @property
    def area_m2(self) -> float:
        return float(self.area_m2_by_kind.sum())


def touching_pairs(results: Iterable[WindowResult]) -> np.ndarray:
    """(n, 2) global ids of pieces facing each other across a window edge."""
    by_cell = {(r.row, r.col): r for r in results}
    pairs = []
    for (i, j), res in by_cell.items():
        for side, (di, dj), other_side in (("right", (0, 1), "left"), ("bottom", (1, 0), "top")):
            other = by_cell.get((i + di, j + dj))
            if other is None or side not in res.edges:
                continue
            a, b = res.edges[side], other.edges[other_side]
            both = (a > 0) & (b > 0)
            if both.any():
                pairs.append(np.unique(np.column_stack([a[both], b[both]]), axis=0))
    return np.concatenate(pairs) if pairs else np.empty((0, 2), dtype=np.int64)


def merge(results: list[WindowResult], min_area_m2: float) -> list[Region]:
    """Regions of at least `min_area_m2`, each the union of the pieces it was cut into."""
    pieces: dict[int, Piece] = {pc.gid: pc for r in results for pc in r.pieces}
    if not pieces:
        return []
    gids = np.fromiter(pieces, dtype=np.int64)
    index = {g: k for k, g in enumerate(gids)}
    pairs = touching_pairs(results)
    rows = np.array([index[g] for g in pairs[:, 0]], dtype=np.int64)
    cols = np.array([index[g] for g in pairs[:, 1]], dtype=np.int64)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(gids), len(gids)))
    _, component = connected_components(graph, directed=False)

    regions: list[Region] = []
    order = np.argsort(component, kind="stable")
    bounds = np.flatnonzero(np.diff(component[order])) + 1
    for members in np.split(order, bounds):
        group = [pieces[int(gids[k])] for k in members]
        by_kind = np.sum([pc.area_m2_by_kind for pc in group], axis=0)
        area = float(by_kind.sum())
        if area < min_area_m2 or area <= 0:
            continue
        polygon = group[0].polygon if len(group) == 1 else shapely.union_all([pc.polygon for pc in group])
        score = sum(pc.score_m2 for pc in group) / area
        regions.append(Region(shapely.normalize(shapely.simplify(polygon, 0)), by_kind, round(min(max(score, 0.0), 1.0), 3)))
    return regions
