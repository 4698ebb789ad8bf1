"""Geometry columns of the standard's tables as shapely 2 arrays, read on any engine.

`read_layer(ctx, table, id_column, columns)` runs one SQL query through `ctx.query` (DuckDB or
Spark), then parses the `geometry` cells in Python, vectorized:

- a cell may be WKT (the standard's CSV form), GeoJSON text (starts with `{`) or WKB bytes
  (GeoParquet, or a spatial engine's GEOMETRY); empty cells are missing geometries;
- **repair rule**: validation rejects invalid polygons at ingest, but a workspace may be fed
  another way, so an invalid polygon (self-intersection, bow-tie, unclosed hole...) is repaired
  with `shapely.make_valid` (method "structure": rings are re-noded, a bow-tie becomes its two
  lobes) and only its polygonal parts are kept; the row's id is listed in `Layer.repaired`;
- a cell that cannot be read, is not polygonal after repair, or has coordinates outside
  longitude −180..180 / latitude −90..90 (projected metres or swapped axes) is **not used**: the
  row's id and the reason are in `Layer.problems` and logged. With `strict=True` the first such
  cell raises `GeometryError` naming the table, the id and the fix instead.

`Layer.tree` is a shapely `STRtree` over the usable geometries (built on first use).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from shapely.strtree import STRtree

from filon.errors import FilonError
from filon.geo.projection import area_ha

log = logging.getLogger(__name__)


class GeometryError(FilonError, ValueError):
    """A geometry cell that cannot be used, with the table, row id and how to fix it."""


@dataclass
class Layer:
    """Rows of one table with a usable geometry. `geoms[i]` belongs to `ids[i]` and `rows[i]`."""

    table: str
    ids: list[str]
    rows: list[dict[str, Any]]
    geoms: np.ndarray
    missing: list[str] = field(default_factory=list)           # rows with an empty geometry cell
    repaired: list[str] = field(default_factory=list)          # made valid by the repair rule
    problems: list[tuple[str, str]] = field(default_factory=list)  # (id, reason): rows left out

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def tree(self) -> STRtree:
        return STRtree(self.geoms)

    @cached_property
    def area_ha(self) -> np.ndarray:
        """Equal-area hectares of each geometry."""
        return area_ha(self.geoms)

    @cached_property
    def index(self) -> dict[str, int]:
        return {i: n for n, i in enumerate(self.ids)}

    def subset(self, mask: np.ndarray) -> "Layer":
        """The rows where `mask` is true (a new layer, same bookkeeping lists)."""
        pick = np.flatnonzero(mask)
        return Layer(self.table, [self.ids[i] for i in pick], [self.rows[i] for i in pick], self.geoms[pick],
                     self.missing, self.repaired, self.problems)

    def summary(self) -> dict[str, Any]:
        """Counts for an alert's evidence or a log line."""
        return {"table": self.table, "used": len(self.ids), "without_geometry": len(self.missing),
                "repaired": len(self.repaired), "unusable": len(self.problems)}


def _parse_one(cell: Any) -> shapely.Geometry | None:
    if isinstance(cell, (bytes, bytearray, memoryview)):
        return shapely.from_wkb(bytes(cell))
    text = str(cell).strip()
    if text.startswith("{"):
        obj = json.loads(text)
        if obj.get("type") == "Feature":
            obj = obj.get("geometry")
        return shapely.from_geojson(json.dumps(obj))
    return shapely.from_wkt(text)


