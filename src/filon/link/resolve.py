"""From scored pairs to entities: veto, analyst decisions, constrained clustering, explanations.

Clustering is greedy over the pairs, strongest first (analyst-accepted pairs before all),
and refuses any merge that would put two different valid tax ids, or two records an analyst
rejected, into one entity. Plain connected components would let a chain of name-only links
(A~B, B~C) join two people whose tax ids prove they differ; the constraint is checked against
whole clusters, so no chain can do that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

FORCED = 1.0


@dataclass
class Pair:
    """A scored pair of signatures, with the reasons (comparison, level, weight) that scored it."""

    left: str
    right: str
    probability: float
    reasons: str
    accepted: bool = False


@dataclass
class Cluster:
    members: set[str]
    tax_key: str | None = None                 # its valid tax id, if any (at most one, by construction)
    entity_id: str | None = None               # kept from a previous run when the cluster existed then
    forbidden: set[str] = field(default_factory=set)


def vetoed(row: dict[str, Any]) -> bool:
    """The hard rule: two different *valid* tax ids are never one party (homonyms are common).

    A bare Colombian NIT whose last digit may be a check digit (`tax_alt`) is not decisive
    against the same base written with a dash, so it does not veto.
    """
    if not (row.get("tax_valid_l") and row.get("tax_valid_r")):
        return False
    keys_l = {row["tax_key_l"], row.get("tax_alt_l")} - {None}
    keys_r = {row["tax_key_r"], row.get("tax_alt_r")} - {None}
    return not keys_l & keys_r


def namesake_names(name_keys: Iterable[str | None], tax_keys: Iterable[str | None]) -> set[str]:
    """Names carried with two or more different valid tax ids (pass only valid, decisive keys):
    several parties are known to bear them, so the name alone cannot say which one a record means."""
    ids: dict[str, set[str]] = {}
    for name, tax in zip(name_keys, tax_keys):
        if name and tax:
            ids.setdefault(name, set()).add(tax)
    return {name for name, taxes in ids.items() if len(taxes) > 1}


#: Probability given to a pair linked by a known namesake's name alone: under any match
#: threshold above it, so such pairs go to review and never join an entity by themselves.
NAMESAKE_CAP = 0.79


def namesake_capped(row: dict[str, Any], namesakes: set[str], threshold: float) -> float:
    """The pair's match probability, held just below `threshold` when one side's name is a known
    namesake's and the tax ids do not agree: QUISPE MAMANI JUAN without a tax id may be any of the
    registry's QUISPE MAMANI JUANs, and joining it to the first one is a coin toss."""
    p = row["match_probability"]
    tax_agrees = (row.get("gamma_tax_id") or -1) >= 2
    if not tax_agrees and (row.get("name_key_l") in namesakes or row.get("name_key_r") in namesakes):
        return min(p, min(NAMESAKE_CAP, threshold - 1e-6))
    return p


def reasons_text(row: dict[str, Any], labels: dict[str, list[str]]) -> str:
    """'tax_id: same verified tax id (+13.2); name: ...': every compared field with its weight (log2 Bayes factor)."""
    parts = []
    for column, levels in labels.items():
        gamma = row.get(f"gamma_{column}")
        if gamma is None or gamma < 0:
            continue
        parts.append(f"{column}: {levels[len(levels) - 1 - gamma]} ({row[f'mw_{column}']:+.1f})")
    return "; ".join(parts)


def cluster(signatures: Iterable[str], pairs: list[Pair], threshold: float, tax_keys: dict[str, str | None],
            rejected: set[frozenset[str]], previous: dict[str, str] | None = None) -> dict[str, Cluster]:
    """Map each signature to its cluster. `previous` (signature -> entity id) seeds the clusters
    of an incremental run, so existing entities keep their ids and new records join them."""
    clusters: dict[str, Cluster] = {}
    by_entity: dict[str, Cluster] = {}
    for sig in signatures:
        entity = (previous or {}).get(sig)
        if entity and entity in by_entity:
            c = by_entity[entity]
            c.members.add(sig)
            c.tax_key = c.tax_key or tax_keys.get(sig)
        else:
            c = Cluster({sig}, tax_keys.get(sig), entity)
            if entity:
                by_entity[entity] = c
        clusters[sig] = c
    for pair in rejected:
        a, b = tuple(pair)
        if a in clusters and b in clusters:
            clusters[a].forbidden.add(b)
            clusters[b].forbidden.add(a)
    for pair in sorted(pairs, key=lambda p: (not p.accepted, -p.probability, p.left, p.right)):
        if not pair.accepted and pair.probability < threshold:
            break
        a, b = clusters[pair.left], clusters[pair.right]
        if a is b or (a.tax_key and b.tax_key and a.tax_key != b.tax_key) or a.forbidden & b.members \
                or b.forbidden & a.members:
            continue
        big, small = (a, b) if len(a.members) >= len(b.members) else (b, a)
        big.members |= small.members
        big.forbidden |= small.forbidden
        big.tax_key = big.tax_key or small.tax_key
        big.entity_id = min(filter(None, (big.entity_id, small.entity_id)), default=None)
        for sig in small.members:
            clusters[sig] = big
    return clusters


def entity_id_for(members: Iterable[str]) -> str:
    """A stable id: the same set of first members gives the same id on every run."""
    return "ENT-" + hashlib.sha1(min(members).encode()).hexdigest()[:12]


def best_pairs(pairs: list[Pair], clusters: dict[str, Cluster], threshold: float) -> dict[str, Pair]:
    """For each signature, the strongest pair that joined it to another member of its entity."""
    best: dict[str, Pair] = {}
    for pair in pairs:
        if clusters[pair.left] is not clusters[pair.right] or (pair.probability < threshold and not pair.accepted):
            continue
        for sig in (pair.left, pair.right):
            if sig not in best or pair.probability > best[sig].probability:
                best[sig] = pair
    return best
