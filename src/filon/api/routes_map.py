"""Map layers as GeoJSON, limited to a bounding box and a feature cap, within the user's countries."""

from __future__ import annotations

import math
from typing import Annotated, Literal

import shapely
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from filon.api.auth import Principal
from filon.api.deps import app_state, current_user
from filon.api.geo import MAX_FEATURES, alert_geometry, feature_collection, jsonable, load_layer
from filon.api.schemas import SIGNED_IN
from filon.api.schemas_workspace import Bounds, FeatureCollection
from filon.api.state import AppState

router = APIRouter(prefix="/api/map", tags=["map"], responses=SIGNED_IN)
BBOX_HELP = "min_lon,min_lat,max_lon,max_lat in degrees, e.g. -71,-14,-69,-12"
_NUMBER = r"\s*-?[0-9]{1,20}(\.[0-9]{0,20})?\s*"
BBOX_PATTERN = rf"^{_NUMBER}(,{_NUMBER}){{3}}$"


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """Four numbers; corners in either order, and a map panned past the antimeridian or the
    poles is clipped to the globe, as web maps send such boxes."""
    if not bbox:
        return None
    x0, y0, x1, y1 = (float(v) for v in bbox.split(","))   # the pattern guarantees four plain numbers
    lon = sorted(min(max(v, -180.0), 180.0) for v in (x0, x1))
    lat = sorted(min(max(v, -90.0), 90.0) for v in (y0, y1))
    return lon[0], lat[0], lon[1], lat[1]


@router.get("/{layer}", summary="One map layer as a GeoJSON FeatureCollection", response_model=FeatureCollection)
def map_layer(layer: Literal["rights", "areas", "detections", "operations", "alerts"],
              bbox: Annotated[str | None, Query(description=BBOX_HELP, pattern=BBOX_PATTERN)] = None,
              limit: Annotated[int, Query(ge=1, le=MAX_FEATURES)] = 2000,
              user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> Response:
    """`matched` counts the features in view; `truncated` is true when more than `limit` matched
    (zoom in, or raise `limit` up to 10,000)."""
    box = parse_bbox(bbox)
    if layer == "alerts":
        body = _alerts_layer(box, limit, user, state)
    else:
        geo = load_layer(state.data, layer)
        body = feature_collection(geo.ids, geo.props, geo.geoms, box, limit, geo.tree,
                                  keep=lambda i: user.can_read(geo.props[i].get("country")))
    return Response(body, media_type="application/json")


def _alerts_layer(box, limit: int, user: Principal, state: AppState) -> bytes:  # noqa: ANN001
    table = state.alerts.table()

    def build() -> list[tuple[str, dict, object]]:
        out = []
        for a in table.alerts:
            g = alert_geometry(state.data, a)
            if g is not None:
                props = {k: jsonable(a.get(k)) for k in ("typology", "subject_type", "subject_id", "country", "period",
                                                          "score", "value_at_risk_usd")}
                out.append((a["alert_id"], props, g))
        return out
    made = state.data.cached("alert-geoms", lambda: (table.generation, build()))
    if made[0] != table.generation:   # a newer analysis
        made = state.data.cache["alert-geoms"] = (table.generation, build())
    entries = [e for e in made[1] if user.can_read(e[1].get("country"))]
    statuses = state.triage.statuses()
    entries = [(i, {**p, "status": statuses.get(i, "new")}, g) for i, p, g in entries]
    return feature_collection([e[0] for e in entries], [e[1] for e in entries], [e[2] for e in entries], box, limit)


@router.get("/alerts/{alert_id}/bounds", response_model=Bounds, summary="Where an alert is, to zoom the map to it")
def alert_bounds(alert_id: str, state: AppState = Depends(app_state), user: Principal = Depends(current_user)) -> dict:
    """404 also for an alert outside your countries, so its existence is not revealed."""
    alert = state.alerts.get(alert_id)
    if alert is None or not user.can_read(alert.get("country")):
        raise HTTPException(404, "No such alert in your scope.")
    g = alert_geometry(state.data, alert)
    bounds = [float(v) for v in shapely.bounds(g)] if g is not None and not g.is_empty else None
    return {"bounds": bounds if bounds and all(math.isfinite(v) for v in bounds) else None}
