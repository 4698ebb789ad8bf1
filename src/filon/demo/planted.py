"""Planted cases of the supply-chain and customs typologies, with their look-alikes.

Each case is planted by changing the *cause* (a trader that sells more than it
buys, an exporter that declares phantom gold, a right that declares beyond
capacity...) before the flows are simulated, so every table agrees with it.
Each is recorded in `ground_truth.csv` as `fire`, next to at least one `silent`
distractor that looks similar but is legitimate, so a detector's precision can
be measured, not just its recall.

Territorial, registry and input cases live in `territory.py`, `registry.py`
and `inputs.py`; this module covers the chain, customs and national totals.
"""

from __future__ import annotations

import random
from collections import defaultdict

from filon.demo.actors import new_actor, set_trade_partners
from filon.demo.geography import region_by_name
from filon.demo.market import MONTHS, days_in, month_index
from filon.demo.model import Actor, Ctx, Right
from filon.demo.rights import assign_outlet, make_right, set_production

#: Partner-reported imports distorted on purpose: (origin, partner, year) -> factor on mass and value.
MIRROR_DISTORTION: dict[tuple[str, str, str], float] = {("CO", "AE", "2023"): 1.6, ("PE", "IN", "2024"): 0.45}


# --- helpers -------------------------------------------------------------------

def pick(rng: random.Random, ctx: Ctx, items: list, label: str):  # type: ignore[no-untyped-def]
    """Choose one not-yet-reserved candidate and reserve it, so no actor or right serves two cases."""
    free = [x for x in items if _key(x) not in ctx.reserved]
    if not free:
        raise RuntimeError(f"no candidate left for planted case {label}")
    chosen = rng.choice(free)
    ctx.reserved.add(_key(chosen))
    return chosen


def _key(x: Actor | Right) -> str:
    return x.actor_id if isinstance(x, Actor) else x.right_id


def producing(ctx: Ctx, country: str, *, scale: str | None = None, product: str | None = "dore",
              seller_tier: int | None = 0, style: str | None = None) -> list[Right]:
    """Normal producing gold rights matching the filters, sold by a plain miner (tier 0) by default."""
    out = []
    for r in ctx.rights.values():
        if r.country != country or not r.producing or r.commodity != "Au" or r.operator_id or r.override_kg:
            continue
        if scale and r.scale != scale or product and r.product != product or style and r.region.style != style:
            continue
        if seller_tier is not None and ctx.actors[r.seller_id].tier != seller_tier:
            continue
        if r.start_month != MONTHS[0] or r.right_id in ctx.reserved or r.holder_id in ctx.reserved:
            continue
        out.append(r)
    return out


def traders(ctx: Ctx, country: str, *, role: str = "trader", kind: str | None = None) -> list[Actor]:
    return [a for a in ctx.by_country(country, tier=1) if role in a.roles and (kind is None or a.kind == kind)
            and (kind == "cooperative" or a.kind != "cooperative") and not a.schedule]


def renormalise(outlets: list[tuple[str, float]]) -> list[tuple[str, float]]:
    total = sum(s for _, s in outlets)
    return [(a, s / total) for a, s in outlets]


def new_exporter(ctx: Ctx, country: str, date: str, must: str | None = None) -> Actor:
    exp = new_actor(ctx, country, "company", ["exporter"], name_role="exporter", hub=True, date=date, tier=2)
    set_trade_partners(ctx, exp, must)
    ctx.reserved.add(exp.actor_id)
    return exp


# --- phase 1: structure (before production is computed) ---------------------------

def plant_structure(ctx: Ctx) -> None:
    """Rights with impossible or inactive production, planted exporters, controlled chains, copper mines."""
    rng = ctx.rng("planted")
    _capacity_cases(ctx, rng)
    _inactive_right_cases(ctx, rng)
    _no_disturbance_cases(ctx, rng)
    _processor_operator(ctx, rng)
    _shared_controller_chains(ctx, rng)
    _exporter_cases(ctx, rng)
    _copper_mines(ctx, rng)
    _territory_right(ctx, rng)


