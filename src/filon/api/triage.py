"""Triage decisions: read them (cached briefly, since every alert list needs every status) and
change them, writing who changed what into the audit trail in the same transaction."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from sqlalchemy import select

from filon.api.db.models import AuditEntry, Note, Triage, utcnow
from filon.api.db.session import Database

CACHE_SECONDS = 2.0


class TriageBook:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._cache: dict[str, dict[str, Any]] = {}
        self._loaded_at = 0.0

    def all(self) -> dict[str, dict[str, Any]]:
        """alert_id -> {status, assignee, updated_at, updated_by}; re-read at most every 2 s
        (other servers may share a PostgreSQL database)."""
        if time.monotonic() - self._loaded_at > CACHE_SECONDS:
            with self._lock:
                if time.monotonic() - self._loaded_at > CACHE_SECONDS:
                    with self.db.session() as s:
                        self._cache = {t.alert_id: _as_dict(t) for t in s.scalars(select(Triage))}
                    self._loaded_at = time.monotonic()
        return self._cache

    def statuses(self) -> dict[str, str]:
        return {k: v["status"] for k, v in self.all().items()}

    def of(self, alert_id: str) -> dict[str, Any]:
        return self.all().get(alert_id) or {"status": "new", "assignee": None, "updated_at": None, "updated_by": None}

    def change(self, alert_id: str, username: str, *, status: str | None, assignee: str | None,
               note: str | None) -> dict[str, Any]:
        with self.db.session() as s:
            row = s.get(Triage, alert_id)
            before = _as_dict(row) if row else {"status": "new", "assignee": None}
            if row is None:
                row = Triage(alert_id=alert_id, status="new", updated_by=username)
                s.add(row)
            if status is not None:
                row.status = status
            if assignee is not None:
                row.assignee = assignee or None
            row.updated_at, row.updated_by = utcnow(), username
            changes = {k: [before.get(k), getattr(row, k)] for k in ("status", "assignee")
                       if before.get(k) != getattr(row, k)}
            if note:
                s.add(Note(alert_id=alert_id, author=username, text=note))
                changes["note"] = note[:200]
            s.add(AuditEntry(username=username, action="triage", target=alert_id, status=200,
                             detail=json.dumps(changes, ensure_ascii=False)))
            s.flush()
            result = _as_dict(row)
        with self._lock:
            self._cache = {**self._cache, alert_id: result}
        return result

    def notes(self, alert_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(Note).where(Note.alert_id == alert_id).order_by(Note.created_at, Note.id))
            return [{"author": n.author, "created_at": n.created_at.isoformat(), "text": n.text} for n in rows]

    def history(self, alert_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(AuditEntry).where(AuditEntry.target == alert_id, AuditEntry.action == "triage")
                             .order_by(AuditEntry.at, AuditEntry.id))
            return [{"at": a.at.isoformat(), "username": a.username, "action": a.action, "target": a.target,
                     "detail": a.detail} for a in rows]


def _as_dict(t: Triage) -> dict[str, Any]:
    return {"status": t.status, "assignee": t.assignee, "updated_at": t.updated_at.isoformat() if t.updated_at else None,
            "updated_by": t.updated_by}
