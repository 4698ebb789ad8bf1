"""Planted cases of the supply-chain and customs typologies, with their look-alikes.

Each case is planted by changing the *cause* (a trader that sells more than it
buys, an exporter that declares phantom gold, a right that declares beyond
capacity...) before the flows are simulated, so every table agrees with it.
Each is recorded in `ground_truth.csv` as `fire`, next to at least one `silent`
distractor that looks similar but is legitimate, so a detector's precision can
be measured, not just its recall.

Territorial, registry and input cases live in `territory.py`, `registry.py`
and `inputs.py`, declaration and country-level cases in `customs.py`; this
module covers the supply chain (rights, traders, exporters).
"""

from __future__ import annotations

import random
from collections import defaultdict

from filon.demo.actors import new_actor, set_trade_partners
from filon.demo.geography import AREA_SPECS, area_ha, rect_ring, region_by_name
from filon.demo.market import MONTHS, days_in, month_index
from filon.demo.model import Actor, Ctx, Right
from filon.demo.rights import assign_outlet, make_right, set_production

# --- helpers -------------------------------------------------------------------

def pick(rng: random.Random, ctx: Ctx, items: list, label: str, *fallbacks: list):  # type: ignore[no-untyped-def]
    """Choose one not-yet-reserved candidate and reserve it, so no actor or right serves two cases.

    At small scales the preferred pool can be empty; `fallbacks` are wider
    pools tried in order, so every case exists at any scale.
    """
    for pool in (items, *fallbacks):
        free = [x for x in pool if _key(x) not in ctx.reserved]
        if free:
            chosen = rng.choice(free)
            ctx.reserved.add(_key(chosen))
            return chosen
    raise RuntimeError(f"no candidate left for planted case {label}")


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