def _capacity_cases(ctx: Ctx, rng: random.Random) -> None:
    """production_over_capacity: declared fine gold implies 35-80 g/t at full capacity (normal: under 9)."""
    cases = (("PE", "artisanal", "2023", (55.0, 80.0)), ("CO", "small", "2024", (35.0, 50.0)),
             ("EC", "artisanal", "2022", (40.0, 60.0)))
    for country, scale, year, gpt in cases:
        cands = producing(ctx, country, scale=scale)
        if scale == "small":
            cands = sorted(cands, key=lambda r: r.capacity_tpd)[:max(3, len(cands) // 5)]
        right = pick(rng, ctx, cands, "production_over_capacity")
        for month in MONTHS:
            if month.startswith(year):
                right.override_kg[month] = right.capacity_tpd * days_in(month) * rng.uniform(*gpt) / 1000.0
        ctx.truth_row("production_over_capacity", "right", right.right_id, country, year, "fire",
                      f"{scale} right of {right.capacity_tpd:g} t/day declares fine gold implying "
                      f"{gpt[0]:.0f}-{gpt[1]:.0f} g/t at full capacity every month of {year}")
    # Look-alikes: the biggest producer (large absolute volume, low implied grade) and a rich small vein.
    big = max((r for r in ctx.rights.values() if r.producing and r.commodity == "Au" and not r.override_kg),
              key=lambda r: r.base_kg)
    ctx.reserved.add(big.right_id)
    ctx.truth_row("production_over_capacity", "right", big.right_id, big.country, "2023", "silent",
                  "largest declared production of the package, but well within its capacity")
    rich = max((r for r in producing(ctx, "PE", scale="small", product=None)),
               key=lambda r: r.base_kg / r.capacity_tpd)
    ctx.reserved.add(rich.right_id)
    ctx.truth_row("production_over_capacity", "right", rich.right_id, "PE", "2023", "silent",
                  "highest implied grade among normal small rights (under 9 g/t), plausible for a vein")


def _inactive_right_cases(ctx: Ctx, rng: random.Random) -> None:
    """inactive_right_production: output after expiry, and sales citing a cancelled right."""
    right = pick(rng, ctx, producing(ctx, "BO"), "inactive_right_production")
    right.status, right.expires_on = "expired", "2022-09-30"
    right.detection_window = (max(right.granted_on, "2022-01-01"), "2022-09-30")
    ctx.truth_row("inactive_right_production", "right", right.right_id, "BO", "2022-10", "fire",
                  "right expired on 2022-09-30 but keeps declaring production until 2024-12")
    # A miner with a producing right cites its cancelled neighbour in the sales of 2023.
    source = pick(rng, ctx, producing(ctx, "PE", style="alluvial"), "inactive_right_production")
    holder = ctx.actors[source.holder_id]
    ctx.reserved.add(holder.actor_id)
    grid = ctx.grids[source.region.key]
    bounds = grid.take(rng)  # type: ignore[attr-defined]
    cancelled = make_right(ctx, source.region, holder, "concession", "cancelled", source.scale, bounds,
                           granted="2009-05-12", expires="")
    ctx.plan.cite_instead[source.right_id] = (cancelled.right_id, 2023)
    ctx.reserved.add(cancelled.right_id)
    ctx.truth_row("inactive_right_production", "right", cancelled.right_id, "PE", "2023", "fire",
                  f"cancelled right cited as origin of the 2023 sales of gold declared by {source.right_id}")
    # Look-alikes: a right that produced until it expired in mid-2023; one granted in 2022 producing after.
    ended = pick(rng, ctx, producing(ctx, "CO"), "inactive_right_production silent")
    ended.status, ended.expires_on, ended.end_month = "expired", "2023-06-30", "2023-06"
    ended.detection_window = (max(ended.granted_on, "2022-01-01"), "2023-06-30")
    ctx.truth_row("inactive_right_production", "right", ended.right_id, "CO", "2023", "silent",
                  "expired on 2023-06-30 and declared production only up to 2023-06")
    fresh = pick(rng, ctx, producing(ctx, "EC"), "inactive_right_production silent")
    fresh.granted_on, fresh.start_month = "2022-07-15", "2022-08"
    ctx.truth_row("inactive_right_production", "right", fresh.right_id, "EC", "2022", "silent",
                  "granted on 2022-07-15; production starts 2022-08, never before the grant")


def _no_disturbance_cases(ctx: Ctx, rng: random.Random) -> None:
    """production_without_disturbance: small rights declaring steady output with no scar ever seen."""
    for country, style in (("PE", "hardrock"), ("CO", "alluvial")):
        cands = [r for r in producing(ctx, country, scale="small", style=style)]
        right = pick(rng, ctx, cands, "production_without_disturbance")
        right.no_detection = True
        ctx.truth_row("production_without_disturbance", "right", right.right_id, country, "", "fire",
                      "declares gold every month of 2022-2024; no mining disturbance is ever detected on it")
    early = pick(rng, ctx, producing(ctx, "BO"), "production_without_disturbance silent")
    early.detection_window = ("2022-01-05", "2022-03-31")
    ctx.truth_row("production_without_disturbance", "right", early.right_id, "BO", "", "silent",
                  "producing right whose only detection is from early 2022: disturbance is seen")


def _processor_operator(ctx: Ctx, rng: random.Random) -> None:
    """A plant that operates two rights of others (producer_id): its sales exceed purchases legitimately."""
    plant = pick(rng, ctx, traders(ctx, "PE", role="processor"), "mass_balance_break silent")
    cands = [r for r in producing(ctx, "PE", scale="small", product=None)
             if plant.region and r.region.department == plant.region.department]
    cands = cands or producing(ctx, "PE", scale="small", product=None)
    for _ in range(2):
        right = pick(rng, ctx, cands, "operator")
        right.operator_id = plant.actor_id
    ctx.notes["mbb_silent_operator"] = plant.actor_id
    # Normal contractors: 2 % of producing rights of persons are worked by a contracting company.
    for right in list(ctx.rights.values()):
        if right.producing and not right.operator_id and right.right_id not in ctx.reserved \
                and ctx.actors[right.holder_id].kind == "person" and rng.random() < 0.02:
            op = new_actor(ctx, right.country, "company", ["miner"], name_role="miner", region=right.region,
                           years=(2005, 2018))
            assign_outlet(ctx, op, right.product, right.scale)
            right.operator_id = op.actor_id


def _shared_controller_chains(ctx: Ctx, rng: random.Random) -> None:
    """A miner, a trader and an exporter under one person (PE); a trader, a plant and an exporter (CO)."""
    # Peru, Puno: owner P -> miner M (two new rights) -> trader T -> exporter E.
    ananea = region_by_name("ANANEA")
    owner = new_actor(ctx, "PE", "person", [], hub=True, years=(1998, 2005))
    exporter = new_exporter(ctx, "PE", "2009-04-17")
    trader = new_actor(ctx, "PE", "company", ["trader"], name_role="trader", region=ananea, date="2011-08-03",
                       tier=1)
    trader.outlets = [(exporter.actor_id, 1.0)]
    miner = new_actor(ctx, "PE", "company", ["miner"], name_role="miner", region=ananea, date="2010-02-22",
                      tier=0)
    miner.outlets = [(trader.actor_id, 1.0)]
    grid = ctx.grids[ananea.key]
    for _ in range(2):
        right = make_right(ctx, ananea, miner, "concession", "active", "small", grid.take(rng),  # type: ignore[attr-defined]
                           granted="2012-06-18", expires="")
        set_production(ctx, right, "dore")
        ctx.reserved.add(right.right_id)
    feeders = [r for r in producing(ctx, "PE") if r.region.department == "PUNO"][:6]
    for r in feeders:
        ctx.actors[r.seller_id].outlets = [(trader.actor_id, 1.0)]
    for a in (owner, exporter, trader, miner):
        ctx.reserved.add(a.actor_id)
    ctx.notes["sc_pe"] = {"owner": owner.actor_id, "miner": miner.actor_id, "trader": trader.actor_id,
                          "exporter": exporter.actor_id}
    # Colombia, Segovia: owner Q -> trader T2 and plant P2 -> exporter E2.
    segovia = region_by_name("SEGOVIA")
    owner2 = new_actor(ctx, "CO", "person", [], hub=True, years=(1999, 2006))
    exporter2 = new_exporter(ctx, "CO", "2010-09-01", must="CH")
    trader2 = new_actor(ctx, "CO", "company", ["trader"], name_role="trader", region=segovia, date="2014-03-12",
                        tier=1)
    plant2 = new_actor(ctx, "CO", "company", ["processor"], name_role="processor", region=segovia,
                       date="2013-11-05", tier=1)
    trader2.outlets = [(exporter2.actor_id, 1.0)]
    plant2.outlets = [(exporter2.actor_id, 1.0)]
    co_dore = [r for r in producing(ctx, "CO") if r.region.department == "ANTIOQUIA"][:6]
    co_ore = [r for r in producing(ctx, "CO", product="ore")][:4]
    for r in co_dore:
        ctx.actors[r.seller_id].outlets = [(trader2.actor_id, 1.0)]
    for r in co_ore:
        ctx.actors[r.seller_id].outlets = [(plant2.actor_id, 1.0)]
    for a in (owner2, exporter2, trader2, plant2):
        ctx.reserved.add(a.actor_id)
    ctx.notes["sc_co"] = {"owner": owner2.actor_id, "trader": trader2.actor_id, "plant": plant2.actor_id,
                          "exporter": exporter2.actor_id}


def _exporter_cases(ctx: Ctx, rng: random.Random) -> None:
    """Exporters for export_without_supply and new_exporter_surge, wired to real (small) suppliers."""
    # export_without_supply: an old exporter with a thin supply that ships three times what it buys.
    for country, date, key, share in (("PE", "2013-05-20", "ews_pe", 0.3), ("BO", "2011-10-03", "ews_bo", 0.35)):
        exp = new_exporter(ctx, country, date, must="IN" if country == "BO" else None)
        supplier = pick(rng, ctx, traders(ctx, country), "ews supplier")
        supplier.outlets = renormalise([(a, s * (1 - share)) for a, s in supplier.outlets] + [(exp.actor_id, share)])
        ctx.notes[key] = exp.actor_id
    # new_exporter_surge: fresh companies that take over the output of the biggest traders.
    for country, date, first, key in (("CO", "2023-06-12", "2023-08", "nes_co"), ("PE", "2022-09-20", "2022-11", "nes_pe")):
        exp = new_exporter(ctx, country, date, must="CH")
        ctx.notes[key] = (exp.actor_id, first)
    ctx.notes["nes_ec_silent"] = (new_exporter(ctx, "EC", "2024-02-05").actor_id, "2024-04")


def _copper_mines(ctx: Ctx, rng: random.Random) -> None:
    """Two integrated copper producers: the declarations where gold hides in copper concentrate."""
    cu_exporters: list[str] = []
    for name in ("CHALA", "PATAZ"):
        region = region_by_name(name)
        company = new_actor(ctx, "PE", "company", ["miner", "exporter"], name_role="miner", hub=True,
                            years=(1995, 2005), tier=2)
        company.destinations = [("CN", 0.6), ("JP", 0.25), ("KR", 0.15)]
        bounds = ctx.grids[region.key].take(rng, 2)  # type: ignore[attr-defined]
        if bounds is None:
            bounds = ctx.grids[region.key].take(rng, 1)  # type: ignore[attr-defined]
        right = make_right(ctx, region, company, "concession", "active", "medium", bounds, granted="2004-03-15",
                           expires="", commodities="Cu;Au;Ag")
        right.capacity_tpd = float(rng.randint(1500, 3000))
        right.producing, right.commodity, right.product, right.purity = True, "Cu", "concentrate", 0.26
        right.grade_gpt, right.recovery, right.util = rng.uniform(6000, 9000), 0.88, rng.uniform(0.55, 0.7)
        right.base_kg = right.capacity_tpd * 30.4 * right.util * right.grade_gpt * right.recovery / 1e6
        ctx.reserved.update({company.actor_id, right.right_id})
        cu_exporters.append(company.actor_id)
    ctx.notes["cu_exporters"] = cu_exporters


def _territory_right(ctx: Ctx, rng: random.Random) -> None:
    """An active, producing right granted inside an indigenous territory (its scars are planted there)."""
    from filon.demo.geography import AREA_SPECS, rect_ring, area_ha
    spec = next(s for s in AREA_SPECS if s.area_id == "AREA-PE-IT-01")
    region = region_by_name("MADRE DE DIOS")
    holder = new_actor(ctx, "PE", "person", ["miner"], region=region, years=(2008, 2012))
    cx, cy = spec.center
    right = make_right(ctx, region, holder, "formalization", "active", "small",
                       (cx - 0.004, cy - 0.004, cx + 0.004, cy + 0.004), granted="2015-08-03", expires="2025-06-30")
    right.ring = rect_ring(rng, cx - 0.004, cy - 0.004, cx + 0.004, cy + 0.004)
    right.area_ha = area_ha(right.ring)
    set_production(ctx, right, "dore")
    assign_outlet(ctx, holder, "dore", "small")
    ctx.reserved.update({holder.actor_id, right.right_id})
    ctx.notes["pad_right"] = right.right_id


# --- phase 2: volumes (after production, before the flows) --------------------------

def expected_inflows(ctx: Ctx, by_month: dict[str, list[tuple[Right, float]]]) -> dict[tuple[str, int], float]:
    """Approximate yearly gold reaching each buyer directly from production (to size planted cases)."""
    out: dict[tuple[str, int], float] = defaultdict(float)
    for month, items in by_month.items():
        year, mi = int(month[:4]), month_index(month)
        for right, fine in items:
            if right.commodity != "Au":
                continue
            seller = ctx.actors[right.seller_id]
            if seller.tier == 0:
                out[(seller.outlets_at(mi)[0][0], year)] += fine * 0.9875
            else:
                out[(seller.actor_id, year)] += fine
    return out


def plant_volumes(ctx: Ctx, by_month: dict[str, list[tuple[Right, float]]]) -> None:
    """Mass-balance breaks, phantom exports and surges, sized on the production they will sit on."""
    rng = ctx.rng("planted-volumes")
    inflow = expected_inflows(ctx, by_month)
    plan = ctx.plan

    def sized(cands: list[Actor], year: int) -> list[Actor]:
        ok = sorted((a for a in cands if inflow[(a.actor_id, year)] >= 15 and a.actor_id not in ctx.reserved),
                    key=lambda a: inflow[(a.actor_id, year)])
        if not ok:
            ok = sorted((a for a in cands if a.actor_id not in ctx.reserved), key=lambda a: -inflow[(a.actor_id, year)])[:1]
        return ok[len(ok) // 3: max(len(ok) // 3 + 1, 2 * len(ok) // 3)] or ok

    # mass_balance_break: four intermediaries sell 1.35-2.5 times what they bought and produced in one year.
    cases = (("PE", "trader", None, 2023, 1.8), ("CO", "processor", None, 2022, 1.45),
             ("BO", "trader", "cooperative", 2024, 2.5), ("EC", "trader", None, 2024, 1.35))
    for country, role, kind, year, factor in cases:
        actor = pick(rng, ctx, sized(traders(ctx, country, role=role, kind=kind), year), "mass_balance_break")
        for y in (2022, 2023, 2024):
            if y == year:
                plan.sale_factor[(actor.actor_id, y)] = factor
        what = {"trader": "trader", "processor": "processing plant"}[role] if kind is None else "cooperative"
        ctx.truth_row("mass_balance_break", "actor", actor.actor_id, country, str(year), "fire",
                      f"{what} sells {factor:.2f} times the fine gold it bought and produced in {year}")
        other = 2023 if year != 2023 else 2022
        ctx.truth_row("mass_balance_break", "actor", actor.actor_id, country, str(other), "silent",
                      f"same {what}, balanced in {other}")
    d1 = pick(rng, ctx, sized(traders(ctx, "PE"), 2023), "mbb silent 2pct")
    for y in (2022, 2023, 2024):
        plan.sale_factor[(d1.actor_id, y)] = 1.018
    ctx.truth_row("mass_balance_break", "actor", d1.actor_id, "PE", "2023", "silent",
                  "sells 1.8 % more than it buys every year (moisture and assay differences), within tolerance")
    d2 = pick(rng, ctx, sized(traders(ctx, "CO"), 2023), "mbb silent carry")
    plan.carry_share[d2.actor_id] = 0.5
    ctx.truth_row("mass_balance_break", "actor", d2.actor_id, "CO", "2023", "silent",
                  "keeps half of its December stock and sells it in January: January sales exceed January "
                  "purchases, the year balances")
    coops = [a for a in traders(ctx, "BO", kind="cooperative") if a.actor_id not in ctx.reserved]
    produced: dict[str, float] = defaultdict(float)
    for month, items in by_month.items():
        if month.startswith("2023"):
            for r, f in items:
                produced[r.seller_id] += f
    own = {a.actor_id: produced[a.actor_id] for a in coops}
    if coops:
        d3 = max(coops, key=lambda a: (own[a.actor_id] / (inflow[(a.actor_id, 2023)] - own[a.actor_id] + 1.0),
                                       a.actor_id))
        ctx.reserved.add(d3.actor_id)
        ctx.truth_row("mass_balance_break", "actor", d3.actor_id, "BO", "2023", "silent",
                      "cooperative selling far more than it buys, covered by the production of its own areas")
    ctx.truth_row("mass_balance_break", "actor", str(ctx.notes["mbb_silent_operator"]), "PE", "2023", "silent",
                  "plant selling more than it buys; the rest is production of rights it operates (producer_id)")

    # export_without_supply: PE exporter triples its purchases in 2024; BO exporter ships phantom gold
    # worth 40 % of national production in 2023 and 2024 (which also breaks the national balance).
    ews_pe, ews_bo = str(ctx.notes["ews_pe"]), str(ctx.notes["ews_bo"])
    plan.export_factor[(ews_pe, 2024)] = 3.0
    ctx.truth_row("export_without_supply", "actor", ews_pe, "PE", "2024", "fire",
                  "exports three times the fine gold it bought in 2024")
    ctx.truth_row("export_without_supply", "actor", ews_pe, "PE", "2023", "silent", "same exporter, covered in 2023")
    bo_prod: dict[str, float] = defaultdict(float)
    for month, items in by_month.items():
        bo_prod[month] += sum(f for r, f in items if r.country == "BO" and r.commodity == "Au")
    for month in MONTHS:
        if month[:4] in ("2023", "2024"):
            plan.phantom_kg[(ews_bo, month)] = round(0.40 * bo_prod[month], 4)
    for year in ("2023", "2024"):
        ctx.truth_row("export_without_supply", "actor", ews_bo, "BO", year, "fire",
                      f"exports in {year} far beyond its purchases (phantom gold equal to 40 % of Bolivian output)")
    ctx.truth_row("export_without_supply", "actor", ews_bo, "BO", "2022", "silent", "same exporter, covered in 2022")
    integrated = [a for a in ctx.actors.values() if a.tier == 2 and "miner" in a.roles and a.actor_id not in ctx.reserved]
    if integrated:
        own_prod = {a.actor_id: inflow[(a.actor_id, 2023)] for a in integrated}
        big = max(integrated, key=lambda a: (own_prod[a.actor_id], a.actor_id))
        ctx.reserved.add(big.actor_id)
        ctx.truth_row("export_without_supply", "actor", big.actor_id, big.country, "2023", "silent",
                      "exports without buying from anyone: it exports its own mines' production")

    # new_exporter_surge: the two or three biggest free traders switch 70 % of their output to the newcomer.
    for key, n_feeders in (("nes_co", 3), ("nes_pe", 2)):
        exp_id, first = ctx.notes[key]  # type: ignore[misc]
        exp = ctx.actors[exp_id]
        year = int(first[:4])
        cands = sorted((a for a in traders(ctx, exp.country) if a.actor_id not in ctx.reserved),
                       key=lambda a: (-inflow[(a.actor_id, year)], a.actor_id))[:n_feeders]
        for feeder in cands:
            ctx.reserved.add(feeder.actor_id)
            feeder.schedule.append((month_index(first), renormalise(
                [(a, s * 0.3) for a, s in feeder.outlets] + [(exp_id, 0.7)])))
        ctx.truth_row("new_exporter_surge", "actor", exp_id, exp.country, first[:4], "fire",
                      f"incorporated {exp.incorporation_date}, exports from {first} the bulk of "
                      f"{len(cands)} large traders' gold")
    exp_id, first = ctx.notes["nes_ec_silent"]  # type: ignore[misc]
    small = min((a for a in traders(ctx, "EC") if a.actor_id not in ctx.reserved and inflow[(a.actor_id, 2024)] > 1),
                key=lambda a: (inflow[(a.actor_id, 2024)], a.actor_id))
    ctx.reserved.add(small.actor_id)
    small.schedule.append((month_index(first), renormalise([(a, s * 0.8) for a, s in small.outlets]
                                                           + [(exp_id, 0.2)])))
    ctx.truth_row("new_exporter_surge", "actor", exp_id, "EC", "2024", "silent",
                  "new exporter (2024-02) with small volumes bought from one small trader")


# --- phase 3: declarations (after the flows) -----------------------------------------

def plant_declarations(ctx: Ctx) -> None:
    """Under/over-valued declarations and gold hidden in copper concentrate."""
    rng = ctx.rng("planted-declarations")
    from filon.demo.market import price_per_kg
    exports = ctx.rows["exports"]
    for row in exports:
        row["_true_value_usd"] = row["value_usd"]

    def candidates(country: str, year: str, product: str = "dore") -> list[dict[str, object]]:
        return [r for r in exports if r["country"] == country and str(r["date"]).startswith(year)
                and r["product"] == product and r["commodity"] == "Au" and float(r["fine_mass_kg"]) >= 8
                and str(r["exporter_id"]) not in ctx.reserved and "_planted" not in r]

    def ratio(r: dict[str, object]) -> float:
        return float(r["value_usd"]) / (float(r["fine_mass_kg"]) * price_per_kg("Au", str(r["date"])[:7]))

    cases = (("undervaluation", "CO", "2023", 0.55, "fire"), ("undervaluation", "BO", "2024", 0.60, "fire"),
             ("overvaluation", "PE", "2022", 1.65, "fire"), ("overvaluation", "PE", "2023", 1.06, "silent"),
             ("undervaluation", "CO", "2024", 0.93, "silent"))
    for typology, country, year, target, expected in cases:
        row = rng.choice(candidates(country, year) or candidates(country, year, "dore")[:1]
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
