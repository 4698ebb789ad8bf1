"""Request and response models: they document the API in its OpenAPI spec and validate input.

Every answer has a model here, errors included (`Problem`), so a client (and the schemathesis
tests) can rely on the spec: what the spec says is what the server sends.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Status = Literal["new", "reviewing", "escalated", "dismissed", "confirmed"]


def storable(text: str) -> str:
    """Refuse what no database column can hold: NUL characters (PostgreSQL) and unpaired
    surrogates (not UTF-8 at all), which JSON can carry as \\u0000 and \\ud800."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it contains an unpaired surrogate)") from None
    return text


Text = Annotated[str, AfterValidator(storable)]


class Problem(BaseModel):
    """Every error answer: `detail` says what went wrong and what to do about it."""

    detail: str | list[dict[str, Any]] = Field(
        description="A message for people; for input that fails validation, one entry per invalid field "
                    "(loc, msg, type).")


_PROBLEMS = {
    400: "The request could not be read (e.g. a body that is not JSON), or the workspace refused it.",
    401: "Not signed in, the session expired, or the account was disabled.",
    403: "Not allowed: the role, the country scope or the X-CSRF-Token header does not permit it.",
    404: "No such record in the workspace or the latest analysis.",
    409: "Conflicts with work in progress.",
    422: "Invalid input; `detail` names the parameter or field.",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, all answered with `Problem` as JSON.

    The schema is written inline with its media type, so routes that answer HTML on success
    (the dossier, the network drawing) still document their errors as the JSON they are."""
    schema = Problem.model_json_schema()
    return {code: {"description": _PROBLEMS[code], "content": {"application/json": {"schema": schema}}}
            for code in codes}


#: What any signed-in endpoint may answer besides its success.
SIGNED_IN = problems(400, 401, 403, 404, 422)


class Login(BaseModel):
    username: Text = Field(min_length=1, max_length=80)
    password: Text = Field(min_length=1, max_length=200)


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


class AlertCore(BaseModel):
    """The fields of an alert every list shows (the row JSON is built from this once per analysis)."""

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


class AlertSummary(AlertCore):
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


class AlertQuery(BaseModel):
    """Which alerts: the filters of the alert list and its exports (query parameters)."""

    typology: list[str] | None = Field(None, description="Typology code(s); repeat or comma-separate.")
    country: list[str] | None = Field(None, description="Country code(s), e.g. PE; repeat or comma-separate.")
    period: str | None = Field(None, max_length=10, description="Period prefix: 2023 or 2023-05.")
    min_score: float | None = Field(None, ge=0, le=1)
    status: list[str] | None = Field(None, description="Triage status(es).")
    q: str | None = Field(None, max_length=200, description="Text in the subject id or explanation.")
    actor: str | None = Field(None, max_length=100, description="Alerts naming this actor_id.")


Sort = Literal["-score", "score", "-value", "value", "-period", "period", "typology", "-typology", "country", "-country"]


class AlertListQuery(AlertQuery):
    sort: Sort = Field("-score", description="Order; a leading '-' for descending.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class ExportQuery(AlertQuery):
    format: Literal["csv", "parquet", "geojson"] = "csv"


class TriageChange(BaseModel):
    """At least one of status, assignee or a non-empty note (the schema says so too)."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["status"], "properties": {"status": {"type": "string"}}},
        {"required": ["assignee"], "properties": {"assignee": {"type": "string"}}},
        {"required": ["note"], "properties": {"note": {"type": "string", "minLength": 1}}}]})
    status: Status | None = None
    assignee: Text | None = Field(default=None, max_length=80, description="User name; empty string to unassign.")
    note: Text | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _something(self) -> TriageChange:
        if self.status is None and self.assignee is None and not self.note:
            raise ValueError("Nothing to change: give a status, an assignee or a note.")
        return self


class RegionCounts(BaseModel):
    total: int
    by_typology: dict[str, int]
    by_country: dict[str, int] = Field(description="'-' for alerts of no single country.")
    by_month: dict[str, int] = Field(description="By period (month, or year for yearly alerts); '-' without one.")
    value_at_risk_usd: float


class ScopeCounts(BaseModel):
    total: int
    by_typology: dict[str, int]
    by_status: dict[str, int]
    value_at_risk_usd: float


class AnalysisBrief(BaseModel):
    results: bool = Field(description="Whether WS/results/alerts.json exists.")
    job: str = Field(description="State of the background analysis.")


class Overview(BaseModel):
    region: RegionCounts = Field(description="Counts for every country (what every user may see).")
    in_scope: ScopeCounts = Field(description="Counts for the user's countries, with triage statuses.")
    analysis: AnalysisBrief


class NewUser(BaseModel):
    username: Text = Field(min_length=1, max_length=80)
    password: Text = Field(min_length=10, max_length=200)
    role: Literal["analyst", "supervisor", "admin"]
    countries: str = Field(max_length=200, description="Comma-separated country codes (PE, CO, BO, EC) or '*'.")


class AnalysisRequest(BaseModel):
    detectors: list[str] | None = Field(default=None, description="Detector codes; all when left out.")
