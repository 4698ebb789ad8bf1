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
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict

import igraph as ig

from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.registry import detector
from filon.graph.ownership import Controller, OwnershipGraph, controllers, load_graph

TRADES_SQL = """SELECT seller_id, buyer_id, count(*) AS trades, sum(value_usd) AS value_usd,
    sum(fine_mass_kg) AS fine_kg, min(date) AS first_date, max(date) AS last_date
    FROM trades WHERE seller_id <> buyer_id GROUP BY seller_id, buyer_id ORDER BY seller_id, buyer_id"""


def control_map(graph: OwnershipGraph, roles: set[str], threshold_pct: float) -> dict[str, dict[str, Controller]]:
    """Controller → {controlled supply-chain actor: how it controls it}."""
    out: dict[str, dict[str, Controller]] = defaultdict(dict)
    for actor_id in sorted(graph.owners_of):
        if set(graph.node(actor_id).roles) & roles:
            for c in controllers(graph, actor_id, threshold_pct):
                out[c.node_id][actor_id] = c
    return out


def chain_of(members: set[str], pairs: dict[tuple[str, str], dict]) -> tuple[set[str], list[tuple[str, str]]]:
    """The largest group of `members` joined by trades among them, with its trading pairs."""
    links = [(s, b) for (s, b) in pairs if s in members and b in members]
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


def centrality(graph: OwnershipGraph, pairs: dict[tuple[str, str], dict], hops: int) -> tuple[dict[str, float], dict[str, int], dict[int, int]]:
    """Betweenness percentile and Louvain community of every node of the control + trade graph."""
    names = sorted(set(graph.nodes) | {x for pair in pairs for x in pair})
    index = {n: i for i, n in enumerate(names)}
    edges = {tuple(sorted((index[link.owner], index[link.subject]))) for link in graph.links}
    edges |= {tuple(sorted((index[s], index[b]))) for s, b in pairs}
    g = ig.Graph(n=len(names), edges=sorted(edges))
    between = g.betweenness(cutoff=hops)
    connected = sorted(b for b, d in zip(between, g.degree()) if d > 0)
    percentile = {n: (bisect_left(connected, between[i]) / len(connected) if connected else 0.0) for n, i in index.items()}
    membership = _communities(g) if g.ecount() else list(range(len(names)))
    return percentile, {n: membership[i] for n, i in index.items()}, Counter(membership)


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


@detector("shared_controller", version="1.0", title="Shared controller along a supply chain", subject_type="actor",
          tables=("ownership", "actors", "trades"))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """One person or group controls (by majority ownership, directorship, nominees or beneficial
    ownership, directly or through companies) several actors of one supply chain - a miner, the trader
    it sells to, the exporter - that trade with each other: origin, price and paperwork are then set by
    one hand at every step, the structure of a laundering chain."""
    graph = load_graph(ctx)
    pairs = {(r["seller_id"], r["buyer_id"]): r for r in ctx.query(TRADES_SQL)}
    roles = set(p.chain_roles)
    found = {}
    for ctrl, held in control_map(graph, roles, p.control_share_pct).items():
        members = set(held) | ({ctrl} if ctrl in graph.nodes and set(graph.node(ctrl).roles) & roles else set())
        if len(members) < p.min_controlled_actors:
            continue
        chain, links = chain_of(members, pairs)
        chain_roles = {r for m in chain for r in graph.node(m).roles if r in roles}
        if len(chain) >= p.min_controlled_actors and len(chain_roles) >= p.min_roles and len(links) >= p.min_trade_links:
            found[ctrl] = (held, chain, links, chain_roles)
    above = {c: {x.node_id for x in controllers(graph, c, p.control_share_pct)} if c in graph.nodes else set()
             for c in found}
    top = {c: v for c, v in found.items()  # in a loop of mutual control, the smallest id is kept
           if not any(o in above[c] and v[1] <= other[1] and not (c in above[o] and c < o)
                      for o, other in found.items() if o != c)}
    if not top:
        return []
    between, community, sizes = centrality(graph, pairs, int(p.centrality_hops))
    alerts = []
    for ctrl, (held, chain, links, chain_roles) in sorted(top.items()):
        node = graph.node(ctrl)
        role_cov = min(1.0, (len(chain_roles) - 1) / max(1, p.full_score_roles - 1))
        size_cov = min(1.0, (len(chain) - p.min_controlled_actors + 1) / max(1, p.full_score_actors - p.min_controlled_actors + 1))
        score = p.base_score + (1.0 - p.base_score) * (role_cov + size_cov + between.get(ctrl, 0.0)) / 3.0
        value = sum(pairs[pair]["value_usd"] or 0.0 for pair in links)
        records = sorted({r for m in chain if m in held for r in held[m].record_ids})
        sources = [link.source() for link in graph.links if link.record_id in records]
        countries = Counter(graph.node(m).country for m in chain if graph.node(m).country)
        controlled = [{"actor_id": m, "name": graph.node(m).name, "roles": list(graph.node(m).roles),
                       "country": graph.node(m).country, "basis": held[m].basis if m in held else "self",
                       "share_pct": _share(held.get(m)),
                       "via": list(held[m].via) if m in held else [],
                       "same_community": community.get(m) == community.get(ctrl)} for m in sorted(chain)]
        trade_links = [{"seller_id": s, "buyer_id": b, "trades": pairs[(s, b)]["trades"],
                        "value_usd": pairs[(s, b)]["value_usd"], "fine_kg": pairs[(s, b)]["fine_kg"],
                        "first_date": pairs[(s, b)]["first_date"], "last_date": pairs[(s, b)]["last_date"]}
                       for s, b in sorted(links)]
        names = ", ".join(f"{graph.node(m).name} ({'/'.join(graph.node(m).roles)})" for m in sorted(chain)[:4])
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
                "betweenness_percentile": round(between.get(ctrl, 0.0), 4),
                "community_size": sizes.get(community.get(ctrl, -1), 0),
                "chain_in_community": sum(c["same_community"] for c in controlled),
                "sources": sources[: int(p.max_sources)],
            }))
    return alerts
