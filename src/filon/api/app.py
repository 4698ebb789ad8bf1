"""The FastAPI application: API routers, the offline dashboard, security headers, audit logging.

    app = create_app(Path("filon-demo/workspace"))                  # SQLite in the workspace
    app = create_app(ws, "postgresql+psycopg://filon@localhost/filon")

Alerts are read from `WS/results/` by default (where background analyses write them).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from filon import __version__
from filon.api import dossier, routes_admin, routes_alerts, routes_entities, routes_map, routes_session
from filon.api.alerts import AlertStore
from filon.api.audit import AuditLog
from filon.api.auth import Sessions, load_secret
from filon.api.db.session import Database, default_url
from filon.api.deps import AuditMiddleware
from filon.api.jobs import AnalysisJobs
from filon.api.state import AppState
from filon.api.triage import TriageBook
from filon.api.workspace_data import WorkspaceData
from filon.errors import FilonError, UsageError
from filon.store.workspace import MANIFEST

WEB = Path(__file__).resolve().parents[1] / "web"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def create_app(workspace: Path, db_url: str | None = None, *, results: Path | None = None,
               secret: str | None = None, secure_cookies: bool = False) -> FastAPI:
    workspace = Path(workspace)
    if not (workspace / MANIFEST).exists():
        raise UsageError(f"{workspace} is not a filon workspace. Make one with 'filon ingest DATA --workspace "
                         f"{workspace}', or try 'filon serve {workspace} --demo' for a demo region.")
    results = Path(results) if results else workspace / "results"
    db = Database(db_url or default_url(workspace))
    state = AppState(workspace=workspace, results=results, data=WorkspaceData(workspace), alerts=AlertStore(results),
                     db=db, sessions=Sessions(secret or load_secret(workspace)), audit=AuditLog(db),
                     jobs=AnalysisJobs(workspace, results), triage=TriageBook(db), secure_cookies=secure_cookies)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        state.audit.flush()

    app = FastAPI(title="filon analyst workspace", version=__version__, lifespan=lifespan,
                  description="Alerts, evidence, maps, ownership networks and triage over a filon workspace. "
                              "Sign in with POST /api/login; send the X-CSRF-Token header with every change.")
    app.state.filon = state
    app.state.user_cache = {}
    for module in (routes_session, routes_alerts, routes_map, routes_entities, routes_admin, dossier):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "static" / "index.html")

    @app.exception_handler(FilonError)
    async def filon_error(_request: Request, err: FilonError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=400 if isinstance(err, UsageError) else 500)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    app.add_middleware(AuditMiddleware)
    return app
