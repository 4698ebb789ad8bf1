"""Indicators per corridor and node, per period: where laundered gold passes, not only who.

Nodes and the records that flow through them:
  customs_office  export declarations by (country, customs office)
  country_pair    export declarations by `EXP>DEST`
  facility        domestic purchases of each plant, refinery or trading post's operator (trades)
  admin_area      declared production of the rights in each admin area

For each node and period (`indicator_period`, a year by default):
  value_usd, fine_kg, records   the volume
  high_risk_share     share of value moved by actors whose risk ≥ `high_risk_threshold`
  dispersion          median distance of the price paid per fine kg from the usual ratio to the
                      reference price (median of the same source and period): mispricing,
                      or fine masses that do not match the money
  new_actor_share     share of value moved by actors first seen in the period (not on the first
                      period of the data, where everyone is new)
  alert_density       share of records named by an alert (a declaration, a right cited as origin
                      or producing), plus the score of a mirror-gap alert on a country pair
  change              value against the previous period of the same node (−1 … +∞)
The node's score in a period is the weighted mean of the indicators, each divided by its
"full" value (`*_full` parameters) and capped at 1; its risk_score is its worst period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from filon.detect.context import DetectContext
from filon.detect.output import escape_cell
from filon.detect.parameters import Parameters
from filon.risk.aggregates import SOURCES, aggregates, sums

INDICATORS = ("high_risk_share", "dispersion", "new_actor_share", "alert_density", "change")
INDICATOR_COLUMNS = ("subject_type", "subject_id", "country", "period", "records", "value_usd", "fine_kg",
                     *INDICATORS, "score")


@dataclass
class NodePeriod:
    subject_type: str
    subject_id: str
    country: str | None
    period: str
    records: int = 0
    value_usd: float = 0.0
    fine_kg: float = 0.0
    values: dict[str, float | None] = field(default_factory=dict)
    score: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {"subject_type": self.subject_type, "subject_id": self.subject_id, "country": self.country,
                "period": self.period, "records": self.records, "value_usd": round(self.value_usd, 2),
                "fine_kg": round(self.fine_kg, 4),
                **{k: _rounded(self.values.get(k)) for k in INDICATORS},
                "score": round(self.score, 4)}

    def cells(self) -> list[Any]:
        """`row()`'s values in `INDICATOR_COLUMNS` order, text escaped (`escape_cell`): indicators.csv's cells."""
        return [escape_cell(self.subject_type), escape_cell(self.subject_id), escape_cell(self.country),
                escape_cell(self.period), self.records, round(self.value_usd, 2), round(self.fine_kg, 4),
                *(_rounded(self.values.get(k)) for k in INDICATORS), round(self.score, 4)]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def compute_indicators(ctx: DetectContext, alerts: list[dict[str, Any]], actor_risk: dict[str, float],
                       p: Parameters) -> list[NodePeriod]:
    """Every node's indicators for every period it has records in (sums and medians in SQL, so
    national volumes of records never come into Python; only per node and period do)."""
    alerted_decl = {a["subject_id"] for a in alerts if a["subject_type"] == "declaration"}
    alerted_right = {a["subject_id"] for a in alerts if a["subject_type"] == "right"}
    mirror = {(a["subject_id"], str(a.get("period") or "")[:4]): float(a["score"]) for a in alerts
              if a["typology"] == "mirror_trade_gap"}
    high_risk = {a for a, s in actor_risk.items() if s >= p.high_risk_threshold}
    out: list[NodePeriod] = []
    weights, full = p.indicator_weights, _full(p)
    for source in SOURCES:
        alerted = alerted_decl if source == "exports" else alerted_right
        agg = aggregates(ctx, source, p)
        risky = sums(agg.parts, "actor", high_risk, "value_usd")
        named = sums(agg.parts, "key", alerted, "records")
        for r in agg.nodes:
            subject_type, where = r["kind"], (r["kind"], r["sid"], r["country"], r["period"])
            total = r["value_usd"] or 0.0
            node = NodePeriod(subject_type, str(r["sid"]), r["country"], r["period"], records=int(r["records"]),
                              value_usd=float(total), fine_kg=float(r["fine_kg"] or 0.0))
            extra = mirror.get((node.subject_id, node.period[:4]), 0.0) if subject_type == "country_pair" else 0.0
            previous = r["previous_value"]
            node.values = {
                "high_risk_share": (risky.get(where) or 0.0) / total if total else None,
                "dispersion": float(r["dispersion"]) if r["dispersion"] is not None else None,
                "new_actor_share": (r["fresh"] / total if total else None) if r["period"] != r["first_period"] else None,
                "alert_density": (named.get(where) or 0) / int(r["records"]) + extra,
                "change": (total / previous - 1.0) if previous else None,
            }
            _score(node, weights, full)
            out.append(node)
    return out


def _full(p: Parameters) -> dict[str, float]:
    """Each indicator's value that counts fully in a node's score."""
    return {"high_risk_share": 1.0, "dispersion": p.dispersion_full, "new_actor_share": p.new_actor_share_full,
            "alert_density": p.alert_density_full, "change": p.change_full}


def _score(node: NodePeriod, weights: dict[str, float], full: dict[str, float]) -> None:
    used = {k: v for k, v in node.values.items() if v is not None and weights.get(k, 0) > 0}
    total_weight = sum(weights[k] for k in used)
    if not total_weight:
        return
    node.parts = {k: weights[k] * min(1.0, abs(v) / full[k]) / total_weight for k, v in used.items()}
    node.score = sum(node.parts.values())


def node_scores(periods: list[NodePeriod]) -> list[dict[str, Any]]:
    """One row per node: its worst period's score, with that period's indicators as reasons."""
    worst: dict[tuple[str, str, str | None], NodePeriod] = {}
    for n in periods:
        k = (n.subject_type, n.subject_id, n.country)
        if k not in worst or n.score > worst[k].score:
            worst[k] = n
    out = []
    for (subject_type, sid, country), n in worst.items():
        reasons = [{"period": n.period, "indicator": k, "value": round(n.values[k] or 0.0, 4), "contribution": round(v, 4)}
                   for k, v in sorted(n.parts.items(), key=lambda kv: -kv[1]) if v > 0]
        out.append({"subject_type": subject_type, "subject_id": sid, "country": country,
                    "risk_score": n.score, "reasons": reasons})
    return out
