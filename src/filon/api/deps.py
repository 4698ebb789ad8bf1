"""Request dependencies: who is calling (session cookie), CSRF on state-changing requests,
and the country-scope checks that decide between a full record and a refusal."""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select

from filon.api.auth import COOKIE, CSRF_HEADER, Principal, csrf_ok, principal
from filon.api.db.models import User
from filon.api.state import AppState

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def app_state(request: Request) -> AppState:
    return request.app.state.filon


def current_user(request: Request) -> Principal:
    state: AppState = request.app.state.filon
    session = state.sessions.read(request.cookies.get(COOKIE))
    if session is None:
        raise HTTPException(401, "Sign in first (POST /api/login); your session is missing or has expired.")
    if request.method not in SAFE_METHODS and not csrf_ok(session, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, f"Missing or wrong {CSRF_HEADER} header. Read the token from GET /api/session "
                                 "and send it with every change.")
    cache = request.app.state.user_cache
    user = cache.get(session["uid"])
    if user is None:
        with state.db.session() as s:
            row = s.scalar(select(User).where(User.id == session["uid"], User.active.is_(True)))
            if row is None:
                raise HTTPException(401, "This account no longer exists or was disabled; ask an administrator.")
            user = principal(row)
        cache[session["uid"]] = user
    request.state.username = user.username
    return user


def require_country(user: Principal, country: str | None, what: str) -> None:
    if not user.can_read(country):
        scope = ", ".join(sorted(user.scope or ())) or "none"
        raise HTTPException(403, f"This {what} belongs to {country or 'no single country'}; your access covers "
                                 f"{scope}. Ask a supervisor of that country, or see the regional counts on the overview.")


def require_role(*roles: str):
    def check(user: Principal = Depends(current_user)) -> Principal:
        if user.role not in roles:
            raise HTTPException(403, f"This needs the role {' or '.join(roles)}; you are {user.role}.")
        return user
    return check


class AuditMiddleware:
    """Log every API and dossier access (user, method, path with query, status) to the audit trail."""

    def __init__(self, app) -> None:  # noqa: ANN001 - ASGI app
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI signature
        if scope["type"] != "http" or not scope["path"].startswith(("/api/", "/dossier/")):
            await self.app(scope, receive, send)
            return
        status = {"code": None}

        async def capture(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            state = scope.get("state") or {}
            query = scope.get("query_string", b"").decode("latin-1")
            target = scope["path"] + (f"?{query}" if query else "")
            scope["app"].state.filon.audit.record(state.get("username"), scope["method"], target, status["code"])
