"""Unit value against the reference price: each export declaration's value per fine kg divided by
the metal's reference price at its date (the data behind under- and overvaluation)."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup

from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.detect.valuation import declarations_sql
from filon.report.charts import Point, scatter_chart
from filon.report.sections import Section
from filon.report.sections._html import figure

#: Points drawn per chart at most: every flagged declaration, then an even sample of the others.
MAX_POINTS = 2500


#: The alerts this section shows (it is given only those, and redrawn only when they change).
TYPOLOGIES = ("undervaluation", "overvaluation")


def section(ctx: DetectContext, alerts: list[dict]) -> Section | None:
    p = defaults("valuation")
    rows = [r for r in ctx.query_shared(declarations_sql(p)) if r["fine_kg"] and r["usd_per_kg"]]
    if not rows:
        return None
    flagged = {a["subject_id"] for a in alerts if a["typology"] in ("undervaluation", "overvaluation")}
    parts = []
    for metal in sorted({r["commodity"] for r in rows}):
        mine = [r for r in rows if r["commodity"] == metal]
        hot = [r for r in mine if r["declaration_id"] in flagged]
        rest = [r for r in mine if r["declaration_id"] not in flagged]
        step = max(1, len(rest) // max(MAX_POINTS - len(hot), 1))
        points = [Point(x=_year_fraction(r["date"]), y=r["value_usd"] / (r["fine_kg"] * r["usd_per_kg"]),
                        flagged=r["declaration_id"] in flagged,
                        tooltip=f"{r['declaration_id']} ({r['product'] or '-'}): "
                                f"{r['value_usd'] / r['fine_kg']:,.0f} USD per fine kg, reference "
                                f"{r['usd_per_kg']:,.0f}") for r in hot + rest[::step]]
        shown = len(hot) + len(rest[::step])
        parts.append(figure(
            scatter_chart(points, title=f"{metal}: declared value / metal value at the reference price",
                          description="1.0 is the reference price; the band is the normal range.",
                          x_label="declaration date", y_label="value / metal value", reference_y=1.0, log_y=True,
                          band=(p.payable_concentrate * (1 - p.margin), p.payable_metal * (1 + p.margin)),
                          chart_id=f"unit-value-{metal}"),
            f"{metal}: {len(mine):,} valued declarations ({shown:,} drawn), {len(hot):,} flagged in red. "
            f"Concentrates are normally paid {p.payable_concentrate:.0%} of their metal, refined metal "
            f"{p.payable_metal:.0%}; the shaded band is that range ± {p.margin:.0%}."))
    return Section(key="unit-values", title="Unit value vs reference price",
                   intro="Each export declaration's value per fine kilogram against the reference price of its date "
                         "(log scale). Declarations far below the band hide value; far above, they may launder money.",
                   html=Markup("").join(parts))


def _year_fraction(d: object) -> float:
    if not isinstance(d, date):
        d = date.fromisoformat(str(d)[:10])
    return d.year + (d.timetuple().tm_yday - 1) / 366
