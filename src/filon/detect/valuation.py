"""undervaluation / overvaluation: a declaration's value per fine kg is far from the reference price.

Expected value of an export declaration = fine metal × the reference price of its commodity
(the latest `prices` row at or before the declaration's date, monthly series) × the share of
that value a buyer normally pays for the product:
  - refined and semi-refined metal (dore, bullion, scrap, other): 1.0 — refining, assay and
    freight deductions are 1-5 %, and the spot price moves a few percent within a month;
  - concentrates and ores (HS 26xx): 0.90 — smelters pay 85-95 % of the contained metal value
    after treatment and refining charges and unpaid metal, so 0.85-0.95 is ordinary.
A declaration fires when its declared value is more than `margin` below (undervaluation) or
above (overvaluation) that expectation. Fine mass, when not declared, is estimated from the
lot's assays (grade × net mass) or, for bullion, net mass × 0.995; other declarations without a
fine mass cannot be valued and are counted in the log. (Those run-wide counts are not put in each
alert's evidence: an alert's evidence is about its declaration, and counts of all declarations would
change it whenever any other declaration arrives, so every alert would look changed after each batch.)
"""

from __future__ import annotations

import logging
from typing import Any

from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect._supply import HS_COMMODITY
from filon.detect.prices import UNITS_PER_KG
from filon.detect.parameters import Parameters
from filon.detect.incremental import Scope
from filon.detect.registry import detector

log = logging.getLogger(__name__)

#: Assay column and the factor turning (grade × net kg) into fine kg, by commodity.
ASSAY_GRADE = {"Au": ("au_gpt", 1e-6), "Ag": ("ag_gpt", 1e-6), "Cu": ("cu_pct", 0.01), "Zn": ("zn_pct", 0.01),
               "Sn": ("sn_pct", 0.01), "Pb": ("pb_pct", 0.01)}
#: Commodity of precious-metal ores and concentrates by HS subheading (2616.10 silver, 2616.90 gold).
HS6_COMMODITY = {"261610": "Ag", "261690": "Au"}


def lots_sql() -> str:
    """Mean assay grades per lot (several samples of one lot are averaged)."""
    cols = ", ".join(f"avg({c}) AS {c}" for c, _ in ASSAY_GRADE.values())
    return f"SELECT lot_id, {cols}, count(*) AS samples FROM assays GROUP BY lot_id"


def price_asof_sql(max_age_days: int, relation: str = "decl") -> str:
    """(declaration_id, commodity, price_date, usd_per_kg, price_source): for each row of `relation`
    (declaration_id, commodity, date), the latest price of that commodity at or before the date, when
    it is less than `max_age_days` old.

    Each price holds from its date until the next one's: a row of `relation` meets the one interval
    holding its date (portable SQL, no window over every row's candidate prices, which cost 4× more)."""
    units = " ".join(f"WHEN '{u}' THEN {f}" for u, f in UNITS_PER_KG.items())
    return f"""
      SELECT d.declaration_id, d.commodity, px.date AS price_date, px.usd_per_kg, px.price_source
      FROM {relation} d JOIN (
        SELECT commodity, date, price_usd * CASE unit {units} END AS usd_per_kg,
               coalesce(source, 'prices table') AS price_source,
               coalesce(lead(date) OVER (PARTITION BY commodity ORDER BY date), DATE '9999-12-31') AS next_date
        FROM prices WHERE price_usd > 0) px
      ON px.commodity = d.commodity AND d.date >= px.date AND d.date < px.next_date
         AND d.date < px.date + INTERVAL {int(max_age_days)} DAY"""


def declarations_sql(p: Parameters, exports: str = "exports") -> str:
    """Every export declaration (of the relation `exports`: the table, or some of its rows) with its
    commodity, product basis, fine mass (declared or estimated) and price."""
    hs = " ".join([f"WHEN left(hs_code, 6) = '{h}' THEN '{c}'" for h, c in HS6_COMMODITY.items()]
                  + [f"WHEN left(hs_code, 4) = '{h}' THEN '{c}'" for h, c in HS_COMMODITY.items()])
    est = " ".join(f"WHEN '{c}' THEN l.{col} * b.net_mass_kg * CAST({f} AS DOUBLE)" for c, (col, f) in ASSAY_GRADE.items())
    return f"""
    WITH lot AS ({lots_sql()}),
    base AS (
      SELECT e.*, coalesce(e.commodity, CASE {hs} END) AS metal,
             coalesce(e.product, CASE WHEN left(e.hs_code, 2) = '26' THEN 'concentrate' END) AS form
      FROM {exports} e),
    decl AS (
      SELECT b.declaration_id, b.country, b.date, b.exporter_id, b.hs_code, b.metal AS commodity, b.form AS product,
             b.net_mass_kg, b.value_usd, b.lot_id, b._source_file, b._source_row,
             CASE WHEN b.fine_mass_kg > 0 THEN b.fine_mass_kg
                  WHEN l.lot_id IS NOT NULL THEN CASE b.metal {est} END
                  WHEN b.form = 'bullion' THEN b.net_mass_kg * CAST({p.purity_bullion} AS DOUBLE) END AS fine_kg,
             CASE WHEN b.fine_mass_kg > 0 THEN 'declared'
                  WHEN l.lot_id IS NOT NULL AND CASE b.metal {est} END IS NOT NULL THEN 'lot assay'
                  WHEN b.form = 'bullion' THEN 'bullion purity' END AS fine_basis
      FROM base b LEFT JOIN lot l ON l.lot_id = b.lot_id)
    SELECT d.*, px.price_date, px.usd_per_kg, px.price_source,
           CAST(CASE WHEN d.product IN ('concentrate', 'ore') THEN {p.payable_concentrate} ELSE {p.payable_metal} END
                  AS DOUBLE) AS payable_share
    FROM decl d LEFT JOIN ({price_asof_sql(p.max_price_age_days)}) px USING (declaration_id, commodity)
    ORDER BY d.declaration_id"""


