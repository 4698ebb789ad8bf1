"""Mirror trade per partner: what each exporting country declares shipping to a partner against
what the partner declares receiving (the data behind `mirror_trade_gap`)."""

from __future__ import annotations

from markupsafe import Markup

from filon.detect.context import DetectContext
from filon.report.charts import Bar, bar_chart
from filon.report.sections import Section
from filon.report.sections._html import figure, table


#: The alerts this section shows (it is given only those, and redrawn only when they change).
TYPOLOGIES = ("mirror_trade_gap",)


def section(ctx: DetectContext, alerts: list[dict]) -> Section | None:
    rows = ctx.query("""
        WITH ex AS (SELECT country AS exp, destination_country AS imp, CAST(year(date) AS VARCHAR) AS year,
                           left(hs_code, 4) AS hs, sum(net_mass_kg) AS ex_kg, sum(value_usd) AS ex_usd
                    FROM exports GROUP BY ALL),
             im AS (SELECT origin_country AS exp, country AS imp, left(period, 4) AS year, left(hs_code, 4) AS hs,
                           sum(net_mass_kg) AS im_kg, sum(value_usd) AS im_usd FROM imports GROUP BY ALL)
        SELECT exp, imp, year, sum(ex_kg) AS ex_kg, sum(ex_usd) AS ex_usd, sum(im_kg) AS im_kg, sum(im_usd) AS im_usd
        FROM ex JOIN im USING (exp, imp, year, hs) GROUP BY exp, imp, year ORDER BY exp, imp, year""")
    if not rows:
        return None
    fired = {(a["subject_id"], a["period"]) for a in alerts if a["typology"] == "mirror_trade_gap"}
    for r in rows:
        r["pair"] = f"{r['exp']}>{r['imp']}"
        r["ratio"] = r["im_usd"] / r["ex_usd"] if r["ex_usd"] else None
    ranked = sorted(rows, key=lambda r: -abs((r["im_usd"] or 0) - (r["ex_usd"] or 0)))[:25]
    bars = [Bar(label=f"{r['pair']} {r['year']}", value=abs(r["im_usd"] - r["ex_usd"]),
                value_text=f"{'+' if r['im_usd'] >= r['ex_usd'] else '−'}{abs(r['im_usd'] - r['ex_usd']) / 1e6:,.1f} M USD",
                tooltip=f"{r['pair']} {r['year']}: partner reports {r['im_usd']:,.0f} USD (CIF), "
                        f"exporter reports {r['ex_usd']:,.0f} USD (FOB)") for r in ranked]
    chart = bar_chart(bars, title="Largest mirror gaps (partner-reported imports minus reported exports)",
                      description="+ the partner reports more than was declared exported; − less.",
                      chart_id="mirror-gaps")
    body = Markup("").join([
        figure(chart, "Absolute gap in USD for the 25 largest pair-years; + means the partner reports more. A CIF "
                      "value is normally a few percent above FOB, so small positive gaps are ordinary."),
        table(["exporter > partner", "year", "exported kg", "exported USD (FOB)", "partner kg", "partner USD (CIF)",
               "CIF / FOB"],
              [(r["pair"], r["year"], r["ex_kg"], r["ex_usd"], r["im_kg"], r["im_usd"],
                f"{r['ratio']:.2f}" if r["ratio"] else "—") for r in rows],
              numeric=(2, 3, 4, 5, 6), flagged=[(r["pair"], r["year"]) in fired for r in rows],
              caption="Mirror statistics per pair and year (headings matched at 4 digits)")])
    return Section(key="mirror-trade", title="Mirror gaps per partner",
                   intro="What each country declares exporting to a partner against what the partner declares "
                         "importing from it; ⚑ marks the pair-years mirror_trade_gap flags after its margins.",
                   html=body)
