"""export_without_supply: an exporter ships more fine metal than its own supply can explain.

Per exporter, commodity and calendar year:
  out    = fine metal exported (estimated where a declaration lacks it, see `_supply`) + fine metal sold at
           home (trades as seller: metal sold domestically cannot also be shipped)
  supply = production of the rights it holds or declares producing + purchases (trades as buyer) + imports
           it made (`imports.importer_name` equal to its name in its country) + opening stock
  opening stock = what it acquired but did not ship in the `carry_months` before the year (never
           negative, and never older than that window: exporters turn their stock over in weeks)
An alert fires when out exceeds supply by more than the tolerance and a minimum mass. Yearly production
records count in the carry window pro rata (carry_months / 12). Traders, processors, refiners, cooperatives
and actors of undeclared role are left to `mass_balance_break`, whose balance already counts their exports:
this typology covers pure exporters and miner-exporters, so the same kilograms never raise two alerts.
"""

from __future__ import annotations


from filon.detect._supply import exports_fine_sql, imports_fine_sql, month_index_sql, node_sql, reference_purity
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.prices import yearly_price_sql
from filon.detect.parameters import Parameters
from filon.detect.incremental import Scope
from filon.detect.registry import detector


def _flows_sql(purity: str) -> str:
    return f"""
    WITH ex AS ({exports_fine_sql(purity)}),
    flows AS (
      SELECT exporter_id AS actor_id, commodity, year(date) AS year, year(date) * 12 + month(date) - 1 AS mi,
             'exported' AS flow, kg, CASE WHEN estimated THEN 1 ELSE 0 END AS est,
             CASE WHEN kg IS NULL THEN 1 ELSE 0 END AS unknown FROM ex WHERE commodity IS NOT NULL
      UNION ALL
      SELECT seller_id, commodity, year(date), year(date) * 12 + month(date) - 1, 'sold', fine_mass_kg, 0, 0 FROM trades
      UNION ALL
      SELECT buyer_id, commodity, year(date), year(date) * 12 + month(date) - 1, 'bought', fine_mass_kg, 0, 0 FROM trades
      UNION ALL
      SELECT coalesce(p.producer_id, r.holder_id), p.commodity, CAST(left(p.period, 4) AS INT),
             {month_index_sql('p.period')},
             'produced', p.fine_mass_kg, 0, 0 FROM production p LEFT JOIN mining_rights r ON r.right_id = p.right_id
      UNION ALL
      SELECT a.actor_id, i.commodity, CAST(left(i.period, 4) AS INT), {month_index_sql('i.period')}, 'imported', i.kg, 0, 0
      FROM ({imports_fine_sql()}) i
      JOIN actors a ON a.country = i.country AND upper(trim(a.name)) = upper(trim(i.importer_name))
      WHERE i.commodity IS NOT NULL)"""


def _balance_sql(p: Parameters, purity: str) -> str:
    k = int(p.carry_months)
    return _flows_sql(purity) + f""",
    yr AS (
      SELECT actor_id, commodity, year,
             coalesce(sum(kg) FILTER (WHERE flow = 'exported'), 0) AS exported_kg,
             coalesce(sum(kg) FILTER (WHERE flow = 'sold'), 0) AS sold_kg,
             coalesce(sum(kg) FILTER (WHERE flow = 'bought'), 0) AS bought_kg,
             coalesce(sum(kg) FILTER (WHERE flow = 'produced'), 0) AS produced_kg,
             coalesce(sum(kg) FILTER (WHERE flow = 'imported'), 0) AS imported_kg,
             count(*) FILTER (WHERE flow = 'exported') AS declarations,
             sum(est) AS estimated_declarations, sum(unknown) AS declarations_without_fine_mass,
             sum(kg) FILTER (WHERE flow = 'exported') AS value_kg
      FROM flows WHERE actor_id IS NOT NULL GROUP BY ALL),
    carry AS (
      SELECT y.actor_id, y.commodity, y.year,
             greatest(0, sum(CASE WHEN f.flow IN ('exported', 'sold') THEN -f.kg
                                  WHEN f.mi IS NULL THEN f.kg * {k} / 12.0 ELSE f.kg END)) AS opening_kg
      FROM yr y JOIN flows f ON f.actor_id = y.actor_id AND f.commodity = y.commodity
       AND ((f.mi >= y.year * 12 - {k} AND f.mi < y.year * 12) OR (f.mi IS NULL AND f.year = y.year - 1))
      WHERE f.kg IS NOT NULL GROUP BY ALL),
    bal AS (
      SELECT y.*, coalesce(c.opening_kg, 0) AS opening_kg, y.exported_kg + y.sold_kg AS out_kg,
             y.bought_kg + y.produced_kg + y.imported_kg + coalesce(c.opening_kg, 0) AS supply_kg
      FROM yr y LEFT JOIN carry c ON c.actor_id = y.actor_id AND c.commodity = y.commodity AND c.year = y.year
      WHERE y.exported_kg > 0),
    val AS (SELECT exporter_id AS actor_id, commodity, year(date) AS year, sum(value_usd) AS value_usd
            FROM ex WHERE kg IS NOT NULL GROUP BY ALL)
    SELECT b.*, CAST(b.year AS VARCHAR) AS period, coalesce(a.country, x.country) AS country, a.name,
           v.value_usd AS export_value_usd, pr.usd_per_kg, pr.source AS price_source
    FROM bal b LEFT JOIN actors a ON a.actor_id = b.actor_id
    LEFT JOIN (SELECT exporter_id, min(country) AS country FROM exports GROUP BY ALL) x ON x.exporter_id = b.actor_id
    LEFT JOIN val v ON v.actor_id = b.actor_id AND v.commodity = b.commodity AND v.year = b.year
    LEFT JOIN ({yearly_price_sql()}) pr ON pr.commodity = b.commodity AND pr.year = CAST(b.year AS VARCHAR)
    WHERE NOT ({node_sql(p.node_roles, p.node_kinds)})
      AND b.out_kg > b.supply_kg + {p.tolerance} * b.out_kg AND b.out_kg - b.supply_kg > {p.min_excess_kg}
    ORDER BY b.actor_id, b.commodity, b.year"""


