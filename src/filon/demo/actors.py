"""Actors of the demo: the buyers and exporters that make up each national market.

Miners are created with their rights (see `rights.py`); this module creates
everyone else who takes part in the gold chain (traders, processing plants,
exporters, domestic refiners), plus the owners, transporters and public bodies
around them, and decides who sells to whom. The outlets chosen here are the
"normal" chain; planted cases later rewire a few of them.
"""

from __future__ import annotations

import random

from filon.demo.geography import HUBS, REGIONS, Region
from filon.demo.model import Actor, Ctx

COUNTRIES: tuple[str, ...] = ("PE", "CO", "BO", "EC")

STREETS = ("LOS PINOS", "LAS AMERICAS", "GRAU", "BOLIVAR", "SUCRE", "SAN MARTIN", "LIBERTAD", "LOS INCAS",
           "AMAZONAS", "28 DE JULIO", "LA MARINA", "LOS ANDES", "PRINCIPAL", "COMERCIO", "INDEPENDENCIA",
           "JUNIN", "AYACUCHO", "ARICA", "LAS FLORES", "EL SOL")

#: Typical destinations of gold exports by origin (shares), from the public trade pattern of the region.
DESTINATIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "PE": (("CH", 0.35), ("IN", 0.22), ("US", 0.15), ("CA", 0.12), ("AE", 0.10), ("IT", 0.06)),
    "CO": (("CH", 0.38), ("US", 0.30), ("AE", 0.12), ("IT", 0.10), ("IN", 0.10)),
    "BO": (("IN", 0.50), ("AE", 0.30), ("US", 0.12), ("CH", 0.08)),
    "EC": (("CH", 0.30), ("US", 0.25), ("IN", 0.25), ("AE", 0.10), ("CA", 0.10)),
}

CONSIGNEES: dict[str, tuple[str, ...]] = {
    "CH": ("HELVETIA AFFINAGE SA", "ALPINE PRECIOUS METALS SA", "TICINO GOLD REFINING SA"),
    "IN": ("MUMBAI BULLION REFINERS PVT LTD", "GUJARAT PRECIOUS METALS PVT LTD"),
    "US": ("SUNCOAST REFINING LLC", "NORTHEAST BULLION LLC"),
    "CA": ("LAURENTIAN REFINERY INC.", "PRAIRIE METALS INC."),
    "AE": ("DESERT STAR BULLION DMCC", "GULF GOLD TRADING DMCC"),
    "IT": ("AREZZO METALLI PREZIOSI S.P.A.", "VICENZA AFFINERIA S.P.A."),
    "CN": ("SHANDONG NONFERROUS SMELTING CO", "JIANGXI METALS TRADING CO"),
    "JP": ("OSAKA SMELTING CO LTD",),
    "KR": ("BUSAN NONFERROUS CO LTD",),
}

#: Counts at scale 1.0 and floors for small scales (floors keep every planted role available).
MARKET_SIZE: dict[str, dict[str, tuple[int, int]]] = {
    "PE": {"trader": (45, 12), "processor": (12, 3), "exporter": (14, 6), "refiner": (2, 1), "transporter": (3, 2)},
    "CO": {"trader": (30, 10), "processor": (8, 3), "exporter": (12, 6), "refiner": (2, 1), "transporter": (2, 1)},
    "BO": {"trader": (20, 7), "processor": (3, 2), "exporter": (7, 5), "refiner": (1, 1), "transporter": (2, 1)},
    "EC": {"trader": (12, 8), "processor": (5, 4), "exporter": (6, 5), "refiner": (1, 1), "transporter": (2, 1)},
}

PUBLIC_BODIES = {"PE": "SUPERINTENDENCIA NACIONAL DE ADUANAS Y DE ADMINISTRACION TRIBUTARIA",
                 "CO": "DIRECCION DE IMPUESTOS Y ADUANAS NACIONALES",
                 "BO": "ADUANA NACIONAL DE BOLIVIA",
                 "EC": "SERVICIO NACIONAL DE ADUANA DEL ECUADOR"}


