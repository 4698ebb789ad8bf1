"""Actors: search, one actor's record with ownership, trades, exports and alerts, and its network drawing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse

from filon.api.alerts import AlertFilter, public
from filon.api.auth import Principal
from filon.api.deps import app_state, current_user, require_country
from filon.api.entities import actor_details, actor_record, network_svg, search_actors
from filon.api.schemas import SIGNED_IN
from filon.api.schemas_workspace import ActorHit, EntityDetail
from filon.api.state import AppState

router = APIRouter(prefix="/api/entities", tags=["entities"], responses=SIGNED_IN)


@router.get("", summary="Search actors by name or id", response_model=list[ActorHit])
def search(q: Annotated[str, Query(min_length=2, max_length=100)], limit: Annotated[int, Query(ge=1, le=100)] = 20,
           user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> list[dict]:
    """Actors in your countries whose name or id contains `q` (any case)."""
    return search_actors(state.data, q, user.scope, limit)


def _actor(actor_id: str, user: Principal, state: AppState) -> dict:
    record = actor_record(state.data, actor_id)
    if record is None:
        raise HTTPException(404, f"No actor {actor_id} in the workspace (actors table).")
    require_country(user, record.get("country"), "actor")
    return record


@router.get("/{actor_id}", summary="One actor: record, ownership, trades, exports, alerts", response_model=EntityDetail)
def entity(actor_id: str, user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> dict:
    record = _actor(actor_id, user, state)
    alerts = state.alerts.select(AlertFilter(actor=actor_id), user.scope, {})
    return {"record": record, **actor_details(state.data, actor_id), "alerts": [public(a) for a in alerts]}


@router.get("/{actor_id}/network.svg", summary="Ownership network of an actor (HTML fragment with inline SVG)",
            response_class=HTMLResponse)
def network(actor_id: str, hops: Annotated[int, Query(ge=1, le=4)] = 2, user: Principal = Depends(current_user),
            state: AppState = Depends(app_state)) -> HTMLResponse:
    """The drawing and its legend, as the dashboard and the dossier embed them."""
    _actor(actor_id, user, state)
    return HTMLResponse(str(network_svg(state.data, actor_id, hops)))
