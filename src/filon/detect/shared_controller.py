"""shared_controller: one person or group controls several links of the same supply chain.

Control is read from the ownership graph (`filon.graph.ownership.controllers`): a holding of at
least `control_share_pct` (directly, by votes or effectively through chains), a director or
nominee role, a beneficial-owner declaration, and whoever controls a controller. For every
controller, the supply-chain actors it controls (roles in `chain_roles`, the controller itself
included when it has such a role) are linked by their trades with one another; the largest group
joined by trades is its *chain*. It fires when the chain has at least `min_controlled_actors`
actors, `min_roles` different roles and `min_trade_links` trading pairs: the same hand then sets
the price, the paperwork and the declared origin at every step, which is how mined gold of any
origin is turned into "legal" exports. Owning two firms, or firms that never trade with each
other, stays silent.

Centrality and community give the analyst the command-and-control picture: on the undirected
graph of control links and trades, the controller's betweenness (shortest paths up to
`centrality_hops` long) as a percentile among all connected nodes, and the Louvain community it
falls in. Score: `base_score` plus the rest in equal parts for role coverage (up to
`full_score_roles`), chain size (up to `full_score_actors`) and the betweenness percentile. A
controller whose chain is the same as (or part of) the chain of someone who controls it is left
out, so a family holding and its owner give one alert, on the top. Value at risk: the value of
trades inside the chain.

An incremental run (a new batch of trades) does not walk the ownership graph again: what the graph
alone decides (each controller of at least `min_controlled_actors` chain actors, with what the alert
says of them) is kept while the links in force, the actors and the parameters hold. The trading
pairs' sums are a tally brought up to date by adding the batch's (`filon.detect.tally`), and the
centrality is kept under a digest of the graph it is computed on (control links and distinct
trading pairs): a batch of trades between partners who had traded before leaves it as it was.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import igraph as ig

from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.incremental import params_key
from filon.detect.parameters import Parameters
from filon.detect.registry import detector
from filon.detect.tally import Tally
from filon.graph.ownership import (
    Controller,
    Node,
    OwnershipGraph,
    controllers,
    in_force_key,
    load_graph,
)

#: Per trading pair (sales to oneself left out): the trades, their value and fine metal, first and last date.
PAIRS = Tally("trade_pairs", """SELECT seller_id, buyer_id, count(*) AS trades, sum(value_usd) AS value_usd,
    sum(fine_mass_kg) AS fine_kg, min(date) AS first_date, max(date) AS last_date
    FROM trades WHERE seller_id <> buyer_id GROUP BY seller_id, buyer_id""", keys=("seller_id", "buyer_id"),
              sources=("trades",), lookups=(), extremes=(("first_date", "min"), ("last_date", "max")))

#: A digest of the distinct trading pairs, either way round (the trade edges of the centrality's graph).
PAIRS_DIGEST_SQL = """SELECT sha256(to_json(list_sort(list(pair)))) AS d FROM (
    SELECT DISTINCT least(seller_id, buyer_id) || ' ' || greatest(seller_id, buyer_id) AS pair FROM {pairs} t) x"""


def control_map(graph: OwnershipGraph, roles: set[str], threshold_pct: float) -> dict[str, dict[str, Controller]]:
    """Controller → {controlled supply-chain actor: how it controls it}."""
    out: dict[str, dict[str, Controller]] = defaultdict(dict)
    for actor_id in sorted(graph.owners_of):
        if set(graph.node(actor_id).roles) & roles:
            for c in controllers(graph, actor_id, threshold_pct):
                out[c.node_id][actor_id] = c
    return out


@dataclass(frozen=True)
class Candidate:
    """A controller of enough supply-chain actors to make a chain, with what the graph says of it:
    whoever trades with whom, this is all an alert about it reads from the ownership graph."""

    controller: str
    held: dict[str, Controller]        # controlled supply-chain actors
    members: frozenset[str]            # those, and the controller itself when it has a chain role
    above: frozenset[str]              # who controls the controller
    nodes: dict[str, Node]             # the controller and the members
    sources: dict[str, list[tuple[int, dict[str, Any]]]]  # record id -> its links' (position, source)


def candidates(graph: OwnershipGraph, p: Parameters) -> list[Candidate]:
    """Every controller of at least `min_controlled_actors` supply-chain actors (itself included when
    it has a chain role), in controller order."""
    roles = set(p.chain_roles)
    found = []
    for ctrl, held in control_map(graph, roles, p.control_share_pct).items():
        members = set(held) | ({ctrl} if ctrl in graph.nodes and set(graph.node(ctrl).roles) & roles else set())
        if len(members) >= p.min_controlled_actors:
            found.append((ctrl, held, frozenset(members)))
    records = {r for _, held, _ in found for c in held.values() for r in c.record_ids}
    where: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for k, link in enumerate(graph.links):
        if link.record_id in records:
            where[link.record_id].append((k, link.source()))
    return [Candidate(ctrl, dict(held), members,
                      frozenset(x.node_id for x in controllers(graph, ctrl, p.control_share_pct))
                      if ctrl in graph.nodes else frozenset(),
                      {n: graph.node(n) for n in sorted(members | {ctrl}) if n in graph.nodes},
                      {r: where[r] for c in held.values() for r in c.record_ids if r in where})
            for ctrl, held, members in sorted(found, key=lambda f: f[0])]


def chain_of(members: set[str], pairs: dict[tuple[str, str], dict],
             by_seller: dict[str, list[tuple[int, tuple[str, str]]]] | None = None
             ) -> tuple[set[str], list[tuple[str, str]]]:
    """The largest group of `members` joined by trades among them, with its trading pairs (in the
    order of `pairs`). `by_seller` (from `sales_of(pairs)`) spares the walk over every pair for each
    of a thousand candidates: only the members' sales are looked at."""
    if by_seller is None:
        links = [(s, b) for (s, b) in pairs if s in members and b in members]
    else:
        links = [pair for _, pair in sorted(x for m in members for x in by_seller.get(m, ()) if x[1][1] in members)]
    parent = {m: m for m in members}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for s, b in links:
        parent[root(s)] = root(b)
    groups: dict[str, set[str]] = defaultdict(set)
    for m in members:
        groups[root(m)].add(m)
    best = max(groups.values(), key=lambda g: (len(g), sorted(g)))
    return best, [(s, b) for s, b in links if s in best]