def _coverage(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {"declarations": len(rows),
            "valued": sum(1 for r in rows if r["fine_kg"] and r["usd_per_kg"]),
            "skipped_no_fine_mass": sum(1 for r in rows if not r["fine_kg"]),
            "skipped_no_price": sum(1 for r in rows if r["fine_kg"] and not r["usd_per_kg"])}


def _detect(ctx: DetectContext, p: Parameters, typology: str) -> list[Alert]:
    rows = ctx.query_shared(declarations_sql(p))
    coverage = _coverage(rows)
    log.info("%s: %s", typology, coverage)
    alerts = []
    for r in rows:
        if not (r["fine_kg"] and r["usd_per_kg"]):
            continue
        contained = r["fine_kg"] * r["usd_per_kg"]
        expected = contained * r["payable_share"]
        deviation = r["value_usd"] / expected - 1.0
        if (typology == "undervaluation" and deviation > -p.margin) or \
           (typology == "overvaluation" and deviation < p.margin):
            continue
        weight = 1.0 if r["fine_basis"] == "declared" else p.estimated_weight
        ratio = r["value_usd"] / contained
        word = "below" if deviation < 0 else "above"
        alerts.append(Alert(
            typology=typology, subject_type="declaration", subject_id=r["declaration_id"], country=r["country"],
            period=str(r["date"])[:7], score=min(1.0, abs(deviation) / p.full_score_deviation) * weight,
            value_at_risk_usd=abs(r["value_usd"] - expected),
            explanation=(f"Declaration {r['declaration_id']} values {r['fine_kg']:,.2f} kg of fine {r['commodity']} "
                         f"at {r['value_usd']:,.0f} USD, {ratio:.2f} times its metal value at the reference price "
                         f"({abs(deviation):.0%} {word} the {r['payable_share']:.0%} normally paid for "
                         f"{r['product'] or 'this product'})."),
            evidence={
                "commodity": r["commodity"], "product": r["product"], "hs_code": r["hs_code"],
                "exporter_id": r["exporter_id"], "date": str(r["date"]), "net_mass_kg": r["net_mass_kg"],
                "fine_mass_kg": round(r["fine_kg"], 4), "fine_mass_basis": r["fine_basis"],
                "declared_value_usd": r["value_usd"], "usd_per_fine_kg": round(r["value_usd"] / r["fine_kg"], 2),
                "reference_usd_per_kg": round(r["usd_per_kg"], 2), "price_date": str(r["price_date"]),
                "price_source": r["price_source"], "metal_value_usd": round(contained, 2),
                "payable_share": r["payable_share"], "expected_value_usd": round(expected, 2),
                "value_to_metal_ratio": round(ratio, 4), "deviation": round(deviation, 4), "margin": p.margin,
                "sources": [{"table": "exports", "id": r["declaration_id"], "file": r["_source_file"],
                             "row": r["_source_row"]}],
            }))
    return alerts


_TABLES = ("exports", "prices", "assays")
#: A declaration's valuation rests on its own row, its lot's assays and the reference prices.
BY_DECLARATION = Scope({"exports": ("t.declaration_id",)})


@detector("undervaluation", version="1.0", title="Undervalued export declaration", subject_type="declaration",
          tables=_TABLES, params="valuation", scope=BY_DECLARATION)
def detect_undervaluation(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """An export declaration is valued far below its fine metal content at the reference price (after
    the deductions normally paid for its product): profit or metal moved out of sight, or a mass
    overstated to launder metal of other origin through the declaration."""
    return _detect(ctx, p, "undervaluation")


@detector("overvaluation", version="1.0", title="Overvalued export declaration", subject_type="declaration",
          tables=_TABLES, params="valuation", scope=BY_DECLARATION)
def detect_overvaluation(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """An export declaration is valued far above its fine metal content at the reference price: money
    entering the country dressed as export proceeds, or a fine mass understated to hide metal."""
    return _detect(ctx, p, "overvaluation")
