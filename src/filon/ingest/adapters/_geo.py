"""Geometry helpers for the GeoJSON and registry adapters: repair, flatten, measure, identify.

Why here and without pyproj: areas must be in hectares on the ground (a degree² is 12,300 km² at
the equator and less towards the poles), and UTM points from Peruvian registries must become
lon/lat. Both have closed-form answers on the WGS84 ellipsoid (authalic latitude for area, the
Krüger series for UTM), accurate to far better than the data, with no extra dependency.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from filon.errors import InvalidData

_A = 6378137.0  # WGS84 semi-major axis (m)
_F = 1 / 298.257223563
_E = math.sqrt(_F * (2 - _F))
_WGS84_CRS = ("CRS84", "4326", "CRS:84")
PRECISION = 1e-7  # degrees (~1 cm): the grid repaired vertices are snapped to, so WKT stays valid


def _authalic_q(lat_deg: np.ndarray) -> np.ndarray:
    s = np.sin(np.radians(lat_deg))
    q: np.ndarray = (1 - _E**2) * (s / (1 - _E**2 * s**2) - np.log((1 - _E * s) / (1 + _E * s)) / (2 * _E))
    return q


def area_ha(geom: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid, in hectares, of a lon/lat polygon (holes subtracted).

    Projects to the ellipsoidal Lambert cylindrical equal-area projection (x = aλ, y = aq/2),
    where planar area equals area on the ellipsoid, then takes the planar area.
    """
    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack((_A * np.radians(coords[:, 0]), _A * _authalic_q(coords[:, 1]) / 2))

    return float(shapely.transform(geom, project).area) / 10_000


def utm_to_lonlat(easting: float, northing: float, zone: int, south: bool = True) -> tuple[float, float]:
    """Longitude and latitude (WGS84) of a UTM coordinate, by Krüger's series (mm accuracy)."""
    n = _F / (2 - _F)
    big_a = _A / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    beta = (n / 2 - 2 * n**2 / 3 + 37 * n**3 / 96, n**2 / 48 + n**3 / 15, 17 * n**3 / 480)
    delta = (2 * n - 2 * n**2 / 3 - 2 * n**3, 7 * n**2 / 3 - 8 * n**3 / 5, 56 * n**3 / 15)
    xi = (northing - (10_000_000 if south else 0)) / (0.9996 * big_a)
    eta = (easting - 500_000) / (0.9996 * big_a)
    xi_p = xi - sum(b * math.sin(2 * j * xi) * math.cosh(2 * j * eta) for j, b in enumerate(beta, 1))
    eta_p = eta - sum(b * math.cos(2 * j * xi) * math.sinh(2 * j * eta) for j, b in enumerate(beta, 1))
    chi = math.asin(math.sin(xi_p) / math.cosh(eta_p))
    lat = chi + sum(d * math.sin(2 * j * chi) for j, d in enumerate(delta, 1))
    lon = math.radians(zone * 6 - 183) + math.atan2(math.sinh(eta_p), math.cos(xi_p))
    return math.degrees(lon), math.degrees(lat)


def load_features(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection in lon/lat; InvalidData for anything else."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidData(f"not a readable GeoJSON file ({err})", file=str(path),
                          fix="export the layer as GeoJSON (UTF-8)") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidData("not a GeoJSON FeatureCollection", file=str(path),
                          fix="export the layer as a GeoJSON FeatureCollection")
    crs = json.dumps(data.get("crs") or "CRS84")
    if not any(code in crs for code in _WGS84_CRS):
        raise InvalidData(f"the layer is in another coordinate system ({crs})", file=str(path),
                          fix="reproject it to EPSG:4326 (WGS84 lon/lat) before converting")
    return list(data.get("features") or [])


def polygonal(feature: dict[str, Any], index: int, path: Path, counts: Counter[str]) -> BaseGeometry | None:
    """A valid Polygon or MultiPolygon for one feature (`index` counts from 1, for messages).

    GeometryCollections are flattened to their polygons (lines and points have no area and are
    counted as dropped parts); invalid shapes are repaired with `make_valid` and counted. None
    for a null or empty geometry (nothing to repair: the caller skips it and names it in a
    warning); a geometry whose repair leaves no area raises InvalidData naming the feature.
    """
    def fail(why: str) -> InvalidData:
        return InvalidData(f"feature {index} (counting from 1) {why}", file=str(path),
                           fix="fix or remove that feature in a GIS, then convert again")

    if not feature.get("geometry"):
        return None
    try:
        geom = shape(feature["geometry"])
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as err:
        raise fail(f"has a geometry that cannot be read ({err!r})") from None
    if geom.is_empty:
        return None
    if geom.geom_type == "GeometryCollection":
        counts["flattened"] += 1
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        counts["repaired"] += 1
    parts = _polygons(geom)
    counts["dropped_parts"] += _count_parts(geom) - len(parts)
    if not parts:
        raise fail("has no polygon with an area (only lines or points, or a collapsed ring)")
    result = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    snapped = shapely.set_precision(result, PRECISION)
    if snapped.is_empty or snapped.geom_type not in ("Polygon", "MultiPolygon"):
        return result
    return snapped


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty and geom.area > 0 else []
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def _count_parts(geom: BaseGeometry) -> int:
    return sum(_count_parts(g) for g in geom.geoms) if hasattr(geom, "geoms") else 1


def to_wkt(geom: BaseGeometry) -> str:
    """WKT in lon lat order, at the precision geometries were snapped to."""
    return str(shapely.to_wkt(geom, rounding_precision=7, trim=True))


def geometry_key(feature: dict[str, Any]) -> str:
    """A stable hash of the geometry as published (before any repair), for ids of unnamed features."""
    text = json.dumps(feature.get("geometry"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def repair_warnings(path: Path, counts: Counter[str], empty: list[str]) -> list[str]:
    """Plain-language notes for what `polygonal` changed in one file, and which features had none."""
    notes = []
    if empty:
        shown = "; ".join(empty[:10]) + ("; ..." if len(empty) > 10 else "")
        notes.append(f"{path.name}: skipped {len(empty)} feature(s) with a null or empty geometry "
                     f"(nothing to map or repair): {shown}")
    if counts["repaired"]:
        notes.append(f"{path.name}: repaired {counts['repaired']} invalid geometr(ies) with make_valid")
    if counts["flattened"]:
        notes.append(f"{path.name}: flattened {counts['flattened']} GeometryCollection(s) to (Multi)Polygons, "
                     f"dropping {counts['dropped_parts']} line or point part(s) that have no area")
    elif counts["dropped_parts"]:
        notes.append(f"{path.name}: dropped {counts['dropped_parts']} line or point part(s) left by repairs")
    return notes


def pick(properties: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first non-empty property among `keys` (case-insensitive), as text."""
    by_upper = {str(k).upper(): v for k, v in (properties or {}).items()}
    for key in keys:
        value = by_upper.get(key.upper())
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # ids exported as 12345.0
        if value not in (None, ""):
            return str(value).strip()
    return None


def unique_id(wanted: str, seen: set[str], counts: Counter[str]) -> str:
    """`wanted`, or `wanted-2`, `-3`... if another feature already took it (counted for a warning)."""
    result, n = wanted, 1
    while result in seen:
        n += 1
        result = f"{wanted}-{n}"
    if n > 1:
        counts["renamed"] += 1
    seen.add(result)
    return result
