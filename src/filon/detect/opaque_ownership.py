"""opaque_ownership: a supply-chain company controlled through layers, havens, nominees or fresh shells.

For each actor with a supply-chain role and ownership records, its *structure* is every owner
whose effective share reaches `significant_share_pct`, plus those who control any of them
(directors, nominees, beneficial owners). Six indicators are read from it:

  - **layers**: at least `min_corporate_layers` levels of companies between the actor and its owners;
  - **secrecy**: a member registered in a secrecy jurisdiction (a replaceable, cited data file);
  - **fresh**: a company incorporated at most `fresh_days` before it took over a member;
  - **nominee**: a nominee shareholder or director on a member;
  - **circular**: a member owns itself through a loop of companies;
  - **no_ubo**: no natural person reaches `ubo_threshold_pct` (by effective ownership or declared
    beneficial ownership) while non-persons or unknown holders hold at least that share.

The score combines the present indicators' weights as independent evidence, 1 − Π(1 − wᵢ); an
alert needs `min_indicators` indicators and `min_score`. No single indicator is enough: a
subsidiary of an old foreign parent (a listed mining group, say: the standard has no listing
column, so a parent's listing cannot be seen) shows no natural-person owner and nothing else,
and a plain domestic holding shows only its layer. Value at risk: what the actor exported and
sold to other actors over the data.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.incremental import Scope
from filon.detect.parameters import Parameters
from filon.detect.registry import detector
from filon.detect.sanctioned_party import exported_and_sold
from filon.graph.flags import Flag, node_flags
from filon.graph.jurisdictions import secrecy_jurisdictions
from filon.graph.ownership import (
    OwnershipGraph,
    UltimateOwner,
    in_force_key,
    layers,
    load_graph,
    terminal,
    ultimate_owners,
)

PHRASES = {"layers": "{n} layers of companies", "secrecy": "an owner in a secrecy jurisdiction ({what})",
           "fresh": "a company incorporated days before taking over ({what})", "nominee": "a nominee ({what})",
           "circular": "circular ownership", "no_ubo": "no identifiable natural-person owner"}


def structure(graph: OwnershipGraph, actor: str, significant_pct: float) -> set[str]:
    """The actor, owners with a significant effective share, and whoever controls one of them."""
    members = {actor} | {o for o, (_, hi) in graph.effective.of(actor).items() if hi * 100.0 >= significant_pct}
    return members | {link.owner for m in list(members) for link in graph.links_into(m) if not link.equity}


def corporate_layers(graph: OwnershipGraph, actor: str, members: set[str]) -> int:
    """Deepest level of equity owners at which a significant company (not a person) sits."""
    depth = 0
    for level, nodes in enumerate(layers(graph, actor, equity_only=True), start=1):
        if any(n in members and not graph.node(n).natural_person for n in nodes):
            depth = level
    return depth


def opaque_block_pct(graph: OwnershipGraph, actor: str) -> float:
    """Share of the actor's capital that ends with a non-person or with nobody recorded (high bound)."""
    shares = graph.effective.of(actor)
    ends = {o: b for o, b in shares.items() if o != actor and terminal(graph, o)}
    to_others = sum(hi for o, (_, hi) in ends.items() if not graph.node(o).natural_person)
    unknown = max(0.0, 1.0 - sum(lo for lo, _ in ends.values()))
    return min(1.0, to_others + unknown) * 100.0


def indicators(graph: OwnershipGraph, actor: str, members: set[str], ubos: list[UltimateOwner], p: Parameters,
               secrecy: dict[str, str]) -> dict[str, dict]:
    """The indicators present in the actor's structure (`members`) and ultimate owners (`ubos`)."""
    flags: list[Flag] = [f for m in sorted(members - {actor}) for f in
                         node_flags(graph, m, secrecy=secrecy, fresh_days=int(p.fresh_days))]
    found: dict[str, dict] = {}
    depth = corporate_layers(graph, actor, members)
    if depth >= p.min_corporate_layers:
        found["layers"] = {"corporate_layers": depth}
    for code in ("secrecy", "fresh", "nominee"):
        hits = [f for f in flags if f.code == code]
        if hits:
            found[code] = {"nodes": [{"node_id": f.node_id, "name": graph.node(f.node_id).name, "detail": f.detail,
                                      "records": list(f.record_ids)} for f in hits]}
    loop = sorted(members & graph.effective.circular)
    if loop:
        found["circular"] = {"nodes": loop}
    persons = [u for u in ubos if u.natural_person]
    block = opaque_block_pct(graph, actor)
    if not persons and block >= p.ubo_threshold_pct:
        found["no_ubo"] = {"opaque_share_pct": round(block, 2),
                           "terminal_owners": [{"node_id": u.node_id, "name": graph.node(u.node_id).name,
                                                "basis": u.basis, "high_pct": u.high_pct} for u in ubos]}
    return found


