"""Map layers as GeoJSON, limited to a bounding box and a feature cap, within the user's countries."""

from __future__ import annotations

from typing import Annotated, Literal

import shapely
from fastapi import APIRouter, Depends, HTTPException, Query

from filon.api.auth import Principal
from filon.api.deps import app_state, current_user
from filon.api.geo import MAX_FEATURES, alert_geometry, feature_collection, load_layer
from filon.api.state import AppState

router = APIRouter(prefix="/api/map", tags=["map"])


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    if not bbox:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in bbox.split(","))
    except ValueError:
        raise HTTPException(422, "bbox must be four numbers: min_lon,min_lat,max_lon,max_lat, e.g. -71,-14,-69,-12") from None
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise HTTPException(422, "bbox must be min_lon,min_lat,max_lon,max_lat in degrees, minimum first")
    return x0, y0, x1, y1


@router.get("/{layer}", summary="One map layer as a GeoJSON FeatureCollection")
def map_layer(layer: Literal["rights", "areas", "detections", "operations", "alerts"],
              bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")] = None,
              limit: Annotated[int, Query(ge=1, le=MAX_FEATURES)] = 2000,
              user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> dict:
    """`matched` counts the features in view; `truncated` is true when more than `limit` matched
    (zoom in, or raise `limit` up to 10,000)."""
    box = parse_bbox(bbox)
    if layer == "alerts":
        return _alerts_layer(box, limit, user, state)
    geo = load_layer(state.data, layer)
    return feature_collection(geo.ids, geo.props, geo.geoms, box, limit, geo.tree,
                              keep=lambda i: user.can_read(geo.props[i].get("country")))


def _alerts_layer(box, limit: int, user: Principal, state: AppState) -> dict:  # noqa: ANN001
    def build() -> list[tuple[str, dict, object]]:
        out = []
        for a in state.alerts.all():
            g = alert_geometry(state.data, a)
            if g is not None:
                props = {k: a.get(k) for k in ("typology", "subject_type", "subject_id", "country", "period", "score",
                                               "value_at_risk_usd")}
                out.append((a["alert_id"], props, g))
        return out
    key = f"alert-geoms:{state.alerts.path.stat().st_mtime if state.alerts.path.exists() else 0}"
    entries = [e for e in state.data.cached(key, build) if user.can_read(e[1].get("country"))]
    statuses = state.triage.statuses()
    entries = [(i, {**p, "status": statuses.get(i, "new")}, g) for i, p, g in entries]
    return feature_collection([e[0] for e in entries], [e[1] for e in entries], [e[2] for e in entries], box, limit)


@router.get("/alerts/{alert_id}/bounds", include_in_schema=False)
def alert_bounds(alert_id: str, state: AppState = Depends(app_state), user: Principal = Depends(current_user)) -> dict:
    alert = state.alerts.get(alert_id)
    if alert is None or not user.can_read(alert.get("country")):
        raise HTTPException(404, "No such alert in your scope")
    g = alert_geometry(state.data, alert)
    return {"bounds": list(shapely.bounds(g)) if g is not None else None}


