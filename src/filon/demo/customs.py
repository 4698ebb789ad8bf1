"""Planted cases on customs declarations and country totals, with their look-alikes.

Declarations are changed *after* the flows (a value, an assay) because nothing
downstream depends on them except the partner's mirror statistics, which are
built from the true values: an undervalued export still arrives at its real
price on the importer's side. Mirror gaps are planted as a distortion of the
partner's reported mass; the national balance breaks follow from the phantom
exports planted in `planted.py`.
"""

from __future__ import annotations

from collections import defaultdict

from filon.demo.market import price_per_kg
from filon.demo.model import Ctx

#: Partner-reported imports distorted on purpose: (origin, partner, year) -> factor on mass and value.
MIRROR_DISTORTION: dict[tuple[str, str, str], float] = {("CO", "AE", "2023"): 1.6, ("PE", "IN", "2024"): 0.45}


def plant_declarations(ctx: Ctx) -> None:
    """Under/over-valued declarations and gold hidden in copper concentrate."""
    rng = ctx.rng("planted-declarations")
    exports = ctx.rows["exports"]
    for row in exports:
        row["_true_value_usd"] = row["value_usd"]

    def candidates(country: str, year: str, min_kg: float = 8.0) -> list[dict[str, object]]:
        return [r for r in exports if r["country"] == country and str(r["date"]).startswith(year)
                and r["product"] == "dore" and r["commodity"] == "Au" and float(r["fine_mass_kg"]) >= min_kg
                and str(r["exporter_id"]) not in ctx.reserved and "_planted" not in r]

    def ratio(r: dict[str, object]) -> float:
        return float(r["value_usd"]) / (float(r["fine_mass_kg"]) * price_per_kg("Au", str(r["date"])[:7]))

    cases = (("undervaluation", "CO", "2023", 0.55, "fire"), ("undervaluation", "BO", "2024", 0.60, "fire"),
             ("overvaluation", "PE", "2022", 1.65, "fire"), ("overvaluation", "PE", "2023", 1.06, "silent"),
             ("undervaluation", "CO", "2024", 0.93, "silent"))
    for typology, country, year, target, expected in cases:
        row = rng.choice(candidates(country, year) or candidates(country, year, 0.5)
                         or [r for r in exports if r["country"] == country and r["commodity"] == "Au"
                             and "_planted" not in r][:1])
        row["_planted"] = True
        row["value_usd"] = round(float(row["fine_mass_kg"]) * price_per_kg("Au", str(row["date"])[:7]) * target, 2)
        ctx.truth_row(typology, "declaration", str(row["declaration_id"]), country, str(row["date"])[:7], expected,
                      f"declared at {target:.2f} times the reference gold price for its fine content"
                      + ("" if expected == "fire" else " (ordinary spread)"))
    volume: dict[str, float] = defaultdict(float)
    for r in exports:
        if str(r["date"]).startswith("2023") and r["commodity"] == "Au":
            volume[str(r["exporter_id"])] += float(r["fine_mass_kg"])
    established = max((a for a in ctx.actors.values() if a.actor_id in volume and a.actor_id not in ctx.reserved
                       and a.incorporation_date < "2015"), key=lambda a: (volume[a.actor_id], a.actor_id))
    ctx.truth_row("new_exporter_surge", "actor", established.actor_id, established.country, "2023", "silent",
                  f"large exporter ({volume[established.actor_id]:.0f} kg in 2023), but incorporated "
                  f"{established.incorporation_date}")
    conc = [r for r in exports if r["product"] == "concentrate" and r["commodity"] == "Au"]
    if conc:
        low = min(conc, key=lambda r: (ratio(r), str(r["declaration_id"])))
        ctx.truth_row("undervaluation", "declaration", str(low["declaration_id"]), str(low["country"]),
                      str(low["date"])[:7], "silent",
                      f"gold concentrate at {ratio(low):.2f} of the metal price: normal payable deductions")
    # content_misdeclaration: copper concentrate whose lot assays 85-120 g/t gold (normal: under 1 g/t).
    assays_by_lot = {str(a["lot_id"]): a for a in ctx.rows["assays"]}
    for i, exp_id in enumerate(ctx.notes["cu_exporters"]):  # type: ignore[arg-type]
        rows = [r for r in exports if r["exporter_id"] == exp_id and r["commodity"] == "Cu"]
        fire, quiet = rows[len(rows) // 2 + i], rows[1]
        assays_by_lot[str(fire["lot_id"])]["au_gpt"] = round(rng.uniform(85, 120), 3)
        ctx.truth_row("content_misdeclaration", "declaration", str(fire["declaration_id"]), "PE",
                      str(fire["date"])[:7], "fire",
                      "declared as copper concentrate; the lot assays over 85 g/t gold, which is not declared")
        ctx.truth_row("content_misdeclaration", "declaration", str(quiet["declaration_id"]), "PE",
                      str(quiet["date"])[:7], "silent",
                      "copper concentrate with trace gold (under 1 g/t), not payable")
    gold_conc = [r for r in exports if r["product"] == "concentrate" and r["commodity"] == "Au"
                 and str(r["lot_id"]) in assays_by_lot]
    if gold_conc:
        r = gold_conc[0]
        ctx.truth_row("content_misdeclaration", "declaration", str(r["declaration_id"]), str(r["country"]),
                      str(r["date"])[:7], "silent", "gold concentrate rich in gold, declared as gold")


def record_mirror_and_national(ctx: Ctx) -> None:
    """Ground truth of the country-level cases (planted through the flows and MIRROR_DISTORTION)."""
    for (origin, partner, year), factor in MIRROR_DISTORTION.items():
        ctx.truth_row("mirror_trade_gap", "country_pair", f"{origin}>{partner}", origin, year, "fire",
                      f"{partner} reports {factor:.2f} times the gold {origin} declares exporting to it")
        ctx.truth_row("mirror_trade_gap", "country_pair", f"{origin}>{partner}", origin, str(int(year) - 1),
                      "silent", "same pair the year before: only CIF/FOB and timing differences")
    ctx.truth_row("mirror_trade_gap", "country_pair", "BO>IN", "BO", "2022", "silent",
                  "large flow, only CIF/FOB and timing differences")
    for year in ("2023", "2024"):
        ctx.truth_row("national_export_exceeds_supply", "country", "BO", "BO", year, "fire",
                      "Bolivian gold exports exceed declared production (no imports) by about a third")
    ctx.truth_row("national_export_exceeds_supply", "country", "BO", "BO", "2022", "silent",
                  "exports just under production")
    ctx.truth_row("national_export_exceeds_supply", "country", "PE", "PE", "2023", "silent",
                  "exports about 90 % of production (the rest refined and sold at home)")
