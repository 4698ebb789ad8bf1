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

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

FORCED = 1.0


@dataclass
class Pair:
    """A scored pair of signatures, with the reasons (comparison, level, weight) that scored it."""

    left: str
    right: str
    probability: float
    reasons: str
    accepted: bool = False
    row: int | None = None                     # its row among the scored pairs, to explain it later


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


def vetoed_mask(rows: pa.Table) -> np.ndarray:
    """`vetoed` of every scored pair at once (rows with tax_key_l/r, tax_alt_l/r, tax_valid_l/r)."""
    def eq(a: str, b: str) -> pa.Array:
        return pc.fill_null(pc.equal(rows[a], rows[b]), False)
    shared = pc.or_(pc.or_(eq("tax_key_l", "tax_key_r"), eq("tax_key_l", "tax_alt_r")),
                    pc.or_(eq("tax_alt_l", "tax_key_r"), eq("tax_alt_l", "tax_alt_r")))
    both = pc.and_(pc.fill_null(rows["tax_valid_l"], False), pc.fill_null(rows["tax_valid_r"], False))
    return np.asarray(pc.and_(both, pc.invert(shared)), dtype=bool)


AMBIGUOUS_SQL = """
WITH valid AS (SELECT DISTINCT name_key, legal_form, country, tax_key FROM {table}
               WHERE tax_valid AND tax_alt IS NULL AND name_key IS NOT NULL),
multi AS (SELECT name_key FROM valid GROUP BY name_key HAVING count(DISTINCT tax_key) > 1)
SELECT DISTINCT s.unique_id FROM {table} s JOIN valid v ON v.name_key = s.name_key
WHERE s.name_key IN (SELECT name_key FROM multi)
  AND (s.legal_form IS NULL OR v.legal_form IS NULL OR s.legal_form = v.legal_form)
  AND (s.country IS NULL OR v.country IS NULL OR s.country = v.country)
GROUP BY s.unique_id HAVING count(DISTINCT v.tax_key) > 1
"""


def ambiguous_signatures(signatures: pa.Table) -> pa.Array:
    """Signatures whose name may be any of several parties: two or more different valid tax ids
    are carried by records with the same name, a legal form and a country that do not contradict
    this signature's (`MINERA EL ROBLE` without a form may be the SAC or the EIRL of that name;
    `MINERA EL ROBLE EIRL` is the EIRL; QUISPE MAMANI JUAN of Peru, without a tax id, is any of
    the Peruvian ones). Reads unique_id, name_key, legal_form, country, tax_key, tax_alt, tax_valid."""
    con = duckdb.connect()
    try:
        con.register("_sigs", signatures.select(["unique_id", "name_key", "legal_form", "country", "tax_key", "tax_alt",
                                                 "tax_valid"]))
        return con.execute(AMBIGUOUS_SQL.format(table="_sigs")).to_arrow_table()["unique_id"].combine_chunks()
    finally:
        con.close()


def capped_probabilities(rows: pa.Table, ambiguous: pa.Array, threshold: float) -> np.ndarray:
    """The pairs' match probabilities, held just below `threshold` when one side is an ambiguous
    signature (`ambiguous_signatures`) and the tax ids do not agree: QUISPE MAMANI JUAN without a
    tax id may be any of the registry's QUISPE MAMANI JUANs, and joining it to the first one is a
    coin toss, so such pairs go to review."""
    p = np.asarray(rows["match_probability"], dtype=np.float64)
    tax_agrees = np.asarray(pc.fill_null(pc.greater_equal(rows["gamma_tax_id"], 2), False), dtype=bool)
    known = np.asarray(pc.fill_null(pc.or_(pc.is_in(rows["unique_id_l"], value_set=ambiguous),
                                           pc.is_in(rows["unique_id_r"], value_set=ambiguous)), False), dtype=bool)
    return np.where(~tax_agrees & known, np.minimum(p, min(NAMESAKE_CAP, threshold - 1e-6)), p)


#: Probability given to a pair linked by an ambiguous signature's name alone: under any match
#: threshold above it, so such pairs go to review and never join an entity by themselves.
NAMESAKE_CAP = 0.79


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
    sigs = list(dict.fromkeys(signatures))
    index = {s: i for i, s in enumerate(sigs)}
    kept = [x for x in pairs if x.accepted or x.probability >= threshold]
    left = np.array([index[x.left] for x in kept], dtype=np.int64)
    right = np.array([index[x.right] for x in kept], dtype=np.int64)
    prob = np.array([x.probability for x in kept], dtype=np.float64)
    accepted = np.array([x.accepted for x in kept], dtype=bool)
    tax = _codes([tax_keys.get(s) for s in sigs])
    seeds = _codes([(previous or {}).get(s) for s in sigs])
    bans = [(index[a], index[b]) for a, b in (tuple(r) for r in rejected if len(r) == 2) if a in index and b in index]
    labels = cluster_labels(len(sigs), left, right, prob, accepted, threshold, tax, bans, seeds, sigs)
    clusters: dict[int, Cluster] = {}
    for i, lab in enumerate(labels.tolist()):
        c = clusters.get(lab)
        if c is None:
            c = clusters[lab] = Cluster(set())
        c.members.add(sigs[i])
        c.tax_key = c.tax_key or tax_keys.get(sigs[i])
        old = (previous or {}).get(sigs[i])
        if old and (c.entity_id is None or old < c.entity_id):
            c.entity_id = old
    for a, b in bans:
        clusters[labels[a]].forbidden.add(sigs[b])
        clusters[labels[b]].forbidden.add(sigs[a])
    return {s: clusters[labels[i]] for i, s in enumerate(sigs)}