def _sources(ctx: DetectContext, p: Parameters, actor: str, commodity: str, year: int, purity: str) -> list[dict]:
    rows = ctx.query(f"""SELECT declaration_id, kg, estimated, _source_file AS file, _source_row AS row
        FROM ({exports_fine_sql(purity)}) e WHERE exporter_id = ? AND commodity = ? AND year(date) = ? AND kg IS NOT NULL
        ORDER BY kg DESC, declaration_id LIMIT {int(p.max_sources)}""", [actor, commodity, year])
    return [{"flow": "exported", "id": r["declaration_id"], "fine_kg": round(r["kg"], 3),
             "fine_mass_estimated": bool(r["estimated"]), "file": r["file"], "row": r["row"]} for r in rows]


@detector("export_without_supply", version="1.0", title="Export without supply", subject_type="actor",
          tables=("exports", "trades", "production", "mining_rights", "imports", "actors", "prices"),
          scope=Scope({"trades": ("t.seller_id", "t.buyer_id"), "exports": ("t.exporter_id",),
                       "production": ("coalesce(t.producer_id, (SELECT r.holder_id FROM mining_rights r WHERE r.right_id = t.right_id))",)}))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """An exporter ships (and sells at home) more fine metal in a year than its own mines' production, its
    documented purchases, its imports and a few months of carried stock can explain: the unexplained metal
    entered its books without a source, the signature of illegal gold laundered through exports."""
    alerts = []
    purity = reference_purity(ctx)
    for r in ctx.query(_balance_sql(p, purity)):
        if not ctx.in_scope(r["actor_id"]):
            continue  # a scoped run: other actors' balances are partial
        excess = r["out_kg"] - r["supply_kg"]
        share = excess / r["out_kg"]
        declared = r["export_value_usd"] / r["value_kg"] if r["export_value_usd"] and r["value_kg"] else None
        unit_value = r["usd_per_kg"] or declared
        name = r["name"] or r["actor_id"]
        estimated = f" ({r['estimated_declarations']} declarations' fine mass estimated)" if r["estimated_declarations"] else ""
        alerts.append(Alert(
            typology="export_without_supply", subject_type="actor", subject_id=r["actor_id"], country=r["country"],
            period=r["period"], score=min(1.0, share / p.full_score_share),
            value_at_risk_usd=excess * unit_value if unit_value else None,
            explanation=(f"{name} exported {r['exported_kg']:,.1f} kg of fine {r['commodity']}{estimated} and sold "
                         f"{r['sold_kg']:,.1f} kg at home in {r['period']}, but its production, purchases, imports and "
                         f"carried stock total only {r['supply_kg']:,.1f} kg: {excess:,.1f} kg ({share:.0%}) has no "
                         f"documented source."),
            evidence={
                "commodity": r["commodity"], "year": r["period"], "actor_name": r["name"],
                "exported_kg": round(r["exported_kg"], 3), "sold_kg": round(r["sold_kg"], 3),
                "produced_kg": round(r["produced_kg"], 3), "bought_kg": round(r["bought_kg"], 3),
                "imported_kg": round(r["imported_kg"], 3), "opening_stock_kg": round(r["opening_kg"], 3),
                "carry_months": p.carry_months, "supply_kg": round(r["supply_kg"], 3),
                "unexplained_kg": round(excess, 3), "unexplained_share": round(share, 4), "tolerance": p.tolerance,
                "export_declarations": r["declarations"],
                "exports_with_estimated_fine_mass": r["estimated_declarations"],
                "exports_without_fine_mass_estimate": r["declarations_without_fine_mass"],
                "price_usd_per_kg": round(unit_value, 2) if unit_value else None,
                "price_source": r["price_source"] or ("declared unit value" if unit_value else None),
                "sources": _sources(ctx, p, r["actor_id"], r["commodity"], r["year"], purity),
            }))
    return alerts
