"""Alerts: overview counts, the filtered list, one alert with evidence and lineage, triage, exports."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from filon.api.alerts import AlertFilter, lineage, public
from filon.api.auth import Principal
from filon.api.deps import app_state, current_user, require_country
from filon.api.exports import stream_export
from filon.api.geo import alert_geometry
from filon.api.schemas import AlertDetail, AlertPage, Overview, TriageChange, TriageState
from filon.api.state import AppState

router = APIRouter(prefix="/api", tags=["alerts"])
Sort = Literal["-score", "score", "-value", "value", "-period", "period", "typology", "-typology", "country", "-country"]


def _csv(values: list[str] | None, upper: bool = False) -> list[str] | None:
    out = [v.strip().upper() if upper else v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]
    return out or None


def alert_filter(
    typology: Annotated[list[str] | None, Query(description="Typology code(s); repeat or comma-separate.")] = None,
    country: Annotated[list[str] | None, Query(description="Country code(s), e.g. PE.")] = None,
    period: Annotated[str | None, Query(max_length=10, description="Period prefix: 2023 or 2023-05.")] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    status: Annotated[list[str] | None, Query(description="Triage status(es).")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the subject id or explanation.")] = None,
    actor: Annotated[str | None, Query(max_length=100, description="Alerts naming this actor_id.")] = None,
) -> AlertFilter:
    return AlertFilter(typology=_csv(typology), country=_csv(country, upper=True), period=period or None,
                       min_score=min_score, q=q or None, status=_csv(status), actor=actor or None)


@router.get("/overview", response_model=Overview, summary="Counts by typology, country and month")
def overview(user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> Overview:
    """Regional counts for everyone; the user's own countries also by triage status."""
    statuses = state.triage.statuses()
    mine = state.alerts.select(AlertFilter(), user.scope, statuses)
    scoped = {"total": len(mine), "by_typology": dict(Counter(a["typology"] for a in mine).most_common()),
              "by_status": dict(Counter(statuses.get(a["alert_id"], "new") for a in mine)),
              "value_at_risk_usd": round(sum(a.get("value_at_risk_usd") or 0.0 for a in mine), 2)}
    analysis = {"results": state.alerts.path.exists(), "job": state.jobs.status["state"]}
    return Overview(region=state.alerts.aggregates(), in_scope=scoped, analysis=analysis)


@router.get("/alerts", response_model=AlertPage, summary="List alerts (filter, sort, page)")
def list_alerts(flt: AlertFilter = Depends(alert_filter), sort: Sort = "-score",
                limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
                user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> dict:
    """Alerts in the user's country scope. Paging by `limit`/`offset`; `next_offset` is null on the last page."""
    book = state.triage.all()
    rows = state.alerts.select(flt, user.scope, {k: v["status"] for k, v in book.items()}, sort)
    page = rows[offset: offset + limit]
    items = [{**public(a), "triage": book.get(a["alert_id"]) or {"status": "new"}} for a in page]
    return {"total": len(rows), "limit": limit, "offset": offset,
            "next_offset": offset + limit if offset + limit < len(rows) else None, "items": items}


@router.get("/alerts/export", summary="Download alerts as CSV, Parquet or GeoJSON",
            responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {},
                                         "application/geo+json": {}}}})
def export_alerts(flt: AlertFilter = Depends(alert_filter), format: Literal["csv", "parquet", "geojson"] = "csv",
                  user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> StreamingResponse:
    """The filtered alerts in the user's scope, with their triage status, streamed."""
    book = state.triage.all()
    rows = state.alerts.select(flt, user.scope, {k: v["status"] for k, v in book.items()})
    return stream_export(rows, book, format, state.data)


def _alert_for(alert_id: str, user: Principal, state: AppState) -> dict:
    alert = state.alerts.get(alert_id)
    if alert is None:
        raise HTTPException(404, f"No alert {alert_id} in the latest analysis. It may have been resolved; "
                                 "see changes.csv in the results folder.")
    require_country(user, alert.get("country"), "alert")
    return alert


@router.get("/alerts/{alert_id}", response_model=AlertDetail, summary="One alert with evidence, lineage and triage")
def alert_detail(alert_id: str, user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> dict:
    alert = _alert_for(alert_id, user, state)
    return {**public(alert, evidence=True), "triage": state.triage.of(alert_id),
            "lineage": lineage(alert, state.data.workspace.batches), "notes": state.triage.notes(alert_id),
            "history": state.triage.history(alert_id), "has_geometry": alert_geometry(state.data, alert) is not None}


@router.put("/alerts/{alert_id}/triage", response_model=TriageState, summary="Change status, assignee or add a note")
def change_triage(alert_id: str, body: TriageChange, user: Principal = Depends(current_user),
                  state: AppState = Depends(app_state)) -> dict:
    """Analysts may set new, reviewing and escalated; closing an alert (dismissed, confirmed) needs a supervisor."""
    _alert_for(alert_id, user, state)
    if body.status in ("dismissed", "confirmed") and user.role == "analyst":
        raise HTTPException(403, f"Only a supervisor or admin can mark an alert {body.status}; escalate it instead.")
    if body.status is None and body.assignee is None and not body.note:
        raise HTTPException(422, "Nothing to change: give a status, an assignee or a note.")
    return state.triage.change(alert_id, user.username, status=body.status, assignee=body.assignee, note=body.note)
