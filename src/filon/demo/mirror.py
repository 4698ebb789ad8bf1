"""Partner-country import statistics that mirror the demo's exports.

Importing countries report monthly aggregates by origin and HS6 heading. A
normal mirror differs from the export side only by the CIF/FOB margin (CIF 1.2
to 3.5 % higher), weighing noise (under 1 %) and timing (a shipment declared
late in a month may be recorded by the partner the next month, never across a
year end), so any gap larger than that is a planted `mirror_trade_gap`.
"""

from __future__ import annotations

from collections import defaultdict

from filon.demo.market import add_months
from filon.demo.model import Ctx


def build_imports(ctx: Ctx, distort: dict[tuple[str, str, str], float] | None = None) -> None:
    """Aggregate exports into partner records; `distort[(origin, partner, year)]` scales a pair-year."""
    rng = ctx.rng("mirror")
    distort = distort or {}
    agg: dict[tuple[str, str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in ctx.rows["exports"]:
        date = str(row["date"])
        month = date[:7]
        if int(date[8:10]) >= 26 and month[5:] != "12" and rng.random() < 0.3:
            month = add_months(month, 1)
        key = (str(row["destination_country"]), str(row["country"]), month, str(row["hs_code"])[:6])
        fob = float(row.get("_true_value_usd", row["value_usd"]))  # partners see the real price
        agg[key][0] += float(row["net_mass_kg"]) * rng.uniform(0.992, 1.008)
        agg[key][1] += fob * rng.uniform(1.012, 1.035)
    for (partner, origin, period, hs6), (mass, value) in sorted(agg.items()):
        k = distort.get((origin, partner, period[:4]), 1.0)
        ctx.rows["imports"].append({
            "record_id": f"IMP-{partner}-{origin}-{period}-{hs6}", "country": partner, "period": period,
            "origin_country": origin, "hs_code": hs6, "net_mass_kg": round(mass * k, 3),
            "value_usd": round(value * k, 2), "importer_name": "", "exporter_name": "", "level": "aggregate",
        })
