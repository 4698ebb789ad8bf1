"""Triage decisions: read them (cached briefly, since every alert list needs every status) and
change them, writing who changed what into the audit trail in the same transaction.

The cache is a `Snapshot` with a `version` that moves whenever a decision changes, so
selections filtered by status are recomputed exactly when they could differ, and each
decision's JSON is built once, not once per alert per page.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from filon.api.db.models import AuditEntry, Note, Triage, utcnow
from filon.api.db.session import Database

CACHE_SECONDS = 2.0
NEW = {"status": "new", "assignee": None, "updated_at": None, "updated_by": None}
NEW_JSON = json.dumps(NEW, separators=(",", ":")).encode()


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset; SQLite hands back naive datetimes that were stored as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


@dataclass(frozen=True)
class Snapshot:
    """The decisions as read at one moment; replaced whole, so a reader never sees half of a change."""

    book: dict[str, dict[str, Any]]
    statuses: dict[str, str]
    version: int
    _json: dict[str, bytes] = field(default_factory=dict)

    def json_of(self, alert_id: str) -> bytes:
        """The decision as the alert list shows it, as JSON, built once per decision."""
        found = self._json.get(alert_id)
        if found is None:
            t = self.book.get(alert_id)
            found = NEW_JSON if t is None else json.dumps(t, separators=(",", ":"), ensure_ascii=False).encode()
            self._json[alert_id] = found
        return found


class TriageBook:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._snap = Snapshot({}, {}, 0)
        self._loaded_at = -CACHE_SECONDS

    @property
    def stale(self) -> bool:
        """True when the next read goes to the database (async code then reads in a worker thread)."""
        return time.monotonic() - self._loaded_at > CACHE_SECONDS

    def snapshot(self) -> Snapshot:
        """The decisions, re-read at most every 2 s (other servers may share a PostgreSQL database)."""
        if self.stale:
            with self._lock:
                if self.stale:
                    with self.db.session() as s:
                        fresh = {t.alert_id: _as_dict(t) for t in s.scalars(select(Triage))}
                    if fresh != self._snap.book:
                        self._replace(fresh)
                    self._loaded_at = time.monotonic()
        return self._snap

    def _replace(self, book: dict[str, dict[str, Any]]) -> None:
        self._snap = Snapshot(book, {k: v["status"] for k, v in book.items()}, self._snap.version + 1)

    def all(self) -> dict[str, dict[str, Any]]:
        """alert_id -> {status, assignee, updated_at, updated_by}."""
        return self.snapshot().book

    def statuses(self) -> dict[str, str]:
        return self.snapshot().statuses

    def of(self, alert_id: str) -> dict[str, Any]:
        return self.all().get(alert_id) or dict(NEW)

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
            self._replace({**self._snap.book, alert_id: result})
        return result

    def notes(self, alert_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(Note).where(Note.alert_id == alert_id).order_by(Note.created_at, Note.id))
            return [{"author": n.author, "created_at": iso(n.created_at), "text": n.text} for n in rows]

    def history(self, alert_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(AuditEntry).where(AuditEntry.target == alert_id, AuditEntry.action == "triage")
                             .order_by(AuditEntry.at, AuditEntry.id))
            return [{"at": iso(a.at), "username": a.username, "action": a.action, "target": a.target,
                     "detail": a.detail} for a in rows]


def _as_dict(t: Triage) -> dict[str, Any]:
    return {"status": t.status, "assignee": t.assignee, "updated_at": iso(t.updated_at), "updated_by": t.updated_by}
