"""Writing the disturbances: GeoJSON and GeoParquet for maps, `detections.csv` for `filon ingest`.

Polygons leave the scanner in pixel coordinates; here they go to the image CRS (the affine
transform) and then to WGS 84 longitude/latitude (pyproj, always x = lon), the standard's
geometry. Every file is written beside its final name and renamed only when all three are
complete, so a failed run leaves the previous outputs (or nothing), never half a file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS

from filon.geo.raster.merge import Region
from filon.geo.raster.rules import KINDS

#: Decimal places of WGS 84 coordinates: 1e-7° is about 1 cm, far below a 10 m pixel.
COORD_DECIMALS = 7
DETECTION_COLUMNS = ("detection_id", "date", "geometry", "area_ha", "source", "confidence")
FILES = ("disturbances.geojson", "disturbances.parquet", "detections.csv")
PROPERTY_NAMES = ("detection_id", "date", "kind", "area_ha", *(f"{k}_ha" for k in KINDS.values()),
                  "confidence", "source")


@dataclass
class Disturbance:
    detection_id: str
    date: date
    geometry: shapely.Geometry   # WGS 84 lon/lat
    kind: str
    area_ha: float
    ha_by_kind: dict[str, float]
    confidence: float
    source: str


def to_lonlat(regions: list[Region], transform: Affine, crs: CRS, when: date, source: str) -> list[Disturbance]:
    """Regions in pixel coordinates -> disturbances in WGS 84, largest first, with stable ids."""
    to_wgs84 = Transformer.from_crs(crs.to_wkt(), "EPSG:4326", always_xy=True)
    a, b, c, d, e, f = transform[:6]

    def pixel_to_lonlat(xy: np.ndarray) -> np.ndarray:
        x = a * xy[:, 0] + b * xy[:, 1] + c
        y = d * xy[:, 0] + e * xy[:, 1] + f
        lon, lat = to_wgs84.transform(x, y)
        return np.round(np.column_stack([lon, lat]), COORD_DECIMALS)

    out = []
    for region in sorted(regions, key=lambda r: -r.area_m2):
        geom = shapely.transform(region.polygon, pixel_to_lonlat)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        ha = {name: round(float(region.area_m2_by_kind[k]) / 10_000, 4) for k, name in KINDS.items()}
        kind = max(ha, key=lambda name: ha[name])
        digest = hashlib.sha1(f"{when.isoformat()}|{geom.wkb_hex}".encode()).hexdigest()[:16]
        out.append(Disturbance(f"scan-{when:%Y%m%d}-{digest}", when, geom, kind,
                               round(region.area_m2 / 10_000, 4), ha, region.confidence, source))
    return out


def write_all(out: Path, items: list[Disturbance]) -> list[Path]:
    """Write the three files atomically (temporary names, then rename) and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    final = [out / name for name in FILES]
    temps = [p.with_name(f".{p.name}.{os.getpid()}.tmp") for p in final]
    try:
        _geojson(temps[0], items)
        _parquet(temps[1], items)
        _csv(temps[2], items)
        for tmp, path in zip(temps, final):
            os.replace(tmp, path)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return final


def _properties(item: Disturbance) -> dict:
    return {"detection_id": item.detection_id, "date": item.date.isoformat(), "kind": item.kind,
            "area_ha": item.area_ha, **{f"{k}_ha": v for k, v in item.ha_by_kind.items()},
            "confidence": item.confidence, "source": item.source}


def _geojson(path: Path, items: list[Disturbance]) -> None:
    features = [{"type": "Feature", "properties": _properties(i), "geometry": json.loads(shapely.to_geojson(i.geometry))}
                for i in items]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")


def _parquet(path: Path, items: list[Disturbance]) -> None:
    rows = [_properties(i) for i in items]
    columns = {name: [r[name] for r in rows] for name in PROPERTY_NAMES}
    columns["date"] = [i.date for i in items]
    types = {"date": pa.date32(), "source": pa.string(), "detection_id": pa.string(), "kind": pa.string()}
    table = pa.table({name: pa.array(values, type=types.get(name, pa.float64())) for name, values in columns.items()})
    table = table.append_column("geometry", pa.array([i.geometry.wkb for i in items], type=pa.binary()))
    kinds = sorted({i.geometry.geom_type for i in items})
    bbox = list(shapely.total_bounds([i.geometry for i in items])) if items else []
    geo = {"version": "1.1.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "geometry_types": kinds,
                                    **({"bbox": bbox} if bbox else {})}}}  # no "crs": OGC:CRS84 (lon/lat)
    table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    pq.write_table(table, path)


def _csv(path: Path, items: list[Disturbance]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(DETECTION_COLUMNS)
        for i in items:
            writer.writerow([i.detection_id, i.date.isoformat(), shapely.to_wkt(i.geometry, rounding_precision=COORD_DECIMALS),
                             i.area_ha, i.source, i.confidence])