def sales_of(pairs: dict[tuple[str, str], dict]) -> dict[str, list[tuple[int, tuple[str, str]]]]:
    """Seller -> its (position in `pairs`, pair)."""
    out: dict[str, list[tuple[int, tuple[str, str]]]] = defaultdict(list)
    for k, pair in enumerate(pairs):
        out[pair[0]].append((k, pair))
    return out


@dataclass(frozen=True)
class Centrality:
    """Betweenness percentile and Louvain community of every node (ids in sorted order)."""

    names: list[str]
    percentile: list[float]
    community: list[int]
    sizes: dict[int, int]

    def _at(self, node: str) -> int | None:
        i = bisect_left(self.names, node)
        return i if i < len(self.names) and self.names[i] == node else None

    def between(self, node: str) -> float:
        i = self._at(node)
        return 0.0 if i is None else self.percentile[i]

    def group(self, node: str) -> int | None:
        i = self._at(node)
        return None if i is None else self.community[i]


def centrality(graph: OwnershipGraph, pairs: list[tuple[str, str]], hops: int) -> Centrality:
    """Betweenness percentile and Louvain community of every node of the control + trade graph."""
    names = sorted(set(graph.nodes) | {x for pair in pairs for x in pair})
    index = {n: i for i, n in enumerate(names)}
    edges = {tuple(sorted((index[link.owner], index[link.subject]))) for link in graph.links}
    edges |= {tuple(sorted((index[s], index[b]))) for s, b in pairs}
    g = ig.Graph(n=len(names), edges=sorted(edges))
    between = g.betweenness(cutoff=hops)
    connected = sorted(b for b, d in zip(between, g.degree()) if d > 0)
    percentile = [bisect_left(connected, b) / len(connected) if connected else 0.0 for b in between]
    membership = _communities(g) if g.ecount() else list(range(len(names)))
    return Centrality(names, percentile, membership, dict(Counter(membership)))


