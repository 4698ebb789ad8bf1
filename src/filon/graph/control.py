"""Who stands behind an actor: ultimate owners, controllers, layers and cycles.

Ownership and control are kept apart on purpose. Ultimate owners are the natural persons (or
other terminal owners: a foundation, a listed parent, a company whose own owners are unknown)
whose effective share reaches the threshold, plus declared beneficial owners. Controllers
add those who steer the actor without owning it: directors, nominees, voting blocks, and the
controllers of a controlling company, up the chain.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from filon.graph.model import OwnershipGraph


@dataclass(frozen=True)
class UltimateOwner:
    node_id: str
    low_pct: float | None        # effective share bounds in percent; None for a beneficial declaration without share
    high_pct: float | None
    basis: str                   # "ownership" or "declared beneficial"
    natural_person: bool

    @property
    def certain(self) -> bool:
        """The low bound alone reaches the threshold (not only the high bound of a range)."""
        return self.basis != "ownership" or self.low_pct == self.high_pct


@dataclass(frozen=True)
class Controller:
    node_id: str
    basis: str                   # ownership, director, nominee, voting, beneficial
    share_pct: tuple[float, float] | None
    via: tuple[str, ...]         # nodes between the actor and the controller, nearest first
    record_ids: tuple[str, ...]  # the ownership records that make up the chain


def _pct(bounds: tuple[float, float]) -> tuple[float, float]:
    return round(bounds[0] * 100.0, 6), round(bounds[1] * 100.0, 6)


def terminal(graph: OwnershipGraph, node_id: str) -> bool:
    """A node with no equity owner of its own: the end of an ownership chain."""
    return not any(link.equity for link in graph.links_into(node_id))


def ultimate_owners(graph: OwnershipGraph, actor_id: str, threshold_pct: float) -> list[UltimateOwner]:
    """Terminal owners whose effective share may reach `threshold_pct` (high bound), and
    beneficial owners declared on the actor or on a company holding at least that share of it."""
    found: dict[str, UltimateOwner] = {}
    shares = graph.effective.of(actor_id)
    for owner, bounds in shares.items():
        low, high = _pct(bounds)
        if high >= threshold_pct and owner != actor_id and terminal(graph, owner):
            found[owner] = UltimateOwner(owner, low, high, "ownership", graph.node(owner).natural_person)
    holders = {actor_id: (1.0, 1.0), **{k: v for k, v in shares.items() if v[1] * 100.0 >= threshold_pct}}
    for holder, (h_lo, h_hi) in holders.items():
        for link in graph.links_into(holder):
            if link.kind != "beneficial" or link.owner == actor_id:
                continue
            lo: float | None
            hi: float | None
            if link.share is None:
                lo = hi = None
            else:
                lo, hi = _pct((h_lo * link.share[0], h_hi * link.share[1]))
                if hi < threshold_pct:
                    continue
            prior = found.get(link.owner)
            if prior is None or prior.basis == "ownership" and (hi is None or hi > (prior.high_pct or 0.0)):
                found[link.owner] = UltimateOwner(link.owner, lo, hi, "declared beneficial",
                                                  graph.node(link.owner).natural_person)
    return sorted(found.values(), key=lambda u: (-(u.high_pct or 100.0), u.node_id))


def controllers(graph: OwnershipGraph, actor_id: str, threshold_pct: float = 50.0) -> list[Controller]:
    """Everyone who controls `actor_id`, directly or up a chain of control.

    A node controls a company when it holds at least `threshold_pct` of it (directly, by votes, or
    effectively through chains), is its director or nominee, or is declared its beneficial owner
    (with no share, or at least the threshold). Whoever controls a controller controls the actor.
    """
    found: dict[str, Controller] = {}
    effective = graph.effective
    queue: deque[tuple[str, tuple[str, ...], tuple[str, ...]]] = deque([(actor_id, (), ())])
    seen = {actor_id}
    while queue:
        node, via, records = queue.popleft()
        here = effective.of(node)
        for link in graph.links_into(node):
            basis = _control_basis(link.kind, link.share, here.get(link.owner), threshold_pct)
            if basis is None or link.owner == actor_id:
                continue
            share = None if basis in ("director", "nominee") or link.share is None else _pct(link.share)
            if basis == "ownership":
                share = _pct(here[link.owner])
            chain = records + (link.record_id,)
            if link.owner not in found:
                found[link.owner] = Controller(link.owner, basis, share, via if node == actor_id else via + (node,), chain)
            if link.owner not in seen:
                seen.add(link.owner)
                queue.append((link.owner, via if node == actor_id else via + (node,), chain))
    own = effective.of(actor_id)
    for owner, bounds in own.items():  # control reached only by adding up chains of minority stakes
        if owner not in found and owner != actor_id and bounds[1] * 100.0 >= threshold_pct:
            found[owner] = Controller(owner, "ownership", _pct(bounds), (), ())
    return sorted(found.values(), key=lambda c: (len(c.via), c.node_id))


def _control_basis(kind: str, share: tuple[float, float] | None, effective: tuple[float, float] | None,
                   threshold_pct: float) -> str | None:
    if kind in ("director", "nominee"):
        return kind
    if kind == "beneficial":
        return kind if share is None or share[1] * 100.0 >= threshold_pct else None
    if kind == "voting":
        return kind if share is not None and share[1] * 100.0 >= threshold_pct else None
    if effective is not None and effective[1] * 100.0 >= threshold_pct:
        return "ownership"
    return None


def layers(graph: OwnershipGraph, actor_id: str, *, equity_only: bool = False,
           min_share_pct: float = 0.0) -> list[list[str]]:
    """Owners and controllers of `actor_id` level by level: [direct owners, their owners, ...].

    Each node appears once, at its shortest distance, so cycles end the walk instead of looping.
    `min_share_pct` skips equity links with a smaller direct share (high bound).
    """
    seen = {actor_id}
    level, out = [actor_id], []
    while level:
        nxt = []
        for node in level:
            for link in graph.links_into(node):
                if equity_only and not link.equity:
                    continue
                if link.equity and (link.share is None or link.share[1] * 100.0 < min_share_pct):
                    continue
                if link.owner not in seen:
                    seen.add(link.owner)
                    nxt.append(link.owner)
        if nxt:
            out.append(sorted(nxt))
        level = nxt
    return out


def cycles(graph: OwnershipGraph) -> list[list[str]]:
    """Groups of nodes that own each other in a loop (strongly connected equity links), largest first."""
    from collections import defaultdict

    from scipy.sparse.csgraph import connected_components

    from filon.graph.effective import share_matrices

    ids, _, _, high = share_matrices(graph)
    if not ids:
        return []
    _, labels = connected_components(high, directed=True, connection="strong")
    groups: dict[int, list[str]] = defaultdict(list)
    for i, label in enumerate(labels.tolist()):
        groups[label].append(ids[i])
    diagonal = high.diagonal()
    out = [sorted(g) for g in groups.values() if len(g) > 1]
    out += [[ids[i]] for i in range(len(ids)) if diagonal[i] > 0]
    return sorted(out, key=lambda g: (-len(g), g))
