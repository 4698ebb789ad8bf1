"""Unit value against the reference price: each export declaration's value per fine kg divided by
the metal's reference price at its date (the data behind under- and overvaluation)."""

from __future__ import annotations

import re
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
from markupsafe import Markup

from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.detect.valuation import declarations_sql
from filon.report.charts import Point, scatter_chart
from filon.report.sections import Section
from filon.report.sections._html import figure
from filon.report.sections._kept import kept_rows

#: Points drawn per chart at most: every flagged declaration, then an even sample of the others.
MAX_POINTS = 2500


#: The alerts this section shows (it is given only those, and redrawn only when they change).
TYPOLOGIES = ("undervaluation", "overvaluation")

#: The columns a point needs.
SCHEMA = pa.schema([("declaration_id", pa.string()), ("commodity", pa.string()), ("product", pa.string()),
                    ("date", pa.date32()), ("value_usd", pa.float64()), ("fine_kg", pa.float64()),
                    ("usd_per_kg", pa.float64())])
COLUMNS = tuple(SCHEMA.names)
#: The name every valued declaration is kept under for the next run (see `_kept`).
KEPT_AS = "report_unit_values"


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

    Every valued declaration is needed to choose them. A full run has them already: the valuation
    detectors brought every row of `sql` into this context. An incremental run takes them from the
    last run, with the new batches' declarations added (`_kept`): the detectors read only those.
    Where rows cannot be kept (a throw-away workspace, Spark), the database samples them, rather
    than sending millions of rows to draw 2,500."""
    shared = ctx.query_shared(sql) if sql in ctx._shared else None  # (query_shared records what they read)
    rows = kept_rows(ctx, KEPT_AS, _valued_sql(sql), "exports", SCHEMA, ("declaration_id",),
                     whole=None if shared is None else lambda: _table(shared))
    return _sample_sql(ctx, sql, flagged) if rows is None else _sample(rows, flagged)


def _step(rest: int, hot: int) -> int:
    """Take every step-th unflagged declaration, so that about MAX_POINTS are drawn in all."""
    return max(1, rest // max(MAX_POINTS - hot, 1))


def _valued_sql(sql: str) -> str:
    """The valued declarations of `sql`, with the columns a point needs."""
    return f"SELECT {', '.join(COLUMNS)} FROM ({_unordered(sql)}) d WHERE fine_kg <> 0 AND usd_per_kg <> 0"


def _unordered(sql: str) -> str:
    """`sql` without its final ORDER BY: whoever reads it orders the rows, and it would sort them all."""
    return re.sub(r"\s+ORDER BY [\w., ]+$", "", sql.rstrip())


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    """The valued declarations of `rows` (those of `sql`) as the columns a point needs (as
    `_valued_sql` selects them: a fine mass and a price, neither missing nor 0)."""
    table = pa.table({f.name: pa.array(list(map(itemgetter(f.name), rows)), f.type) for f in SCHEMA}, schema=SCHEMA)
    return table.filter(pc.and_(pc.not_equal(table["fine_kg"], 0), pc.not_equal(table["usd_per_kg"], 0)))


def _sample(rows: pa.Table, flagged: set[str]) -> dict[str, Drawn]:
    """`drawn` from every valued declaration, sorted by id."""
    metals, hot = rows["commodity"], pc.is_in(rows["declaration_id"], value_set=pa.array(sorted(flagged), pa.string()))
    out = {}
    for metal in sorted(metals.unique().to_pylist()):
        mine = pc.equal(metals, metal)
        first = pc.indices_nonzero(pc.and_(mine, hot))
        rest = pc.indices_nonzero(pc.and_(mine, pc.invert(hot)))
        take = pa.concat_arrays([first, rest[::_step(len(rest), len(first))]])
        out[metal] = Drawn(rows.take(take).to_pylist(), len(first) + len(rest), len(first))
    return out


def _sample_sql(ctx: DetectContext, sql: str, flagged: set[str]) -> dict[str, Drawn]:
    """`_sample` in SQL (standard window functions, so that it transpiles to Spark). The flagged ids
    are inlined as literals: thousands of query parameters are slow to bind."""
    ids = ", ".join("'" + str(i).replace("'", "''") + "'" for i in sorted(flagged))
    hot = f"CASE WHEN declaration_id IN ({ids}) THEN 1 ELSE 0 END" if ids else "0"
    cols = ", ".join(COLUMNS)
    # k: place in the metal's drawing order (flagged first, then by id); the others are n_hot, n_hot + 1...
    rows = ctx.query(f"""
        SELECT {cols}, n, n_hot FROM (
          SELECT v.*, count(*) OVER (PARTITION BY commodity) AS n,
                 CAST(sum(hot) OVER (PARTITION BY commodity) AS BIGINT) AS n_hot,
                 row_number() OVER (PARTITION BY commodity ORDER BY hot DESC, declaration_id) - 1 AS k
          FROM (SELECT *, {hot} AS hot FROM ({_valued_sql(sql)}) d) v) w
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
