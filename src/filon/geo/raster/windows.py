"""Block-by-block scanning, so memory stays bounded on a full 10980 × 10980 tile.

The grid is cut into square core windows (`window_pixels`). Each core is read with a halo of
`cloud_buffer_pixels + 2 × clean_iterations` pixels on every side, because the cloud buffer
(a dilation) and the clean-up (an opening) look at neighbours: with that halo the core's
classes are exactly those a single whole-image pass gives. Connected disturbed regions are then
labelled inside the core (4-connectivity, as GDAL polygonizes) and polygonized in global pixel
coordinates, which are integers, so pieces of one region cut by a window edge meet exactly and
`merge.py` joins them. Regions that touch no window edge and are below the minimum mapping unit
are dropped here, so noise never reaches the polygon stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely
from affine import Affine
from rasterio.features import shapes
from rasterio.windows import Window
from scipy import ndimage

from filon.detect.parameters import Parameters
from filon.geo.raster.inputs import Image
from filon.geo.raster.rules import classify

CROSS = ndimage.generate_binary_structure(2, 1)  # 4-neighbourhood: regions, like GDAL polygonize


@dataclass
class Piece:
    """A connected disturbed region inside one window, in global pixel coordinates."""

    gid: int
    polygon: shapely.Geometry
    area_m2_by_kind: np.ndarray     # index = class (0 unused)
    score_m2: float                 # Σ pixel score × pixel area, for an area-weighted confidence


@dataclass
class WindowResult:
    row: int
    col: int
    pieces: list[Piece]
    edges: dict[str, np.ndarray]    # "top"/"bottom"/"left"/"right" -> global ids along that edge (0 = none)
    valid_before: int
    valid_after: int
    valid_both: int
    negative: int                   # usable pixels with negative red or NIR reflectance in either image


@dataclass
class Grid:
    height: int
    width: int
    size: int
    halo: int
    rows: int = field(init=False)
    cols: int = field(init=False)

    def __post_init__(self) -> None:
        self.rows = -(-self.height // self.size)
        self.cols = -(-self.width // self.size)

    def cores(self) -> Iterator[tuple[int, int, Window]]:
        for i in range(self.rows):
            for j in range(self.cols):
                r, c = i * self.size, j * self.size
                yield i, j, Window(c, r, min(self.size, self.width - c), min(self.size, self.height - r))

    def expanded(self, core: Window) -> Window:
        r0, c0 = max(core.row_off - self.halo, 0), max(core.col_off - self.halo, 0)
        r1 = min(core.row_off + core.height + self.halo, self.height)
        c1 = min(core.col_off + core.width + self.halo, self.width)
        return Window(c0, r0, c1 - c0, r1 - r0)


def _square_filter(kind, mask: np.ndarray, radius: int, *, outside: int) -> np.ndarray:
    """Binary erosion (minimum_filter) or dilation (maximum_filter) by a (2r+1)² square: the same
    as r iterations of the 3 × 3 structuring element, but separable, so fast on big windows."""
    out = kind(mask.view(np.uint8), size=2 * radius + 1, mode="constant", cval=outside)
    return out.view(bool)


def halo_for(p: Parameters) -> int:
    return int(p.cloud_buffer_pixels) + 2 * int(p.clean_iterations)


def scan_window(before: Image, after: Image, grid: Grid, i: int, j: int, core: Window,
                row_areas: np.ndarray, p: Parameters, first_gid: int) -> WindowResult:
    """Classify, clean, label and polygonize one core window; ids are `first_gid` + label."""
    kind, score, counts = _classes(before, after, grid, core, p)
    labels, n = ndimage.label(kind > 0, structure=CROSS)
    interior = {"top": i > 0, "bottom": i < grid.rows - 1, "left": j > 0, "right": j < grid.cols - 1}
    strips = {"top": labels[0, :], "bottom": labels[-1, :], "left": labels[:, 0], "right": labels[:, -1]}
    edges = {side: np.where(strip > 0, strip + first_gid, 0) for side, strip in strips.items() if interior[side]}
    pieces: list[Piece] = []
    if n:
        at = np.flatnonzero(labels)
        flat_labels = labels.reshape(-1)[at]
        pixel_area = row_areas[core.row_off + at // labels.shape[1]]
        by_kind = np.bincount(flat_labels * 4 + kind.reshape(-1)[at], weights=pixel_area,
                              minlength=(n + 1) * 4).reshape(n + 1, 4)
        score_m2 = np.bincount(flat_labels, weights=score.reshape(-1)[at] * pixel_area, minlength=n + 1)
        keep = by_kind.sum(axis=1) >= p.min_area_ha * 10_000
        for strip in (strips[side] for side in edges):
            keep[strip] = True
        keep[0] = False
        boxes = ndimage.find_objects(labels)
        for label in np.flatnonzero(keep):
            rows, cols = boxes[label - 1]
            region = labels[rows, cols] == label
            origin = Affine.translation(core.col_off + cols.start, core.row_off + rows.start)
            geoms = [shapely.geometry.shape(g) for g, _ in
                     shapes(region.view(np.uint8), mask=region, connectivity=4, transform=origin)]
            polygon = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
            pieces.append(Piece(first_gid + int(label), polygon, by_kind[label].copy(), float(score_m2[label])))
    return WindowResult(i, j, pieces, edges, *counts)


def _classes(before: Image, after: Image, grid: Grid, core: Window,
             p: Parameters) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """Class and score of the core's pixels (read with the halo), and its counts of usable pixels."""
    outer = grid.expanded(core)
    stack_b, valid_b = before.read(outer)
    stack_a, valid_a = after.read(outer)
    valid = valid_b & valid_a
    if p.cloud_buffer_pixels and not valid.all():  # grow clouds and no data by a square of that radius
        valid = _square_filter(ndimage.minimum_filter, valid, int(p.cloud_buffer_pixels), outside=1)
    kind, score = classify(stack_b, stack_a, valid, p)
    if p.clean_iterations:
        _open(kind, int(p.clean_iterations))
    inner = (slice(core.row_off - outer.row_off, core.row_off - outer.row_off + core.height),
             slice(core.col_off - outer.col_off, core.col_off - outer.col_off + core.width))
    negative = (stack_b.below_zero() | stack_a.below_zero())[inner] & valid[inner]
    counts = (int(valid_b[inner].sum()), int(valid_a[inner].sum()), int(valid[inner].sum()), int(negative.sum()))
    return kind[inner], score[inner], counts


def _open(kind: np.ndarray, radius: int) -> None:
    """Morphological opening of the disturbed pixels, in place. Only the bounding box of disturbed
    pixels is filtered: outside it everything is 0, as the filters assume beyond their edges."""
    disturbed = kind > 0
    rows, cols = np.flatnonzero(disturbed.any(axis=1)), np.flatnonzero(disturbed.any(axis=0))
    if not len(rows):
        return
    box = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    eroded = _square_filter(ndimage.minimum_filter, disturbed[box], radius, outside=0)
    kind[box][~_square_filter(ndimage.maximum_filter, eroded, radius, outside=0)] = 0
