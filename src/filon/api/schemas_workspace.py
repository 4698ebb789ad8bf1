"""Response models of the workspace routes: records, users, the audit trail, the analysis job,
actors and map layers. With `schemas`, they make the OpenAPI spec say what the server sends."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from filon.api.schemas import AlertCore


class UserCreated(BaseModel):
    username: str
    role: str
    countries: str


class UserOut(UserCreated):
    active: bool


class AuditRow(BaseModel):
    at: str
    username: str | None
    action: str
    target: str
    status: int | None
    detail: str | None


class AnalysisStatus(BaseModel):
    state: Literal["idle", "running", "done", "failed"]
    messages: list[str] = Field(description="The latest progress messages (at most 50).")
    started_at: str | None
    finished_at: str | None
    started_by: str | None
    alerts: int | None
    error: str | None
    detectors_failed: dict[str, str]


class BatchOut(BaseModel):
    batch_id: str
    table: str
    source_file: str
    sha256: str
    rows: int
    ingested_at: str
    parquet: str
    adapter: str | None
    origin: str | None
    extra_columns: list[str]
    row_offset: int


class ActorHit(BaseModel):
    actor_id: str
    name: str | None
    country: str | None
    kind: str | None
    roles: str | None


class ActorRecord(ActorHit):
    """The actor's row of the actors table, with where it was loaded from."""

    model_config = ConfigDict(populate_by_name=True)
    tax_id: str | None
    tax_id_scheme: str | None
    incorporation_date: str | None
    address: str | None
    admin_area: str | None
    source_file: str | None = Field(alias="_source_file")
    source_row: int | None = Field(alias="_source_row")
    batch_id: str | None = Field(alias="_batch_id")


class Owner(BaseModel):
    record_id: str
    owner_id: str | None
    owner_name: str | None
    share_pct: float | None
    control_kind: str | None
    start_date: str | None
    end_date: str | None


class Holding(BaseModel):
    record_id: str
    subject_id: str
    subject_name: str | None
    share_pct: float | None
    control_kind: str | None
    start_date: str | None
    end_date: str | None


class TradeFlow(BaseModel):
    flow: Literal["sold", "bought"]
    counterparty_id: str | None
    counterparty_name: str | None
    records: int
    fine_kg: float | None
    value_usd: float | None


class ExportRow(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    declaration_id: str
    date: str | None
    destination_country: str | None
    hs_code: str | None
    commodity: str | None
    product: str | None
    fine_mass_kg: float | None
    value_usd: float | None
    source_file: str | None = Field(alias="_source_file")
    source_row: int | None = Field(alias="_source_row")


class ExportTotals(BaseModel):
    declarations: int
    fine_kg: float | None
    value_usd: float | None


class RightRow(BaseModel):
    right_id: str
    country: str | None
    regime: str | None
    status: str | None
    scale: str | None
    area_ha: float | None
    granted_on: str | None
    expires_on: str | None


class EntityDetail(BaseModel):
    record: ActorRecord
    owners: list[Owner]
    holdings: list[Holding]
    trades: list[TradeFlow] = Field(description="Trades summed by counterparty and direction (the largest 50).")
    exports: list[ExportRow] = Field(description="The latest 50 export declarations.")
    export_totals: ExportTotals
    rights: list[RightRow]
    alerts: list[AlertCore] = Field(description="Alerts in your scope that name this actor.")


class Feature(BaseModel):
    type: Literal["Feature"]
    id: str
    properties: dict[str, Any]
    geometry: dict[str, Any] | None


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[Feature]
    matched: int = Field(description="Features in view and in your scope.")
    truncated: bool = Field(description="True when more than `limit` matched.")


class Bounds(BaseModel):
    bounds: list[float] | None = Field(description="min_lon, min_lat, max_lon, max_lat; null without geometry.")