def _communities(g: ig.Graph) -> list[int]:
    """Louvain membership with igraph's random generator seeded for this call, so the same data
    gives the same communities on every run (an alert must not read as "changed" by chance)."""
    import random

    ig.set_random_number_generator(random.Random(20261125))
    try:
        return g.community_multilevel().membership
    finally:
        ig.set_random_number_generator(random)


def _share(control: Controller | None) -> list[float] | None:
    return list(control.share_pct) if control is not None and control.share_pct is not None else None


def _chain_pairs(ctx: DetectContext, pairs: str, actors: set[str]) -> dict[tuple[str, str], dict]:
    """The trading pairs between `actors` (seller, buyer -> the pair's sums), in pair order.

    On DuckDB the actors go in as one JSON text parameter unnested in SQL: the chain actors of every
    candidate are thousands at scale (3,139 at x30), and DuckDB's Python client binds each of the
    `IN (?, ?, ...)` placeholders (twice) or a list parameter's items one by one, which took 0.25 to
    2.8 s a run for a 50k-row tally; a single text parameter binds at once (the query takes ~10 ms).
    JSON rather than a separator so that any id, whatever characters it holds, comes back exactly.
    Other engines (Spark: no `from_json` to a list in the same form) keep the placeholders."""
    ordered = sorted(actors)
    if getattr(ctx.engine, "name", None) == "duckdb":
        import json

        rows = ctx.query(f"""WITH a AS (SELECT unnest(from_json(?, '["VARCHAR"]')) AS actor_id)
            SELECT * FROM {pairs} t WHERE seller_id IN (SELECT actor_id FROM a) AND buyer_id IN (SELECT actor_id FROM a)
            ORDER BY seller_id, buyer_id""", [json.dumps(ordered)])
    else:
        marks = ", ".join("?" for _ in ordered)
        rows = ctx.query(f"SELECT * FROM {pairs} t WHERE seller_id IN ({marks}) AND buyer_id IN ({marks}) "
                         "ORDER BY seller_id, buyer_id", ordered * 2)
    return {(r["seller_id"], r["buyer_id"]): r for r in rows}


def _centrality(ctx: DetectContext, pairs: str, hops: int) -> Centrality:
    """The centrality, kept under the digest of the graph it is computed on (the links in force and
    the distinct trading pairs): most batches of trades add no new pair, and it is then the last run's."""
    digest = ctx.query(PAIRS_DIGEST_SQL.format(pairs=pairs))[0]["d"]

    def compute() -> Centrality:
        rows = ctx.query(f"SELECT seller_id, buyer_id FROM {pairs} t")
        return centrality(load_graph(ctx), [(r["seller_id"], r["buyer_id"]) for r in rows], hops)
    return ctx.memo(("shared_controller centrality", in_force_key(ctx), digest, hops), compute,
                    ("ownership", "actors"), keep="shared_controller_centrality")


