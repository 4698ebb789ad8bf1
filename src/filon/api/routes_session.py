"""Signing in and out, and what the dashboard needs to know about the session."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from filon.api.auth import COOKIE, SESSION_SECONDS, authenticate, principal
from filon.api.deps import app_state, current_user
from filon.api.schemas import Login, SessionInfo
from filon.api.state import AppState

router = APIRouter(prefix="/api", tags=["session"])


@router.post("/login", response_model=SessionInfo)
def login(body: Login, request: Request, response: Response, state: AppState = Depends(app_state)) -> SessionInfo:
    user = authenticate(state.db, body.username, body.password)
    if user is None:
        state.audit.record(body.username, "login-failed", "/api/login", 401)
        raise HTTPException(401, "Wrong user name or password.")
    cookie, csrf = state.sessions.issue(user.id)
    response.set_cookie(COOKIE, cookie, max_age=SESSION_SECONDS, httponly=True, samesite="strict",
                        secure=state.secure_cookies, path="/")
    request.state.username = user.username
    p = principal(user)
    return SessionInfo(username=p.username, role=p.role, countries=None if p.scope is None else sorted(p.scope),
                       csrf_token=csrf)


@router.post("/logout", status_code=204)
def logout(response: Response, _user=Depends(current_user)) -> Response:
    response.delete_cookie(COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/session", response_model=SessionInfo)
def session_info(request: Request, user=Depends(current_user), state: AppState = Depends(app_state)) -> SessionInfo:
    session = state.sessions.read(request.cookies.get(COOKIE)) or {}
    return SessionInfo(username=user.username, role=user.role, countries=None if user.scope is None else sorted(user.scope),
                       csrf_token=session.get("csrf", ""))
