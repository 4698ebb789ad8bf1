"""Production, imports and exports per country and year: the national balance behind
`national_export_exceeds_supply`, drawn for every country-metal with production on record."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from filon.detect._supply import exports_fine_sql, imports_fine_sql, reference_purity
from filon.detect.context import DetectContext
from filon.engine.duckdb import sql_literal
from filon.report.charts import grouped_bar_chart
from filon.report.sections import Section
from filon.report.sections._html import figure, table

SERIES = [("produced", "#2e7d32"), ("imported", "#1f5f8b"), ("exported", "#9a6400")]


#: The alerts this section shows (it is given only those, and redrawn only when they change).
TYPOLOGIES = ("national_export_exceeds_supply",)


def section(ctx: DetectContext, alerts: list[dict]) -> Section | None:
    produced = production(ctx)
    if not produced:
        return None
    rows = ctx.query(f"""
        WITH prod AS ({_relation(produced)}),
        f AS (
          SELECT country, commodity, CAST(year(date) AS VARCHAR) AS year, 0.0 AS p, 0.0 AS i, kg AS e
          FROM ({exports_fine_sql(reference_purity(ctx))}) x WHERE commodity IS NOT NULL AND kg IS NOT NULL
          UNION ALL SELECT country, commodity, year, p, 0.0, 0.0 FROM prod
          UNION ALL SELECT country, commodity, left(period, 4), 0.0, kg, 0.0 FROM ({imports_fine_sql()}) i
          WHERE commodity IS NOT NULL)
        SELECT country, commodity, year, sum(p) AS produced, sum(i) AS imported, sum(e) AS exported
        FROM f WHERE (country, commodity) IN (SELECT DISTINCT country, commodity FROM prod)
        GROUP BY country, commodity, year ORDER BY commodity, country, year""")
    if not rows:
        return None
    fired = {(a["country"], a["evidence"].get("commodity"), a["period"]) for a in alerts
             if a["typology"] == "national_export_exceeds_supply"}
    parts = []
    for metal in sorted({r["commodity"] for r in rows}):
        mine = [r for r in rows if r["commodity"] == metal]
        groups = [(f"{r['country']} {r['year']}", [r["produced"], r["imported"], r["exported"]]) for r in mine]
        parts.append(figure(grouped_bar_chart(groups[:40], SERIES, unit="kg", chart_id=f"supply-{metal}",
                                              title=f"Fine {metal}: produced, imported and exported per country and year",
                                              description="Exports taller than production plus imports need an explanation."),
                            f"Fine {metal} in kg. Exports above production plus imports are what "
                            "national_export_exceeds_supply flags (⚑ in the table)."))
        parts.append(table(["country", "year", "produced kg", "imported kg", "exported kg", "exports / supply"],
                           [(r["country"], r["year"], r["produced"], r["imported"], r["exported"],
                             (f"{r['exported'] / (r['produced'] + r['imported']):.2f}"
                              if r["produced"] + r["imported"] > 0 else "no supply")) for r in mine],
                           numeric=(2, 3, 4, 5), flagged=[(r["country"], metal, r["year"]) in fired for r in mine],
                           caption=f"Fine {metal} balance by country and year"))
    return Section(key="supply-balance", title="Production vs exports",
                   intro="Each country's declared production and imports against its exports of fine metal, per "
                         "year (exports without a declared fine mass are estimated as in the detectors).",
                   html=Markup("").join(parts))


def production(ctx: DetectContext) -> list[dict[str, Any]]:
    """Fine mass produced per country, metal and year: the balance's production side, summed once.

    Production is the largest table the balance reads (a national registry reports every right
    every month), and a batch of declarations or imports leaves it unchanged: so its sums are kept
    for the next run (`DetectContext.memo`) and only exports and imports are read again. Summing
    these sums with the other flows gives the sums of the rows (adding 0.0 for the other flows
    changes no sum, and a year with no value stays NULL)."""
    return ctx.memo(("report supply production", PRODUCTION_SQL), lambda: ctx.query(PRODUCTION_SQL), ("production",),
                    keep="report_supply_production")


PRODUCTION_SQL = """SELECT country, commodity, left(period, 4) AS year, sum(fine_mass_kg) AS p FROM production
    GROUP BY country, commodity, left(period, 4) ORDER BY country, commodity, year"""


def _relation(rows: list[dict[str, Any]]) -> str:
    """`rows` of `production` as an SQL relation of literals (a few hundred at national scale)."""
    def text(value: Any) -> str:
        return "CAST(NULL AS VARCHAR)" if value is None else sql_literal(str(value))

    def number(value: Any) -> str:
        return f"CAST('{float(value)!r}' AS DOUBLE)" if value is not None else "CAST(NULL AS DOUBLE)"

    return " UNION ALL ".join(f"SELECT {text(r['country'])} AS country, {text(r['commodity'])} AS commodity, "
                              f"{text(r['year'])} AS year, {number(r['p'])} AS p" for r in rows)

