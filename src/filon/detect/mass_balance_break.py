"""mass_balance_break: a node sells and exports more fine metal than it bought and produced.

Per actor, commodity and calendar year:
  out = fine metal sold in `trades` (as seller) + fine metal exported in `exports`
  in  = fine metal bought in `trades` (as buyer) + production of the rights it holds
        (or of which it is the declared producer) + opening stock
  opening stock = what it acquired but did not sell or ship in the `carry_months` before the year
        (a rolling window: never negative, never older than the window)
An alert fires when out exceeds in by more than the tolerance (moisture, assay differences and
rounding) and by more than a minimum mass. Every node that sells is checked: traders, processors,
refiners, cooperatives, actors whose roles are not declared, and any actor (a miner, a transporter)
in a year it exports nothing. An exporter's years with exports are `export_without_supply`'s subject,
not this one's, so the same kilograms never raise two alerts. Exports without a fine mass count
their estimated fine mass (`_supply.exports_fine_sql`, shared with the other supply detectors), and
say so in the evidence.
"""

from __future__ import annotations


from filon.detect._supply import exports_fine_sql, month_index_sql, node_sql, reference_purity
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.prices import yearly_price_sql
from filon.detect.parameters import Parameters
from filon.detect.incremental import Scope
from filon.detect.registry import detector


def _flows_sql(purity: str) -> str:
    return f"""
    WITH exp AS (
      SELECT exporter_id AS actor_id, commodity, CAST(year(date) AS VARCHAR) AS year,
             year(date) * 12 + month(date) - 1 AS mi, kg, estimated, value_usd,
             _source_file, _source_row, declaration_id AS ref
      FROM ({exports_fine_sql(purity)}) x),
    flows AS (
      SELECT seller_id AS actor_id, commodity, CAST(year(date) AS VARCHAR) AS year,
             year(date) * 12 + month(date) - 1 AS mi, 'sold' AS flow,
             fine_mass_kg AS kg, false AS estimated, value_usd, _source_file, _source_row, record_id AS ref FROM trades
      UNION ALL
      SELECT actor_id, commodity, year, mi, 'exported', kg, estimated, value_usd, _source_file, _source_row, ref
      FROM exp WHERE kg IS NOT NULL AND commodity IS NOT NULL
      UNION ALL
      SELECT buyer_id, commodity, CAST(year(date) AS VARCHAR), year(date) * 12 + month(date) - 1, 'bought',
             fine_mass_kg, false, value_usd, _source_file, _source_row, record_id FROM trades
      UNION ALL
      SELECT coalesce(p.producer_id, r.holder_id), p.commodity, left(p.period, 4), {month_index_sql('p.period')}, 'produced',
             p.fine_mass_kg, false, p.value_usd, p._source_file, p._source_row, p.record_id
      FROM production p LEFT JOIN mining_rights r USING (right_id)
    )"""


def _balance_sql(p: Parameters, purity: str) -> str:
    k = int(p.carry_months)
    return _flows_sql(purity) + f""",
    bal AS (
      SELECT actor_id, commodity, year,
        coalesce(sum(kg) FILTER (WHERE flow = 'sold'), 0) AS sold_kg,
        coalesce(sum(kg) FILTER (WHERE flow = 'exported'), 0) AS exported_kg,
        coalesce(sum(kg) FILTER (WHERE flow = 'bought'), 0) AS bought_kg,
        coalesce(sum(kg) FILTER (WHERE flow = 'produced'), 0) AS produced_kg,
        count(*) FILTER (WHERE flow IN ('sold', 'exported')) AS out_records,
        count(*) FILTER (WHERE flow IN ('bought', 'produced')) AS in_records,
        count(*) FILTER (WHERE estimated) AS estimated_exports,
        sum(value_usd) FILTER (WHERE flow IN ('sold', 'exported')) AS out_value_usd
      FROM flows WHERE actor_id IS NOT NULL GROUP BY ALL),
    carry AS (
      SELECT b.actor_id, b.commodity, b.year,
             greatest(0, sum(CASE WHEN f.flow IN ('exported', 'sold') THEN -f.kg
                                  WHEN f.mi IS NULL THEN f.kg * {k} / 12.0 ELSE f.kg END)) AS opening_kg
      FROM bal b JOIN flows f ON f.actor_id = b.actor_id AND f.commodity = b.commodity
       AND ((f.mi >= CAST(b.year AS INT) * 12 - {k} AND f.mi < CAST(b.year AS INT) * 12)
            OR (f.mi IS NULL AND CAST(f.year AS INT) = CAST(b.year AS INT) - 1))
      WHERE f.kg IS NOT NULL GROUP BY ALL)
    SELECT b.*, coalesce(c.opening_kg, 0) AS opening_kg, b.sold_kg + b.exported_kg AS out_kg,
           b.bought_kg + b.produced_kg + coalesce(c.opening_kg, 0) AS in_kg,
           a.country, a.name, a.roles, a.kind, pr.usd_per_kg, pr.source AS price_source
    FROM bal b LEFT JOIN actors a USING (actor_id)
    LEFT JOIN carry c ON c.actor_id = b.actor_id AND c.commodity = b.commodity AND c.year = b.year
    LEFT JOIN ({yearly_price_sql()}) pr ON pr.commodity = b.commodity AND pr.year = b.year
    WHERE ({node_sql(p.node_roles, p.node_kinds)} OR b.exported_kg = 0)
      AND b.sold_kg + b.exported_kg > (b.bought_kg + b.produced_kg + coalesce(c.opening_kg, 0)) * (1 + {p.tolerance})
      AND b.sold_kg + b.exported_kg - (b.bought_kg + b.produced_kg + coalesce(c.opening_kg, 0)) > {p.min_excess_kg}
    ORDER BY b.actor_id, b.commodity, b.year"""


