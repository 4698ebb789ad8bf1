"""Monthly simulation of the gold chain: production, domestic trades, exports, assays.

Everything flows within the calendar month (miners sell on days 2-14,
intermediaries on 15-22, exporters declare on 23-28) and every node passes on
slightly less than it received. That is what keeps each actor's yearly mass
balance closed, so a mass-balance detector finds exactly the planted breaks
(`ctx.plan`), and national exports stay below production except where planted.
"""

from __future__ import annotations

import random
from collections import defaultdict

from filon.demo.actors import CONSIGNEES
from filon.demo.market import MONTHS, day, days_in, price_per_kg
from filon.demo.model import Actor, Ctx, Right

HS_DORE = {"PE": "7108120000", "CO": "7108120000", "BO": "71081200", "EC": "7108120000"}
HS_GOLD_CONCENTRATE = "2616901000"
HS_CU_CONCENTRATE = "2603000000"
AIR_OFFICE = {"PE": "235", "CO": "BOGOTA - AEROPUERTO EL DORADO", "BO": "EL ALTO - AEROPUERTO", "EC": "028"}
SEA_OFFICE = {"PE": "118", "EC": "073"}
DORE_DESCRIPTION = {"PE": "ORO EN BRUTO (DORE) EN BARRAS, LEY {:.3f}", "CO": "ORO EN BRUTO SEMIPROCESADO, LEY {:.3f}",
                    "BO": "ORO METALICO EN BRUTO (BARRAS), LEY {:.3f}", "EC": "ORO EN BRUTO (DORE), LEY {:.3f}"}
LABS = {"PE": "LABORATORIO ANDINO DE ENSAYOS S.A.C.", "CO": "LABORATORIO METALURGICO DEL CAUCA S.A.S.",
        "BO": "LABORATORIO MINERO ILLIMANI S.R.L.", "EC": "LABORATORIO DE ENSAYOS DEL AUSTRO CIA. LTDA."}
CU_DESTINATIONS = (("CN", 0.6), ("JP", 0.25), ("KR", 0.15))


def season(right: Right, month: str) -> float:
    """Rainy-season dip of alluvial mining in the Amazon (January to March)."""
    return 0.8 if right.region.style == "alluvial" and month[5:] in ("01", "02", "03") else 1.0


def gross_of(product: str, fine: float, purity: float) -> float:
    return round(fine / purity, 3)


def compute_production(ctx: Ctx) -> dict[str, list[tuple[Right, float]]]:
    """Monthly declarations of every producing right; returns them by month for the flow simulation."""
    rng = ctx.rng("production")
    by_month: dict[str, list[tuple[Right, float]]] = {m: [] for m in MONTHS}
    rows = ctx.rows["production"]
    for right in ctx.rights.values():
        if not right.producing:
            continue
        for month in MONTHS:
            if not right.start_month <= month <= right.end_month:
                continue
            fine = right.override_kg.get(month)
            if fine is None:
                fine = right.base_kg * season(right, month) * rng.uniform(0.88, 1.12) * days_in(month) / 30.4
            fine = round(max(fine, 0.001), 4)
            by_month[month].append((right, fine))
            price = price_per_kg(right.commodity, month)
            rows.append({
                "record_id": ctx.next_id(f"PRD-{right.country}", 7), "country": right.country,
                "right_id": right.right_id, "producer_id": right.operator_id, "period": month,
                "commodity": right.commodity, "product": right.product,
                "gross_mass_kg": gross_of(right.product, fine, right.purity), "fine_mass_kg": fine,
                "value_usd": round(fine * price * (rng.uniform(0.97, 1.0) if right.commodity == "Au" else 0.9), 2),
            })
    return by_month


def split(rng: random.Random, total: float, lot: tuple[float, float], max_parts: int) -> list[float]:
    """Cut a monthly quantity into shipments or lots of a typical size; parts sum to the total."""
    return split_n(rng, total, max(1, min(max_parts, round(total / rng.uniform(*lot)))))


