"""Request and response models: they document the API in its OpenAPI spec and validate input."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["new", "reviewing", "escalated", "dismissed", "confirmed"]


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class SessionInfo(BaseModel):
    username: str
    role: str
    countries: list[str] | None = Field(description="Countries in scope; null means every country.")
    csrf_token: str = Field(description="Send as X-CSRF-Token with every POST, PUT, PATCH and DELETE.")


class TriageState(BaseModel):
    status: Status = "new"
    assignee: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None


class AlertSummary(BaseModel):
    alert_id: str
    typology: str
    subject_type: str
    subject_id: str
    country: str | None
    period: str | None
    month: str | None
    score: float
    value_at_risk_usd: float | None
    explanation: str
    actors: list[str]
    triage: TriageState


class AlertPage(BaseModel):
    total: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[AlertSummary]


class LineageRow(BaseModel):
    table: str | None
    record_id: Any = None
    file: str
    row: int | None
    batch_id: str | None
    sha256: str | None
    ingested_at: str | None


class NoteOut(BaseModel):
    author: str
    created_at: str
    text: str


class AuditOut(BaseModel):
    at: str
    username: str | None
    action: str
    target: str
    detail: str | None


class AlertDetail(AlertSummary):
    evidence: dict[str, Any]
    lineage: list[LineageRow]
    notes: list[NoteOut]
    history: list[AuditOut]
    has_geometry: bool


class TriageChange(BaseModel):
    status: Status | None = None
    assignee: str | None = Field(default=None, max_length=80, description="User name; empty string to unassign.")
    note: str | None = Field(default=None, max_length=5000)


class Overview(BaseModel):
    region: dict[str, Any] = Field(description="Counts for every country (what every user may see).")
    in_scope: dict[str, Any] = Field(description="Counts for the user's countries, with triage statuses.")
    analysis: dict[str, Any]


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=10, max_length=200)
    role: Literal["analyst", "supervisor", "admin"]
    countries: str = Field(description="Comma-separated country codes (PE, CO, BO, EC) or '*'.")


class AnalysisRequest(BaseModel):
    detectors: list[str] | None = Field(default=None, description="Detector codes; all when left out.")