@detector("shared_controller", version="1.0", title="Shared controller along a supply chain", subject_type="actor",
          tables=("ownership", "actors", "trades"))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """One person or group controls (by majority ownership, directorship, nominees or beneficial
    ownership, directly or through companies) several actors of one supply chain - a miner, the trader
    it sells to, the exporter - that trade with each other: origin, price and paperwork are then set by
    one hand at every step, the structure of a laundering chain."""
    key = ("shared_controller candidates", in_force_key(ctx), params_key(p))
    held_by = ctx.memo(key, lambda: candidates(load_graph(ctx), p), ("ownership", "actors"),
                       keep="shared_controller_candidates")
    if not held_by:
        return []  # no controller of enough chain actors: trades cannot make one
    relation = ctx.tally(PAIRS)
    pairs = _chain_pairs(ctx, relation, set().union(*(c.members for c in held_by)))
    roles = set(p.chain_roles)
    found = {}
    by_seller = sales_of(pairs)
    for cand in held_by:
        chain, links = chain_of(set(cand.members), pairs, by_seller)
        chain_roles = {r for m in chain for r in cand.nodes[m].roles if r in roles}
        if len(chain) >= p.min_controlled_actors and len(chain_roles) >= p.min_roles and len(links) >= p.min_trade_links:
            found[cand.controller] = (cand, chain, links, chain_roles)
    top = {c: v for c, v in found.items()  # in a loop of mutual control, the smallest id is kept
           if not any(o in v[0].above and v[1] <= other[1] and not (c in other[0].above and c < o)
                      for o, other in found.items() if o != c)}
    if not top:
        return []
    central = _centrality(ctx, relation, int(p.centrality_hops))
    alerts = []
    for ctrl, (cand, chain, links, chain_roles) in sorted(top.items()):
        held, node = cand.held, cand.nodes[ctrl]
        role_cov = min(1.0, (len(chain_roles) - 1) / max(1, p.full_score_roles - 1))
        size_cov = min(1.0, (len(chain) - p.min_controlled_actors + 1) / max(1, p.full_score_actors - p.min_controlled_actors + 1))
        score = p.base_score + (1.0 - p.base_score) * (role_cov + size_cov + central.between(ctrl)) / 3.0
        value = sum(pairs[pair]["value_usd"] or 0.0 for pair in links)
        records = {r for m in chain if m in held for r in held[m].record_ids}
        sources = [source for _, source in sorted(x for r in records for x in cand.sources.get(r, ()))]
        countries = Counter(cand.nodes[m].country for m in chain if cand.nodes[m].country)
        community = central.group(ctrl)
        controlled = [{"actor_id": m, "name": cand.nodes[m].name, "roles": list(cand.nodes[m].roles),
                       "country": cand.nodes[m].country, "basis": held[m].basis if m in held else "self",
                       "share_pct": _share(held.get(m)),
                       "via": list(held[m].via) if m in held else [],
                       "same_community": central.group(m) == community} for m in sorted(chain)]
        trade_links = [{"seller_id": s, "buyer_id": b, "trades": pairs[(s, b)]["trades"],
                        "value_usd": pairs[(s, b)]["value_usd"], "fine_kg": pairs[(s, b)]["fine_kg"],
                        "first_date": pairs[(s, b)]["first_date"], "last_date": pairs[(s, b)]["last_date"]}
                       for s, b in sorted(links)]
        names = ", ".join(f"{cand.nodes[m].name} ({'/'.join(cand.nodes[m].roles)})" for m in sorted(chain)[:4])
        alerts.append(Alert(
            typology="shared_controller", subject_type="actor", subject_id=ctrl,
            country=node.country or countries.most_common(1)[0][0], period=None, score=round(min(1.0, score), 4),
            value_at_risk_usd=value or None,
            explanation=(f"{node.name} ({ctrl}) controls {len(chain)} actors of one supply chain that trade with each "
                         f"other over {len(links)} links worth {value:,.0f} USD: {names}."),
            evidence={
                "controller_name": node.name, "controller_kind": node.kind,
                "controlled": controlled, "trade_links": trade_links, "roles": sorted(chain_roles),
                "also_controls": sorted(set(held) - chain),
                "betweenness_percentile": round(central.between(ctrl), 4),
                "community_size": central.sizes.get(community if community is not None else -1, 0),
                "chain_in_community": sum(c["same_community"] for c in controlled),
                "sources": sources[: int(p.max_sources)],
            }))
    return alerts