def split_n(rng: random.Random, total: float, n: int) -> list[float]:
    """Cut a quantity into n random parts that sum to it (after rounding)."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(n)]
    s = sum(weights)
    parts = [round(total * w / s, 4) for w in weights]
    parts[-1] = round(total - sum(parts[:-1]), 4)
    return [p for p in parts if p > 0]


class Simulator:
    """Runs the chain month by month and writes trades, exports and assays."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("flows")
        self.stock: dict[tuple[str, str], float] = defaultdict(float)
        self.decl_seq: dict[str, int] = defaultdict(int)
        self.refiners: dict[str, list[str]] = defaultdict(list)
        for a in ctx.actors.values():
            if "refiner" in a.roles:
                self.refiners[a.country].append(a.actor_id)

    # --- ids -------------------------------------------------------------------
    def lot_id(self, country: str, month: str, prefix: str = "LT") -> str:
        return self.ctx.next_id(f"{prefix}-{country}-{month[2:4]}", 6)

    def document_ref(self, country: str) -> str:
        n = self.ctx.next_id(f"doc-{country}", 8).rsplit("-", 1)[1]
        return {"PE": f"E001-{n}", "CO": f"FE-{n}", "BO": f"FAC-{n}", "EC": f"001-002-0{n}"}[country]

    def declaration_id(self, country: str, month: str, office: str) -> str:
        year = month[:4]
        key = f"{country}{office}{year}"
        self.decl_seq[key] += 1
        n = self.decl_seq[key]
        if country == "PE":
            return f"{office}-{year}-40-{n:06d}"
        if country == "CO":
            return f"6{year}{n:09d}"
        if country == "BO":
            return f"211-{year}-C-{n:06d}"
        return f"{office}-{year}-40-{n:08d}"

    # --- rows ------------------------------------------------------------------
    def trade(self, seller: Actor, buyer_id: str, month: str, d: int, fine: float, product: str,
              purity: float, margin: float, origin: str = "", with_lot: bool = False) -> None:
        rng = self.rng
        lot = self.lot_id(seller.country, month) if with_lot else ""
        if lot and rng.random() < 0.05:
            self.assay(lot, day(month, min(d + 1, 28)), seller.country, au_gpt=min(purity * 1e6, 999_000),
                       ag_gpt=rng.uniform(5, 60) if product != "dore" else rng.uniform(20_000, 90_000),
                       hg_ppm=rng.uniform(1, 80))
        self.ctx.rows["trades"].append({
            "record_id": self.ctx.next_id(f"TRD-{seller.country}", 7), "country": seller.country,
            "date": day(month, d), "seller_id": seller.actor_id, "buyer_id": buyer_id, "commodity": "Au",
            "product": product, "gross_mass_kg": gross_of(product, fine, purity), "fine_mass_kg": fine,
            "value_usd": round(fine * price_per_kg("Au", month) * margin, 2), "origin_right_id": origin,
            "lot_id": lot,
            "document_ref": self.document_ref(seller.country) if rng.random() < 0.9 else "",
        })

    def assay(self, lot_id: str, date: str, country: str, **values: float) -> None:
        row: dict[str, object] = {"sample_id": self.ctx.next_id("SMP", 6), "lot_id": lot_id, "date": date,
                                  "lab": LABS[country], "method": values.pop("method", "fire assay")}
        row.update({k: round(v, 3) for k, v in values.items()})
        self.ctx.rows["assays"].append(row)

    def export(self, actor: Actor, month: str, total: float, commodity: str = "Au") -> None:
        """Write the month's declarations of one exporter for `total` fine kg."""
        rng, country = self.rng, actor.country
        product = "concentrate" if commodity == "Cu" or actor.export_product == "concentrate" else "dore"
        if commodity == "Cu":
            parts, dests = split(rng, total, (600_000, 1_200_000), 3), CU_DESTINATIONS
        elif product == "concentrate":
            parts, dests = split(rng, total, (2.0, 8.0), 6), tuple(actor.destinations)
        else:
            parts, dests = split(rng, total, (6.0, 40.0), 10), tuple(actor.destinations)
        for fine in parts:
            dest = rng.choices([d for d, _ in dests], weights=[w for _, w in dests])[0]
            date = day(month, rng.randint(23, 28))
            lot = self.lot_id(country, month, "LOT")
            if commodity == "Cu":
                grade = rng.uniform(0.24, 0.29)
                net, hs, office, mode = fine / grade, HS_CU_CONCENTRATE, SEA_OFFICE[country], "sea"
                value = fine * price_per_kg("Cu", month) * rng.uniform(0.85, 0.92)
                description = "CONCENTRADO DE COBRE"
                self.assay(lot, date, country, cu_pct=grade * 100, au_gpt=rng.uniform(0.2, 0.9),
                           ag_gpt=rng.uniform(60, 250), zn_pct=rng.uniform(1, 4), pb_pct=rng.uniform(0.2, 1.2))
            elif product == "concentrate":
                gpt = rng.uniform(40, 120)
                net, hs, office, mode = fine / (gpt / 1e6), HS_GOLD_CONCENTRATE, SEA_OFFICE.get(country, "073"), "sea"
                value = fine * price_per_kg("Au", month) * rng.uniform(0.88, 0.95)
                description = "CONCENTRADO DE ORO A GRANEL"
                if rng.random() < 0.6:
                    self.assay(lot, date, country, au_gpt=gpt, ag_gpt=rng.uniform(10, 80), cu_pct=rng.uniform(0.1, 0.8))
            else:
                purity = rng.uniform(0.82, 0.95)
                net, hs, office, mode = fine / purity, HS_DORE[country], AIR_OFFICE[country], "air"
                value = fine * price_per_kg("Au", month) * rng.uniform(0.965, 1.005)
                description = DORE_DESCRIPTION[country].format(purity)
                if rng.random() < 0.25:
                    self.assay(lot, date, country, au_gpt=min(purity * 1e6 * rng.uniform(0.995, 1.005), 999_000),
                               ag_gpt=rng.uniform(20_000, 90_000), hg_ppm=rng.uniform(1, 50))
            if dest not in actor.consignees:
                actor.consignees[dest] = rng.choice(CONSIGNEES[dest])
            self.ctx.rows["exports"].append({
                "declaration_id": self.declaration_id(country, month, office), "country": country,
                "date": date, "exporter_id": actor.actor_id, "destination_country": dest, "hs_code": hs,
                "commodity": commodity, "product": product, "consignee_name": actor.consignees[dest],
                "description": description, "gross_mass_kg": round(net * rng.uniform(1.005, 1.02), 3),
                "net_mass_kg": round(net, 3), "fine_mass_kg": round(fine, 4), "value_usd": round(value, 2),
                "customs_office": office, "transport_mode": mode, "lot_id": lot,
            })

    # --- the month ---------------------------------------------------------------
    def run(self, by_month: dict[str, list[tuple[Right, float]]]) -> None:
        ctx, rng, plan = self.ctx, self.rng, self.ctx.plan
        tier1 = [a for a in ctx.actors.values() if a.tier == 1]
        tier2 = [a for a in ctx.actors.values() if a.tier == 2]
        for mi, month in enumerate(MONTHS):
            year = int(month[:4])
            best_origin: dict[str, tuple[float, str]] = {}
            for right, fine in by_month[month]:
                seller = ctx.actors[right.seller_id]
                if right.commodity != "Au":
                    self.stock[(seller.actor_id, right.commodity)] += fine
                    continue
                if seller.tier != 0:
                    self.stock[(seller.actor_id, "Au")] += fine
                    continue
                sold = round(fine * rng.uniform(0.975, 1.0), 4)
                buyer_id = seller.outlets_at(mi)[0][0]
                cited = right.right_id
                if right.right_id in plan.cite_instead and plan.cite_instead[right.right_id][1] == year:
                    cited = plan.cite_instead[right.right_id][0]
                for part in split_n(rng, sold, 1 if rng.random() < 0.85 else 2):
                    self.trade(seller, buyer_id, month, rng.randint(2, 14), part, right.product, right.purity,
                               rng.uniform(0.88, 0.96), origin=cited, with_lot=rng.random() < 0.6)
                self.stock[(buyer_id, "Au")] += sold
                if sold > best_origin.get(buyer_id, (0.0, ""))[0]:
                    best_origin[buyer_id] = (sold, cited)
            for actor in tier1:
                self.sell_on(actor, mi, month, year, best_origin.get(actor.actor_id, (0.0, ""))[1])
            for actor in tier2:
                key = (actor.actor_id, "Au")
                held = self.stock.pop(key, 0.0)
                if held > 0 and actor.export_product != "none":
                    held = self.sell_home(actor, month, held)
                if actor.export_product != "none":
                    factor = plan.export_factor.get((actor.actor_id, year), rng.uniform(0.99, 0.998))
                    total = round(held * factor + plan.phantom_kg.get((actor.actor_id, month), 0.0), 4)
                    if total > 0:
                        self.export(actor, month, total)
                cu = (actor.actor_id, "Cu")
                if month[5:] in ("03", "06", "09", "12") and self.stock.get(cu, 0.0) > 0:
                    self.export(actor, month, round(self.stock.pop(cu) * 0.995, 1), "Cu")

    def sell_home(self, actor: Actor, month: str, held: float) -> float:
        """Exporters sell 3-8 % of their gold to a domestic refinery (integrated mines and plants 8-15 %).

        Returns what is left to export. This home market is why national
        exports stay around 85-95 % of production in a clean chain.
        """
        refiners = self.refiners.get(actor.country)
        if not refiners:
            return held
        rng = self.rng
        integrated = "miner" in actor.roles or "processor" in actor.roles
        amount = round(held * (rng.uniform(0.08, 0.15) if integrated else rng.uniform(0.03, 0.08)), 4)
        refiner = refiners[int(actor.actor_id[-3:]) % len(refiners)]
        self.trade(actor, refiner, month, rng.randint(15, 22), amount, "dore", rng.uniform(0.85, 0.95),
                   rng.uniform(0.96, 0.99), with_lot=rng.random() < 0.7)
        return held - amount

    def sell_on(self, actor: Actor, mi: int, month: str, year: int, origin: str) -> None:
        """An intermediary sells what it holds to its exporters (and refiner) before the month ends."""
        rng, plan = self.rng, self.ctx.plan
        key = (actor.actor_id, "Au")
        held = self.stock.pop(key, 0.0)
        if held <= 0:
            return
        factor = plan.sale_factor.get((actor.actor_id, year), rng.uniform(0.985, 0.998))
        keep = 0.0
        if actor.actor_id in plan.carry_kg and month.endswith("-12"):
            # The same quantity is carried over every year end, so each calendar year still balances.
            keep = round(min(held, plan.carry_kg[actor.actor_id]), 4)
            self.stock[key] = keep
        total = (held - keep) * factor
        product = "dore"
        for buyer_id, share in actor.outlets_at(mi):
            amount = round(total * share, 4)
            if amount <= 0:
                continue
            for part in split(rng, amount, (20.0, 60.0), 3):
                self.trade(actor, buyer_id, month, rng.randint(15, 22), part, product, rng.uniform(0.8, 0.93),
                           rng.uniform(0.955, 0.99), origin=origin if rng.random() < 0.4 else "",
                           with_lot=rng.random() < 0.7)
            self.stock[(buyer_id, "Au")] += amount
