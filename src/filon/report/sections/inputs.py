"""Report section: controlled inputs bought against what declared gold explains.

Two views: the actors whose purchases most exceed what their gold explains (from the
input_overuse alerts: bought ÷ allowed per input), and where the inputs went (each input's
purchases per administrative area and year, in one unit, with the share bought by alerted
actors). Quantities are converted with the same unit table the detector uses, so the section and
the alerts never disagree; purchases in a unit that does not fit their input are left out of the
charts and counted in the intro.
"""

from __future__ import annotations

from collections import defaultdict

from markupsafe import Markup, escape

from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.engine.duckdb import sql_literal
from filon.report.charts import BAR_FILL_ALT, Bar, bar_chart
from filon.report.sections import Section

TOP_ACTORS = 15
TOP_AREAS = 12


def _actor_bars(alerts: list[dict]) -> list[Bar]:
    bars = []
    for a in alerts:
        for e in a["evidence"].get("inputs", []):
            if "excess" not in e:
                continue
            over = e["bought"] / e["allowed"] if e["allowed"] else None
            label = f"{a['subject_id']} {e['input']} {a['period']}"
            text = (f"{e['bought']:,.0f} / {e['allowed']:,.0f} {e['unit']}" if over is not None
                    else f"{e['bought']:,.0f} {e['unit']}, nothing explained")
            bars.append(Bar(label=label, value=over if over is not None else 0.0, value_text=text,
                            tooltip=f"{label}: bought {e['bought']:,.1f} {e['unit']}, declared gold explains "
                                    f"{e['explained']:,.1f} (allowed with margin {e['allowed']:,.1f})"))
    bars.sort(key=lambda b: (b.value == 0.0, -b.value))
    return bars[:TOP_ACTORS]


AREA_SQL = """SELECT input, unit, coalesce(admin_area, '(no admin area)') AS admin_area, strftime(date, '%Y') AS year,
                     sum(quantity) AS quantity, count(*) AS n
              FROM inputs WHERE quantity IS NOT NULL
              GROUP BY input, unit, coalesce(admin_area, '(no admin area)'), strftime(date, '%Y')"""


def _area_rows(ctx: DetectContext) -> list[dict]:
    """Purchases per input, unit, area and year: a few hundred rows from the whole table, kept for the
    next run while `inputs` is unchanged (a batch of production or declarations redraws the section
    because the alerts' evidence moved, not the purchases)."""
    return ctx.memo(("report inputs areas", AREA_SQL), lambda: ctx.query(AREA_SQL), ("inputs",),
                    keep="report_inputs_areas")


def _flagged_rows(ctx: DetectContext, flagged: set[tuple[str, str]]) -> list[dict]:
    """The same sums over the purchases of the actors and years with an input_overuse alert alone."""
    if not flagged:
        return []
    actors = ", ".join(sql_literal(a) for a in sorted({a for a, _ in flagged}))
    rows = ctx.query(f"""SELECT input, unit, coalesce(admin_area, '(no admin area)') AS admin_area,
                                strftime(date, '%Y') AS year, actor_id, sum(quantity) AS quantity
                         FROM inputs WHERE quantity IS NOT NULL AND actor_id IN ({actors})
                         GROUP BY input, unit, coalesce(admin_area, '(no admin area)'), strftime(date, '%Y'), actor_id""")
    return [r for r in rows if (r["actor_id"], r["year"]) in flagged]


#: The alerts this section shows (it is given only those, and redrawn only when they change).
TYPOLOGIES = ("input_overuse",)


def section(ctx: DetectContext, alerts: list[dict]) -> Section | None:
    rows = _area_rows(ctx)
    if not rows:
        return None
    p = defaults("input_overuse")
    flagged = {(a["subject_id"], a["period"]) for a in alerts if a["typology"] == "input_overuse"}
    totals: dict[str, dict[tuple[str, str], list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    units: dict[str, str] = {}
    skipped = 0
    for column, part in ((0, rows), (1, _flagged_rows(ctx, flagged))):
        for r in part:
            dimension = p.input_dimension.get(r["input"])
            factor = p.unit_factors.get(dimension or "", {}).get(r["unit"])
            if factor is None:
                skipped += int(r["n"]) if column == 0 else 0
                continue
            units[r["input"]] = p.canonical_unit[dimension]
            totals[r["input"]][(r["admin_area"], r["year"])][column] += r["quantity"] * factor
    parts: list[Markup] = []
    actor_bars = _actor_bars([a for a in alerts if a["typology"] == "input_overuse"])
    if actor_bars:
        parts.append(Markup("<h3>Bought ÷ what declared gold explains (with margin), top actors</h3>"))
        parts.append(bar_chart(actor_bars, title="Controlled inputs bought against what declared production explains",
                               description="One bar per actor, input and year with an overuse alert; "
                                           "1 means exactly the allowance.", chart_id="inputs-actors"))
    for item in sorted(totals, key=lambda i: -sum(v[0] for v in totals[i].values())):
        cells = sorted(totals[item].items(), key=lambda kv: -kv[1][0])[:TOP_AREAS]
        bars = [Bar(label=f"{area} {year}", value=q,
                    value_text=f"{q:,.0f} {units[item]}" + (f" ({flag / q:.0%} alerted)" if flag and q else ""),
                    tooltip=f"{item} delivered in {area} in {year}: {q:,.1f} {units[item]}, "
                            f"of which {flag:,.1f} by actors with an input_overuse alert that year")
                for (area, year), (q, flag) in cells]
        parts.append(Markup("<h3>{} bought per administrative area and year ({})</h3>").format(item, units[item]))
        parts.append(bar_chart(bars, title=f"{item} bought per administrative area and year",
                               colour=BAR_FILL_ALT, chart_id=f"inputs-{escape(item)}"))
    note = f" {skipped} purchase(s) recorded in a unit that does not fit their input are not charted." if skipped else ""
    return Section(
        key="section-inputs", title="Controlled inputs",
        intro=("Mercury, cyanide, explosives and fuel bought, against what the buyers' declared gold can explain, "
               "and where they were delivered. Units are converted (g, t → kg; gal, m3 → L) before anything is "
               "added." + note),
        html=Markup("").join(parts))
