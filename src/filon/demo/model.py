"""In-memory model of the demo region while it is being generated.

Generation happens in stages (actors, rights, flows, territory...) that each
read what earlier stages decided; keeping actors and rights as small mutable
objects (rather than rows) lets the planted cases adjust behaviour *before* the
flows are simulated, so that every derived table stays consistent with them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from filon.demo.geography import Region, wkt_polygon
from filon.demo.names import NameFactory
from filon.demo.taxids import TaxIdFactory

Outlets = list[tuple[str, float]]


@dataclass
class Actor:
    """A natural or legal person, plus how it behaves in the supply chain.

    `tier` drives the monthly flow simulation: 0 sells its production straight
    away, 1 is an intermediary (buys, sells on), 2 exports or refines, -1 takes
    no part in mineral flows (owners, shells, transporters, public bodies).
    """

    actor_id: str
    country: str
    name: str
    kind: str
    roles: list[str]
    tax_id: str = ""
    tax_id_scheme: str = ""
    incorporation_date: str = ""
    address: str = ""
    admin_area: str = ""
    region: Region | None = None
    lon: float = 0.0
    lat: float = 0.0
    tier: int = -1
    outlets: Outlets = field(default_factory=list)
    schedule: list[tuple[int, Outlets]] = field(default_factory=list)
    export_product: str = "dore"
    destinations: list[tuple[str, float]] = field(default_factory=list)
    consignees: dict[str, str] = field(default_factory=dict)

    def outlets_at(self, month_idx: int) -> Outlets:
        """Buyers and shares in a month: the latest schedule entry that has started, else the default."""
        current = self.outlets
        for start, outlets in self.schedule:
            if month_idx >= start:
                current = outlets
        return current

    def row(self) -> dict[str, object]:
        return {"actor_id": self.actor_id, "country": self.country, "name": self.name, "kind": self.kind,
                "tax_id": self.tax_id, "tax_id_scheme": self.tax_id_scheme if self.tax_id else "",
                "incorporation_date": self.incorporation_date, "address": self.address,
                "admin_area": self.admin_area, "roles": ";".join(self.roles)}


@dataclass
class Right:
    """A mining right and the parameters of its (possible) production."""

    right_id: str
    country: str
    holder_id: str
    regime: str
    status: str
    scale: str
    commodities: str
    capacity_tpd: float
    granted_on: str
    expires_on: str
    region: Region
    ring: list[tuple[float, float]]
    area_ha: float
    operator_id: str = ""
    producing: bool = False
    commodity: str = "Au"
    product: str = "dore"
    purity: float = 0.88  # fine/gross of dore; g/t/1e6 for concentrate and ore
    base_kg: float = 0.0  # typical monthly fine mass
    grade_gpt: float = 0.0
    recovery: float = 1.0
    util: float = 0.5  # share of capacity used; kept <= 0.8 so monthly ore never exceeds capacity
    start_month: str = "2022-01"
    end_month: str = "2024-12"
    override_kg: dict[str, float] = field(default_factory=dict)  # planted months -> fine kg
    no_detection: bool = False
    detection_window: tuple[str, str] | None = None  # (first, last) ISO dates allowed for its detections

    @property
    def seller_id(self) -> str:
        """Who sells what the right produces: the operator when there is one, else the holder."""
        return self.operator_id or self.holder_id

    def row(self) -> dict[str, object]:
        return {"right_id": self.right_id, "country": self.country, "holder_id": self.holder_id,
                "regime": self.regime, "status": self.status, "scale": self.scale,
                "commodities": self.commodities, "area_ha": round(self.area_ha, 2),
                "capacity_tpd": self.capacity_tpd, "granted_on": self.granted_on, "expires_on": self.expires_on,
                "admin_area": self.region.admin_area, "geometry": wkt_polygon(self.ring)}


@dataclass
class FlowPlan:
    """Planted deviations the monthly flow simulation applies; empty means a clean chain.

    Planted cases are decided before the flows run, so every consequence (the
    buyer's purchases, the exporter's declarations, the partner's mirror
    imports) follows from the same simulated transactions.
    """

    sale_factor: dict[tuple[str, int], float] = field(default_factory=dict)  # (actor, year): sells stock x f
    carry_kg: dict[str, float] = field(default_factory=dict)  # actor: fine kg of December stock kept to January
    export_factor: dict[tuple[str, int], float] = field(default_factory=dict)  # (exporter, year): exports x f
    phantom_kg: dict[tuple[str, str], float] = field(default_factory=dict)  # (exporter, month): extra fine kg
    cite_instead: dict[str, tuple[str, int]] = field(default_factory=dict)  # right: (right cited in sales, year)


class Ctx:
    """Shared state of one generation run: seeded random streams, factories, objects and output rows.

    Each stage draws from its own named stream (`ctx.rng("flows")`), so adding a
    row in one stage never shifts the random numbers of another: runs stay
    byte-identical for a seed, and small edits keep most of the data stable.
    """

    def __init__(self, seed: int, scale: float) -> None:
        self.seed = seed
        self.scale = scale
        self._rngs: dict[str, random.Random] = {}
        self.names = NameFactory(self.rng("names"))
        self.taxids = TaxIdFactory(self.rng("taxids"))
        self.actors: dict[str, Actor] = {}
        self.rights: dict[str, Right] = {}
        self.rows: dict[str, list[dict[str, object]]] = defaultdict(list)
        self.truth: list[dict[str, object]] = []
        self._counters: dict[str, int] = defaultdict(int)
        self.grids: dict[str, object] = {}
        self.notes: dict[str, object] = {}  # stage-to-stage facts (planted ids, totals)
        self.plan = FlowPlan()
        self.reserved: set[str] = set()  # actors and rights already used by a planted case

    def rng(self, name: str) -> random.Random:
        if name not in self._rngs:
            self._rngs[name] = random.Random(f"filon-demo:{self.seed}:{name}")
        return self._rngs[name]

    def count(self, base: int, minimum: int = 1) -> int:
        """A volume knob: `base` rows at scale 1.0, never fewer than `minimum`."""
        return max(minimum, round(base * self.scale))

    def next_id(self, prefix: str, width: int = 6) -> str:
        self._counters[prefix] += 1
        return f"{prefix}-{self._counters[prefix]:0{width}d}"

    def truth_row(self, typology: str, subject_type: str, subject_id: str, country: str, period: str,
                  expected: str, note: str) -> None:
        """Record a planted case (`fire`) or a look-alike that must stay quiet (`silent`)."""
        assert expected in ("fire", "silent")
        self.truth.append({"typology": typology, "subject_type": subject_type, "subject_id": subject_id,
                           "country": country, "period": period, "expected": expected, "note": note})

    def by_country(self, country: str, *, role: str | None = None, tier: int | None = None,
                   kind: str | None = None) -> list[Actor]:
        out = []
        for actor in self.actors.values():
            if actor.country != country:
                continue
            if role is not None and role not in actor.roles:
                continue
            if tier is not None and actor.tier != tier:
                continue
            if kind is not None and actor.kind != kind:
                continue
            out.append(actor)
        return out
