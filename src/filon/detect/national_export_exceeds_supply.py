"""national_export_exceeds_supply: a country exports more of a metal in a year than it produced and imported.

Per country, commodity and calendar year:
  exported = fine metal of the country's export declarations (estimated where missing, see `_supply`)
  supply   = declared production of the country + fine metal of the imports the country reports
An alert fires when exports exceed supply by more than the tolerance (metal produced in December and
exported in January, moisture and rounding) and by a minimum mass. A country-metal with no production
records at all in the package is skipped: that is a gap in what was shared, not evidence.
The sums come from a tally by country, commodity and year (`national_tally`), which an incremental
run brings up to date by adding a new batch's sums.
"""

from __future__ import annotations

from filon.detect._supply import exports_fine_sql, imports_fine_sql, reference_purity
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.prices import yearly_price_sql
from filon.detect.parameters import Parameters
from filon.detect.registry import detector
from filon.detect.tally import Tally
from filon.engine.duckdb import sql_literal


def national_tally(purity: str) -> Tally:
    """Per country, commodity and year, the sums the balance compares, kept between runs
    (`filon.detect.tally`): a batch of exports then adds its own declarations' sums instead of the
    whole nation's being estimated and summed again. The reference `purity` is part of the SQL, so
    a batch that moves it computes the tally from every row again.

      exported_kg, declarations, estimated_declarations, declarations_without_fine_mass
                     fine metal of the exports (estimated where missing), and their declarations;
      produced_kg, production_rows, imported_kg
                     declared production (its records: a country-metal without any is skipped)
                     and the fine metal of the imports the country reports."""
    sql = f"""
    SELECT country, commodity, year,
      sum(kg) FILTER (WHERE flow = 'exported') AS exported_kg,
      count(*) FILTER (WHERE flow = 'exported') AS declarations,
      count(*) FILTER (WHERE flow = 'exported' AND estimated) AS estimated_declarations,
      count(*) FILTER (WHERE flow = 'exported' AND kg IS NULL) AS declarations_without_fine_mass,
      sum(kg) FILTER (WHERE flow = 'produced') AS produced_kg,
      count(*) FILTER (WHERE flow = 'produced') AS production_rows,
      sum(kg) FILTER (WHERE flow = 'imported') AS imported_kg
    FROM (
      SELECT country, commodity, CAST(year(date) AS VARCHAR) AS year, 'exported' AS flow, kg, estimated
      FROM ({exports_fine_sql(purity)}) ex WHERE commodity IS NOT NULL
      UNION ALL
      SELECT country, commodity, left(period, 4), 'produced', fine_mass_kg, false FROM production
      UNION ALL
      SELECT country, commodity, left(period, 4), 'imported', kg, false FROM ({imports_fine_sql()}) i
      WHERE commodity IS NOT NULL) flows
    GROUP BY country, commodity, year"""
    return Tally("national_supply", sql, ("country", "commodity", "year"), sources=("exports", "production", "imports"),
                 lookups=())


def _balance_sql(p: Parameters, tally: str) -> str:
    """The country-years whose exports exceed supply beyond the thresholds, from `national_tally`,
    of the country-metals with production records."""
    return f"""
    WITH bal AS (
      SELECT country, commodity, year, coalesce(exported_kg, 0) AS exported_kg, coalesce(produced_kg, 0) AS produced_kg,
             coalesce(imported_kg, 0) AS imported_kg, declarations, estimated_declarations,
             declarations_without_fine_mass
      FROM {tally} t),
    covered AS (SELECT country, commodity FROM {tally} t GROUP BY country, commodity HAVING sum(production_rows) > 0)
    SELECT b.*, b.produced_kg + b.imported_kg AS supply_kg, pr.usd_per_kg, pr.source AS price_source
    FROM bal b JOIN covered c ON c.country = b.country AND c.commodity = b.commodity
    LEFT JOIN ({yearly_price_sql()}) pr ON pr.commodity = b.commodity AND pr.year = b.year
    WHERE b.exported_kg > (b.produced_kg + b.imported_kg) * (1 + {p.tolerance})
      AND b.exported_kg - (b.produced_kg + b.imported_kg) > {p.min_excess_kg}
    ORDER BY b.country, b.commodity, b.year"""


def _sources(ctx: DetectContext, p: Parameters, keys: set[tuple[str, str, str]], purity: str) -> dict[tuple, list[dict]]:
    """The `max_sources` largest declarations (by fine mass, then id) of each (country, commodity,
    year) in `keys`, in one query (one per alert read every export and estimated its fine mass again)."""
    if not keys:
        return {}
    rows = ctx.query(f"""
        SELECT country, commodity, year, declaration_id, kg, file, row FROM (
          SELECT country, commodity, CAST(year(date) AS VARCHAR) AS year, declaration_id, kg,
                 _source_file AS file, _source_row AS row,
                 row_number() OVER (PARTITION BY country, commodity, CAST(year(date) AS VARCHAR)
                                    ORDER BY kg DESC, declaration_id, _source_file, _source_row) AS rank
          FROM ({exports_fine_sql(purity)}) e
          WHERE ({_years(keys)}) AND commodity IS NOT NULL AND kg IS NOT NULL) x
        WHERE rank <= {int(p.max_sources)} ORDER BY country, commodity, year, rank""")
    out: dict[tuple, list[dict]] = {}
    for r in rows:
        key = (r["country"], r["commodity"], r["year"])
        if key in keys:
            out.setdefault(key, []).append({"flow": "exported", "id": r["declaration_id"], "fine_kg": round(r["kg"], 3),
                                            "file": r["file"], "row": r["row"]})
    return out


def _years(keys: set[tuple[str, str, str]]) -> str:
    """Condition on exports `e` of the countries and calendar years of `keys`, as date ranges: the
    scan then skips the row groups of other years instead of estimating every declaration's fine mass."""
    spans = sorted({(c, int(y)) for c, _, y in keys if c is not None and y is not None and y.isdigit() and int(y) < 9999})
    return " OR ".join(f"(country = {sql_literal(c)} AND date >= DATE '{y:04d}-01-01' AND date < DATE '{y + 1:04d}-01-01')"
                       for c, y in spans) or "FALSE"


@detector("national_export_exceeds_supply", version="1.0", title="National exports exceed supply",
          subject_type="country", tables=("exports", "production", "imports", "prices"))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A country's exports of a metal in a year exceed its declared production plus its imports by more
    than the carry-over tolerance: the excess was mined or brought in outside the records, typically
    informal or illegal production, or metal smuggled in from a neighbour and exported as national."""
    alerts = []
    purity = reference_purity(ctx)
    found = ctx.query(_balance_sql(p, ctx.tally(national_tally(purity))))
    sources = _sources(ctx, p, {(r["country"], r["commodity"], r["year"]) for r in found}, purity)
    for r in found:
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
                "sources": sources.get((r["country"], r["commodity"], r["year"]), []),
            }))
    return alerts
