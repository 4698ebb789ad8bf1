"""The ownership graph as columns: how a kept graph is stored, and how it is read back lazily.

A national graph holds over a hundred thousand nodes and tens of thousands of links. Pickled as
objects, it took about a second to unpickle (a frozen dataclass is slow to construct, a date
slower), and the run that loaded it was usually a scoped one, looking at the owners of the few
hundred actors a batch touches. So a graph pickles as columns instead (lists of strings, numpy
arrays of codes and indices, repeated values stored once), which load in tens of milliseconds,
and the restored graph builds a node or a link only when it is asked for, once. Its effective
ownership travels with it: the matrices are the costly part to recompute and a few arrays to load.

A restored graph is an `OwnershipGraph` like any other: `nodes` is a mapping, `links` a sequence,
and `owners_of` / `holdings_of` mappings, in the same orders as the graph that was pickled.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse

from filon.graph.effective import EffectiveOwnership
from filon.graph.model import Link, Node, OwnershipGraph


@dataclass
class Coded:
    """A column of hashable values with few distinct ones (kinds, countries, dates, file names):
    each distinct value stored once, rows as codes into them."""

    values: list[Any]
    codes: np.ndarray

    @classmethod
    def of(cls, items: Iterable[Hashable]) -> Coded:
        position: dict[Any, int] = {}
        codes = [position.setdefault(item, len(position)) for item in items]
        return cls(list(position), np.asarray(codes, dtype=np.int32))

    def __getitem__(self, row: int) -> Any:
        return self.values[self.codes[row]]


@dataclass
class Texts:
    """A column of distinct strings (names) as one string and offsets: one object to unpickle, not
    a hundred thousand, and a row is a slice of it when it is asked for."""

    text: str
    offsets: np.ndarray

    @classmethod
    def of(cls, items: Iterable[str]) -> Texts:
        strings = list(items)
        offsets = np.zeros(len(strings) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in strings], out=offsets[1:])
        return cls("".join(strings), offsets)

    def __getitem__(self, row: int) -> str:
        return self.text[self.offsets[row]:self.offsets[row + 1]]


@dataclass
class PackedGraph:
    """An `OwnershipGraph` as columns. Nodes are in id order (the order of the effective-ownership
    matrices, which share the ids); `order` gives the graph's own node order. Links are in the
    graph's order, their ends as positions in `ids`."""

    ids: list[str]
    order: np.ndarray
    names: Texts
    kinds: Coded
    countries: Coded
    incorporated: Coded
    roles: Coded
    name_only: np.ndarray
    record_ids: list[str]
    subjects: np.ndarray
    owners: np.ndarray
    link_kinds: Coded
    shares: np.ndarray                # (low, high) per link; NaN for a link without a share
    starts: Coded
    ends: Coded
    files: Coded
    rows: list[int | None]
    effective: tuple[sparse.csr_matrix, sparse.csr_matrix, int, bool, frozenset[str]]
    as_of: Any
    period: Any
    warnings: list[str]

    def __getstate__(self) -> dict[str, Any]:
        """The columns only: indexes and objects built after loading are not stored."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @cached_property
    def index(self) -> dict[str, int]:
        return dict(zip(self.ids, range(len(self.ids))))

    @cached_property
    def _nodes(self) -> list[Node | None]:
        return [None] * len(self.ids)

    @cached_property
    def _links(self) -> list[Link | None]:
        return [None] * len(self.record_ids)

    def node(self, i: int) -> Node:
        """The node at position `i` of `ids`, built on first use."""
        found = self._nodes[i]
        if found is None:
            found = self._nodes[i] = Node(self.ids[i], self.names[i], self.kinds[i], self.countries[i],
                                          self.incorporated[i], self.roles[i], bool(self.name_only[i]))
        return found

    def link(self, k: int) -> Link:
        """The `k`-th link, built on first use."""
        found = self._links[k]
        if found is None:
            low, high = self.shares[k].tolist()
            found = self._links[k] = Link(self.record_ids[k], self.ids[self.subjects[k]], self.ids[self.owners[k]],
                                          self.link_kinds[k], None if math.isnan(low) else (low, high),
                                          self.starts[k], self.ends[k], self.files[k], self.rows[k])
        return found


def pack(graph: OwnershipGraph) -> PackedGraph:
    """`graph` as columns, with its effective ownership (computed now if it was not yet)."""
    ids = sorted(graph.nodes)
    index = dict(zip(ids, range(len(ids))))
    nodes = [graph.nodes[i] for i in ids]
    links = list(graph.links)
    effective = graph.effective
    if effective.ids != ids:  # cannot happen (both are the sorted node ids): rather not kept than mixed up
        raise pickle.PicklingError("effective ownership computed on other nodes than the graph's")
    return PackedGraph(
        ids=ids, order=np.fromiter((index[n] for n in graph.nodes), np.int32, len(ids)),
        names=Texts.of(n.name for n in nodes), kinds=Coded.of(n.kind for n in nodes),
        countries=Coded.of(n.country for n in nodes), incorporated=Coded.of(n.incorporation_date for n in nodes),
        roles=Coded.of(n.roles for n in nodes), name_only=np.fromiter((n.name_only for n in nodes), bool, len(ids)),
        record_ids=[x.record_id for x in links],
        subjects=np.fromiter((index[x.subject] for x in links), np.int32, len(links)),
        owners=np.fromiter((index[x.owner] for x in links), np.int32, len(links)),
        link_kinds=Coded.of(x.kind for x in links),
        shares=np.array([x.share or (np.nan, np.nan) for x in links], dtype=float).reshape(len(links), 2),
        starts=Coded.of(x.start for x in links), ends=Coded.of(x.end for x in links),
        files=Coded.of(x.source_file for x in links), rows=[x.source_row for x in links],
        effective=(effective.low, effective.high, effective.iterations, effective.converged, effective.circular),
        as_of=graph.as_of, period=graph.period, warnings=list(graph.warnings))


def restore(packed: PackedGraph) -> OwnershipGraph:
    """The graph `packed` holds, building nodes and links as they are asked for."""
    graph = OwnershipGraph(NodeTable(packed), LinkList(packed), as_of=packed.as_of, period=packed.period,
                           warnings=packed.warnings)
    low, high, iterations, converged, circular = packed.effective
    # Filled in, so the graph's cached properties are read from the columns, not rebuilt from every link.
    graph.__dict__.update(
        owners_of=LinkIndex(packed, packed.subjects), holdings_of=LinkIndex(packed, packed.owners),
        effective=EffectiveOwnership(packed.ids, packed.index, low, high, iterations, converged, circular))
    return graph


class NodeTable(Mapping[str, Node]):
    """Node id -> node, in the order of the graph that was packed."""

    def __init__(self, packed: PackedGraph) -> None:
        self._p = packed

    def __getitem__(self, node_id: str) -> Node:
        return self._p.node(self._p.index[node_id])

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._p.index

    def __iter__(self) -> Iterator[str]:
        ids = self._p.ids
        return (ids[i] for i in self._p.order.tolist())

    def __len__(self) -> int:
        return len(self._p.ids)


class LinkList(Sequence[Link]):
    """The links, in the order of the graph that was packed."""

    def __init__(self, packed: PackedGraph) -> None:
        self._p = packed

    def __getitem__(self, k: int | slice) -> Any:
        if isinstance(k, slice):
            return [self._p.link(i) for i in range(len(self))[k]]
        return self._p.link(range(len(self))[k])

    def __iter__(self) -> Iterator[Link]:
        return map(self._p.link, range(len(self)))

    def __len__(self) -> int:
        return len(self._p.record_ids)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable-sequence semantics, like the list it stands for


class LinkIndex(Mapping[str, list[Link]]):
    """Node id -> its links in the order of `graph.links`, grouped by one end (`ends`: the subject or
    the owner of each link as a position in `ids`); only nodes with links are keys, as in the
    dictionaries `OwnershipGraph` builds."""

    def __init__(self, packed: PackedGraph, ends: np.ndarray) -> None:
        self._p = packed
        self._ends = ends
        by_node = np.argsort(ends, kind="stable")  # link numbers, grouped by node, in link order
        self._by_node = by_node.tolist()
        self._starts = np.searchsorted(ends[by_node], np.arange(len(packed.ids) + 1)).tolist()
        self._lists: dict[str, list[Link]] = {}  # node id -> its links ([] for none), built on first use

    def get(self, node_id: str, default: Any = None) -> Any:
        """The node's links, or `default` when it has none. The graph asks this thousands of times per
        scoped run, so it is a dictionary lookup once a node's links are built."""
        found = self._lists.get(node_id)
        if found is None:
            i = self._p.index.get(node_id)
            span = range(0) if i is None else range(self._starts[i], self._starts[i + 1])
            found = self._lists[node_id] = [self._p.link(self._by_node[k]) for k in span]
        return found or default

    def __getitem__(self, node_id: str) -> list[Link]:
        found = self.get(node_id)
        if found is None:
            raise KeyError(node_id)
        return found

    def __contains__(self, node_id: object) -> bool:
        i = self._p.index.get(node_id) if isinstance(node_id, str) else None
        return i is not None and self._starts[i] != self._starts[i + 1]

    def __iter__(self) -> Iterator[str]:
        """Nodes in the order their first link comes in `graph.links` (a dictionary's insertion order)."""
        nodes, first = np.unique(self._ends, return_index=True)
        ids = self._p.ids
        return (ids[i] for i in nodes[np.argsort(first)].tolist())

    def __len__(self) -> int:
        return len(np.unique(self._ends))
