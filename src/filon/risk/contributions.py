"""What an alert says about an actor: one contribution per (alert, actor it maps to).

An alert's subject is not always an actor. A declaration is signed by its exporter, a right
is answered for by its holder, a mining scar inside a right by that right's holder; a lot is
shipped by the exporters of its declarations. Country, country-pair and asset alerts name no
actor and contribute nothing here (they feed the corridor indicators instead).

Each contribution is `weight(typology) × alert score × money factor × recency × mapping share`,
all in 0..1, and an actor's own risk combines them as independent evidence:
`1 − Π(1 − c)`. The parts are kept so every score can be explained.
"""

from __future__ import annotations

import calendar
import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters


@dataclass(frozen=True)
class Contribution:
    """One piece of an actor's risk: its own alert, or a linked actor's or right's risk."""

    value: float
    kind: str                       # "alert" (own, possibly mapped) or "linked" (propagated)
    typology: str | None = None
    alert_id: str | None = None
    via: str | None = None          # what the alert names when it is not the actor itself
    path: tuple[str, ...] = ()      # linked: node, relation, node, ... ending at the actor
    origin_typologies: tuple[str, ...] = ()

    def reason(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "contribution": round(self.value, 4)}
        if self.kind == "alert":
            out.update(typology=self.typology, alert_id=self.alert_id)
            if self.via:
                out["via"] = self.via
        else:
            out.update(path=" ".join(self.path), typologies=list(self.origin_typologies))
        return out


def combine(values: list[float]) -> float:
    """Independent pieces of evidence: 1 − Π(1 − v)."""
    rest = 1.0
    for v in values:
        rest *= 1.0 - min(1.0, max(0.0, v))
    return 1.0 - rest


def alert_dicts(alerts: list[Alert] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alerts as dicts with parsed evidence, whether given as `Alert`s (runner) or dicts (report)."""
    out = []
    for a in alerts:
        row = a.to_row() if isinstance(a, Alert) else dict(a)
        if isinstance(row.get("evidence"), str):
            try:
                row["evidence"] = json.loads(row["evidence"])
            except ValueError:
                row["evidence"] = {}
        row["evidence"] = row.get("evidence") or {}
        out.append(row)
    return out


def period_end(period: Any) -> date | None:
    """Last day of a `YYYY`, `YYYY-MM` or ISO-date period; None when there is none or it is unreadable."""
    text = str(period or "").strip()
    try:
        if len(text) == 4:
            return date(int(text), 12, 31)
        if len(text) == 7:
            y, m = int(text[:4]), int(text[5:7])
            return date(y, m, calendar.monthrange(y, m)[1])
        if len(text) >= 10:
            return date.fromisoformat(text[:10])
    except ValueError:
        return None
    return None


def recency(period: Any, as_of: date | None, half_life_months: float) -> float:
    """1 for an alert at the end of the data, ½ one half-life earlier; 1 when undated."""
    end = period_end(period)
    if end is None or as_of is None or half_life_months <= 0:
        return 1.0
    months = max(0.0, (as_of - end).days / 30.44)
    return 0.5 ** (months / half_life_months)


def money_factor(value_usd: Any, p: Parameters) -> float:
    """value_floor + the rest growing with log10 of the value at risk, complete at value_full_usd."""
    try:
        v = float(value_usd)
    except (TypeError, ValueError):
        return p.value_floor
    if math.isnan(v) or v <= 0:
        return p.value_floor
    share = min(1.0, math.log10(1.0 + v) / math.log10(1.0 + p.value_full_usd))
    return p.value_floor + (1.0 - p.value_floor) * share


def alert_strength(alert: dict[str, Any], weight: float, as_of: date | None, p: Parameters,
                   decision: str | None = None) -> float:
    """An alert's weight before mapping: dismissed alerts count nothing, confirmed ones fully."""
    if decision == "dismissed":
        return 0.0
    score = 1.0 if decision == "confirmed" else float(alert.get("score") or 0.0)
    return weight * score * money_factor(alert.get("value_at_risk_usd"), p) * recency(
        alert.get("period"), as_of, p.half_life_months)


@dataclass
class Mapped:
    """Actors and rights an alert's contribution goes to: (node, share, via)."""

    actors: list[tuple[str, float, str | None]]
    rights: list[str]


class SubjectMap:
    """Looks up who answers for a declaration, a lot, a right; queried once per run, only for alerted ids
    whose alert does not say it already (a declaration's evidence names its exporter, a right's its holder)."""

    def __init__(self, ctx: DetectContext, alerts: list[dict[str, Any]]) -> None:
        said = {"declaration": "exporter_id", "right": "holder_id"}

        def ids(kind: str) -> list[str]:
            return sorted({a["subject_id"] for a in alerts if a["subject_type"] == kind
                           and not (kind in said and a["evidence"].get(said[kind]))})

        rights = set(ids("right"))
        for a in alerts:
            if a["subject_type"] == "area":
                rights.update(_rights_in(a["evidence"]))
        self.exporter = _lookup(ctx, "SELECT declaration_id AS k, exporter_id AS v FROM exports", "declaration_id",
                                ids("declaration"))
        self.lot_exporters = _lookup_many(ctx, "SELECT DISTINCT lot_id AS k, exporter_id AS v FROM exports",
                                          "lot_id", ids("lot"))
        self.holder = _lookup(ctx, "SELECT right_id AS k, holder_id AS v FROM mining_rights", "right_id", sorted(rights))

    def map(self, alert: dict[str, Any], p: Parameters) -> Mapped:
        kind, sid, ev = alert["subject_type"], alert["subject_id"], alert["evidence"]
        if kind == "actor":
            return Mapped([(sid, 1.0, None)], [])
        if kind == "declaration":
            exporter = ev.get("exporter_id") or self.exporter.get(sid)
            return Mapped([(exporter, p.declaration_to_exporter, f"declaration {sid}")] if exporter else [], [])
        if kind == "lot":
            return Mapped([(e, p.declaration_to_exporter, f"lot {sid}") for e in self.lot_exporters.get(sid, [])], [])
        if kind == "right":
            holder = ev.get("holder_id") or self.holder.get(sid)
            return Mapped([(holder, p.right_to_holder, f"right {sid}")] if holder else [], [sid])
        if kind == "area":
            found: list[tuple[str, float, str | None]] = [
                (self.holder[r], p.area_to_holder, f"{sid} inside right {r}") for r in _rights_in(ev) if r in self.holder]
            return Mapped(found, [])
        return Mapped([], [])


def _rights_in(evidence: dict[str, Any]) -> list[str]:
    out = []
    for r in evidence.get("rights") or []:
        rid = r.get("right_id") if isinstance(r, dict) else r
        if rid:
            out.append(str(rid))
    return out


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


def _lookup(ctx: DetectContext, sql: str, key: str, wanted: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in _chunks(wanted):
        marks = ", ".join("?" for _ in part)
        for r in ctx.query(f"SELECT * FROM ({sql}) s WHERE k IN ({marks})", part):
            if r["v"]:
                out[str(r["k"])] = str(r["v"])
    return out


def _lookup_many(ctx: DetectContext, sql: str, key: str, wanted: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in _chunks(wanted):
        marks = ", ".join("?" for _ in part)
        for r in ctx.query(f"SELECT * FROM ({sql}) s WHERE k IN ({marks}) ORDER BY k, v", part):
            if r["v"]:
                out.setdefault(str(r["k"]), []).append(str(r["v"]))
    return out