def random_date(rng: random.Random, first_year: int, last_year: int) -> str:
    return f"{rng.randint(first_year, last_year)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def address(rng: random.Random, country: str, town: str) -> str:
    """A postal address in the country's usual shape."""
    street, n = rng.choice(STREETS), rng.randint(1, 1999)
    if country == "PE":
        return f"{rng.choice(('JR.', 'AV.', 'CAL.'))} {street} NRO. {n}, {town}"
    if country == "CO":
        return f"CALLE {rng.randint(1, 120)} # {rng.randint(1, 99)}-{rng.randint(1, 99)}, {town}"
    if country == "BO":
        return f"CALLE {street} NRO. {n}, {town}"
    return f"AV. {street} Y {rng.choice(STREETS)}, {town}"


def pick_region(rng: random.Random, country: str, style: str | None = None) -> Region:
    """A region of the country drawn by weight (optionally of one style, when the country has it)."""
    regions = [r for r in REGIONS if r.country == country]
    styled = [r for r in regions if r.style == style]
    regions = styled or regions
    return rng.choices(regions, weights=[r.weight for r in regions])[0]


def new_actor(ctx: Ctx, country: str, kind: str, roles: list[str], *, name_role: str | None = None,
              region: Region | None = None, hub: bool = False, years: tuple[int, int] = (1995, 2018),
              name: str | None = None, date: str | None = None, tier: int = -1,
              with_tax_id: bool = True) -> Actor:
    """Create, register and return an actor with a unique name and a valid tax id.

    Located in a mining region (local miners, traders) or in a hub city
    (exporters, owners), because addresses and admin areas are what an analyst
    uses to tell a local buyer from a Lima or Medellín exporter.
    """
    rng = ctx.rng("actors")
    incorporation = date or random_date(rng, *years)
    if name is None:
        if kind == "person":
            name = ctx.names.person(country)
        elif kind == "cooperative":
            name = ctx.names.cooperative(country, region.name if region else "LOS ANDES")
        else:
            name = ctx.names.company(country, name_role or "miner", region.name if region and rng.random() < 0.5 else "")
    else:
        ctx.names.reserve(name)
    if region is not None and not hub:
        x = rng.uniform(region.bbox[0], region.bbox[2])
        y = rng.uniform(region.bbox[1], region.bbox[3])
        admin, town = region.admin_area, f"{region.name}, {region.department}"
    else:
        hubs = HUBS.get(country, (("", "", 0.0, 0.0),))
        # Public bodies sit in the capital (first hub); firms in any hub city.
        admin, town, x, y = hubs[0] if kind == "public_body" else rng.choice(hubs)
    actor = Actor(actor_id=ctx.next_id(f"ACT-{country}", 5), country=country, name=name, kind=kind,
                  roles=roles, incorporation_date=incorporation, region=region, lon=x, lat=y, tier=tier)
    if country in HUBS:
        actor.address = address(rng, country, town)
        actor.admin_area = admin
        if with_tax_id:
            actor.tax_id = ctx.taxids.new(country, kind == "person", int(incorporation[:4]))
            actor.tax_id_scheme = ctx.taxids.scheme(country)
    ctx.actors[actor.actor_id] = actor
    return actor


def foreign_actor(ctx: Ctx, country: str, date: str, name: str | None = None) -> Actor:
    """A company registered abroad (parent, shell): no national tax id, no address in the region."""
    name = ctx.names.reserve(name) if name else ctx.names.foreign_company(country)
    actor = Actor(actor_id=ctx.next_id(f"ACT-{country}", 5), country=country, name=name, kind="company",
                  roles=[], incorporation_date=date)
    ctx.actors[actor.actor_id] = actor
    return actor


def choose_destinations(rng: random.Random, country: str, must: str | None = None) -> list[tuple[str, float]]:
    """One to three destinations per exporter, with shares; `must` forces a partner into the mix."""
    pool = list(DESTINATIONS[country])
    k = rng.choice((1, 2, 2, 3))
    chosen: list[str] = []
    while len(chosen) < k:
        dest = rng.choices([d for d, _ in pool], weights=[w for _, w in pool])[0]
        if dest not in chosen:
            chosen.append(dest)
    if must and must not in chosen:
        chosen[-1] = must
    weights = [rng.uniform(0.5, 1.5) for _ in chosen]
    total = sum(weights)
    return [(d, w / total) for d, w in zip(chosen, weights)]


def set_trade_partners(ctx: Ctx, actor: Actor, must: str | None = None) -> None:
    rng = ctx.rng("actors")
    actor.destinations = choose_destinations(rng, actor.country, must)
    actor.consignees = {d: rng.choice(CONSIGNEES[d]) for d, _ in actor.destinations}


