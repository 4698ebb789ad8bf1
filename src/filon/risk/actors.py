"""Actor risk: an actor's own alerts plus the risk of those linked to it, explained.

    risk = 1 − (1 − own) × (1 − linked)

`own` combines the actor's alerts (and those mapped to it, see `contributions`); `linked`
combines, per alerted actor or right nearby, the strongest path of risk reaching it (see
`propagation`), capped. Every score keeps its contributions, so risk.csv can say why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.graph.ownership import data_end
from filon.risk.contributions import (
    Contribution,
    SubjectMap,
    alert_strength,
    combine,
    period_end,
)
from filon.risk.propagation import RIGHT, Links, build_links, propagate, right_node


@dataclass
class ActorRisk:
    actor_id: str
    country: str | None
    own: float
    linked: float
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def score(self) -> float:
        return 1.0 - (1.0 - self.own) * (1.0 - self.linked)

    def reasons(self, top: int) -> list[dict[str, Any]]:
        if not self.contributions:
            return []
        ranked = sorted(self.contributions, key=lambda c: (-c.value, c.kind, c.alert_id or "", c.path))
        return [c.reason() for c in ranked[:top]]


@dataclass
class ActorInputs:
    """What scoring needs from the workspace, read once (re-scoring with other weights is then cheap)."""

    alerts: list[dict[str, Any]]
    mapping: SubjectMap
    links: Links
    actors: dict[str, str | None]     # actor_id -> country
    as_of: date | None


def workspace_actors(ctx: DetectContext) -> dict[str, str | None]:
    """actor_id -> country of every actor, in id order (once per context: see `aggregates.Prefetch`)."""
    def read() -> dict[str, str | None]:
        table = ctx.query_arrow("SELECT actor_id, country FROM actors ORDER BY actor_id")  # a nation's: columns
        return dict(zip(table.column(0).to_pylist(), table.column(1).to_pylist()))

    return ctx.memo(("risk_actors",), read, ("actors",))


def read_inputs(ctx: DetectContext, alerts: list[dict[str, Any]], p: Parameters) -> ActorInputs:
    actors = workspace_actors(ctx)
    as_of = data_end(ctx)
    if as_of is None:
        ends = [d for d in (period_end(a.get("period")) for a in alerts) if d]
        as_of = max(ends) if ends else None
    return ActorInputs(alerts, SubjectMap(ctx, alerts), build_links(ctx, p), actors, as_of)


def weight_of(typology: str, weights: dict[str, float], p: Parameters) -> float:
    return float(weights.get(typology, p.default_weight))


def score_actors(inputs: ActorInputs, p: Parameters, weights: dict[str, float] | None = None,
                 decisions: dict[str, str] | None = None) -> dict[str, ActorRisk]:
    """Risk of every actor something points at: an alert, or a path of risk reaching it (and of owners
    known only by name, when linked to risk). Every other actor of the workspace scores 0 with no
    reasons and is left out: most of a nation's actors, which `ranked` orders as ids alone."""
    weights = dict(p.typology_weights) if weights is None else weights
    decisions = decisions or {}
    own: dict[str, list[Contribution]] = defaultdict(list)
    right_parts: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for a in inputs.alerts:
        strength = alert_strength(a, weight_of(a["typology"], weights, p), inputs.as_of, p,
                                  decisions.get(a["alert_id"]))
        if strength <= 0:
            continue
        mapped = inputs.mapping.map(a, p)
        for actor, share, via in mapped.actors:
            own[actor].append(Contribution(strength * share, "alert", a["typology"], a["alert_id"], via))
        for rid in mapped.rights:
            right_parts[rid].append((strength, a["typology"]))

    seeds = {actor: combine([c.value for c in parts]) for actor, parts in own.items()}
    seed_typologies = {actor: tuple(sorted({c.typology for c in parts if c.typology})) for actor, parts in own.items()}
    for rid, parts in right_parts.items():
        seeds[right_node(rid)] = combine([v for v, _ in parts])
        seed_typologies[right_node(rid)] = tuple(sorted({t for _, t in parts}))

    out: dict[str, ActorRisk] = {}
    reached = propagate(seeds, inputs.links, p)
    touched = set(own) | set(reached)
    for node in sorted(touched):
        if node.startswith(RIGHT):
            continue
        linked_parts = [Contribution(r.value, "linked", path=r.path, origin_typologies=seed_typologies.get(r.seed, ()))
                        for r in reached.get(node, [])]
        if node not in inputs.actors and not own.get(node) and not linked_parts:
            continue
        linked = min(p.propagated_cap, combine([c.value for c in linked_parts]))
        out[node] = ActorRisk(node, inputs.actors.get(node), combine([c.value for c in own.get(node, [])]), linked,
                              own.get(node, []) + linked_parts)
    return out


def ranked(risks: dict[str, ActorRisk], actors: Collection[str]) -> tuple[list[ActorRisk], list[str]]:
    """Every actor in rank order: highest risk first, ties by id so ranks are reproducible. Returns
    the actors with a score, in order, then the ids of all the others (scoring 0, in id order):
    `actors` are the workspace's, those `risks` leaves out score 0 (see `score_actors`)."""
    scored = sorted((r for r in risks.values() if r.contributions and round(r.score, 9) != 0),
                    key=lambda r: (-round(r.score, 9), r.actor_id))
    ahead = {r.actor_id for r in scored}
    rest = [a for a in actors if a not in ahead]
    rest.extend(a for a in risks if a not in ahead and a not in actors)
    rest.sort()  # `actors` come in id order: nearly sorted already
    return scored, rest
