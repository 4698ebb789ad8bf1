"""Purchases of controlled inputs (mercury, cyanide, explosives, diesel) by producers.

Normal purchases are proportional to what the buyer declares producing, with
ratios typical of the technique (per kg of fine gold: mercury 1-3 kg in
amalgamation, cyanide 50-150 kg, explosives 20-60 kg in veins, diesel
3,000-8,000 L in alluvial dredging). Units vary the way agencies record them
(g or kg of mercury, L or gal of diesel), so a detector must convert before it
compares. Purchases fall in months when a right of the buyer is in force.
Overuse (10 times or more the usual ratio, or buying with no production or
no right at all) appears only where planted.
"""

from __future__ import annotations

from collections import defaultdict

from filon.demo.model import Actor, Ctx, Right
from filon.demo.planted import pick, traders

GAL_L = 3.785411784
RATIOS = {"mercury": (1.0, 3.0), "cyanide": (50.0, 150.0), "explosives": (20.0, 60.0), "diesel": (3000.0, 8000.0)}
AUTH_PREFIX = {"PE": "SUNAT-BF", "CO": "ANM-INS", "BO": "DGSC", "EC": "ARCOM-AUT"}


class Inputs:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("inputs")
        self.auth: dict[str, str] = {}
        self.where: dict[str, Right] = {}
        self.rights_of: dict[str, list[Right]] = defaultdict(list)
        for right in ctx.rights.values():
            for actor_id in {right.holder_id, right.operator_id} - {""}:
                self.rights_of[actor_id].append(right)

    def in_force(self, actor_id: str, day: str) -> bool:
        """Whether the actor holds or operates a right in force on `day` (ISO date)."""
        for r in self.rights_of.get(actor_id, ()):
            standing = r.status == "active" or (r.status == "expired" and bool(r.expires_on))
            if standing and (not r.granted_on or r.granted_on <= day) and (not r.expires_on or day <= r.expires_on):
                return True
        return False

    def months_in_force(self, actor_id: str, year: int) -> list[int]:
        """Months of `year` wholly covered by a right in force: a legal miner buys only then."""
        return [m for m in range(1, 13) if self.in_force(actor_id, f"{year}-{m:02d}-01")
                and self.in_force(actor_id, f"{year}-{m:02d}-28")]

    def authorization(self, actor: Actor) -> str:
        if actor.actor_id not in self.auth:
            n = self.ctx.next_id(f"auth-{actor.country}", 6).rsplit("-", 1)[1]
            self.auth[actor.actor_id] = f"{AUTH_PREFIX[actor.country]}-{n}"
        return self.auth[actor.actor_id]

    def purchases(self, actor: Actor, year: int, item: str, quantity: float, unit: str, parts: int | None = None
                  ) -> None:
        """Split a yearly quantity into a few dated purchases delivered near the buyer's right."""
        rng = self.rng
        parts = parts or rng.randint(1, 3)
        right = self.where.get(actor.actor_id)
        allowed = self.months_in_force(actor.actor_id, year) or list(range(1, 13))  # planted buyers may have none
        parts = min(parts, len(allowed))
        months = sorted(rng.sample(allowed, parts))
        weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
        total = sum(weights)
        for w, m in zip(weights, months):
            q = quantity * w / total
            q = round(q) if unit in ("L", "gal", "g") else round(q, 3) if unit == "t" else round(q, 1)
            if q <= 0:
                continue
            lon = lat = None
            admin = actor.admin_area
            if right is not None:
                c = right.ring[0]
                lon, lat, admin = round(c[0], 5), round(c[1], 5), right.region.admin_area
            elif actor.region is not None:
                lon, lat = round(actor.lon, 5), round(actor.lat, 5)
            self.ctx.rows["inputs"].append({
                "record_id": self.ctx.next_id("INP", 6), "country": actor.country,
                "date": f"{year}-{m:02d}-{rng.randint(1, 28):02d}", "actor_id": actor.actor_id, "input": item,
                "quantity": float(q), "unit": unit, "authorization_id": self.authorization(actor),
                "admin_area": admin, "lat": lat, "lon": lon})

    def build(self) -> None:
        ctx, rng = self.ctx, self.rng
        produced: dict[tuple[str, int], float] = defaultdict(float)
        style: dict[str, tuple[str, str]] = {}
        for row in ctx.rows["production"]:
            if row["commodity"] != "Au":
                continue
            right = ctx.rights[str(row["right_id"])]
            produced[(right.seller_id, int(str(row["period"])[:4]))] += float(row["fine_mass_kg"])
            style.setdefault(right.seller_id, (right.region.style, right.scale))
            self.where.setdefault(right.seller_id, right)
        planted = self.plant(produced, style)
        for (actor_id, year), kg in produced.items():
            if (actor_id, year) in planted or rng.random() > 0.6 or not self.months_in_force(actor_id, year):
                continue  # no purchases in years the buyer holds no right in force: those are planted
            actor = ctx.actors[actor_id]
            kind, scale = style[actor_id]
            items: list[str] = []
            if actor.country != "CO" and scale in ("artisanal", "small"):
                items.append("mercury")  # Colombia banned mercury in mining in 2018
            if kind == "alluvial":
                items.append("diesel")
            else:
                items.append("explosives")
                if scale != "artisanal":
                    items.append("cyanide")
            for item in items:
                q = kg * rng.uniform(*RATIOS[item])
                unit = "kg"
                if item == "cyanide" and q > 5000 and rng.random() < 0.4:
                    unit, q = "t", q / 1000  # bulk cyanide is often recorded in tonnes
                if item == "diesel":
                    unit = "gal" if actor.country in ("PE", "EC") and rng.random() < 0.5 else "L"
                    q = q / GAL_L if unit == "gal" else q
                self.purchases(actor, year, item, q, unit)

    def plant(self, produced: dict[tuple[str, int], float], style: dict[str, tuple[str, str]]
              ) -> set[tuple[str, int]]:
        """input_overuse cases and look-alikes (grams of mercury; a large mine's cyanide and diesel); returns the actor-years whose inputs are written here."""
        ctx, rng = self.ctx, self.rng
        done: set[tuple[str, int]] = set()

        def producers(country: str, year: int, kind: str | None = None, pstyle: str | None = None,
                      tier: int | None = 0) -> list[Actor]:
            out = []
            for (actor_id, y), kg in produced.items():
                a = ctx.actors[actor_id]
                if y != year or a.country != country or kg < 0.5 or (tier is not None and a.tier != tier):
                    continue
                if kind and a.kind != kind or pstyle and style[actor_id][0] != pstyle:
                    continue
                out.append(a)
            return out

        cases = (("PE", 2023, "person", "alluvial", "mercury", 45.0), ("BO", 2024, "cooperative", None, "mercury", 30.0),
                 ("EC", 2023, "company", "hardrock", "cyanide", 2500.0))
        for country, year, kind, pstyle, item, ratio in cases:
            actor = pick(rng, ctx, producers(country, year, kind, pstyle, tier=None if kind == "company" else 0),
                         "input_overuse", producers(country, year, kind, None, tier=None),
                         producers(country, year, None, None, tier=None))
            kg = produced[(actor.actor_id, year)]
            self.purchases(actor, year, item, kg * ratio, "kg", parts=4)
            done.add((actor.actor_id, year))
            ctx.truth_row("input_overuse", "actor", actor.actor_id, country, str(year), "fire",
                          f"bought {kg * ratio:,.0f} kg of {item} for {kg:,.1f} kg of declared gold "
                          f"({ratio:g} kg per kg; usual {RATIOS[item][0]:g}-{RATIOS[item][1]:g})")
        trader = pick(rng, ctx, traders(ctx, "CO"), "input_overuse", ctx.by_country("CO", tier=1))
        self.purchases(trader, 2022, "mercury", rng.uniform(150, 220), "kg", parts=3)
        ctx.truth_row("input_overuse", "actor", trader.actor_id, "CO", "2022", "fire",
                      "a gold trader with no production buys mercury (banned in Colombian mining since 2018)")
        # Look-alikes: mercury recorded in grams; a large mine's large but proportionate cyanide purchases.
        grams = pick(rng, ctx, producers("PE", 2023, "person", "alluvial"), "input_overuse silent",
                     producers("PE", 2023, None, None, tier=None))
        kg = produced[(grams.actor_id, 2023)]
        g = kg * rng.uniform(2.0, 2.8) * 1000
        self.purchases(grams, 2023, "mercury", g, "g", parts=3)
        done.add((grams.actor_id, 2023))
        ctx.truth_row("input_overuse", "actor", grams.actor_id, "PE", "2023", "silent",
                      f"mercury recorded in grams ({g:,.0f} g, i.e. {g / 1000:,.1f} kg for {kg:,.1f} kg of gold): "
                      "normal ratio once converted")
        big_id = max((a for (a, y) in produced if y == 2023 and style[a][0] == "hardrock"
                      and ctx.actors[a].actor_id not in ctx.reserved),
                     key=lambda a: (produced[(a, 2023)], a))
        big = ctx.actors[big_id]
        ctx.reserved.add(big_id)
        kg = produced[(big_id, 2023)]
        self.purchases(big, 2023, "cyanide", kg * rng.uniform(100, 140), "kg", parts=4)
        self.purchases(big, 2023, "explosives", kg * rng.uniform(30, 50), "kg", parts=4)
        self.purchases(big, 2023, "diesel", kg * rng.uniform(2500, 5000), "L", parts=6)  # haul fleet of a pit
        done.add((big_id, 2023))
        ctx.truth_row("input_overuse", "actor", big_id, big.country, "2023", "silent",
                      f"buys tonnes of cyanide and a million litres of diesel, in proportion to its {kg:,.0f} kg of gold")
        return done


def build_inputs(ctx: Ctx) -> None:
    Inputs(ctx).build()
