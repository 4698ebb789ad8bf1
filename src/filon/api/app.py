"""The FastAPI application: API routers, the offline dashboard, security headers, audit logging.

    app = create_app(Path("filon-demo/workspace"))                  # SQLite in the workspace
    app = create_app(ws, "postgresql+psycopg://filon@localhost/filon")

Alerts are read from `WS/results/` by default (where background analyses write them).
"""

from __future__ import annotations

import gc
import json
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from filon import __version__
from filon.api import dossier, routes_admin, routes_alerts, routes_entities, routes_map, routes_session
from filon.api.alerts import AlertStore
from filon.api.audit import AuditLog
from filon.api.auth import Principals, Sessions, load_secret
from filon.api.db.session import Database, default_url
from filon.api.fastpath import AlertListFastPath
from filon.api.jobs import AnalysisJobs
from filon.api.middleware import AuditMiddleware, SecurityHeaders
from filon.api.state import AppState
from filon.api.triage import TriageBook
from filon.api.workspace_data import WorkspaceData
from filon.errors import FilonError, UsageError
from filon.store.workspace import MANIFEST

WEB = Path(__file__).resolve().parents[1] / "web"


def warm_up(state: AppState) -> None:
    """Read the alerts and triage decisions before the first analyst asks, then exempt
    everything alive at start (libraries, the alert table) from Python's cyclic garbage
    collector: a full collection over it takes some 200 ms, a pause every open request would
    wait through; what requests allocate is still collected."""
    try:
        state.alerts.table()
    except FilonError:
        pass  # the alert list will say what is wrong with the file
    state.triage.snapshot()
    gc.collect()
    gc.freeze()


def create_app(workspace: Path, db_url: str | None = None, *, results: Path | None = None,
               secret: str | None = None, secure_cookies: bool = False) -> FastAPI:
    workspace = Path(workspace)
    if not (workspace / MANIFEST).exists():
        raise UsageError(f"{workspace} is not a filon workspace. Make one with 'filon ingest DATA --workspace "
                         f"{workspace}', or try 'filon serve {workspace} --demo' for a demo region.")
    results = Path(results) if results else workspace / "results"
    db = Database(db_url or default_url(workspace))
    state = AppState(workspace=workspace, results=results, data=WorkspaceData(workspace), alerts=AlertStore(results),
                     db=db, sessions=Sessions(secret or load_secret(workspace)), principals=Principals(db),
                     audit=AuditLog(db),
                     jobs=AnalysisJobs(workspace, results), triage=TriageBook(db), secure_cookies=secure_cookies)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await run_in_threadpool(warm_up, state)
        yield
        state.audit.flush()   # every access row queued so far reaches the database before the server stops

    app = FastAPI(title="filon analyst workspace", version=__version__, lifespan=lifespan,
                  description="Alerts, evidence, maps, ownership networks and triage over a filon workspace. "
                              "Sign in with POST /api/login; send the X-CSRF-Token header with every change.")
    app.state.filon = state
    for module in (routes_session, routes_alerts, routes_map, routes_entities, routes_admin, dossier):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "static" / "index.html")

    @app.exception_handler(RequestValidationError)
    async def invalid_input(_request: Request, err: RequestValidationError) -> Response:
        """FastAPI's own 422 answer, written with ASCII escapes (the input it echoes may hold an
        unpaired surrogate, which UTF-8 cannot carry) and without echoing passwords."""
        issues = [{k: v for k, v in e.items() if not (k == "input" and "password" in map(str, e.get("loc", ())))}
                  for e in err.errors()]
        return Response(json.dumps({"detail": jsonable_encoder(issues)}), status_code=422, media_type="application/json")

    @app.exception_handler(FilonError)
    async def filon_error(_request: Request, err: FilonError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=400 if isinstance(err, UsageError) else 500)

    app.add_middleware(AlertListFastPath)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AuditMiddleware)
    return app
