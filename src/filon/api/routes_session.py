"""Signing in and out, and what the dashboard needs to know about the session."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from filon.api.auth import COOKIE, SESSION_SECONDS, authenticate, hashing_pool, principal
from filon.api.deps import app_state, current_user
from filon.api.schemas import Login, SessionInfo, problems
from filon.api.state import AppState

router = APIRouter(prefix="/api", tags=["session"])


@router.post("/login", response_model=SessionInfo, responses=problems(400, 401, 422))
async def login(body: Login, request: Request, response: Response, state: AppState = Depends(app_state)) -> SessionInfo:
    """Sets the session cookie; the answer carries the CSRF token to send with every change."""
    loop = asyncio.get_running_loop()
    user = await loop.run_in_executor(hashing_pool, authenticate, state.db, body.username, body.password)
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


@router.post("/logout", status_code=204, responses=problems(401, 403))
async def logout(request: Request, response: Response, _user=Depends(current_user),
                 state: AppState = Depends(app_state)) -> Response:
    """Ends the session: the cookie is cleared, and this server refuses it from now on."""
    state.sessions.revoke(request.cookies.get(COOKIE))
    response.delete_cookie(COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/session", response_model=SessionInfo, responses=problems(401))
async def session_info(request: Request, user=Depends(current_user), state: AppState = Depends(app_state)) -> SessionInfo:
    session = state.sessions.read(request.cookies.get(COOKIE)) or {}
    return SessionInfo(username=user.username, role=user.role, countries=None if user.scope is None else sorted(user.scope),
                       csrf_token=session.get("csrf", ""))
