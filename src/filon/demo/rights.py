"""Mining rights, their holders and their production capacity.

Each right is a small valid polygon on its own grid cell (no overlaps), with an
area computed from that polygon, a regime and status drawn from each country's
usual mix, and a capacity set by its scale category (Peru's thresholds:
artisanal up to 25 t/day, small up to 350, medium up to 5,000). Monthly
production follows from capacity x utilisation x grade x recovery, so a right
declaring more than its capacity allows is always a planted case.
"""

from __future__ import annotations

import math
import random

from shapely.geometry import Polygon, box

from filon.demo.actors import COUNTRIES, new_actor, set_trade_partners
from filon.demo.geography import (
    CELL_DEG,
    AREA_SPECS,
    OPERATION_SPECS,
    REGIONS,
    Grid,
    Region,
    area_ha,
    area_polygon,
    operation_polygon,
    rect_ring,
)
from filon.demo.market import MONTHS, add_months
from filon.demo.model import Actor, Ctx, Right

RIGHTS_BASE: dict[str, int] = {"PE": 1250, "CO": 800, "BO": 650, "EC": 300}
#: Scaled-down national gold output targets, tonnes per year at scale 1.0 (real: PE ~100, CO ~60, BO ~40, EC ~10).
TARGET_T_PER_YEAR: dict[str, float] = {"PE": 40.0, "CO": 24.0, "BO": 14.0, "EC": 6.0}

CAPACITY_TPD = {"artisanal": (3, 25), "small": (25, 350), "medium": (350, 3000), "large": (3000, 8000)}
GRADE_GPT = {"artisanal": (1.0, 5.0), "small": (2.0, 8.0), "medium": (1.5, 6.0), "large": (1.0, 4.0)}
RECOVERY = {"artisanal": (0.45, 0.7), "small": (0.6, 0.85), "medium": (0.82, 0.93), "large": (0.85, 0.93)}
DAYS_PER_MONTH = 30.4

REGIME_CODE = {"PE": "01", "CO": "", "BO": "AJAM", "EC": "ARCOM"}


def excluded_polygons() -> list[Polygon]:
    """Where no normal right may lie: protected areas, territories, exclusion zones, operation areas."""
    polys = [Polygon(area_polygon(s)) for s in AREA_SPECS]
    polys += [Polygon(operation_polygon(op[0], op[6], op[7])) for op in OPERATION_SPECS]
    return polys


def build_grids(ctx: Ctx) -> dict[str, Grid]:
    excluded = excluded_polygons()
    grids: dict[str, Grid] = {}
    for region in REGIONS:
        near = [p for p in excluded if p.intersects(box(*region.bbox).buffer(0.02))]
        grids[region.key] = Grid(region, near, cell=CELL_DEG / math.sqrt(max(1.0, ctx.scale)))
    ctx.grids = grids  # type: ignore[assignment]
    return grids


def right_id(ctx: Ctx, country: str, regime: str, granted_on: str) -> str:
    """National-looking cadastral codes, unique in the package because each country has its own shape."""
    n = ctx.next_id(f"seq-right-{country}", 5).rsplit("-", 1)[1]
    if country == "PE":
        return f"{'72' if regime == 'formalization' else '01'}{n}{granted_on[2:4]}"
    if country == "CO":
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        k = int(n)
        return f"{letters[k % 26]}{letters[(k // 26) % 26]}{letters[(k * 7) % 26]}-{n}"
    if country == "BO":
        return f"AJAM-LP-{n}"
    return f"ARCOM-{n}"


def draw_scale(rng: random.Random, region: Region) -> str:
    r = rng.random()
    if region.style == "alluvial":
        return "artisanal" if r < 0.60 else "small" if r < 0.97 else "medium"
    return "artisanal" if r < 0.48 else "small" if r < 0.90 else "medium" if r < 0.985 else "large"


def draw_dates(rng: random.Random, country: str, regime: str, status: str) -> tuple[str, str]:
    """granted_on / expires_on consistent with the status at the end of 2024."""
    def d(y0: int, y1: int) -> str:
        return f"{rng.randint(y0, y1)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    def term(granted: str, years: int) -> str:
        return f"{int(granted[:4]) + years}{granted[4:]}"

    if status == "expired":
        granted = d(1992, 2008)
        return granted, d(max(int(granted[:4]) + 3, 2010), 2021)
    if regime == "exploration":
        granted = d(2021, 2023) if status == "active" else d(2012, 2019)
        return granted, term(granted, 5)
    granted = d(1998, 2021) if rng.random() < 0.93 or status != "active" else d(2022, 2024)
    if granted >= "2024-07":
        granted = d(2022, 2023)
    if country == "PE":
        return granted, ("2025-06-30" if regime == "formalization" else "")
    if country == "CO":
        return granted, term(granted, 30)
    if country == "BO":
        return granted, term(granted, 30)
    expires = term(granted, 25)
    return granted, expires if expires > "2025-01-01" else term(granted, 30)


