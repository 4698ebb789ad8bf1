"""The alert list without FastAPI's routing and dependency machinery, when all it needs is in memory.

The alert list is what fifty analysts page through all day. When the session is known, the
user was checked against the database within `PRINCIPAL_SECONDS`, the query is valid and the
alerts and triage decisions are current, this middleware answers `GET /api/alerts` itself,
with the same functions the FastAPI route uses (`Sessions.read`, `Principals.cached`,
`parse_query`, `alert_page`), in about a third of the time. In every other case — no or
expired session, a user to re-check, invalid input, data to reload — it steps aside and the
FastAPI route answers, errors included. It sits inside the audit and security-header
middlewares, so its answers are logged and carry the same headers.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from starlette.requests import Request

from filon.api.auth import COOKIE
from filon.api.query import parse_query
from filon.api.routes_alerts import alert_page
from filon.api.schemas import AlertListQuery
from filon.api.state import AppState

PATH = "/api/alerts"


class AlertListFastPath:
    def __init__(self, app) -> None:  # noqa: ANN001 - ASGI app
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI signature
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            body = _answer(scope)
            if body is not None:
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def _answer(scope: dict) -> bytes | None:
    """The page, or None when the FastAPI route has to answer."""
    state: AppState = scope["app"].state.filon
    request = Request(scope)
    session = state.sessions.read(request.cookies.get(COOKIE))
    if session is None:
        return None
    user = state.principals.cached(session["uid"])
    if not user:   # False: to be read from the database; None: refused
        return None
    table = state.alerts.fresh()
    if table is None or state.triage.stale:
        return None
    try:
        query = parse_query(request, AlertListQuery)
    except RequestValidationError:
        return None
    request.state.username = user.username
    return alert_page(state, user, query, table, state.triage.snapshot())
