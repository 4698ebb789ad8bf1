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

import threading
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


def _flows(p: Parameters) -> dict[str, str]:
    """SQL per source of records (exports, trades, production) of the records flowing through its
    nodes: kind (the node kind), sid (the node), country, period, actor_id, value_usd, fine_kg, ratio
    (price paid per fine kg against the reference price) and `key`, the id an alert names (a
    declaration, or the right the metal comes from). An export declaration passes through two
    nodes, its customs office and its country pair: one query, so it is valued once."""
    valuation = defaults("valuation")
    decl, age = declarations_sql(valuation), valuation.max_price_age_days
    trades_rel = "(SELECT record_id AS declaration_id, commodity, date FROM trades)"
    prod_rel = ("(SELECT record_id AS declaration_id, commodity, CAST(period || CASE WHEN length(period) = 4 "
                "THEN '-12-31' ELSE '-01' END AS DATE) AS date FROM production)")
    return {
        "exports": f"""
        WITH v AS ({decl}),
        x AS (
          SELECT e.customs_office, v.country || '>' || e.destination_country AS pair, v.country,
                 {_period_sql('v.date', p)} AS period, v.exporter_id AS actor_id, v.value_usd, v.fine_kg,
                 v.value_usd / nullif(v.fine_kg * v.usd_per_kg * v.payable_share, 0) AS ratio, v.declaration_id AS key
          FROM v JOIN exports e USING (declaration_id))
        SELECT k.kind, CASE WHEN k.kind = 'customs_office' THEN x.customs_office ELSE x.pair END AS sid, x.country,
               x.period, x.actor_id, x.value_usd, x.fine_kg, x.ratio, x.key
        FROM x CROSS JOIN (VALUES ('customs_office'), ('country_pair')) AS k(kind)""",
        "trades": f"""
        SELECT 'facility' AS kind, f.facility_id AS sid, f.country, {_period_sql('t.date', p)} AS period,
               t.seller_id AS actor_id, t.value_usd, t.fine_mass_kg AS fine_kg,
               t.value_usd / nullif(t.fine_mass_kg * px.usd_per_kg, 0) AS ratio, t.origin_right_id AS key
        FROM facilities f JOIN trades t ON t.buyer_id = f.operator_id
        LEFT JOIN ({price_asof_sql(age, trades_rel)}) px ON px.declaration_id = t.record_id AND px.commodity = t.commodity
        WHERE f.kind <> 'customs_office' AND f.operator_id IS NOT NULL""",
        "production": f"""
        SELECT 'admin_area' AS kind, r.admin_area AS sid, r.country,
               left(pr.period, {4 if p.indicator_period == 'year' else 7}) AS period,
               coalesce(pr.producer_id, r.holder_id) AS actor_id, pr.value_usd, pr.fine_mass_kg AS fine_kg,
               pr.value_usd / nullif(pr.fine_mass_kg * px.usd_per_kg, 0) AS ratio, pr.right_id AS key
        FROM production pr JOIN mining_rights r USING (right_id)
        LEFT JOIN ({price_asof_sql(age, prod_rel)}) px ON px.declaration_id = pr.record_id AND px.commodity = pr.commodity
        WHERE r.admin_area IS NOT NULL""",
    }


def _node_sql(flows: str) -> str:
    """Per node kind, node and period, the sums and medians the indicators need, computed by the
    engine; with the value per actor (`part` 'actor') and the records per alertable key (`part`
    'key'), so the shares that depend on this run's risk and alerts are summed from them.

    "New" actors are those first seen, over this node kind's records, in the period; the usual
    price ratio is the median of the period's records of this kind."""
    return f"""
    SELECT * FROM (
    WITH f AS (SELECT * FROM ({flows}) x WHERE sid IS NOT NULL AND sid <> ''),
    seen AS (SELECT kind, actor_id, min(period) AS first_seen FROM f WHERE actor_id IS NOT NULL AND actor_id <> ''
             GROUP BY kind, actor_id),
    usual AS (SELECT kind, period, median(ratio) AS usual FROM f WHERE ratio > 0 GROUP BY kind, period),
    firsts AS (SELECT kind, min(period) AS first_period FROM f GROUP BY kind),
    g AS (
      SELECT f.kind, f.sid, f.country, f.period, count(*) AS records, sum(coalesce(f.value_usd, 0)) AS value_usd,
             sum(coalesce(f.fine_kg, 0)) AS fine_kg,
             sum(CASE WHEN s.first_seen = f.period THEN coalesce(f.value_usd, 0) ELSE 0 END) AS fresh,
             median(CASE WHEN f.ratio > 0 AND u.usual > 0 THEN abs(f.ratio / u.usual - 1.0) END) AS dispersion
      FROM f LEFT JOIN seen s ON s.kind = f.kind AND s.actor_id = f.actor_id
      LEFT JOIN usual u ON u.kind = f.kind AND u.period = f.period
      GROUP BY f.kind, f.sid, f.country, f.period)
    SELECT g.kind, 'node' AS part, g.sid, g.country, g.period, CAST(NULL AS VARCHAR) AS item, g.records, g.value_usd,
           g.fine_kg, g.fresh, g.dispersion,
           lag(g.value_usd) OVER (PARTITION BY g.kind, g.sid, g.country ORDER BY g.period) AS previous_value,
           fp.first_period
    FROM g JOIN firsts fp ON fp.kind = g.kind
    UNION ALL
    SELECT kind, 'actor', sid, country, period, actor_id, count(*), sum(coalesce(value_usd, 0)), NULL, NULL, NULL, NULL, NULL
    FROM f WHERE actor_id IS NOT NULL GROUP BY kind, sid, country, period, actor_id
    UNION ALL
    SELECT kind, 'key', sid, country, period, key, count(*), NULL, NULL, NULL, NULL, NULL, NULL
    FROM f WHERE key IS NOT NULL GROUP BY kind, sid, country, period, key
    ) u"""