def build_market(ctx: Ctx) -> None:
    """Traders, plants, exporters and refiners of each country, and who sells to whom among them."""
    rng = ctx.rng("actors")
    for country in COUNTRIES:
        size = MARKET_SIZE[country]
        public = new_actor(ctx, country, "public_body", [], name=PUBLIC_BODIES[country], hub=True,
                           years=(1960, 1995))
        ctx.notes[f"customs_body:{country}"] = public.actor_id
        exporters: list[Actor] = []
        for i in range(ctx.count(*size["exporter"])):
            roles = ["exporter"] if rng.random() < 0.5 else ["trader", "exporter"]
            exp = new_actor(ctx, country, "company", roles, name_role="exporter", hub=True,
                            years=(1996, 2016), tier=2)
            # Mirror-trade cases need volume on PE>IN and CO>AE every year: the first two exporters carry it.
            must = {"PE": "IN", "CO": "AE", "BO": "IN", "EC": "CH"}[country] if i < 2 else None
            set_trade_partners(ctx, exp, must)
            exporters.append(exp)
        for _ in range(ctx.count(*size["refiner"])):
            new_actor(ctx, country, "company", ["refiner"], name_role="refiner", hub=True, tier=2,
                      years=(1985, 2010)).export_product = "none"
        if country == "EC":
            # Ecuador's small vein mines sell gold concentrate to plants that export it themselves.
            for _ in range(ctx.count(*size["processor"])):
                region = pick_region(rng, "EC", "hardrock")
                plant = new_actor(ctx, country, "company", ["processor", "exporter"], name_role="processor",
                                  region=region, years=(2000, 2016), tier=2)
                plant.export_product = "concentrate"
                plant.destinations = [("CN", 0.6), ("CH", 0.25), ("US", 0.15)]
                plant.consignees = {d: rng.choice(CONSIGNEES[d]) for d, _ in plant.destinations}
        else:
            for _ in range(ctx.count(*size["processor"])):
                region = pick_region(rng, country, "hardrock")
                new_actor(ctx, country, "company", ["processor"], name_role="processor", region=region,
                          years=(1998, 2016), tier=1)
        for _ in range(ctx.count(*size["trader"])):
            new_actor(ctx, country, "company" if rng.random() < 0.85 else "person", ["trader"],
                      name_role="trader", region=pick_region(rng, country), years=(1998, 2017), tier=1)
        for _ in range(ctx.count(*size["transporter"])):
            new_actor(ctx, country, "company", ["transporter"], name_role="transporter", hub=True)
    for country in COUNTRIES:
        wire_intermediaries(ctx, country)


def exporter_weights(ctx: Ctx, country: str) -> tuple[list[Actor], list[float]]:
    """Dore exporters of a country with Zipf-like weights: a few exporters handle most of the gold."""
    exporters = [a for a in ctx.by_country(country, tier=2) if a.export_product == "dore"
                 and "exporter" in a.roles and not a.schedule and "miner" not in a.roles]
    exporters = [a for a in exporters if not ctx.notes.get(f"reserved:{a.actor_id}")]
    return exporters, [1.0 / (i + 1) ** 0.7 for i in range(len(exporters))]


def wire_intermediaries(ctx: Ctx, country: str) -> None:
    """Each trader and plant sells to one or two exporters; some traders also supply a domestic refiner."""
    rng = ctx.rng("actors")
    exporters, weights = exporter_weights(ctx, country)
    refiners = [a for a in ctx.by_country(country, role="refiner")]
    for actor in ctx.by_country(country, tier=1):
        k = 1 if rng.random() < 0.6 else 2
        chosen: list[Actor] = []
        while len(chosen) < min(k, len(exporters)):
            exp = rng.choices(exporters, weights=weights)[0]
            if exp not in chosen:
                chosen.append(exp)
        shares = [rng.uniform(0.4, 1.0) for _ in chosen]
        outlets = [(e.actor_id, s) for e, s in zip(chosen, shares)]
        if refiners and rng.random() < 0.5:
            outlets.append((rng.choice(refiners).actor_id, sum(shares) * rng.uniform(0.25, 0.5)))
        total = sum(s for _, s in outlets)
        actor.outlets = [(a, s / total) for a, s in outlets]