def _explain(name: str, actor: str, found: dict[str, dict]) -> str:
    parts = []
    for code, info in found.items():
        what = ", ".join(n["name"] for n in info.get("nodes", [])[:2] if isinstance(n, dict))
        parts.append(PHRASES[code].format(n=info.get("corporate_layers"), what=what))
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"{name} ({actor}) is controlled through {listed}."


@detector("opaque_ownership", version="1.0", title="Opaque ownership", subject_type="actor",
          tables=("ownership", "actors", "exports", "trades"),
          scope=Scope({"exports": ("t.exporter_id",), "trades": ("t.seller_id", "t.buyer_id")}))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A miner, trader or exporter whose owners hide behind several layers of companies, secrecy
    jurisdictions, nominees, fresh shells or circular holdings, with no identifiable natural person
    at the end: the structure a launderer uses to keep the gold's real owner out of every register."""
    judged = [alert for actor_id, alert in sorted(_judged(ctx, p).items()) if ctx.in_scope(actor_id)]
    # What the alerted actors exported and sold: read for them alone, the few among thousands judged.
    value = exported_and_sold(ctx, [a.subject_id for a in judged])
    return [replace(alert, value_at_risk_usd=value.get(alert.subject_id)) for alert in judged]


def _judged(ctx: DetectContext, p: Parameters) -> dict[str, Alert]:
    """Every actor's alert but its value at risk, by actor (those without one left out).

    It depends on the ownership graph in force at the end of the data and the parameters alone, so it
    is judged once per analysis, and kept for the next one while they hold: a batch of declarations
    then costs a look-up per actor it touches, not the structures of a thousand exporters."""
    from filon.detect.incremental import params_key

    secrecy = secrecy_jurisdictions(p.secrecy_jurisdictions_file)
    if ctx.scope_keys is not None and (ctx.full or ctx).kept is None:
        return _judge(load_graph(ctx), p, secrecy, ctx.scope_keys)  # nothing is kept: judge the run's subjects only
    key = ("opaque_ownership judged", in_force_key(ctx), params_key(p), tuple(sorted(secrecy.items())))
    return ctx.memo(key, lambda: _judge(load_graph(ctx), p, secrecy), ("ownership", "actors"), keep="opaque_judged")


def _judge(graph: OwnershipGraph, p: Parameters, secrecy: dict[str, str],
           only: Collection[str] | None = None) -> dict[str, Alert]:
    """The alert of each owned actor (of `only`, when given) with a supply-chain role whose structure
    is opaque enough."""
    weights = dict(p.weights)
    alerts = {}
    for actor_id in graph.owners_of if only is None else [a for a in only if a in graph.owners_of]:
        node = graph.node(actor_id)
        if node.name_only or not set(node.roles) & set(p.subject_roles):
            continue
        members = structure(graph, actor_id, p.significant_share_pct)
        ubos = ultimate_owners(graph, actor_id, p.ubo_threshold_pct)
        found = indicators(graph, actor_id, members, ubos, p, secrecy)
        score = 1.0
        for code in found:
            score *= 1.0 - weights[code]
        score = 1.0 - score
        if len(found) < p.min_indicators or score < p.min_score:
            continue
        links = [link for m in sorted(members) for link in graph.links_into(m) if link.owner in members]
        alerts[actor_id] = Alert(
            typology="opaque_ownership", subject_type="actor", subject_id=actor_id, country=node.country,
            period=None, score=round(score, 4), value_at_risk_usd=None,
            explanation=_explain(node.name, actor_id, found),
            evidence={
                "indicators": found, "weights": {k: weights[k] for k in found},
                "ultimate_owners": [{"node_id": u.node_id, "name": graph.node(u.node_id).name, "basis": u.basis,
                                     "low_pct": u.low_pct, "high_pct": u.high_pct, "natural_person": u.natural_person}
                                    for u in ubos],
                "structure": [{"subject": link.subject, "owner": link.owner, "owner_name": graph.node(link.owner).name,
                               "owner_country": graph.node(link.owner).country, "kind": link.kind,
                               "share_pct": None if link.share is None else [round(s * 100, 4) for s in link.share],
                               "start_date": link.start} for link in links],
                "sources": [link.source() for link in links][: int(p.max_sources)],
            })
    return alerts