def _codes(values: list[str | None]) -> np.ndarray:
    """Values as int codes, -1 for None."""
    seen: dict[str, int] = {}
    return np.array([-1 if v is None else seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)


def cluster_labels(n: int, left: np.ndarray, right: np.ndarray, prob: np.ndarray, accepted: np.ndarray,
                   threshold: float, tax: np.ndarray, bans: list[tuple[int, int]], seeds: np.ndarray,
                   names: list[str] | None = None) -> np.ndarray:
    """Cluster label of each of `n` items, linked by pairs (left[i], right[i]) scoring prob[i].

    Greedy over the pairs, strongest first (accepted pairs before all), refusing any merge that
    would put two different tax codes (`tax`, -1 for none) or a banned pair in one cluster;
    items with the same `seeds` code (>= 0) start in one cluster. Connected components of the
    pairs at or above `threshold` are computed first (scipy): a component holding at most one
    tax code and no banned pair is what the greedy pass would build, whole, so only the other
    components go through it, a Python loop over their pairs alone. `names` break ties between
    equally strong pairs (by default the indices do).
    """
    keep = accepted | (prob >= threshold)
    left, right, prob, accepted = left[keep], right[keep], prob[keep], accepted[keep]
    seeded = np.flatnonzero(seeds >= 0)
    seed_l = seed_r = np.empty(0, dtype=np.int64)
    if len(seeded):
        order = seeded[np.argsort(seeds[seeded], kind="stable")]
        same = seeds[order][1:] == seeds[order][:-1]
        seed_l, seed_r = order[:-1][same], order[1:][same]
    graph = coo_matrix((np.ones(len(left) + len(seed_l), dtype=np.int8),
                        (np.concatenate([left, seed_l]), np.concatenate([right, seed_r]))), shape=(n, n))
    _count, comp = connected_components(graph, directed=False)
    # components holding two tax codes, or a banned pair, need the constrained greedy pass
    has_tax = tax >= 0
    pairs_ct = np.unique(np.stack([comp[has_tax], tax[has_tax]], axis=1), axis=0) if has_tax.any() else np.empty((0, 2), np.int64)
    comps, counts = np.unique(pairs_ct[:, 0], return_counts=True) if len(pairs_ct) else (np.empty(0, np.int64),) * 2
    hard = set(comps[counts > 1].tolist()) | {int(comp[a]) for a, b in bans if comp[a] == comp[b]}
    labels = comp.copy()
    if not hard:
        return labels
    in_hard = np.isin(comp, np.fromiter(hard, dtype=np.int64))
    edge_hard = in_hard[left]
    _greedy(np.flatnonzero(in_hard), left[edge_hard], right[edge_hard], prob[edge_hard], accepted[edge_hard],
            tax, bans, seeds, names, labels)
    return labels


def _greedy(items: np.ndarray, left: np.ndarray, right: np.ndarray, prob: np.ndarray, accepted: np.ndarray,
            tax: np.ndarray, bans: list[tuple[int, int]], seeds: np.ndarray, names: list[str] | None,
            labels: np.ndarray) -> None:
    """The constrained greedy pass over some components; writes their items' labels.

    Millions of pairs can go through it (a million records of common surnames make one large
    component), so the order is a numpy sort and the loop works on flat lists: union by size,
    path halving, members and forbidden sets kept only when there are bans."""
    n = len(labels)
    parent = list(range(n))
    size = [1] * n
    taxes = tax.tolist()
    members: dict[int, set[int]] = {}
    forbidden: dict[int, set[int]] = {}
    by_seed: dict[int, int] = {}
    for i, seed in zip(items.tolist(), seeds[items].tolist()):
        if seed >= 0 and seed in by_seed:
            root = by_seed[seed]
            parent[i] = root
            size[root] += 1
            if taxes[root] < 0:
                taxes[root] = taxes[i]
            if bans:
                members[root].add(i)
            continue
        if bans:
            members[i], forbidden[i] = {i}, set()
        if seed >= 0:
            by_seed[seed] = i
    inside = set(items.tolist()) if bans else set()
    for a, b in bans:
        if a in inside and b in inside:
            forbidden[_find(parent, a)].add(b)
            forbidden[_find(parent, b)].add(a)
    for a, b in zip(*(x.tolist() for x in _pair_order(left, right, prob, accepted, names))):
        while parent[a] != a:
            parent[a] = a = parent[parent[a]]
        while parent[b] != b:
            parent[b] = b = parent[parent[b]]
        if a == b or (taxes[a] >= 0 and taxes[b] >= 0 and taxes[a] != taxes[b]):
            continue
        if bans and (forbidden[a] & members[b] or forbidden[b] & members[a]):
            continue
        big, small = (a, b) if size[a] >= size[b] else (b, a)
        size[big] += size[small]
        if bans:
            members[big] |= members.pop(small)
            forbidden[big] |= forbidden.pop(small)
        if taxes[big] < 0:
            taxes[big] = taxes[small]
        parent[small] = big
    for i in items.tolist():
        labels[i] = -1 - _find(parent, i)  # negative: apart from the component numbers


def _pair_order(left: np.ndarray, right: np.ndarray, prob: np.ndarray, accepted: np.ndarray,
                names: list[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """The pairs, accepted ones first, then strongest first, ties by the names (else the indices)
    of their sides; a stable sort, so equal pairs keep their order."""
    if names is None:
        rank_l, rank_r = left, right
    else:
        used = np.unique(np.concatenate([left, right]))
        _, rank = np.unique(np.array([names[i] for i in used.tolist()]), return_inverse=True)
        rank_l, rank_r = rank[np.searchsorted(used, left)], rank[np.searchsorted(used, right)]
    order = np.lexsort((rank_r, rank_l, -prob, ~accepted))
    return left[order], right[order]


def _find(parent: list[int] | dict[int, int], i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


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
