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

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters, defaults
from filon.detect.valuation import declarations_sql, price_asof_sql
from filon.errors import UsageError

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


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _period_sql(column: str, p: Parameters) -> str:
    if p.indicator_period not in ("year", "month"):
        raise UsageError(f"risk.indicator_period must be 'year' or 'month', not {p.indicator_period!r}")
    return f"strftime({column}, '%Y')" if p.indicator_period == "year" else f"strftime({column}, '%Y-%m')"


def _flows(ctx: DetectContext, p: Parameters) -> dict[str, list[dict[str, Any]]]:
    """Records per source with (node keys, period, actor, value, fine kg, price ratio, alert key)."""
    valuation = defaults("valuation")
    decl, age = declarations_sql(valuation), valuation.max_price_age_days
    exports = ctx.query(f"""
        WITH v AS ({decl})
        SELECT v.declaration_id AS record_id, v.country, e.customs_office, e.destination_country,
               {_period_sql('v.date', p)} AS period, v.exporter_id AS actor_id, v.value_usd, v.fine_kg,
               v.value_usd / nullif(v.fine_kg * v.usd_per_kg * v.payable_share, 0) AS ratio
        FROM v JOIN exports e USING (declaration_id)""")
    trades_rel = "(SELECT record_id AS declaration_id, commodity, date FROM trades)"
    trades = ctx.query(f"""
        SELECT f.facility_id, f.country, t.record_id, {_period_sql('t.date', p)} AS period, t.seller_id AS actor_id,
               t.value_usd, t.fine_mass_kg AS fine_kg, t.origin_right_id,
               t.value_usd / nullif(t.fine_mass_kg * px.usd_per_kg, 0) AS ratio
        FROM facilities f JOIN trades t ON t.buyer_id = f.operator_id
        LEFT JOIN ({price_asof_sql(age, trades_rel)}) px ON px.declaration_id = t.record_id AND px.commodity = t.commodity
        WHERE f.kind <> 'customs_office' AND f.operator_id IS NOT NULL""")
    prod_rel = "(SELECT record_id AS declaration_id, commodity, CAST(period || CASE WHEN length(period) = 4 THEN '-12-31' ELSE '-01' END AS DATE) AS date FROM production)"
    production = ctx.query(f"""
        SELECT r.admin_area, r.country, pr.record_id, pr.right_id, coalesce(pr.producer_id, r.holder_id) AS actor_id,
               left(pr.period, {4 if p.indicator_period == 'year' else 7}) AS period, pr.value_usd,
               pr.fine_mass_kg AS fine_kg, pr.value_usd / nullif(pr.fine_mass_kg * px.usd_per_kg, 0) AS ratio
        FROM production pr JOIN mining_rights r USING (right_id)
        LEFT JOIN ({price_asof_sql(age, prod_rel)}) px ON px.declaration_id = pr.record_id AND px.commodity = pr.commodity
        WHERE r.admin_area IS NOT NULL""")
    return {"exports": exports, "trades": trades, "production": production}


def compute_indicators(ctx: DetectContext, alerts: list[dict[str, Any]], actor_risk: dict[str, float],
                       p: Parameters) -> list[NodePeriod]:
    """Every node's indicators for every period it has records in."""
    flows = _flows(ctx, p)
    alerted_decl = {a["subject_id"] for a in alerts if a["subject_type"] == "declaration"}
    alerted_right = {a["subject_id"] for a in alerts if a["subject_type"] == "right"}
    mirror = {(a["subject_id"], str(a.get("period") or "")[:4]): float(a["score"]) for a in alerts
              if a["typology"] == "mirror_trade_gap"}
    out: list[NodePeriod] = []
    for r in flows["exports"]:
        r["alerted"] = r["record_id"] in alerted_decl
    for r in flows["trades"]:
        r["alerted"] = r["origin_right_id"] in alerted_right
    for r in flows["production"]:
        r["alerted"] = r["right_id"] in alerted_right
    groups = [
        ("customs_office", flows["exports"], lambda r: (r["customs_office"], r["country"])),
        ("country_pair", flows["exports"], lambda r: (f"{r['country']}>{r['destination_country']}", r["country"])),
        ("facility", flows["trades"], lambda r: (r["facility_id"], r["country"])),
        ("admin_area", flows["production"], lambda r: (r["admin_area"], r["country"])),
    ]
    for subject_type, rows, key in groups:
        extra = (lambda sid, period: mirror.get((sid, period[:4]), 0.0)) if subject_type == "country_pair" else None
        out.extend(_nodes(subject_type, [r for r in rows if key(r)[0]], key, actor_risk, p, extra))
    return out


def _nodes(subject_type: str, rows: list[dict[str, Any]], key, actor_risk: dict[str, float], p: Parameters,
           extra) -> list[NodePeriod]:
    first_seen: dict[str, str] = {}
    typical: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r["actor_id"] and (r["actor_id"] not in first_seen or r["period"] < first_seen[r["actor_id"]]):
            first_seen[r["actor_id"]] = r["period"]
        if r["ratio"] and r["ratio"] > 0:
            typical[r["period"]].append(r["ratio"])
    usual = {period: statistics.median(v) for period, v in typical.items()}
    first_period = min((r["period"] for r in rows), default=None)
    grouped: dict[tuple[str, str | None, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        sid, country = key(r)
        grouped[(str(sid), country, r["period"])].append(r)
    nodes: dict[tuple[str, str | None], list[NodePeriod]] = defaultdict(list)
    for (sid, country, period), recs in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])):
        node = NodePeriod(subject_type, sid, country, period, records=len(recs),
                          value_usd=sum(r["value_usd"] or 0.0 for r in recs), fine_kg=sum(r["fine_kg"] or 0.0 for r in recs))
        total = node.value_usd or 0.0
        risky = sum(r["value_usd"] or 0.0 for r in recs if actor_risk.get(r["actor_id"], 0.0) >= p.high_risk_threshold)
        fresh = sum(r["value_usd"] or 0.0 for r in recs if first_seen.get(r["actor_id"]) == period)
        gaps = [abs(r["ratio"] / usual[period] - 1.0) for r in recs if r["ratio"] and r["ratio"] > 0 and usual.get(period)]
        density = sum(1 for r in recs if r["alerted"]) / len(recs) + (extra(sid, period) if extra else 0.0)
        previous = nodes[(sid, country)][-1] if nodes[(sid, country)] else None
        node.values = {
            "high_risk_share": risky / total if total else None,
            "dispersion": statistics.median(gaps) if gaps else None,
            "new_actor_share": (fresh / total if total else None) if period != first_period else None,
            "alert_density": density,
            "change": (total / previous.value_usd - 1.0) if previous and previous.value_usd else None,
        }
        _score(node, p)
        nodes[(sid, country)].append(node)
    return [n for periods in nodes.values() for n in periods]


def _score(node: NodePeriod, p: Parameters) -> None:
    full = {"high_risk_share": 1.0, "dispersion": p.dispersion_full, "new_actor_share": p.new_actor_share_full,
            "alert_density": p.alert_density_full, "change": p.change_full}
    weights = p.indicator_weights
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