def wider(ctx: Ctx, country: str) -> tuple[list[Right], list[Right]]:
    """Fallback pools for small scales: any product, then any seller."""
    return producing(ctx, country, product=None), producing(ctx, country, product=None, seller_tier=None)


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
    cases = (("PE", "artisanal", "2023", (55.0, 80.0)), ("CO", "artisanal", "2024", (35.0, 50.0)),
             ("EC", "artisanal", "2022", (40.0, 60.0)))
    for country, scale, year, gpt in cases:
        # Small capacities only: the inflated declarations must not swamp national output at small scales.
        cands = sorted(producing(ctx, country, scale=scale), key=lambda r: (r.capacity_tpd, r.right_id))
        cands = cands[:max(3, len(cands) // 3)]
        right = pick(rng, ctx, cands, "production_over_capacity", producing(ctx, country, product=None),
                     producing(ctx, country, product=None, seller_tier=None))
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
    rich = max(producing(ctx, "PE", scale="small", product=None) or producing(ctx, "PE", product=None),
               key=lambda r: (r.base_kg / r.capacity_tpd, r.right_id))
    ctx.reserved.add(rich.right_id)
    ctx.truth_row("production_over_capacity", "right", rich.right_id, "PE", "2023", "silent",
                  "highest implied grade among normal small rights (under 9 g/t), plausible for a vein")


def _inactive_right_cases(ctx: Ctx, rng: random.Random) -> None:
    """inactive_right_production: output after expiry, and sales citing a cancelled right."""
    right = pick(rng, ctx, producing(ctx, "BO"), "inactive_right_production", *wider(ctx, "BO"))
    right.status, right.expires_on = "expired", "2022-09-30"
    right.detection_window = (max(right.granted_on, "2022-01-01"), "2022-09-30")
    ctx.truth_row("inactive_right_production", "right", right.right_id, "BO", "2022-10", "fire",
                  "right expired on 2022-09-30 but keeps declaring production until 2024-12")
    # A miner with a producing right cites its cancelled neighbour in the sales of 2023.
    source = pick(rng, ctx, producing(ctx, "PE", style="alluvial"), "inactive_right_production", *wider(ctx, "PE"))
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
    ended = pick(rng, ctx, producing(ctx, "CO"), "inactive_right_production silent", *wider(ctx, "CO"))
    ended.status, ended.expires_on, ended.end_month = "expired", "2023-06-30", "2023-06"
    ended.detection_window = (max(ended.granted_on, "2022-01-01"), "2023-06-30")
    ctx.truth_row("inactive_right_production", "right", ended.right_id, "CO", "2023", "silent",
                  "expired on 2023-06-30 and declared production only up to 2023-06")
    fresh = pick(rng, ctx, producing(ctx, "EC"), "inactive_right_production silent", *wider(ctx, "EC"))
    fresh.granted_on, fresh.start_month = "2022-07-15", "2022-08"
    ctx.truth_row("inactive_right_production", "right", fresh.right_id, "EC", "2022", "silent",
                  "granted on 2022-07-15; production starts 2022-08, never before the grant")


def _no_disturbance_cases(ctx: Ctx, rng: random.Random) -> None:
    """production_without_disturbance: small rights declaring steady output with no scar ever seen."""
    for country, style in (("PE", "hardrock"), ("CO", "alluvial")):
        cands = [r for r in producing(ctx, country, scale="small", style=style)]
        right = pick(rng, ctx, cands, "production_without_disturbance", *wider(ctx, country))
        right.no_detection = True
        ctx.truth_row("production_without_disturbance", "right", right.right_id, country, "", "fire",
                      "declares gold every month of 2022-2024; no mining disturbance is ever detected on it")
    early = pick(rng, ctx, producing(ctx, "BO"), "production_without_disturbance silent", *wider(ctx, "BO"))
    early.detection_window = ("2022-01-05", "2022-03-31")
    ctx.truth_row("production_without_disturbance", "right", early.right_id, "BO", "", "silent",
                  "producing right whose only detection is from early 2022: disturbance is seen")
    # A large mine (underground in the region) producing with no scar: normal, must stay silent. Chosen
    # without drawing from `rng` so the other planted cases stay where they were.
    large = sorted((r for r in ctx.rights.values() if r.producing and r.scale == "large" and not r.detection_window),
                   key=lambda r: (r.right_id in ctx.reserved, r.right_id))
    if large:
        large[0].no_detection = True
        ctx.truth_row("production_without_disturbance", "right", large[0].right_id, large[0].country, "", "silent",
                      "large mine (underground): declares production with no surface scar, as expected")


def _processor_operator(ctx: Ctx, rng: random.Random) -> None:
    """A plant that operates two rights of others (producer_id): its sales exceed purchases legitimately."""
    plant = pick(rng, ctx, traders(ctx, "PE", role="processor"), "mass_balance_break silent")
    cands = [r for r in producing(ctx, "PE", scale="small", product=None)
             if plant.region and r.region.department == plant.region.department]
    for _ in range(2):
        right = pick(rng, ctx, cands, "operator", producing(ctx, "PE", scale="small", product=None),
                     producing(ctx, "PE", product=None))
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
    feeders = ([r for r in producing(ctx, "PE") if r.region.department == "PUNO"] or producing(ctx, "PE"))[:6]
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
    co_dore = ([r for r in producing(ctx, "CO") if r.region.department == "ANTIOQUIA"] or producing(ctx, "CO"))[:6]
    co_ore = ([r for r in producing(ctx, "CO", product="ore")] or producing(ctx, "CO")[6:])[:4]
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
    for country, date, key in (("PE", "2013-05-20", "ews_pe"), ("BO", "2011-10-03", "ews_bo")):
        exp = new_exporter(ctx, country, date, must="IN" if country == "BO" else None)
        ctx.notes[key] = exp.actor_id  # its (thin) supplier is wired in plant_volumes, once volumes are known
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
        # grade in g/t of copper (0.6-0.9 % Cu): t/day x days x g/t = grams, / 1000 = kg of copper per month.
        right.base_kg = right.capacity_tpd * 30.4 * right.util * right.grade_gpt * right.recovery / 1000.0
        ctx.reserved.update({company.actor_id, right.right_id})
        cu_exporters.append(company.actor_id)
    ctx.notes["cu_exporters"] = cu_exporters


def _territory_right(ctx: Ctx, rng: random.Random) -> None:
    """An active, producing right granted inside an indigenous territory (its scars are planted there)."""
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

    national: dict[tuple[str, int], float] = defaultdict(float)
    for month, items in by_month.items():
        for r, f in items:
            if r.commodity == "Au":
                national[(r.country, int(month[:4]))] += f

    def sized(cands: list[Actor], year: int) -> list[Actor]:
        """Mid-sized candidates: enough volume for a clear break (> 3 kg), small enough (< 3 % of national
        output) that the phantom gold they add never tips their country's export balance."""
        free = [a for a in cands if a.actor_id not in ctx.reserved]
        ok = sorted((a for a in free if 3 <= inflow[(a.actor_id, year)] <= 0.03 * national[(a.country, year)]),
                    key=lambda a: (inflow[(a.actor_id, year)], a.actor_id))
        if not ok:  # small scales: the smallest one with some volume (ensure_supply tops it up if needed)
            ok = sorted((a for a in free if inflow[(a.actor_id, year)] >= 3),
                        key=lambda a: (inflow[(a.actor_id, year)], a.actor_id))[:1]
        return ok[len(ok) // 3: max(len(ok) // 3 + 1, 2 * len(ok) // 3)] or ok

    sold: dict[tuple[str, int], float] = defaultdict(float)
    for month, items in by_month.items():
        for r, f in items:
            if r.commodity == "Au":
                sold[(r.seller_id, int(month[:4]))] += f * 0.9875

    def ensure_supply(actor: Actor, year: int, min_kg: float = 10.0) -> None:
        """At small scales a chosen intermediary may have no suppliers: move a few free miners to it."""
        if inflow[(actor.actor_id, year)] >= min_kg:
            return
        need = min_kg - inflow[(actor.actor_id, year)]
        cap = 0.01 * national[(actor.country, year)]
        sellers = sorted((a for a in ctx.by_country(actor.country, tier=0) if a.outlets and a.actor_id not in ctx.reserved
                          and a.outlets[0][0] not in ctx.reserved and a.outlets[0][0] != actor.actor_id
                          and 0.5 <= sold[(a.actor_id, year)] <= max(cap, min_kg)
                          and (ctx.notes.get(f"product:{a.actor_id}", "dore") == "dore" or "processor" in actor.roles)),
                         key=lambda a: (abs(sold[(a.actor_id, year)] - need), a.actor_id))
        for seller in sellers:
            old = seller.outlets[0][0]
            seller.outlets = [(actor.actor_id, 1.0)]
            ctx.reserved.add(seller.actor_id)
            for y in (2022, 2023, 2024):
                inflow[(actor.actor_id, y)] += sold[(seller.actor_id, y)]
                inflow[(old, y)] -= sold[(seller.actor_id, y)]
            if inflow[(actor.actor_id, year)] >= min_kg:
                return

    # mass_balance_break: four intermediaries sell 1.35-2.5 times what they bought and produced in one year.
    cases = (("PE", "trader", None, 2023, 1.8), ("CO", "processor", None, 2022, 1.45),
             ("BO", "trader", "cooperative", 2024, 2.5), ("EC", "trader", None, 2024, 1.35))
    for country, role, kind, year, factor in cases:
        pool = traders(ctx, country, role=role, kind=kind)
        actor = pick(rng, ctx, sized(pool, year), "mass_balance_break", pool)
        ensure_supply(actor, year)
        # Keep the phantom under ~3 % of national output, so the country's balance does not tip.
        factor = max(1.3, min(factor, 1 + 0.03 * national[(country, year)] / max(inflow[(actor.actor_id, year)], 1e-6)))
        if country == "BO":
            factor = 2.5  # Bolivia's balance is broken on purpose in 2023-2024 anyway
        plan.sale_factor[(actor.actor_id, year)] = factor
        what = {"trader": "trader", "processor": "processing plant"}[role] if kind is None else "cooperative"
        ctx.truth_row("mass_balance_break", "actor", actor.actor_id, country, str(year), "fire",
                      f"{what} sells {factor:.2f} times the fine gold it bought and produced in {year}")
        other = 2023 if year != 2023 else 2022
        ctx.truth_row("mass_balance_break", "actor", actor.actor_id, country, str(other), "silent",
                      f"same {what}, balanced in {other}")
    d1 = pick(rng, ctx, sized(traders(ctx, "PE"), 2023), "mbb silent 2pct", traders(ctx, "PE"))
    for y in (2022, 2023, 2024):
        plan.sale_factor[(d1.actor_id, y)] = 1.018
    ctx.truth_row("mass_balance_break", "actor", d1.actor_id, "PE", "2023", "silent",
                  "sells 1.8 % more than it buys every year (moisture and assay differences), within tolerance")
    steady = [a for a in traders(ctx, "CO") if a.actor_id not in ctx.reserved
              and min(inflow[(a.actor_id, y)] for y in (2022, 2023, 2024)) >= 6
              and max(inflow[(a.actor_id, y)] for y in (2022, 2023, 2024))
              <= 1.3 * min(inflow[(a.actor_id, y)] for y in (2022, 2023, 2024))]
    d2 = pick(rng, ctx, steady, "mbb silent carry", traders(ctx, "CO"))
    ensure_supply(d2, 2023, 6.0)
    plan.carry_kg[d2.actor_id] = round(0.5 * min(inflow[(d2.actor_id, y)] for y in (2022, 2023, 2024)) / 12, 4)
    ctx.truth_row("mass_balance_break", "actor", d2.actor_id, "CO", "2023", "silent",
                  "carries the same stock (half a month of purchases) from every December into January: "
                  "January sales exceed January purchases, each year balances")
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
    for exp_id, share in ((ews_pe, 0.3), (ews_bo, 0.35)):
        country = ctx.actors[exp_id].country
        supplier = pick(rng, ctx, sized(traders(ctx, country), 2024), "ews supplier", traders(ctx, country))
        ensure_supply(supplier, 2024)
        # The tripled exports add 2 x share x supply: keep that under ~2 % of national output.
        share = min(share, 0.01 * national[(country, 2024)] / max(inflow[(supplier.actor_id, 2024)], 1e-6))
        supplier.outlets = renormalise([(a, s * (1 - share)) for a, s in supplier.outlets] + [(exp_id, share)])
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

    # Intermediaries whose supply is sized for another case: the newcomers must not take their miners.
    critical = {a for (a, _) in plan.sale_factor} | set(plan.carry_kg) | {
        a.actor_id for a in ctx.actors.values() if any(o in (ews_pe, ews_bo) for o, _ in a.outlets)}
    # new_exporter_surge: the biggest free traders switch 80 % of their output to the newcomer, enough for
    # it to ship in its first year at least twice what a typical exporter of its country ships in a year.
    for key in ("nes_co", "nes_pe"):
        exp_id, first = ctx.notes[key]  # type: ignore[misc]
        exp = ctx.actors[exp_id]
        year = int(first[:4])
        n_exporters = sum(1 for a in ctx.by_country(exp.country, tier=2) if a.export_product != "none")
        goal = 2.0 * national[(exp.country, year)] / max(n_exporters, 1)
        ranked = sorted((a for a in traders(ctx, exp.country) if a.actor_id not in ctx.reserved
                         and inflow[(a.actor_id, year)] >= 0.05 * goal),
                        key=lambda a: (-(inflow[(a.actor_id, year)] + inflow[(a.actor_id, year + 1)]), a.actor_id))
        cands: list[Actor] = []
        for feeder in ranked:
            if len(cands) >= 5 or 0.8 * sum(min(inflow[(a.actor_id, year)], inflow[(a.actor_id, year + 1)])
                                            for a in cands) >= goal:
                break
            cands.append(feeder)
        for feeder in cands:
            ctx.reserved.add(feeder.actor_id)
            feeder.schedule.append((month_index(first), renormalise(
                [(a, s * 0.2) for a, s in feeder.outlets] + [(exp_id, 0.8)])))
        got = 0.8 * sum(min(inflow[(a.actor_id, year)], inflow[(a.actor_id, year + 1)]) for a in cands)
        # Small scales: not enough free traders, so miners start selling to the newcomer directly too.
        miners = sorted((a for a in ctx.by_country(exp.country, tier=0) if a.outlets and a.actor_id not in ctx.reserved
                         and a.outlets[0][0] not in critical and not a.schedule
                         and ctx.notes.get(f"product:{a.actor_id}", "dore") == "dore"),
                        key=lambda a: (-min(sold[(a.actor_id, year)], sold[(a.actor_id, year + 1)]), a.actor_id))
        for miner in miners:
            if got >= goal:
                break
            ctx.reserved.add(miner.actor_id)
            miner.schedule.append((month_index(first), [(exp_id, 1.0)]))
            got += min(sold[(miner.actor_id, year)], sold[(miner.actor_id, year + 1)])
        n_miners = sum(1 for m in miners if any(o == exp_id for _, outs in m.schedule for o, _ in outs))
        ctx.truth_row("new_exporter_surge", "actor", exp_id, exp.country, first[:4], "fire",
                      f"incorporated {exp.incorporation_date}, exports from {first} most of the gold of "
                      f"{len(cands)} large trader(s)" + (f" and {n_miners} miner(s)" if n_miners else "")
                      + ": more in its first year than a typical exporter of the country")
    exp_id, first = ctx.notes["nes_ec_silent"]  # type: ignore[misc]
    free_ec = [a for a in traders(ctx, "EC") if a.actor_id not in ctx.reserved] or traders(ctx, "EC")
    small = min([a for a in free_ec if inflow[(a.actor_id, 2024)] > 1] or free_ec,
                key=lambda a: (inflow[(a.actor_id, 2024)], a.actor_id))
    ctx.reserved.add(small.actor_id)
    small.schedule.append((month_index(first), renormalise([(a, s * 0.8) for a, s in small.outlets]
                                                           + [(exp_id, 0.2)])))
    ctx.truth_row("new_exporter_surge", "actor", exp_id, "EC", "2024", "silent",
                  "new exporter (2024-02) with small volumes bought from one small trader")
