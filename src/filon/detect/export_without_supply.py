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
The sums come from the supply tally shared with `mass_balance_break` (`_supply.supply_tally`), which an
incremental run brings up to date by adding a new batch's sums.
"""

from __future__ import annotations


from filon.detect._supply import kept_largest_flows, node_sql, reference_purity, supply_tally
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.prices import yearly_price_sql
from filon.detect.parameters import Parameters
from filon.detect.incremental import Scope
from filon.detect.registry import detector


def _balance_sql(p: Parameters, tally: str) -> str:
    """The exporter-years whose out exceeds supply beyond the thresholds, from the supply tally
    (`_supply.supply_tally`), with what the alert says of the exporter."""
    return f"""
    WITH bal AS (
      SELECT actor_id, commodity, year, coalesce(exported_kg, 0) AS exported_kg, coalesce(sold_kg, 0) AS sold_kg,
             coalesce(bought_kg, 0) AS bought_kg, coalesce(produced_kg, 0) AS produced_kg,
             coalesce(imported_kg, 0) AS imported_kg, exported_rows AS declarations,
             estimated_rows AS estimated_declarations, exported_rows - exported_rows_kg AS declarations_without_fine_mass,
             exported_value_usd AS export_value_usd,
             greatest(0, coalesce(carry_kg, 0) + coalesce(carry_imported_kg, 0)) AS opening_kg
      FROM {tally} t WHERE exported_kg > 0),
    sums AS (SELECT *, exported_kg + sold_kg AS out_kg, bought_kg + produced_kg + imported_kg + opening_kg AS supply_kg
             FROM bal),
    short AS (SELECT * FROM sums WHERE out_kg > supply_kg + {p.tolerance} * out_kg AND out_kg - supply_kg > {p.min_excess_kg})
    SELECT b.*, CAST(b.year AS VARCHAR) AS period, coalesce(a.country, x.country) AS country, a.name,
           pr.usd_per_kg, pr.source AS price_source
    FROM short b LEFT JOIN actors a ON a.actor_id = b.actor_id
    LEFT JOIN (SELECT exporter_id, min(country) AS country FROM exports
               WHERE exporter_id IN (SELECT actor_id FROM short) GROUP BY ALL) x ON x.exporter_id = b.actor_id
    LEFT JOIN ({yearly_price_sql()}) pr ON pr.commodity = b.commodity AND pr.year = CAST(b.year AS VARCHAR)
    WHERE NOT ({node_sql(p.node_roles, p.node_kinds)})
    ORDER BY b.actor_id, b.commodity, b.year"""


#: The name the alerts' quoted declarations are kept under between runs (`_supply.kept_largest_flows`).
KEPT = "export_without_supply_sources"


def _key(r: dict) -> tuple:
    return r["actor_id"], r["commodity"], r["year"]


def _figures(r: dict) -> tuple:
    """What an exporter-year's quoted declarations are taken from, as the tally sums it: its
    declarations (with and without a fine mass, estimated or not), their fine mass and value."""
    return r["declarations"], r["estimated_declarations"], r["declarations_without_fine_mass"], r["exported_kg"], \
        r["export_value_usd"]


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
    # a scoped run is about some exporters (the tally holds everyone's balances, the other tables their rows)
    found = [r for r in ctx.query(_balance_sql(p, ctx.tally(supply_tally(purity, p.carry_months))))
             if ctx.in_scope(r["actor_id"])]
    sources = kept_largest_flows(ctx, KEPT, purity, ("exported",), {_key(r): _figures(r) for r in found},
                                 int(p.max_sources))
    for r in found:
        excess = r["out_kg"] - r["supply_kg"]
        share = excess / r["out_kg"]
        declared = r["export_value_usd"] / r["exported_kg"] if r["export_value_usd"] else None
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
                "sources": [{"flow": "exported", "id": s["ref"], "fine_kg": round(s["kg"], 3),
                             "fine_mass_estimated": bool(s["estimated"]), "file": s["file"], "row": s["row"]}
                            for s in sources.get(_key(r), [])],
            }))
    return alerts
