"""Effective (integrated) ownership: shares multiplied along chains and added over parallel paths.

With A[s, o] the fraction of company s held directly by o, the effective share of o in s is the
sum over every chain s ← … ← o of the product of its shares: E = A + A·A + A·A·A + …, summed
on sparse matrices walk length by walk length until no walk carries more than `tolerance`. A chain without cycles adds nothing after its length, so acyclic structures converge
in as many steps as their deepest chain; a cycle (A owns half of B, B half of A) adds
geometrically smaller terms and converges too, to the closed form (I − A)⁻¹ − I. Only a cycle
that keeps all its capital inside itself (each member 100 % owned by the next) never fades; it
stops at `max_iterations` with its entries capped at 100 %, and its nodes are in `circular`.

For a terminal owner (one with no equity owner) the effective share is the share of the
company's capital that ends with it, so terminal owners of a company together never exceed
100 % when no company hands out more than 100 %. Ranges are propagated twice, once with every
low bound and once with every high bound: each term is a product of non-negative shares, so the
result is monotone in each share and the two runs bound every effective share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from filon.graph.model import OwnershipGraph

#: Effective shares below this fraction are dropped while iterating (0.0001 %): they cannot
#: reach any threshold an analyst uses and would otherwise fill the matrix on dense graphs.
PRUNE_BELOW = 1e-6


@dataclass
class EffectiveOwnership:
    ids: list[str]
    index: dict[str, int]
    low: sparse.csr_matrix      # row: owned node, column: owner, value: effective fraction
    high: sparse.csr_matrix
    iterations: int
    converged: bool
    circular: frozenset[str]    # nodes in an ownership cycle (strongly connected, or a self-holding)

    def of(self, subject: str) -> dict[str, tuple[float, float]]:
        """Every direct and indirect owner of `subject` with its (low, high) effective fraction."""
        i = self.index.get(subject)
        if i is None:
            return {}
        hi_cols, hi_vals = _row(self.high, i)
        if self.low is self.high:  # no ranges: one matrix serves both bounds
            return {self.ids[j]: (h, h) for j, h in zip(hi_cols, hi_vals)}
        lows = dict(zip(*_row(self.low, i)))
        return {self.ids[j]: (lows.get(j, 0.0), h) for j, h in zip(hi_cols, hi_vals)}

    def share(self, subject: str, owner: str) -> tuple[float, float]:
        return self.of(subject).get(owner, (0.0, 0.0))


def _row(m: sparse.csr_matrix, i: int) -> tuple[list[int], list[float]]:
    """Column indices and values of row `i` of a CSR matrix, read straight from its arrays: detectors
    ask for thousands of rows, and `getrow` builds a new sparse matrix (tens of µs) for each."""
    start, end = m.indptr[i], m.indptr[i + 1]
    return m.indices[start:end].tolist(), m.data[start:end].tolist()


def share_matrices(graph: OwnershipGraph) -> tuple[list[str], dict[str, int], sparse.csr_matrix, sparse.csr_matrix]:
    """Direct equity as sparse matrices of low and high fractions (duplicate links add up)."""
    ids = sorted(graph.nodes)
    index = {n: i for i, n in enumerate(ids)}
    rows, cols, lows, highs = [], [], [], []
    for link in graph.links:
        if link.equity and link.share is not None and link.share[1] > 0:
            rows.append(index[link.subject])
            cols.append(index[link.owner])
            lows.append(link.share[0])
            highs.append(link.share[1])
    n = len(ids)
    shape = (n, n)
    low = sparse.csr_matrix((np.asarray(lows, dtype=float), (rows, cols)), shape=shape)
    high = sparse.csr_matrix((np.asarray(highs, dtype=float), (rows, cols)), shape=shape)
    low.sum_duplicates()
    high.sum_duplicates()
    return ids, index, low, high


def propagate(a: sparse.csr_matrix, *, tolerance: float = 1e-9, max_iterations: int = 200) -> tuple[sparse.csr_matrix, int, bool]:
    """E = A + A² + A³ + … summed walk length by walk length, capped at 1.

    W₁ = A and W₍ₖ₊₁₎ = A·Wₖ hold only the walks one link longer, so each step costs what is
    still propagating, not the whole result: chains that have ended drop out. Stops when no
    walk carries more than `tolerance` (entries under PRUNE_BELOW are dropped as they appear);
    `converged` is False only when a loop keeps all its capital and walks never fade.
    """
    walks = a.tocsr(copy=True)
    parts = [walks.tocoo()]
    converged, step = False, 1
    for step in range(1, max_iterations + 1):
        if walks.nnz == 0 or walks.data.max() <= tolerance:
            converged = True
            break
        walks = (a @ walks).tocsr()
        walks.data[walks.data < PRUNE_BELOW] = 0.0
        walks.eliminate_zeros()
        parts.append(walks.tocoo())
    rows = np.concatenate([p.row for p in parts])
    cols = np.concatenate([p.col for p in parts])
    data = np.concatenate([p.data for p in parts])
    total = sparse.csr_matrix((data, (rows, cols)), shape=a.shape)
    total.sum_duplicates()
    np.minimum(total.data, 1.0, out=total.data)
    return total, step, converged


def cyclic_nodes(ids: list[str], a: sparse.csr_matrix) -> frozenset[str]:
    """Nodes on an ownership cycle: in a strongly connected component of two or more, or owning themselves."""
    if a.shape[0] == 0:
        return frozenset()
    count, labels = connected_components(a, directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=count)
    on_cycle = sizes[labels] > 1
    on_cycle |= a.diagonal() > 0
    return frozenset(ids[i] for i in np.flatnonzero(on_cycle))


def effective_ownership(graph: OwnershipGraph, *, tolerance: float = 1e-9, max_iterations: int = 200) -> EffectiveOwnership:
    """Effective ownership of every node in every company of `graph`, with bounds for ranges."""
    ids, index, low, high = share_matrices(graph)
    return effective_from_matrices(ids, index, low, high, tolerance=tolerance, max_iterations=max_iterations)


def effective_from_matrices(ids: list[str], index: dict[str, int], low: sparse.csr_matrix, high: sparse.csr_matrix, *,
                            tolerance: float = 1e-9, max_iterations: int = 200) -> EffectiveOwnership:
    """The same from direct-share matrices, for callers holding millions of links as arrays, not objects."""
    e_low, steps_low, ok_low = propagate(low, tolerance=tolerance, max_iterations=max_iterations)
    if (low != high).nnz:
        e_high, steps_high, ok_high = propagate(high, tolerance=tolerance, max_iterations=max_iterations)
    else:
        e_high, steps_high, ok_high = e_low, steps_low, ok_low
    return EffectiveOwnership(ids=ids, index=index, low=e_low, high=e_high, iterations=max(steps_low, steps_high),
                              converged=ok_low and ok_high, circular=cyclic_nodes(ids, high))
