"""Map layers as GeoJSON: mining rights, protected areas and territories, satellite
detections, and alerts placed on their subject's geometry.

Layers are parsed once per workspace version (`filon.geo.layers.read_layer`, which repairs or
skips bad geometries) and indexed with an STRtree, so a bbox query only touches the features
in view. Detections carry no country in the standard; they get the country whose outline
(Natural Earth, shipped with the dashboard) contains them, so country scopes apply to them too.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.strtree import STRtree

from filon.api.workspace_data import WorkspaceData
from filon.geo.layers import read_layer

OUTLINES = Path(__file__).resolve().parents[1] / "web" / "static" / "countries.geojson"
LAYERS = {  # name -> (table, id column, property columns)
    "rights": ("mining_rights", "right_id", ("country", "holder_id", "status", "scale", "regime", "area_ha")),
    "areas": ("areas", "area_id", ("country", "kind", "name")),
    "detections": ("detections", "detection_id", ("date", "area_ha", "confidence", "source")),
    "operations": ("operations", "operation_id", ("country", "name", "kind", "start_date")),
}
MAX_FEATURES = 10_000


@dataclass
class GeoLayer:
    ids: list[str]
    props: list[dict[str, Any]]
    geoms: np.ndarray
    tree: STRtree

    def find(self, feature_id: str) -> shapely.Geometry | None:
        try:
            return self.geoms[self.ids.index(feature_id)]
        except ValueError:
            return None


@lru_cache(maxsize=1)
def outlines() -> tuple[list[str], np.ndarray]:
    data = json.loads(OUTLINES.read_text(encoding="utf-8"))
    return [f["id"] for f in data["features"]], np.array([shapely.from_geojson(json.dumps(f["geometry"]))
                                                          for f in data["features"]], dtype=object)


def country_of(geoms: np.ndarray) -> list[str | None]:
    codes, shapes = outlines()
    points = shapely.point_on_surface(geoms)
    out: list[str | None] = []
    for p in points:
        hit = next((codes[i] for i, s in enumerate(shapes) if s.contains(p)), None)
        if hit is None:  # a coastal or border point the simplified outline leaves out
            dist = [s.distance(p) for s in shapes]
            hit = codes[int(np.argmin(dist))] if min(dist) < 0.5 else None
        out.append(hit)
    return out


def jsonable(value: Any) -> Any:
    """A value JSON can carry: dates as ISO text, NaN and infinities as null, numpy numbers as Python's."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def load_layer(data: WorkspaceData, name: str) -> GeoLayer:
    def build() -> GeoLayer:
        table, id_col, cols = LAYERS[name]
        layer = read_layer(data.context(), table, id_col, cols)
        props = [{k: jsonable(v) for k, v in row.items()} for row in layer.rows]
        if name == "detections" and len(layer):
            for p, c in zip(props, country_of(layer.geoms)):
                p["country"] = c
        geoms = np.asarray(layer.geoms, dtype=object)
        return GeoLayer(layer.ids, props, geoms, STRtree(geoms))
    return data.cached(f"layer:{name}", build)


def alert_geometry(data: WorkspaceData, alert: dict[str, Any]) -> shapely.Geometry | None:
    """Where an alert happens: its right, detection, area or operation; for an actor or a
    declaration, the rights the actor holds; otherwise none (countries and pairs are not drawn)."""
    sid, kind = alert["subject_id"], alert["subject_type"]
    if kind == "right":
        return load_layer(data, "rights").find(sid)
    if kind == "area":
        for name in ("detections", "areas", "operations"):
            g = load_layer(data, name).find(sid)
            if g is not None:
                return g
        return None
    if kind in ("actor", "declaration"):
        actors = set(alert.get("actors") or alert.get("_actors") or [])
        rights = load_layer(data, "rights")
        held = [g for g, p in zip(rights.geoms, rights.props) if p.get("holder_id") in actors]
        return shapely.union_all(held) if held else None
    return None


def feature_collection(ids: list[str], props: list[dict[str, Any]], geoms: list[Any] | np.ndarray,
                       bbox: tuple[float, float, float, float] | None, limit: int,
                       tree: STRtree | None = None, keep=None) -> bytes:  # noqa: ANN001
    """GeoJSON of the features intersecting `bbox` (all without one), at most `limit` of them.

    Written straight as JSON text: shapely's GeoJSON of each geometry goes in as it is, rather
    than being parsed into Python lists only to be serialised again."""
    if bbox is None:
        hits = np.arange(len(ids))
    elif tree is not None:
        hits = np.sort(tree.query(shapely.box(*bbox)))
    else:
        box = shapely.box(*bbox)
        hits = np.array([i for i, g in enumerate(geoms) if g is not None and g.intersects(box)], dtype=int)
    if keep is not None:  # the user's country scope
        hits = np.array([i for i in hits if keep(int(i))], dtype=int)
    total = len(hits)
    chosen = hits[:limit]
    texts = shapely.to_geojson(np.asarray([geoms[i] for i in chosen], dtype=object)) if len(chosen) else []
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    features = ",".join(f'{{"type":"Feature","id":{dumps(ids[i])},"properties":{dumps({"id": ids[i], **props[i]})},'
                        f'"geometry":{t or "null"}}}' for i, t in zip(chosen, texts))
    return (f'{{"type":"FeatureCollection","features":[{features}],"matched":{int(total)},'
            f'"truncated":{"true" if total > limit else "false"}}}').encode()
