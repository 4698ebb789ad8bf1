"""Everything a request handler needs, built once per app and reached through `request.app.state.filon`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from filon.api.alerts import AlertStore
from filon.api.audit import AuditLog
from filon.api.auth import Principals, Sessions
from filon.api.db.session import Database
from filon.api.jobs import AnalysisJobs
from filon.api.triage import TriageBook
from filon.api.workspace_data import WorkspaceData


@dataclass
class AppState:
    workspace: Path
    results: Path
    data: WorkspaceData
    alerts: AlertStore
    db: Database
    sessions: Sessions
    principals: Principals
    audit: AuditLog
    jobs: AnalysisJobs
    triage: TriageBook
    secure_cookies: bool = False
