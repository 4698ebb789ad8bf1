"""Two plain ASGI middlewares wrapped around every request: security headers, and the audit
record of every API and dossier access.

Plain ASGI (rather than Starlette's `BaseHTTPMiddleware`) because they only touch the response
headers and status: no extra task, stream or copy per request.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
AUDITED = ("/api/", "/dossier/")


class SecurityHeaders:
    """CSP (unless the response set its own), nosniff, no referrer, and no caching of API answers."""

    def __init__(self, app) -> None:  # noqa: ANN001 - ASGI app
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI signature
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")

        async def with_headers(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                if api:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


class AuditMiddleware:
    """Log every API and dossier access (user, method, path with query, status) to the audit trail."""

    def __init__(self, app) -> None:  # noqa: ANN001 - ASGI app
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI signature
        if scope["type"] != "http" or not scope["path"].startswith(AUDITED):
            await self.app(scope, receive, send)
            return
        status = None

        async def capture(message) -> None:  # noqa: ANN001
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            state = scope.get("state") or {}
            query = scope.get("query_string", b"").decode("latin-1")
            target = scope["path"] + (f"?{query}" if query else "")
            scope["app"].state.filon.audit.record(state.get("username"), scope["method"], target, status)
