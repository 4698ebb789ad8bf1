"""Risk passed along ownership, trade and sourcing links: who is close to whom, and how closely.

Links (undirected for risk, labelled by direction for the reasons):
  - ownership: owner ↔ owned company, strength = the share (or `control_weight` for control without
    a share: director, nominee, beneficial owner);
  - trade: seller ↔ buyer, strength = √(share of the seller's sales × share of the buyer's
    purchases) by fine mass, times `trade_link_weight` (a partner is exposed, an owner answers). Both sides must matter to each other: a big exporter buying a little
    from a flagged trader, or a miner selling a sliver to a flagged hub, is only lightly touched,
    and a hub's risk spreads thinly over its many partners (this is what keeps one hub from
    colouring everyone, like the normalisation of personalised PageRank);
  - sourcing: a right ↔ the buyers citing it as origin (`trades.origin_right_id`), same strength;
  - identity: actor records that entity resolution (`filon link`, view `entities`) puts in one
    entity, strength = the lower match probability of the two (a duplicate registration of a
    flagged firm is the same firm).

From every alerted actor or right (a *seed*), risk walks at most `hops` links; one link passes
`decay × strength` of what arrives, never more than `edge_cap`. An actor keeps, per seed, only
its strongest path (so a seed counts once however many paths lead from it), and the pieces from
different seeds combine as independent evidence, capped at `propagated_cap`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.graph.ownership import load_graph


class Link(NamedTuple):
    """One link from a node, as `LinkTable.get` gives it (a tuple: a walk makes many)."""

    to: str
    strength: float
    label: str      # how the node the link leaves relates to `to`, e.g. "owns 60 % of"


class LinkTable:
    """Every node's links, packed in a few flat arrays instead of a Python object per link: built
    once per workspace version and kept between runs (`DetectContext.memo`), where unpickling a
    national graph of links one object at a time took longer than the walk that reads a few of them."""

    def __init__(self, links: dict[str, list[Link]]) -> None:
        from array import array

        self.nodes: list[str] = list(links)
        for targets in links.values():
            self.nodes.extend(link.to for link in targets)
        self.nodes = list(dict.fromkeys(self.nodes))
        self.index = {node: i for i, node in enumerate(self.nodes)}
        self.labels = list(dict.fromkeys(link.label for targets in links.values() for link in targets))
        label_of = {label: i for i, label in enumerate(self.labels)}
        self.offsets, self.to, self.strength, self.label = array("q", [0] * (len(self.nodes) + 1)), array("q"), \
            array("d"), array("q")
        for i, node in enumerate(self.nodes):
            for link in links.get(node, ()):
                self.to.append(self.index[link.to])
                self.strength.append(link.strength)
                self.label.append(label_of[link.label])
            self.offsets[i + 1] = len(self.to)

    def get(self, node: str, default: Any = ()) -> list[Link] | Any:
        i = self.index.get(node)
        if i is None or self.offsets[i] == self.offsets[i + 1]:
            return default
        return [Link(self.nodes[self.to[j]], self.strength[j], self.labels[self.label[j]])
                for j in range(self.offsets[i], self.offsets[i + 1])]

    def __getitem__(self, node: str) -> list[Link]:
        found = self.get(node, None)
        if found is None:
            raise KeyError(node)
        return found

    def __len__(self) -> int:
        return sum(1 for i in range(len(self.nodes)) if self.offsets[i] != self.offsets[i + 1])

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "index"}  # rebuilt on load, faster than unpickled

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.index = {node: i for i, node in enumerate(self.nodes)}


Links = dict[str, list[Link]] | LinkTable


def right_node(right_id: str) -> str:
    return f"right:{right_id}"


def build_links(ctx: DetectContext, p: Parameters) -> LinkTable:
    """Every link at least `min_link_weight` strong, from both ends.

    Kept for the next run (`DetectContext.memo`) while ownership, trades and entities are the
    same: a batch of exports or production leaves them as they were."""
    from filon.detect.incremental import params_key
    from filon.graph.ownership import in_force_key

    key = ("risk_links", params_key(p), in_force_key(ctx))
    return ctx.memo(key, lambda: _build_links(ctx, p), ("ownership", "actors", "trades", "entities"),
                    keep="risk_links")


def _build_links(ctx: DetectContext, p: Parameters) -> LinkTable:
    links: dict[str, list[Link]] = defaultdict(list)

    def add(a: str, b: str, strength: float, forward: str, backward: str | None) -> None:
        if a == b or strength < p.min_link_weight:
            return
        links[a].append(Link(b, strength, forward))
        if backward is not None:
            links[b].append(Link(a, strength, backward))

    for link in load_graph(ctx).links:
        if link.share:
            strength = (link.share[0] + link.share[1]) / 2.0
            what = f"{strength:.0%}"
        else:
            strength, what = p.control_weight, link.kind
        add(link.owner, link.subject, min(1.0, strength), f"owns ({what})", f"is owned ({what}) by")

    pairs = ctx.query("""SELECT seller_id, buyer_id, sum(fine_mass_kg) AS kg FROM trades
                         WHERE fine_mass_kg > 0 AND seller_id <> buyer_id GROUP BY seller_id, buyer_id""")
    sold: dict[str, float] = defaultdict(float)
    bought: dict[str, float] = defaultdict(float)
    for r in pairs:
        sold[r["seller_id"]] += r["kg"]
        bought[r["buyer_id"]] += r["kg"]
    for r in pairs:
        s, b, kg = r["seller_id"], r["buyer_id"], r["kg"]
        add(s, b, p.trade_link_weight * math.sqrt(kg / sold[s] * kg / bought[b]), "sells to", "buys from")

    sourced = ctx.query("""SELECT origin_right_id AS right_id, buyer_id, sum(fine_mass_kg) AS kg FROM trades
                           WHERE fine_mass_kg > 0 AND origin_right_id IS NOT NULL GROUP BY origin_right_id, buyer_id""")
    from_right: dict[str, float] = defaultdict(float)
    for r in sourced:
        from_right[r["right_id"]] += r["kg"]
    for r in sourced:
        rid, b, kg = r["right_id"], r["buyer_id"], r["kg"]
        if bought.get(b):
            strength = p.trade_link_weight * math.sqrt(kg / from_right[rid] * min(1.0, kg / bought[b]))
            add(right_node(rid), b, strength, "is the origin of gold bought by", None)
    for members in _entities(ctx).values():
        for i, (a, pa_) in enumerate(members):
            for b, pb in members[i + 1:]:
                add(a, b, min(pa_, pb), "is the same party as", "is the same party as")
    return LinkTable(links)


#: Largest entity whose actor records are linked pairwise; bigger clusters are almost surely over-merged.
MAX_ENTITY_LINKS = 20


def _entities(ctx: DetectContext) -> dict[str, list[tuple[str, float]]]:
    """entity_id -> [(actor_id, match probability)] for entities grouping several actors; {} without `filon link`."""
    try:
        rows = ctx.query("""SELECT entity_id, record_key AS actor_id, coalesce(match_probability, 1.0) AS p
                            FROM entities WHERE source_table = 'actors' ORDER BY entity_id, record_key""")
    except Exception:  # noqa: BLE001 — any engine: no entities view means `filon link` has not run here
        return {}
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for r in rows:
        out[r["entity_id"]].append((r["actor_id"], float(r["p"])))
    return {e: m for e, m in out.items() if 1 < len(m) <= MAX_ENTITY_LINKS}


@dataclass(frozen=True)
class Reached:
    """The strongest path from one seed to one node."""

    seed: str
    value: float
    path: tuple[str, ...]


def propagate(seeds: dict[str, float], links: Links, p: Parameters) -> dict[str, list[Reached]]:
    """For every node reached, the best path from each seed (never the seed itself)."""
    reached: dict[str, list[Reached]] = defaultdict(list)
    for seed, risk in sorted(seeds.items()):
        if risk <= 0:
            continue
        best: dict[str, tuple[float, tuple[str, ...]]] = {seed: (risk, (seed,))}
        frontier = [seed]
        for _ in range(p.hops):
            nxt = []
            for node in frontier:
                value, path = best[node]
                for link in links.get(node, ()):
                    passed = min(p.edge_cap, value * p.decay * link.strength)
                    if passed <= best.get(link.to, (0.0,))[0] or passed < 1e-4:
                        continue
                    best[link.to] = (passed, path + (f"—{link.label}→", link.to))
                    nxt.append(link.to)
            frontier = sorted(set(nxt))
        for node, (value, path) in best.items():
            if node != seed:
                reached[node].append(Reached(seed, value, path))
    return dict(reached)
