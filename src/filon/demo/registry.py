"""Company registry and watch lists: ownership links, sanctions, and their planted cases.

Normal ownership is deliberately plain (one to three local persons, sometimes
through one long-established domestic holding, sometimes a name only), so
that layers, secrecy jurisdictions, nominees, fresh shells, listed parties and
persons controlling several links of one chain appear only where planted.
"""

from __future__ import annotations

import random

from filon.demo.actors import COUNTRIES, foreign_actor, new_actor
from filon.demo.model import Actor, Ctx
from filon.demo.planted import pick, traders

#: Names that appear in the watch lists; reserved before any random name is drawn.
LISTED_HOMONYM = "CONDORI APAZA WILBER"
HOMONYM_ACTOR = "CONDORI APAZA WALTER"
LISTED_SIMILAR_COMPANY = "AURUM ANDES TRADING FZE"
SIMILAR_ACTOR = "COMERCIALIZADORA AURUM ANDES S.R.L."
LISTED_EC_OWNER = "CHAMBA QUIZHPE SEGUNDO ELIAS"
FILLERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("GOLDEN TRIANGLE BULLION LTD.", "company", "HK", "UN Security Council (demo)", "Financing of armed groups (demo)"),
    ("MERIDIAN PRECIOUS METALS FZE", "company", "AE", "OFAC SDN (demo)", "Laundering of illicit gold (demo)"),
    ("OSORIO RESTREPO JAIRO ALONSO", "person", "CO", "OFAC SDN (demo)", "Finance of illegal mining for an armed group (demo)"),
    ("TICONA LIMACHI RENE", "person", "BO", "PEP - Bolivia (demo)", "Former vice-minister of mining (demo)"),
    ("SILVA PONTES MARCOS", "person", "BR", "Interpol notice (demo)", "Gold smuggling across the border (demo)"),
    ("RIO NEGRO MINERACAO LTDA.", "company", "BR", "OFAC SDN (demo)", "Illegal mining in indigenous land (demo)"),
    ("JARAMILLO CELI MARCO VINICIO", "person", "EC", "PEP - Ecuador (demo)", "Provincial official (demo)"),
)
SECRECY = ("VG", "PA")


def reserve_names(ctx: Ctx) -> None:
    """Keep listed names out of the random name pool, so a list match is always planted."""
    for name in (LISTED_HOMONYM, HOMONYM_ACTOR, LISTED_SIMILAR_COMPANY, SIMILAR_ACTOR, LISTED_EC_OWNER,
                 *(f[0] for f in FILLERS)):
        ctx.names.reserve(name)


def shares(rng: random.Random, n: int) -> list[float]:
    """n shareholdings in percent, two decimals, summing to exactly 100."""
    if n == 1:
        return [100.0]
    raw = sorted((rng.uniform(0.5, 1.5) for _ in range(n)), reverse=True)
    total = sum(raw)
    out = [round(100 * r / total, 2) for r in raw]
    out[-1] = round(100 - sum(out[:-1]), 2)
    return out


