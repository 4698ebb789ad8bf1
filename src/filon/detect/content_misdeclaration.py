"""content_misdeclaration: the lot's assays show paying metal the declaration does not account for.

An export declaration is joined to the assays of its lot (`exports.lot_id` = `assays.lot_id`,
samples averaged). A precious metal other than the declared commodity is a *credit* a smelter
pays for once its grade passes the payable threshold: gold from 1 g/t and silver from 30 g/t in
base-metal concentrates (the usual minimum deductions of concentrate contracts; below them the
metal is trace and unpaid). Base metals in a precious-metal product are penalties, not credits,
and are not counted.
The credit's worth is contained metal × reference price × `credit_payable`. The declared value
is first given to the declared metal at its full reference value; whatever is declared beyond
that is taken as credits already paid for. An alert fires when the credit left unaccounted is
material: at least `min_missing_share` of the declared value.
"""

from __future__ import annotations


from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters, defaults
from filon.detect.incremental import Scope
from filon.detect.registry import detector
from filon.detect.valuation import declarations_sql, lots_sql, price_asof_sql

#: Credit metal -> assay column (g/t).
CREDITS = {"Au": "au_gpt", "Ag": "ag_gpt"}


def _sql(p: Parameters) -> str:
    decl = declarations_sql(defaults("valuation").replace(max_price_age_days=p.max_price_age_days))
    thresholds = {"Au": p.au_payable_gpt, "Ag": p.ag_payable_gpt}
    credits = " UNION ALL ".join(
        f"SELECT v.declaration_id, v.date, '{m}' AS commodity, l.{col} AS grade_gpt, "
        f"CAST({thresholds[m]} AS DOUBLE) AS payable_gpt, l.samples "
        f"FROM v JOIN lots l ON l.lot_id = v.lot_id WHERE coalesce(v.commodity, '') <> '{m}' "
        f"AND l.{col} >= {thresholds[m]}" for m, col in CREDITS.items())
    return f"""
    WITH v AS ({decl}),
    lots AS ({lots_sql()}),
    c AS ({credits}),
    cp AS (SELECT c.*, px.usd_per_kg, px.price_date, px.price_source FROM c
           JOIN ({price_asof_sql(p.max_price_age_days, "c")}) px USING (declaration_id, commodity))
    SELECT v.declaration_id, v.country, v.date, v.exporter_id, v.hs_code, v.commodity AS declared_commodity,
           v.product, v.net_mass_kg, v.value_usd, v.lot_id, v._source_file, v._source_row, v.fine_kg, v.fine_basis,
           v.usd_per_kg AS declared_usd_per_kg, cp.commodity AS credit, cp.grade_gpt, cp.payable_gpt, cp.samples,
           cp.usd_per_kg AS credit_usd_per_kg, cp.price_date, cp.price_source,
           cp.grade_gpt * v.net_mass_kg / 1e6 AS credit_kg
    FROM cp JOIN v USING (declaration_id)
    ORDER BY v.declaration_id, cp.commodity"""


@detector("content_misdeclaration", version="1.0", title="Paying metal not declared", subject_type="declaration",
          tables=("exports", "assays", "prices"),
          scope=Scope({"exports": ("t.declaration_id",)}))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """Laboratory assays of an exported lot show a paying precious metal (gold or silver above the
    grade smelters pay for) that the declaration neither names nor values: metal leaving hidden
    inside another product, typically gold in copper concentrate."""
    rows = ctx.query(_sql(p))
    by_decl: dict[str, list[dict]] = {}
    for r in rows:
        by_decl.setdefault(r["declaration_id"], []).append(r)
    alerts = []
    for decl_id, credits in by_decl.items():
        r = credits[0]
        declared_metal = (r["fine_kg"] or 0.0) * (r["declared_usd_per_kg"] or 0.0)
        credit_value = sum(c["credit_kg"] * c["credit_usd_per_kg"] * p.credit_payable for c in credits)
        paid_credits = max(0.0, r["value_usd"] - declared_metal) if declared_metal else 0.0
        missing = credit_value - paid_credits
        share = missing / r["value_usd"] if r["value_usd"] else float("inf")
        if missing <= 0 or share < p.min_missing_share:
            continue
        named = " and ".join(f"{c['grade_gpt']:,.1f} g/t {c['credit']}" for c in credits)
        alerts.append(Alert(
            typology="content_misdeclaration", subject_type="declaration", subject_id=decl_id, country=r["country"],
            period=str(r["date"])[:7], score=min(1.0, share / p.full_score_share), value_at_risk_usd=missing,
            explanation=(f"Declaration {decl_id} ({r['declared_commodity'] or 'no commodity'} {r['product'] or ''}, "
                         f"{r['net_mass_kg']:,.0f} kg) is valued at {r['value_usd']:,.0f} USD, but its lot "
                         f"{r['lot_id']} assays {named}, worth about {credit_value:,.0f} USD that it does not "
                         f"account for."),
            evidence={
                "lot_id": r["lot_id"], "declared_commodity": r["declared_commodity"], "product": r["product"],
                "hs_code": r["hs_code"], "exporter_id": r["exporter_id"], "net_mass_kg": r["net_mass_kg"],
                "declared_value_usd": r["value_usd"], "declared_fine_kg": r["fine_kg"],
                "declared_metal_value_usd": round(declared_metal, 2), "credits_already_paid_usd": round(paid_credits, 2),
                "credits": [{"commodity": c["credit"], "grade_gpt": c["grade_gpt"], "payable_from_gpt": c["payable_gpt"],
                             "samples": c["samples"], "contained_kg": round(c["credit_kg"], 4),
                             "usd_per_kg": round(c["credit_usd_per_kg"], 2), "price_date": str(c["price_date"]),
                             "price_source": c["price_source"]} for c in credits],
                "credit_value_usd": round(credit_value, 2), "unaccounted_usd": round(missing, 2),
                "unaccounted_share_of_declared": round(share, 4), "credit_payable": p.credit_payable,
                "sources": [{"table": "exports", "id": decl_id, "file": r["_source_file"], "row": r["_source_row"]}]
                + _assay_sources(ctx, r["lot_id"]),
            }))
    return alerts


def _assay_sources(ctx: DetectContext, lot_id: str) -> list[dict]:
    rows = ctx.query("SELECT sample_id, _source_file AS file, _source_row AS row FROM assays WHERE lot_id = ? "
                     "ORDER BY sample_id LIMIT 5", [lot_id])
    return [{"table": "assays", "id": r["sample_id"], "file": r["file"], "row": r["row"]} for r in rows]