def ring_in(rng: random.Random, bounds: tuple[float, float, float, float], frac: tuple[float, float]
            ) -> list[tuple[float, float]]:
    """A quadrilateral occupying a random fraction of the cell(s), at a random spot inside them."""
    minx, miny, maxx, maxy = bounds
    fw, fh = rng.uniform(*frac), rng.uniform(*frac)
    w, h = (maxx - minx) * fw, (maxy - miny) * fh
    x0 = rng.uniform(minx + 0.02 * (maxx - minx), maxx - w - 0.02 * (maxx - minx))
    y0 = rng.uniform(miny + 0.02 * (maxy - miny), maxy - h - 0.02 * (maxy - miny))
    return rect_ring(rng, x0, y0, x0 + w, y0 + h)


def make_right(ctx: Ctx, region: Region, holder: Actor, regime: str, status: str, scale: str,
               bounds: tuple[float, float, float, float], *, granted: str | None = None,
               expires: str | None = None, commodities: str = "Au") -> Right:
    rng = ctx.rng("rights")
    g, e = draw_dates(rng, region.country, regime, status)
    granted, expires = granted or g, e if expires is None else expires
    frac = {"artisanal": (0.12, 0.4), "small": (0.35, 0.9)}.get(scale, (0.55, 0.95))
    ring = ring_in(rng, bounds, frac)
    lo, hi = CAPACITY_TPD[scale]
    right = Right(right_id=right_id(ctx, region.country, regime, granted), country=region.country,
                  holder_id=holder.actor_id, regime=regime, status=status, scale=scale,
                  commodities=commodities, capacity_tpd=float(round(rng.uniform(lo, hi))), granted_on=granted,
                  expires_on=expires, region=region, ring=ring, area_ha=area_ha(ring))
    ctx.rights[right.right_id] = right
    return right


def set_production(ctx: Ctx, right: Right, product: str | None = None) -> None:
    """Make a right produce from its grant (or 2022-01) to 2024-12 with capacity-consistent volumes."""
    rng = ctx.rng("rights")
    right.producing = True
    g = rng.uniform(*GRADE_GPT[right.scale])
    if product is None:
        product = "dore"
        if right.region.style == "hardrock" and right.scale in ("artisanal", "small") and rng.random() < 0.4:
            product = "concentrate" if right.country == "EC" else "ore"
    right.product = product
    right.grade_gpt = g
    right.recovery = 1.0 if product == "ore" else rng.uniform(*RECOVERY[right.scale])
    right.util = rng.uniform(0.3, 0.7)
    right.base_kg = monthly_kg(right)
    right.purity = {"dore": rng.uniform(0.78, 0.93), "ore": g / 1e6,
                    "concentrate": rng.uniform(40, 120) / 1e6}[product]
    first = add_months(right.granted_on[:7], 1)
    right.start_month = max(first, MONTHS[0])


def monthly_kg(right: Right) -> float:
    """Typical monthly fine output: capacity x days x utilisation x grade x recovery."""
    return right.capacity_tpd * DAYS_PER_MONTH * right.util * right.grade_gpt * right.recovery / 1000.0


def assign_outlet(ctx: Ctx, holder: Actor, product: str, scale: str) -> None:
    """Decide whom a producer sells to: plants for ore, Ecuadorian plants for concentrate, traders for dore."""
    rng = ctx.rng("rights")
    country = holder.country
    if holder.tier != -1:
        return
    holder.tier = 0

    def local(cands: list[Actor]) -> list[Actor]:
        if holder.region is None:
            return cands
        same = [a for a in cands if a.region is not None and a.region.department == holder.region.department]
        return same or cands

    if product == "ore":
        cands = local([a for a in ctx.by_country(country, tier=1) if "processor" in a.roles])
    elif product == "concentrate":
        cands = [a for a in ctx.by_country(country, tier=2) if a.export_product == "concentrate"]
    elif holder.kind == "company" and scale in ("medium", "large") and rng.random() < 0.6:
        holder.roles = ["miner", "exporter"]
        holder.tier = 2
        set_trade_partners(ctx, holder)
        return
    elif country == "BO" and holder.kind == "person" and rng.random() < 0.45:
        cands = [a for a in ctx.by_country("BO", tier=1, kind="cooperative")]
        cands = cands or [a for a in ctx.by_country("BO", tier=1) if "trader" in a.roles]
    elif holder.kind in ("company", "cooperative") and rng.random() < 0.2:
        cands = [a for a in ctx.by_country(country, tier=2) if a.export_product == "dore"
                 and "exporter" in a.roles and "miner" not in a.roles]
    else:
        cands = local([a for a in ctx.by_country(country, tier=1) if "trader" in a.roles
                       and a.kind != "cooperative"])
    holder.outlets = [(rng.choice(cands).actor_id, 1.0)]


def new_holder(ctx: Ctx, region: Region, kind: str, scale: str) -> Actor:
    rng = ctx.rng("rights")
    if kind == "person":
        return new_actor(ctx, region.country, "person", ["miner"], region=region, years=(1995, 2020))
    if kind == "cooperative":
        return new_actor(ctx, region.country, "cooperative", ["miner"], region=region, years=(1965, 2015))
    hub = scale in ("medium", "large") and rng.random() < 0.6
    return new_actor(ctx, region.country, "company", ["miner"], name_role="miner", region=region, hub=hub,
                     years=(1990, 2017))


