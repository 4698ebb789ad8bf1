"""The alert: what a detector finds, in the exact shape of the spec's alert output."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

#: Columns of alerts.csv, in the spec's order.
ALERT_COLUMNS = ("alert_id", "typology", "subject_type", "subject_id", "country", "period", "score",
                 "value_at_risk_usd", "evidence", "explanation")

SUBJECT_TYPES = ("actor", "right", "declaration", "lot", "country", "country_pair", "area", "asset")


def alert_id(typology: str, subject_type: str, subject_id: str, period: str | None) -> str:
    """Stable id: the same typology, subject and period always give the same id.

    The figures are left out on purpose, so a corrected input keeps the alert's id and an
    analyst's triage decision stays attached to it.
    """
    key = "\x1f".join((typology, subject_type, subject_id, period or ""))
    return "AL-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class Alert:
    typology: str
    subject_type: str
    subject_id: str
    country: str | None
    period: str | None
    score: float
    value_at_risk_usd: float | None
    explanation: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.subject_type not in SUBJECT_TYPES:
            raise ValueError(f"unknown subject_type {self.subject_type!r}")
        if not (0.0 <= self.score <= 1.0) or math.isnan(self.score):
            raise ValueError(f"score must be within 0..1, got {self.score}")

    @property
    def alert_id(self) -> str:
        return alert_id(self.typology, self.subject_type, self.subject_id, self.period)

    def to_row(self) -> dict[str, Any]:
        """The alert as one row of alerts.csv (evidence as compact JSON)."""
        return {
            "alert_id": self.alert_id, "typology": self.typology, "subject_type": self.subject_type,
            "subject_id": self.subject_id, "country": self.country, "period": self.period,
            "score": round(self.score, 4),
            "value_at_risk_usd": None if self.value_at_risk_usd is None else round(self.value_at_risk_usd, 2),
            "evidence": json.dumps(self.evidence, ensure_ascii=False, sort_keys=True, default=_json_default),
            "explanation": self.explanation,
        }


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def sort_key(alert: Alert) -> tuple:
    """Highest score first, then most money at risk, then id for a deterministic order."""
    return (-alert.score, -(alert.value_at_risk_usd or 0.0), alert.alert_id)