def parse_geometries(cells: list[Any], ids: list[str], table: str, *, strict: bool = False
                     ) -> tuple[np.ndarray, np.ndarray, list[str], list[str], list[tuple[str, str]]]:
    """Parse geometry cells (see the module doc). Returns (geoms, usable mask, missing ids, repaired ids,
    problems); unusable entries of `geoms` are None."""
    n = len(cells)
    geoms = np.full(n, None, dtype=object)
    missing: list[str] = []
    problems: list[tuple[str, str]] = []
    blank = np.array([c is None or (isinstance(c, str) and not c.strip()) for c in cells], dtype=bool)
    texts = np.array([c if isinstance(c, str) and not c.lstrip().startswith("{") else None for c in cells],
                     dtype=object)
    wkt_mask = np.array([t is not None for t in texts], dtype=bool) & ~blank
    if wkt_mask.any():
        geoms[wkt_mask] = shapely.from_wkt(texts[wkt_mask], on_invalid="ignore")
    for i in np.flatnonzero(~wkt_mask & ~blank):
        try:
            geoms[i] = _parse_one(cells[i])
        except Exception:  # noqa: BLE001 - reported below as unreadable
            geoms[i] = None
    for i in np.flatnonzero(blank):
        missing.append(ids[i])

    def bad(i: int, reason: str, fix: str) -> None:
        if strict:
            raise GeometryError(f"{table}: geometry of {ids[i]!r} {reason}. {fix}")
        problems.append((ids[i], reason))
        geoms[i] = None

    for i in np.flatnonzero(~blank & shapely.is_missing(geoms)):
        bad(i, "is not readable WKT, GeoJSON or WKB", "Write it as WKT in EPSG:4326, e.g. POLYGON ((lon lat, ...)).")
    ok = ~shapely.is_missing(geoms)
    b = np.full((n, 4), np.nan)
    if ok.any():
        b[ok] = shapely.bounds(geoms[ok])
    out_of_range = ok & ((np.abs(b[:, [0, 2]]) > 180).any(axis=1) | (np.abs(b[:, [1, 3]]) > 90).any(axis=1))
    for i in np.flatnonzero(out_of_range):
        bad(i, f"has coordinates outside longitude -180..180 / latitude -90..90 (bounds {tuple(np.round(b[i], 3))})",
            "Reproject it to EPSG:4326 (projected metres are not accepted) and write longitude before latitude.")
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    repaired: list[str] = []
    invalid = ok & ~shapely.is_valid(geoms)
    if invalid.any():
        idx = np.flatnonzero(invalid)
        fixed = shapely.make_valid(geoms[idx], method="structure", keep_collapsed=False)
        for j, i in enumerate(idx):
            poly = _polygonal(fixed[j])
            if poly is None:
                bad(i, "is invalid and has no area once repaired", "Redraw the boundary as a closed ring with an area.")
            else:
                geoms[i] = poly
                repaired.append(ids[i])
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    kinds = shapely.get_type_id(geoms)
    wrong = ok & ~np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    for i in np.flatnonzero(wrong):
        poly = _polygonal(geoms[i])
        if poly is None:
            bad(i, f"is a {geoms[i].geom_type}, not a polygon", "Give the boundary as a POLYGON or MULTIPOLYGON.")
        else:
            geoms[i] = poly
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    for i in np.flatnonzero(~usable & ~blank):
        if not any(p[0] == ids[i] for p in problems):
            bad(i, "is empty", "Give the boundary as a POLYGON or MULTIPOLYGON.")
    return geoms, usable, missing, repaired, problems


def _polygonal(g: shapely.Geometry | None) -> shapely.Geometry | None:
    """The polygonal part of `g` (a Polygon or MultiPolygon), or None."""
    if g is None or g.is_empty:
        return None
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    if hasattr(g, "geoms"):
        parts = [p for part in g.geoms for p in ([part] if part.geom_type == "Polygon" else
                                                  getattr(part, "geoms", [])) if p.geom_type == "Polygon"]
        parts = [p for p in parts if not p.is_empty and p.area > 0]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    return None


def read_layer(ctx: Any, table: str, id_column: str, columns: tuple[str, ...] = (), *, where: str = "",
               strict: bool = False, geometry_column: str = "geometry") -> Layer:
    """Rows of `table` (id, `columns`, geometry) through `ctx.query`, with shapely geometries.
    Rows without a geometry are counted in `missing` and left out of the layer."""
    cols = ", ".join([f'"{id_column}"', *(f'"{c}"' for c in columns), f'"{geometry_column}" AS "__geom"'])
    sql = f'SELECT {cols} FROM "{table}"' + (f" WHERE {where}" if where else "") + f' ORDER BY "{id_column}"'
    rows = ctx.query(sql)
    ids = [str(r[id_column]) for r in rows]
    cells = [r.pop("__geom") for r in rows]
    geoms, usable, missing, repaired, problems = parse_geometries(cells, ids, table, strict=strict)
    for rid, reason in problems:
        log.warning("%s %s: geometry %s; row left out", table, rid, reason)
    if repaired:
        log.info("%s: %d invalid geometries repaired (make_valid): %s", table, len(repaired), ", ".join(repaired[:10]))
    pick = np.flatnonzero(usable)
    return Layer(table, [ids[i] for i in pick], [rows[i] for i in pick], geoms[pick], missing, repaired, problems)
