"""national_export_exceeds_supply: a country exports more of a metal in a year than it produced and imported.

Per country, commodity and calendar year:
  exported = fine metal of the country's export declarations (estimated where missing, see `_supply`)
  supply   = declared production of the country + fine metal of the imports the country reports
An alert fires when exports exceed supply by more than the tolerance (metal produced in December and
exported in January, moisture and rounding) and by a minimum mass. A country-metal with no production
records at all in the package is skipped: that is a gap in what was shared, not evidence.
"""

from __future__ import annotations


from filon.detect._supply import exports_fine_sql, imports_fine_sql, reference_purity
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.prices import yearly_price_sql
from filon.detect.parameters import Parameters
from filon.detect.registry import detector


def _balance_sql(p: Parameters, purity: str) -> str:
    return f"""
    WITH ex AS ({exports_fine_sql(purity)}),
    flows AS (
      SELECT country, commodity, CAST(year(date) AS VARCHAR) AS year, 'exported' AS flow, kg,
             CASE WHEN estimated THEN 1 ELSE 0 END AS est, CASE WHEN kg IS NULL THEN 1 ELSE 0 END AS unknown
      FROM ex WHERE commodity IS NOT NULL
      UNION ALL
      SELECT country, commodity, left(period, 4), 'produced', fine_mass_kg, 0, 0 FROM production
      UNION ALL
      SELECT country, commodity, left(period, 4), 'imported', kg, 0, 0 FROM ({imports_fine_sql()}) i
      WHERE commodity IS NOT NULL),
    bal AS (
      SELECT country, commodity, year,
             coalesce(sum(kg) FILTER (WHERE flow = 'exported'), 0) AS exported_kg,
             coalesce(sum(kg) FILTER (WHERE flow = 'produced'), 0) AS produced_kg,
             coalesce(sum(kg) FILTER (WHERE flow = 'imported'), 0) AS imported_kg,
             count(*) FILTER (WHERE flow = 'exported') AS declarations,
             sum(est) AS estimated_declarations, sum(unknown) AS declarations_without_fine_mass
      FROM flows GROUP BY ALL),
    covered AS (SELECT DISTINCT country, commodity FROM production)
    SELECT b.*, b.produced_kg + b.imported_kg AS supply_kg, pr.usd_per_kg, pr.source AS price_source
    FROM bal b JOIN covered c ON c.country = b.country AND c.commodity = b.commodity
    LEFT JOIN ({yearly_price_sql()}) pr ON pr.commodity = b.commodity AND pr.year = b.year
    WHERE b.exported_kg > (b.produced_kg + b.imported_kg) * (1 + {p.tolerance})
      AND b.exported_kg - (b.produced_kg + b.imported_kg) > {p.min_excess_kg}
    ORDER BY b.country, b.commodity, b.year"""


def _sources(ctx: DetectContext, p: Parameters, country: str, commodity: str, year: str, purity: str) -> list[dict]:
    rows = ctx.query(f"""SELECT declaration_id, kg, _source_file AS file, _source_row AS row FROM ({exports_fine_sql(purity)}) e
        WHERE country = ? AND commodity = ? AND CAST(year(date) AS VARCHAR) = ? AND kg IS NOT NULL
        ORDER BY kg DESC, declaration_id LIMIT {int(p.max_sources)}""", [country, commodity, year])
    return [{"flow": "exported", "id": r["declaration_id"], "fine_kg": round(r["kg"], 3), "file": r["file"],
             "row": r["row"]} for r in rows]


@detector("national_export_exceeds_supply", version="1.0", title="National exports exceed supply",
          subject_type="country", tables=("exports", "production", "imports", "prices"))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A country's exports of a metal in a year exceed its declared production plus its imports by more
    than the carry-over tolerance: the excess was mined or brought in outside the records, typically
    informal or illegal production, or metal smuggled in from a neighbour and exported as national."""
    alerts = []
    purity = reference_purity(ctx)
    for r in ctx.query(_balance_sql(p, purity)):
        excess = r["exported_kg"] - r["supply_kg"]
        share = excess / r["exported_kg"]
        price = r["usd_per_kg"]
        alerts.append(Alert(
            typology="national_export_exceeds_supply", subject_type="country", subject_id=r["country"],
            country=r["country"], period=r["year"], score=min(1.0, share / p.full_score_share),
            value_at_risk_usd=excess * price if price else None,
            explanation=(f"{r['country']} exported {r['exported_kg']:,.0f} kg of fine {r['commodity']} in {r['year']} "
                         f"but declared only {r['produced_kg']:,.0f} kg of production and {r['imported_kg']:,.0f} kg "
                         f"of imports: {excess:,.0f} kg ({share:.0%} of exports) has no declared origin."),
            evidence={
                "commodity": r["commodity"], "year": r["year"], "exported_kg": round(r["exported_kg"], 3),
                "produced_kg": round(r["produced_kg"], 3), "imported_kg": round(r["imported_kg"], 3),
                "supply_kg": round(r["supply_kg"], 3), "unexplained_kg": round(excess, 3),
                "unexplained_share": round(share, 4), "tolerance": p.tolerance,
                "export_declarations": r["declarations"],
                "exports_with_estimated_fine_mass": r["estimated_declarations"],
                "exports_without_fine_mass_estimate": r["declarations_without_fine_mass"],
                "price_usd_per_kg": round(price, 2) if price else None, "price_source": r["price_source"],
                "sources": _sources(ctx, p, r["country"], r["commodity"], r["year"], purity),
            }))
    return alerts