class Registry:
    """Builds the `ownership` and `sanctions` rows."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("registry")
        self.done: set[str] = set()

    def link(self, subject: Actor, *, owner: Actor | None = None, owner_name: str = "", share: float | None = None,
             kind: str = "shareholding", start: str = "", end: str = "") -> None:
        self.ctx.rows["ownership"].append({
            "record_id": self.ctx.next_id("OWN", 6), "subject_id": subject.actor_id,
            "owner_id": owner.actor_id if owner else "", "owner_name": owner_name if not owner else "",
            "share_pct": share, "control_kind": kind, "start_date": start or subject.incorporation_date,
            "end_date": end,
        })
        self.done.add(subject.actor_id)

    def owner_person(self, country: str) -> Actor:
        return new_actor(self.ctx, country, "person", [], hub=True, years=(1995, 2012))

    # --- normal ownership -----------------------------------------------------------
    def normal(self) -> None:
        rng = self.rng
        for actor in list(self.ctx.actors.values()):
            if actor.kind != "company" or actor.country not in COUNTRIES or actor.actor_id in self.done:
                continue
            r = rng.random()
            if r < 0.62:
                self.persons(actor, rng.choice((1, 1, 2, 2, 3)))
            elif r < 0.77:
                holding = new_actor(self.ctx, actor.country, "company", [], name_role="holding", hub=True,
                                    years=(1980, max(1981, int(actor.incorporation_date[:4]) - 3)))
                self.link(actor, owner=holding, share=100.0)
                self.persons(holding, rng.choice((1, 2)))
            elif r < 0.90:
                for s in shares(rng, rng.choice((1, 2))):
                    self.link(actor, owner_name=self.ctx.names.person(actor.country), share=s)
            else:
                self.done.add(actor.actor_id)

    def persons(self, actor: Actor, n: int) -> None:
        rng = self.rng
        start = actor.incorporation_date
        if rng.random() < 0.06 and start < "2015":
            # A founder who sold out: the link is closed, the buyers' links start that day.
            former = self.owner_person(actor.country)
            end = f"{int(start[:4]) + rng.randint(2, 8)}{start[4:]}"
            self.link(actor, owner=former, share=100.0, start=start, end=end)
            start = end
        owners = [self.owner_person(actor.country) for _ in range(n)]
        for owner, s in zip(owners, shares(rng, n)):
            self.link(actor, owner=owner, share=s, start=start)
        if rng.random() < 0.3:
            self.link(actor, owner=owners[0], kind="director", start=start)

    # --- planted ----------------------------------------------------------------------
    def shared_controllers(self) -> None:
        """One person controlling a miner, its trader and its exporter (PE); a trader, plant, exporter (CO)."""
        ctx, a = self.ctx, self.ctx.actors
        pe, co = ctx.notes["sc_pe"], ctx.notes["sc_co"]  # type: ignore[assignment]
        p = a[pe["owner"]]  # type: ignore[index]
        self.link(a[pe["miner"]], owner=p, share=60.0)  # type: ignore[index]
        self.link(a[pe["miner"]], owner_name=ctx.names.person("PE"), share=40.0)  # type: ignore[index]
        self.link(a[pe["trader"]], owner=p, share=100.0)  # type: ignore[index]
        self.link(a[pe["exporter"]], owner=p, share=51.0)  # type: ignore[index]
        self.link(a[pe["exporter"]], owner_name=ctx.names.person("PE"), share=49.0)  # type: ignore[index]
        self.link(a[pe["exporter"]], owner=p, kind="director")  # type: ignore[index]
        ctx.truth_row("shared_controller", "actor", p.actor_id, "PE", "", "fire",
                      "controls the miner, the trader it sells to and the exporter that trader sells to")
        q = a[co["owner"]]  # type: ignore[index]
        self.link(a[co["trader"]], owner_name=ctx.names.person("CO"), share=100.0)  # type: ignore[index]
        self.link(a[co["trader"]], owner=q, share=100.0, kind="beneficial")  # type: ignore[index]
        self.link(a[co["plant"]], owner=q, share=70.0)  # type: ignore[index]
        self.link(a[co["plant"]], owner_name=ctx.names.person("CO"), share=30.0)  # type: ignore[index]
        self.link(a[co["plant"]], owner=q, kind="director")  # type: ignore[index]
        self.link(a[co["exporter"]], owner=q, share=55.0)  # type: ignore[index]
        self.link(a[co["exporter"]], owner_name=ctx.names.person("CO"), share=45.0)  # type: ignore[index]
        ctx.truth_row("shared_controller", "actor", q.actor_id, "CO", "", "fire",
                      "beneficial owner of a trader, majority owner of a plant and of the exporter both sell to")
        # Look-alikes: a 5 % investor along one chain; an owner of a miner and of a transport firm.
        rng = self.rng
        chains = []
        for m in ctx.actors.values():
            if m.tier == 0 and m.kind == "company" and m.outlets and m.actor_id not in ctx.reserved:
                t = a[m.outlets[0][0]]
                if t.tier == 1 and t.kind == "company" and t.actor_id not in ctx.reserved and t.outlets:
                    e = a[t.outlets[0][0]]
                    if "exporter" in e.roles and e.actor_id not in ctx.reserved and e.country == "PE":
                        chains.append((m, t, e))
        if not chains:  # tiny scales: any miner, trader and exporter of Peru
            chains = [(rng.choice([x for x in ctx.by_country("PE", tier=0, kind="company") if x.actor_id not in ctx.reserved]),
                       rng.choice([x for x in traders(ctx, "PE") if x.kind == "company" and x.actor_id not in ctx.reserved]),
                       rng.choice([x for x in ctx.by_country("PE", tier=2) if x.actor_id not in ctx.reserved]))]
        m, t, e = rng.choice(chains)
        r = self.owner_person("PE")
        for company in (m, t, e):
            ctx.reserved.add(company.actor_id)
            self.link(company, owner=self.owner_person("PE"), share=95.0)
            self.link(company, owner=r, share=5.0)
        ctx.truth_row("shared_controller", "actor", r.actor_id, "PE", "", "silent",
                      "holds 5 % of a miner, its trader and its exporter: an investor, not a controller")
        miner = pick(rng, ctx, ctx.by_country("PE", tier=0, kind="company"), "sc silent",
                     ctx.by_country("PE", kind="company"))
        transport = pick(rng, ctx, ctx.by_country("PE", role="transporter"), "sc silent")
        s = self.owner_person("PE")
        self.link(miner, owner=s, share=100.0)
        self.link(transport, owner=s, share=100.0)
        ctx.truth_row("shared_controller", "actor", s.actor_id, "PE", "", "silent",
                      "owns a miner and a transport company that never trade with each other")

    def opaque(self) -> None:
        """Control through offshore layers, nominees and fresh shells; and two transparent look-alikes."""
        ctx, rng = self.ctx, self.rng
        exporters = [x for x in ctx.by_country("PE", tier=2) if x.export_product == "dore" and "miner" not in x.roles]
        o1 = pick(rng, ctx, exporters, "opaque")
        h1 = new_actor(ctx, "PE", "company", [], name_role="holding", hub=True, date="2023-01-09")
        h2 = foreign_actor(ctx, "VG", "2022-11-28")
        self.link(o1, owner=h1, share=100.0, start="2023-03-01")
        self.link(h1, owner=h2, share=100.0, start="2023-01-09")
        self.link(h2, owner_name="ATLANTIC NOMINEE SERVICES LTD.", share=100.0, kind="nominee", start="2022-11-28")
        ctx.truth_row("opaque_ownership", "actor", o1.actor_id, "PE", "", "fire",
                      "owned via a two-month-old local holding, a British Virgin Islands company and a nominee")
        o2 = pick(rng, ctx, traders(ctx, "CO"), "opaque", ctx.by_country("CO", tier=1))
        pa = foreign_actor(ctx, "PA", "2019-06-14")
        self.link(o2, owner=pa, share=99.0, start="2020-02-03")
        self.link(o2, owner_name=ctx.names.person("CO"), share=1.0, start="2020-02-03")
        self.link(pa, owner_name="FUNDACION PRIVADA LOS ALISIOS", share=100.0, start="2019-06-14")
        self.link(pa, owner_name="NOMINEE DIRECTORS PANAMA S.A.", kind="nominee", start="2019-06-14")
        ctx.truth_row("opaque_ownership", "actor", o2.actor_id, "CO", "", "fire",
                      "99 % owned by a Panamanian company held by a private foundation with nominee directors")
        o3 = pick(rng, ctx, [x for x in traders(ctx, "EC") if x.kind == "company"], "opaque",
                  ctx.by_country("EC", tier=1, kind="company"), ctx.by_country("EC", tier=0, kind="company"))
        shell = new_actor(ctx, "EC", "company", [], name_role="holding", hub=True, date="2022-04-04")
        front = self.owner_person("EC")
        self.link(o3, owner=shell, share=100.0, start="2022-04-25")
        self.link(shell, owner=front, share=100.0, kind="nominee", start="2022-04-04")
        self.link(shell, owner_name=ctx.names.foreign_company("BZ"), kind="beneficial", start="2022-04-04")
        ctx.truth_row("opaque_ownership", "actor", o3.actor_id, "EC", "", "fire",
                      "bought by a three-week-old shell whose shareholder is a nominee for a Belize company")
        ec = [x for x in ctx.by_country("EC", tier=2) if x.kind == "company" and x.export_product != "concentrate"]
        s1 = pick(rng, ctx, ec, "opaque silent", ctx.by_country("EC", tier=2, kind="company"),
                  ctx.by_country("EC", kind="company"))
        parent = foreign_actor(ctx, "CA", "1998-05-11")
        self.link(s1, owner=parent, share=100.0, start=max(s1.incorporation_date, "2005-01-01"))
        ctx.truth_row("opaque_ownership", "actor", s1.actor_id, "EC", "", "silent",
                      "subsidiary of a long-established Canadian company: foreign, but one transparent layer")
        s2 = pick(rng, ctx, ctx.by_country("PE", tier=0, kind="company"), "opaque silent",
                  ctx.by_country("PE", kind="company"))
        for s in shares(rng, 3):
            self.link(s2, owner=self.owner_person("PE"), share=s)
        ctx.truth_row("opaque_ownership", "actor", s2.actor_id, "PE", "", "silent",
                      "three family shareholders, directly, since incorporation")

    def sanctions(self) -> None:
        """List entries: three that hit a company or its owner, two near misses, and unrelated entries."""
        ctx, rng = self.ctx, self.rng
        rows = ctx.rows["sanctions"]

        def entry(name: str, kind: str, country: str, tax_id: str, list_name: str, reason: str) -> None:
            rows.append({"entry_id": ctx.next_id("SAN", 4), "name": name, "kind": kind, "country": country,
                         "tax_id": tax_id, "list_name": list_name, "reason": reason})

        co_exp = pick(rng, ctx, [x for x in ctx.by_country("CO", tier=2) if "exporter" in x.roles], "sanctioned",
                      ctx.by_country("CO", kind="company"))
        entry(co_exp.name, "company", "CO", co_exp.tax_id, "OFAC SDN (demo)",
              "Laundering of gold from illegal mining linked to an armed group (demo)")
        ctx.truth_row("sanctioned_party", "actor", co_exp.actor_id, "CO", "", "fire",
                      "the exporter itself is listed (same name and NIT)")
        pe_trader = pick(rng, ctx, [x for x in traders(ctx, "PE") if x.kind == "company"], "sanctioned",
                         ctx.by_country("PE", tier=1), ctx.by_country("PE", tier=0, kind="company"))
        pep = self.owner_person("PE")
        self.link(pe_trader, owner=pep, share=70.0)
        self.link(pe_trader, owner_name=ctx.names.person("PE"), share=30.0)
        entry(pep.name, "person", "PE", pep.tax_id, "PEP - Peru (demo)", "Regional governor 2019-2022 (demo)")
        ctx.truth_row("sanctioned_party", "actor", pe_trader.actor_id, "PE", "", "fire",
                      "70 % owned by a politically exposed person on the list (same name and RUC)")
        ec_plant = pick(rng, ctx, [x for x in ctx.by_country("EC", tier=2) if x.export_product == "concentrate"],
                        "sanctioned", ctx.by_country("EC", tier=2), ctx.by_country("EC", kind="company"))
        self.link(ec_plant, owner_name=LISTED_EC_OWNER, share=80.0)
        self.link(ec_plant, owner_name=ctx.names.person("EC"), share=20.0)
        entry(LISTED_EC_OWNER, "person", "EC", "", "UN Security Council (demo)",
              "Financier of a transnational criminal organisation (demo)")
        ctx.truth_row("sanctioned_party", "actor", ec_plant.actor_id, "EC", "", "fire",
                      "80 % owned by a listed person, known only by name in the registry")
        # Near misses.
        homonym = pick(rng, ctx, [x for x in ctx.by_country("PE", kind="person") if "miner" in x.roles
                                  and x.tier == 0], "sanctioned silent")
        homonym.name = HOMONYM_ACTOR
        entry(LISTED_HOMONYM, "person", "PE", ctx.taxids.new("PE", True), "UIF-Peru watch list (demo)",
              "Mercury smuggling (demo)")
        ctx.truth_row("sanctioned_party", "actor", homonym.actor_id, "PE", "", "silent",
                      f"'{HOMONYM_ACTOR}' vs listed '{LISTED_HOMONYM}': different given name and RUC")
        similar = pick(rng, ctx, [x for x in traders(ctx, "BO") if x.kind == "company"], "sanctioned silent",
                       ctx.by_country("BO", kind="company"))
        similar.name = SIMILAR_ACTOR
        entry(LISTED_SIMILAR_COMPANY, "company", "AE", "", "OFAC SDN (demo)", "Gold trading front company (demo)")
        ctx.truth_row("sanctioned_party", "actor", similar.actor_id, "BO", "", "silent",
                      f"'{SIMILAR_ACTOR}' resembles listed '{LISTED_SIMILAR_COMPANY}' but is another firm")
        for name, kind, country, list_name, reason in FILLERS:
            entry(name, kind, country, "", list_name, reason)


def build_registry(ctx: Ctx) -> None:
    reg = Registry(ctx)
    reg.shared_controllers()
    reg.opaque()
    reg.sanctions()
    reg.normal()