def _sources(ctx: DetectContext, p: Parameters, keys: list[tuple[str, str, str]], purity: str) -> dict[tuple, list[dict]]:
    """The largest outflows of every flagged actor-year, in one query (not one per alert)."""
    if not keys:
        return {}
    actors = sorted({k[0] for k in keys})
    rows = ctx.query(_flows_sql(purity) + f"""
        SELECT actor_id, commodity, year, flow, ref, kg, file, row FROM (
          SELECT actor_id, commodity, year, flow, ref, kg, _source_file AS file, _source_row AS row,
                 row_number() OVER (PARTITION BY actor_id, commodity, year ORDER BY kg DESC, ref) AS rank
          FROM flows WHERE flow IN ('sold', 'exported') AND actor_id IN ({", ".join("?" for _ in actors)}))
        WHERE rank <= {int(p.max_sources)} ORDER BY actor_id, commodity, year, rank""", actors)
    out: dict[tuple, list[dict]] = {}
    for r in rows:
        out.setdefault((r["actor_id"], r["commodity"], r["year"]), []).append(
            {"flow": r["flow"], "id": r["ref"], "fine_kg": round(r["kg"], 3), "file": r["file"], "row": r["row"]})
    return out


@detector("mass_balance_break", version="1.0", title="Mass balance break",
          subject_type="actor", tables=("trades", "exports", "production", "mining_rights", "actors", "prices"),
          scope=Scope({"trades": ("t.seller_id", "t.buyer_id"), "exports": ("t.exporter_id",),
                       "production": ("coalesce(t.producer_id, (SELECT r.holder_id FROM mining_rights r WHERE r.right_id = t.right_id))",)}))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """An actor sells and exports more fine metal in a year than it bought and produced, beyond
    a tolerance for stock carried between years; the unexplained metal is likely of illegal origin."""
    alerts = []
    purity = reference_purity(ctx)
    # in a scoped run, other actors' balances are partial (their rows were left out): skip them
    found = [r for r in ctx.query(_balance_sql(p, purity)) if ctx.in_scope(r["actor_id"])]
    sources = _sources(ctx, p, [(r["actor_id"], r["commodity"], r["year"]) for r in found], purity)
    for r in found:
        excess = r["out_kg"] - r["in_kg"]
        share = excess / r["out_kg"]
        unit_value = r["usd_per_kg"] or (r["out_value_usd"] / r["out_kg"] if r["out_value_usd"] else None)
        name = r["name"] or r["actor_id"]
        alerts.append(Alert(
            typology="mass_balance_break", subject_type="actor", subject_id=r["actor_id"], country=r["country"],
            period=r["year"], score=min(1.0, share / p.full_score_share),
            value_at_risk_usd=excess * unit_value if unit_value else None,
            explanation=(f"{name} sold and exported {r['out_kg']:,.1f} kg of fine {r['commodity']} in {r['year']} "
                         f"but bought, produced and carried in only {r['in_kg']:,.1f} kg: {excess:,.1f} kg "
                         f"({share:.0%} of its sales) has no documented source."),
            evidence={
                "commodity": r["commodity"], "year": r["year"], "actor_name": r["name"], "roles": r["roles"],
                "sold_kg": round(r["sold_kg"], 3), "exported_kg": round(r["exported_kg"], 3),
                "bought_kg": round(r["bought_kg"], 3), "produced_kg": round(r["produced_kg"], 3),
                "opening_stock_kg": round(r["opening_kg"], 3), "carry_months": p.carry_months,
                "unexplained_kg": round(excess, 3), "unexplained_share": round(share, 4),
                "tolerance": p.tolerance, "out_records": r["out_records"], "in_records": r["in_records"],
                "exports_with_estimated_fine_mass": r["estimated_exports"],
                "price_usd_per_kg": round(unit_value, 2) if unit_value else None,
                "price_source": r["price_source"] or ("declared unit value" if unit_value else None),
                "sources": sources.get((r["actor_id"], r["commodity"], r["year"]), []),
            }))
    return alerts