@dataclass
class Aggregates:
    """One node kind's figures that do not depend on this run's alerts and risk (kept between runs
    while the tables behind them are unchanged): rows per node and period, and `parts`, a pyarrow
    Table of the value per actor and the records per alertable key (a declaration, a right) per
    node and period. `parts` has about a row per record of the node kind, so it stays in Arrow:
    summed there for this run's high-risk actors and alerted keys, never turned into Python objects."""

    nodes: list[dict[str, Any]]
    parts: Any


def _aggregates(ctx: DetectContext, source: str, flows: str) -> Aggregates:
    from filon.detect.incremental import tables_in

    def compute() -> Aggregates:
        import pyarrow.compute as pc

        table = ctx.query_arrow(_node_sql(flows))
        is_node = pc.equal(table["part"], "node")
        # Unordered from the engine (sorting every record's part costs more than the sums); nodes in
        # a stable order here, so indicators.csv and the ranking's ties do not depend on threads.
        nodes = sorted(table.filter(is_node).to_pylist(),
                       key=lambda r: (KINDS.index(r["kind"]), str(r["sid"]), r["country"] or "", r["period"] or ""))
        return Aggregates(nodes,
                          table.filter(pc.invert(is_node)).select(["part", *WHERE, "item", "records", "value_usd"]))

    return ctx.memo(("risk_indicators", source, flows), compute, tuple(sorted(tables_in(flows))),
                    keep=f"indicators_{source}")


#: The node kinds, in the order indicators.csv lists them.
KINDS = ("customs_office", "country_pair", "facility", "admin_area")
#: What identifies a node's period in `Aggregates.parts`.
WHERE = ("kind", "sid", "country", "period")


def _sums(parts: Any, part: str, items: set[str], column: str) -> dict[tuple[Any, ...], float]:
    """Per node and period, the sum of `column` over the `part` rows ('actor' or 'key') whose item is in `items`."""
    if not items or parts.num_rows == 0:
        return {}
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = pc.and_(pc.equal(parts["part"], part),
                     pc.is_in(parts["item"], value_set=pa.array(sorted(items), type=parts.schema.field("item").type)))
    summed = parts.filter(wanted).group_by(list(WHERE)).aggregate([(column, "sum")])
    return dict(zip(zip(*(summed[c].to_pylist() for c in WHERE)), summed[f"{column}_sum"].to_pylist()))


class Prefetch:
    """Every source's aggregates computed in a thread while the detectors run: they depend on the
    tables only, not on the alerts, and a scoped detector leaves the second core idle. DuckDB only
    (a cursor is a second connection to the same database); `join` hands the values to `ctx`'s memo,
    or nothing when the thread failed, and then `compute_indicators` computes them as usual."""

    def __init__(self, ctx: DetectContext, p: Parameters) -> None:
        from filon.engine.duckdb import DuckDBEngine

        self._ctx, self._error = ctx, None
        self._bg = DetectContext(DuckDBEngine(ctx.engine.con.cursor()), kept=ctx.kept)  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = threading.Thread(target=self._run, args=(p,), daemon=True,
                                                                 name="filon-indicators")
        self._thread.start()

    def _run(self, p: Parameters) -> None:
        try:
            for source, flows in _flows(p).items():
                _aggregates(self._bg, source, flows)
        except Exception as err:  # noqa: BLE001 — computed again in the main thread, which reports it
            self._error = err

    def join(self) -> None:
        if self._thread is None:
            return
        self._thread.join()
        self._thread = None
        if self._error is None:
            self._ctx.adopt(self._bg)
        self._bg.engine.close()


def prefetch(ctx: DetectContext, p: Parameters) -> Prefetch | None:
    """Start computing the indicators' aggregates beside the detectors (DuckDB only; None otherwise)."""
    return Prefetch(ctx, p) if hasattr(ctx.engine, "con") and ctx.engine.name == "duckdb" else None


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
    for source, flows in _flows(p).items():
        alerted = alerted_decl if source == "exports" else alerted_right
        agg = _aggregates(ctx, source, flows)
        risky = _sums(agg.parts, "actor", high_risk, "value_usd")
        named = _sums(agg.parts, "key", alerted, "records")
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
            _score(node, p)
            out.append(node)
    return out


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