def holder_kind(rng: random.Random, country: str, scale: str) -> str:
    r = rng.random()
    if scale in ("medium", "large"):
        return "company"
    if country == "BO":
        return "cooperative" if r < 0.7 else "person" if r < 0.9 else "company"
    if scale == "artisanal":
        return "person" if r < 0.85 else "cooperative" if r < 0.92 else "company"
    return "company" if r < 0.6 else "person" if r < 0.92 else "cooperative"


def regime_for(rng: random.Random, country: str, kind: str) -> str:
    if kind == "company" and rng.random() < 0.08:
        return "exploration"
    if country == "PE":
        return "formalization" if kind == "person" and rng.random() < 0.7 else "concession"
    if country == "CO":
        return "formalization" if kind != "company" and rng.random() < 0.5 else "title"
    if country == "BO":
        return "cooperative_area" if kind == "cooperative" else "title" if kind == "person" else "concession"
    return "formalization" if kind != "company" and rng.random() < 0.6 else "concession"


def draw_status(rng: random.Random) -> str:
    r = rng.random()
    return "active" if r < 0.66 else "expired" if r < 0.80 else "suspended" if r < 0.89 else "cancelled"


def build_rights(ctx: Ctx) -> None:
    """About 3,000 rights at scale 1.0, allocated to regions by weight, each with its holder."""
    rng = ctx.rng("rights")
    grids = build_grids(ctx)
    for country in COUNTRIES:
        regions = [r for r in REGIONS if r.country == country]
        n = ctx.count(RIGHTS_BASE[country], 40)
        holders_by_region: dict[str, list[Actor]] = {r.key: [] for r in regions}
        room = {r.key: int(grids[r.key].capacity * 0.7) for r in regions}
        for _ in range(n):
            open_regions = [r for r in regions if room[r.key] > 0]
            if not open_regions:
                break
            region = rng.choices(open_regions, weights=[r.weight for r in open_regions])[0]
            room[region.key] -= 1
            scale = draw_scale(rng, region)
            size = 2 if scale in ("medium", "large") else 1
            bounds = grids[region.key].take(rng, size)
            if bounds is None:
                bounds = grids[region.key].take(rng, 1)
                scale = "small" if scale in ("medium", "large") else scale
            if bounds is None:
                room[region.key] = 0
                continue
            kind = holder_kind(rng, country, scale)
            reuse = [h for h in holders_by_region[region.key] if h.kind == kind and h.kind != "person"]
            if reuse and rng.random() < 0.3:
                holder = rng.choice(reuse)
            else:
                holder = new_holder(ctx, region, kind, scale)
                holders_by_region[region.key].append(holder)
            regime = regime_for(rng, country, kind)
            status = draw_status(rng)
            right = make_right(ctx, region, holder, regime, status, scale, bounds)
            if status == "active" and regime != "exploration" and rng.random() < 0.75:
                product = ctx.notes.get(f"product:{holder.actor_id}")
                set_production(ctx, right, product)  # type: ignore[arg-type]
                ctx.notes[f"product:{holder.actor_id}"] = right.product
        make_coop_intermediaries(ctx, country)
    for right in ctx.rights.values():
        if right.producing:
            assign_outlet(ctx, ctx.actors[right.holder_id], right.product, right.scale)


def make_coop_intermediaries(ctx: Ctx, country: str) -> None:
    """In Bolivia some cooperatives also buy their members' gold and sell it to exporters."""
    if country != "BO":
        return
    rng = ctx.rng("rights")
    coops = [a for a in ctx.by_country("BO", kind="cooperative")]
    k = max(3, len(coops) // 4)
    exporters = [a for a in ctx.by_country("BO", tier=2) if a.export_product == "dore" and "miner" not in a.roles]
    for coop in coops[:k]:
        coop.tier = 1
        coop.roles = ["miner", "trader"]
        chosen = rng.sample(exporters, k=min(len(exporters), rng.choice((1, 2))))
        coop.outlets = [(e.actor_id, 1.0 / len(chosen)) for e in chosen]


def normalise_output(ctx: Ctx) -> None:
    """Scale utilisation so each country's gold output lands near its (scaled-down) target.

    Utilisation stays within 15-90 %, so a normal right never declares more
    than its capacity at a plausible grade; only planted rights do.
    """
    for country in COUNTRIES:
        rights = [r for r in ctx.rights.values() if r.country == country and r.producing and r.commodity == "Au"
                  and not r.override_kg]
        raw_t = sum(r.base_kg * 12 for r in rights) / 1000.0
        n_all = sum(1 for r in ctx.rights.values() if r.country == country)
        target = TARGET_T_PER_YEAR[country] * n_all / RIGHTS_BASE[country]
        if raw_t <= 0:
            continue
        k = target / raw_t
        for r in rights:
            r.util = min(max(r.util * k, 0.15), 0.8)
            r.base_kg = monthly_kg(r)
