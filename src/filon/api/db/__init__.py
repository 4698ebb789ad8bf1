"""Triage, users and audit trail in SQL (SQLAlchemy 2), schema managed by Alembic migrations."""

from filon.api.db.models import STATUSES, AuditEntry, Note, Triage, User
from filon.api.db.session import Database, default_url

__all__ = ["STATUSES", "AuditEntry", "Database", "Note", "Triage", "User", "default_url"]
