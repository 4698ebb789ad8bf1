"""Rebuild `static/countries.geojson`: simplified outlines of PE, CO, BO and EC for the offline map.

Source: Natural Earth 1:50m admin-0 countries (public domain) as packaged in the npm package
`world-atlas` 2.0.2 (ISC licence, TopoJSON). Run once by a maintainer, never at run time:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python -m filon.web.build_outlines package/countries-50m.json

TopoJSON is decoded here (delta-encoded, quantized arcs) so no extra dependency is needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon, mapping

COUNTRIES = {"604": ("PE", "Peru"), "170": ("CO", "Colombia"), "068": ("BO", "Bolivia"), "218": ("EC", "Ecuador")}
TOLERANCE_DEG = 0.02
TARGET = Path(__file__).parent / "static" / "countries.geojson"


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        part = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        points.extend(part[1:] if points else part)
    return points


def build(source: Path) -> dict:
    topo = json.loads(source.read_text(encoding="utf-8"))
    arcs = decode_arcs(topo)
    features = []
    for geom in topo["objects"]["countries"]["geometries"]:
        if geom.get("id") not in COUNTRIES:
            continue
        code, name = COUNTRIES[geom["id"]]
        polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        shape = MultiPolygon([Polygon(ring(arcs, p[0]), [ring(arcs, h) for h in p[1:]]) for p in polys])
        simple = shape.simplify(TOLERANCE_DEG, preserve_topology=True)
        coords = json.loads(json.dumps(mapping(simple)), parse_float=lambda v: round(float(v), 3))
        features.append({"type": "Feature", "id": code, "properties": {"country": code, "name": name}, "geometry": coords})
    return {"type": "FeatureCollection", "attribution": "Natural Earth (public domain), via world-atlas 2.0.2",
            "features": sorted(features, key=lambda f: f["id"])}


if __name__ == "__main__":
    TARGET.write_text(json.dumps(build(Path(sys.argv[1])), separators=(",", ":")), encoding="utf-8")
    print(f"wrote {TARGET}")
