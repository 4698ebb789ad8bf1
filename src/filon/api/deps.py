"""Request dependencies: who is calling (session cookie), CSRF on state-changing requests,
and the country-scope checks that decide between a full record and a refusal.

They are `async` so a request does not hop to a worker thread just to read its cookie; the
rare database read (a user not seen for `PRINCIPAL_SECONDS`) goes to a worker thread.
"""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyCookie
from starlette.concurrency import run_in_threadpool

from filon.api.auth import COOKIE, CSRF_HEADER, Principal, csrf_ok
from filon.api.state import AppState

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: Declares the session cookie in the OpenAPI spec (so clients and tests know every operation
#: behind it needs it); the checking itself is `current_user`'s.
SESSION_COOKIE = APIKeyCookie(name=COOKIE, auto_error=False, scheme_name="session",
                              description="Set by POST /api/login. Changes also need the X-CSRF-Token header.")


async def app_state(request: Request) -> AppState:
    return request.app.state.filon


async def current_user(request: Request, cookie: str | None = Security(SESSION_COOKIE)) -> Principal:
    state: AppState = request.app.state.filon
    session = state.sessions.read(cookie)
    if session is None:
        raise HTTPException(401, "Sign in first (POST /api/login); your session is missing or has expired.")
    if request.method not in SAFE_METHODS and not csrf_ok(session, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, f"Missing or wrong {CSRF_HEADER} header. Read the token from GET /api/session "
                                 "and send it with every change.")
    user = state.principals.cached(session["uid"])
    if user is False:
        user = await run_in_threadpool(state.principals.load, session["uid"])
    if user is None:
        raise HTTPException(401, "This account no longer exists or was disabled; ask an administrator.")
    request.state.username = user.username
    return user


def require_country(user: Principal, country: str | None, what: str) -> None:
    if not user.can_read(country):
        scope = ", ".join(sorted(user.scope or ())) or "none"
        raise HTTPException(403, f"This {what} belongs to {country or 'no single country'}; your access covers "
                                 f"{scope}. Ask a supervisor of that country, or see the regional counts on the overview.")


def require_role(*roles: str):
    async def check(user: Principal = Depends(current_user)) -> Principal:
        if user.role not in roles:
            raise HTTPException(403, f"This needs the role {' or '.join(roles)}; you are {user.role}.")
        return user
    return check
