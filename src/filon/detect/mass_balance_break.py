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
say so in the evidence. The sums come from the supply tally shared with `export_without_supply`
(`_supply.supply_tally`), which an incremental run brings up to date by adding a new batch's sums.
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
    """The actor-years whose out exceeds in beyond the thresholds, from the supply tally
    (`_supply.supply_tally`: this balance leaves imports and exports without a fine mass out)."""
    return f"""
    WITH bal AS (
      SELECT actor_id, commodity, CAST(year AS VARCHAR) AS year, coalesce(sold_kg, 0) AS sold_kg,
             coalesce(exported_kg, 0) AS exported_kg, coalesce(bought_kg, 0) AS bought_kg,
             coalesce(produced_kg, 0) AS produced_kg, sold_rows + exported_rows_kg AS out_records,
             bought_rows + produced_rows AS in_records, estimated_rows_kg AS estimated_exports,
             coalesce(sold_value_usd + exported_value_usd, sold_value_usd, exported_value_usd) AS out_value_usd,
             greatest(0, coalesce(carry_kg, 0)) AS opening_kg
      FROM {tally} t WHERE sold_rows + exported_rows_kg + bought_rows + produced_rows > 0),
    short AS (
      SELECT *, sold_kg + exported_kg AS out_kg, bought_kg + produced_kg + opening_kg AS in_kg FROM bal
      WHERE sold_kg + exported_kg > (bought_kg + produced_kg + opening_kg) * (1 + {p.tolerance})
        AND sold_kg + exported_kg - (bought_kg + produced_kg + opening_kg) > {p.min_excess_kg})
    SELECT b.*, a.country, a.name, a.roles, a.kind, pr.usd_per_kg, pr.source AS price_source
    FROM short b LEFT JOIN actors a USING (actor_id)
    LEFT JOIN ({yearly_price_sql()}) pr ON pr.commodity = b.commodity AND pr.year = b.year
    WHERE ({node_sql(p.node_roles, p.node_kinds)} OR b.exported_kg = 0)
    ORDER BY b.actor_id, b.commodity, b.year"""


def _key(r: dict) -> tuple:
    """An actor-year's key in `largest_flows` (years are numbers there, text in the alert)."""
    return r["actor_id"], r["commodity"], None if r["year"] is None else int(r["year"])


#: The flows an alert quotes, and the name their records are kept under between runs.
FLOWS = ("sold", "exported")
KEPT = "mass_balance_break_sources"


def _figures(r: dict) -> tuple:
    """What an actor-year's quoted flows are taken from, as the tally sums it: its records sold or
    exported with a fine mass (those `largest_flows` ranks), their mass and value (see
    `_supply.kept_largest_flows`)."""
    return r["out_records"], r["sold_kg"], r["exported_kg"], r["out_value_usd"]


@detector("mass_balance_break", version="1.0", title="Mass balance break",
          subject_type="actor", tables=("trades", "exports", "production", "mining_rights", "actors", "prices"),
          scope=Scope({"trades": ("t.seller_id", "t.buyer_id"), "exports": ("t.exporter_id",),
                       "production": ("coalesce(t.producer_id, (SELECT r.holder_id FROM mining_rights r WHERE r.right_id = t.right_id))",)}))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """An actor sells and exports more fine metal in a year than it bought and produced, beyond
    a tolerance for stock carried between years; the unexplained metal is likely of illegal origin."""
    alerts = []
    purity = reference_purity(ctx)
    # a scoped run is about some actors (the tally holds everyone's balances, the other tables their rows)
    found = [r for r in ctx.query(_balance_sql(p, ctx.tally(supply_tally(purity, p.carry_months))))
             if ctx.in_scope(r["actor_id"])]
    sources = kept_largest_flows(ctx, KEPT, purity, FLOWS, {_key(r): _figures(r) for r in found},
                                 int(p.max_sources))
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
                "sources": [{"flow": s["flow"], "id": s["ref"], "fine_kg": round(s["kg"], 3), "file": s["file"],
                             "row": s["row"]} for s in sources.get(_key(r), [])],
            }))
    return alerts
