"""Tables of the app database. Triage rows are keyed by the alert's stable `alert_id`, so a
decision stays attached to its alert when the analysis is run again."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("new", "reviewing", "escalated", "dismissed", "confirmed")
ROLES = ("analyst", "supervisor", "admin")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    #: Comma-separated ISO country codes the user may read in full, or "*" for every country.
    countries: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)

    def scope(self) -> set[str] | None:
        """Countries in scope, or None for all of them."""
        if self.countries.strip() == "*":
            return None
        return {c.strip().upper() for c in self.countries.split(",") if c.strip()}


class Triage(Base):
    __tablename__ = "triage"
    alert_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="new", nullable=False)
    assignee: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(80), nullable=False)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(40), index=True, nullable=False)
    author: Mapped[str] = mapped_column(String(80), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)


class AuditEntry(Base):
    """Who did what, when: every API access and every triage change."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True, nullable=False)
    username: Mapped[str | None] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(40), nullable=False)      # e.g. "GET", "triage", "login"
    target: Mapped[str] = mapped_column(String(500), nullable=False)     # path or alert id
    status: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
