"""Alerts: overview counts, the filtered list, one alert with evidence and lineage, triage, exports."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from filon.api.alerts import AlertFilter, AlertTable, lineage, public
from filon.api.auth import Principal
from filon.api.deps import app_state, current_user, require_country
from filon.api.exports import stream_export
from filon.api.geo import alert_geometry
from filon.api.query import openapi_parameters, parse_query
from filon.api.schemas import (SIGNED_IN, AlertDetail, AlertListQuery, AlertPage, AlertQuery, ExportQuery, Overview,
                               TriageChange, TriageState)
from filon.api.state import AppState
from filon.api.triage import Snapshot

router = APIRouter(prefix="/api", tags=["alerts"], responses=SIGNED_IN)


def _csv(values: list[str] | None, upper: bool = False) -> tuple[str, ...] | None:
    out = [v.strip().upper() if upper else v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]
    return tuple(dict.fromkeys(out)) or None


def alert_filter(query: AlertQuery) -> AlertFilter:
    return AlertFilter(typology=_csv(query.typology), country=_csv(query.country, upper=True),
                       period=query.period or None, min_score=query.min_score, q=query.q or None,
                       status=_csv(query.status), actor=query.actor or None)


async def current(state: AppState) -> tuple[AlertTable, Snapshot]:
    """The alerts and the triage decisions, read in a worker thread only when they changed."""
    table = state.alerts.fresh() or await run_in_threadpool(state.alerts.table)
    triage = await run_in_threadpool(state.triage.snapshot) if state.triage.stale else state.triage.snapshot()
    return table, triage


@router.get("/overview", response_model=Overview, summary="Counts by typology, country and month")
async def overview(user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> Overview:
    """Regional counts for everyone; the user's own countries also by triage status."""
    table, triage = await current(state)
    mine = [table.alerts[i] for i in state.alerts.positions(table, AlertFilter(), user.scope, triage.statuses)]
    scoped = {"total": len(mine), "by_typology": dict(Counter(a["typology"] for a in mine).most_common()),
              "by_status": dict(Counter(triage.statuses.get(a["alert_id"], "new") for a in mine)),
              "value_at_risk_usd": round(sum(a.get("value_at_risk_usd") or 0.0 for a in mine), 2)}
    analysis = {"results": table.mtime > 0, "job": state.jobs.status["state"]}
    return Overview(region=table.aggregates(), in_scope=scoped, analysis=analysis)


@router.get("/alerts", response_model=AlertPage, summary="List alerts (filter, sort, page)",
            openapi_extra=openapi_parameters(AlertListQuery))
async def list_alerts(request: Request, user: Principal = Depends(current_user)) -> Response:
    """Alerts in the user's country scope. Paging by `limit`/`offset`; `next_offset` is null on the last page.

    The page is put together from each alert's row JSON, built when the analysis was loaded."""
    query = parse_query(request, AlertListQuery)
    state: AppState = request.app.state.filon
    table, triage = await current(state)
    return Response(alert_page(state, user, query, table, triage), media_type="application/json")


def alert_page(state: AppState, user: Principal, query: AlertListQuery, table: AlertTable, triage: Snapshot) -> bytes:
    """The alert list as JSON (also served by `fastpath.AlertListFastPath`)."""
    found = state.alerts.positions(table, alert_filter(query), user.scope, triage.statuses, query.sort, triage.version)
    return table.page_json(found, query.offset, query.limit, triage.json_of)


@router.get("/alerts/export", summary="Download alerts as CSV, Parquet or GeoJSON", response_class=StreamingResponse,
            openapi_extra=openapi_parameters(ExportQuery),
            responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {},
                                         "application/geo+json": {}}}})
def export_alerts(request: Request, user: Principal = Depends(current_user),
                  state: AppState = Depends(app_state)) -> StreamingResponse:
    """The filtered alerts in the user's scope, with their triage status, streamed."""
    query = parse_query(request, ExportQuery)
    triage = state.triage.snapshot()
    rows = state.alerts.select(alert_filter(query), user.scope, triage.statuses, triage_version=triage.version)
    return stream_export(rows, triage.book, query.format, state.data)


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
    return state.triage.change(alert_id, user.username, status=body.status, assignee=body.assignee, note=body.note)
