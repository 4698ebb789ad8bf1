"""Workspace housekeeping: batches, background analysis, users and the audit trail."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import select

from filon.api.auth import Principal, create_user
from filon.api.db.models import AuditEntry, User
from filon.api.deps import app_state, current_user, require_role
from filon.api.schemas import SIGNED_IN, AnalysisRequest, NewUser, problems
from filon.api.schemas_workspace import AnalysisStatus, AuditRow, BatchOut, UserCreated, UserOut
from filon.api.state import AppState
from filon.api.triage import iso
from filon.detect.registry import all_detectors
from filon.errors import UsageError

router = APIRouter(prefix="/api", tags=["workspace"], responses=SIGNED_IN)


@router.get("/batches", summary="Files loaded into the workspace, with their lineage", response_model=list[BatchOut])
def batches(_user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> list[dict]:
    return [asdict(b) for b in state.data.workspace.batches]


@router.get("/analysis", summary="State and progress of the background analysis", response_model=AnalysisStatus)
def analysis_status(_user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> dict:
    return state.jobs.status


@router.post("/analysis", status_code=202, summary="Run the analysis in the background", response_model=AnalysisStatus,
             responses=problems(409))
def start_analysis(body: AnalysisRequest | None = None, user: Principal = Depends(require_role("supervisor", "admin")),
                   state: AppState = Depends(app_state)) -> dict:
    """Writes WS/results/; triage decisions stay attached to their alerts by alert_id. Poll GET /api/analysis."""
    detectors = body.detectors if body else None
    unknown = [d for d in detectors or [] if d not in all_detectors()]
    if unknown:
        raise HTTPException(422, f"Unknown detector(s) {', '.join(unknown)}; available: {', '.join(all_detectors())}")
    if not state.jobs.start(user.username, detectors):
        raise HTTPException(409, "An analysis is already running; wait for it (GET /api/analysis).")
    return state.jobs.status


@router.get("/users", summary="Users (admin only)", response_model=list[UserOut])
def list_users(_user: Principal = Depends(require_role("admin")), state: AppState = Depends(app_state)) -> list[dict]:
    with state.db.session() as s:
        return [{"username": u.username, "role": u.role, "countries": u.countries, "active": u.active}
                for u in s.scalars(select(User).order_by(User.username))]


@router.post("/users", status_code=201, summary="Create a user (admin only)", response_model=UserCreated)
def add_user(body: NewUser, _user: Principal = Depends(require_role("admin")), state: AppState = Depends(app_state)) -> dict:
    try:
        user = create_user(state.db, body.username, body.password, body.role, body.countries)
    except UsageError as err:
        raise HTTPException(422, str(err)) from None
    return {"username": user.username, "role": user.role, "countries": user.countries}


@router.get("/audit", summary="The audit trail, newest first (supervisor or admin)", response_model=list[AuditRow])
def audit(limit: Annotated[int, Query(ge=1, le=1000)] = 100, username: Annotated[str | None, Query(max_length=80)] = None,
          _user: Principal = Depends(require_role("supervisor", "admin")), state: AppState = Depends(app_state)) -> list[dict]:
    state.audit.flush()
    with state.db.session() as s:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if username:
            query = query.where(AuditEntry.username == username)
        return [{"at": iso(a.at), "username": a.username, "action": a.action, "target": a.target,
                 "status": a.status, "detail": a.detail} for a in s.scalars(query)]
