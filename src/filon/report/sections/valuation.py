"""Unit value against the reference price: each export declaration's value per fine kg divided by
the metal's reference price at its date (the data behind under- and overvaluation)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, NamedTuple

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

#: The columns a point needs.
COLUMNS = ("declaration_id", "commodity", "product", "date", "value_usd", "fine_kg", "usd_per_kg")


class Drawn(NamedTuple):
    """One metal's chart: the declarations drawn, and the counts its caption gives."""

    rows: list[dict[str, Any]]
    valued: int
    flagged: int


def section(ctx: DetectContext, alerts: list[dict]) -> Section | None:
    p = defaults("valuation")
    flagged = {a["subject_id"] for a in alerts if a["typology"] in TYPOLOGIES}
    metals = drawn(ctx, declarations_sql(p), flagged)
    if not metals:
        return None
    parts = []
    for metal, d in metals.items():
        points = [Point(x=_year_fraction(r["date"]), y=r["value_usd"] / (r["fine_kg"] * r["usd_per_kg"]),
                        flagged=r["declaration_id"] in flagged,
                        tooltip=f"{r['declaration_id']} ({r['product'] or '-'}): "
                                f"{r['value_usd'] / r['fine_kg']:,.0f} USD per fine kg, reference "
                                f"{r['usd_per_kg']:,.0f}") for r in d.rows]
        parts.append(figure(
            scatter_chart(points, title=f"{metal}: declared value / metal value at the reference price",
                          description="1.0 is the reference price; the band is the normal range.",
                          x_label="declaration date", y_label="value / metal value", reference_y=1.0, log_y=True,
                          band=(p.payable_concentrate * (1 - p.margin), p.payable_metal * (1 + p.margin)),
                          chart_id=f"unit-value-{metal}"),
            f"{metal}: {d.valued:,} valued declarations ({len(d.rows):,} drawn), {d.flagged:,} flagged in red. "
            f"Concentrates are normally paid {p.payable_concentrate:.0%} of their metal, refined metal "
            f"{p.payable_metal:.0%}; the shaded band is that range ± {p.margin:.0%}."))
    return Section(key="unit-values", title="Unit value vs reference price",
                   intro="Each export declaration's value per fine kilogram against the reference price of its date "
                         "(log scale). Declarations far below the band hide value; far above, they may launder money.",
                   html=Markup("").join(parts))


def drawn(ctx: DetectContext, sql: str, flagged: set[str]) -> dict[str, Drawn]:
    """Per metal, in name order, the valued declarations of `sql` (a fine mass and a price) to draw:
    every flagged one, then an even sample of the others, each in `sql`'s order (declaration id).

    When the valuation detectors already brought every row of `sql` into this context (a full run),
    they are sampled here; otherwise (an incremental run, whose detectors read only the new
    declarations) the database samples them, rather than sending millions of rows to draw 2,500."""
    if sql in ctx._shared:
        return _sample(ctx.query_shared(sql), flagged)
    return _sample_sql(ctx, sql, flagged)


def _step(rest: int, hot: int) -> int:
    """Take every step-th unflagged declaration, so that about MAX_POINTS are drawn in all."""
    return max(1, rest // max(MAX_POINTS - hot, 1))


def _sample(rows: list[dict[str, Any]], flagged: set[str]) -> dict[str, Drawn]:
    by_metal: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["fine_kg"] and r["usd_per_kg"]:
            by_metal.setdefault(r["commodity"], []).append(r)
    out = {}
    for metal in sorted(by_metal):
        hot = [r for r in by_metal[metal] if r["declaration_id"] in flagged]
        rest = [r for r in by_metal[metal] if r["declaration_id"] not in flagged]
        out[metal] = Drawn(hot + rest[::_step(len(rest), len(hot))], len(hot) + len(rest), len(hot))
    return out


def _sample_sql(ctx: DetectContext, sql: str, flagged: set[str]) -> dict[str, Drawn]:
    """`_sample` in SQL (standard window functions, so that it transpiles to Spark). The flagged ids
    are inlined as literals: thousands of query parameters are slow to bind. `sql`'s own final
    ORDER BY is dropped: the window and the outer query order the rows, and it would sort them all."""
    sql = re.sub(r"\s+ORDER BY [\w., ]+$", "", sql.rstrip())
    ids = ", ".join("'" + str(i).replace("'", "''") + "'" for i in sorted(flagged))
    hot = f"CASE WHEN declaration_id IN ({ids}) THEN 1 ELSE 0 END" if ids else "0"
    cols = ", ".join(COLUMNS)
    # k: place in the metal's drawing order (flagged first, then by id); the others are n_hot, n_hot + 1...
    rows = ctx.query(f"""
        SELECT {cols}, n, n_hot FROM (
          SELECT v.*, count(*) OVER (PARTITION BY commodity) AS n,
                 CAST(sum(hot) OVER (PARTITION BY commodity) AS BIGINT) AS n_hot,
                 row_number() OVER (PARTITION BY commodity ORDER BY hot DESC, declaration_id) - 1 AS k
          FROM (SELECT {cols}, {hot} AS hot FROM ({sql}) d WHERE fine_kg <> 0 AND usd_per_kg <> 0) v) w
        WHERE hot = 1 OR (k - n_hot) % greatest(1, (n - n_hot) // greatest({MAX_POINTS} - n_hot, 1)) = 0
        ORDER BY commodity, k""")
    out: dict[str, Drawn] = {}
    for r in rows:
        out.setdefault(r["commodity"], Drawn([], r["n"], r["n_hot"])).rows.append(r)
    return out


def _year_fraction(d: object) -> float:
    if not isinstance(d, date):
        d = date.fromisoformat(str(d)[:10])
    return d.year + (d.timetuple().tm_yday - 1) / 366
