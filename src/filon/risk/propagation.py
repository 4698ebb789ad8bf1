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

from array import array
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.tally import Tally
from filon.graph.ownership import load_graph


class Link(NamedTuple):
    """One link from a node, as `LinkTable.get` gives it (a tuple: a walk makes many)."""

    to: str
    strength: float
    label: str      # how the node the link leaves relates to `to`, e.g. "owns 60 % of"


class LinkTable:
    """Every node's links, packed in a few flat arrays instead of a Python object per link: built
    once per workspace version and kept between runs (`DetectContext.memo`), where unpickling a
    national graph of links one object at a time took longer than the walk that reads a few of them.
    Built from columns (`LinkColumns`), or from a dict of links (tests, small callers)."""

    nodes: list[str]
    labels: list[str]
    offsets: array[int]     # node i's links are offsets[i]:offsets[i + 1] of the three below
    to: array[int]          # index in `nodes`
    strength: array[float]
    label: array[int]       # index in `labels`
    index: dict[str, int]

    def __init__(self, links: dict[str, list[Link]]) -> None:
        columns = LinkColumns(None)
        for node, targets in links.items():
            columns.add([node] * len(targets), [t.to for t in targets], [t.strength for t in targets],
                        [t.label for t in targets], None)
        self.__setstate__(columns.packed(extra=list(links)))

    @classmethod
    def of(cls, columns: LinkColumns) -> LinkTable:
        table = cls.__new__(cls)
        table.__setstate__(columns.packed())
        return table

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
        return sum(self.offsets[i] != self.offsets[i + 1] for i in range(len(self.nodes)))

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "index"}  # rebuilt on load, faster than unpickled

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.index = {node: i for i, node in enumerate(self.nodes)}


class LinkColumns:
    """Links added many at a time as columns (one per call to `add`, each a link from `a` to `b` and,
    with a `backward` label, one back), packed into a `LinkTable` in a few Arrow and numpy operations:
    a national trade network has tens of thousands of links, and a Python object per link made
    building them the costliest part of scoring risk. Each node keeps its links in the order they
    were added (a walk breaks ties between equally strong paths by that order)."""

    def __init__(self, min_weight: float | None) -> None:
        self.min_weight = min_weight  # None: every link kept as given
        self._parts: list[tuple[Any, Any, Any, Any, Any]] = []

    def add(self, a: Any, b: Any, strength: Any, forward: Any, backward: Any) -> None:
        """Links from each `a` to its `b` of `strength` (columns of one length: Arrow arrays or
        sequences; a label may be one string for all, `backward` None for no link back), left out
        when a node links to itself (or to no node) or the strength is under `min_weight`."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        a, b = _strings(a), _strings(b)
        strength = np.asarray(strength, dtype=np.float64)
        forward, backward = _strings(forward, len(a)), _strings(backward, len(a))
        if self.min_weight is not None and len(a):
            keep = pc.fill_null(pc.not_equal(a, b), False).to_numpy(zero_copy_only=False) & (strength >= self.min_weight)
            mask = pa.array(keep)
            a, b, forward, backward, strength = a.filter(mask), b.filter(mask), forward.filter(mask), \
                backward.filter(mask), strength[keep]
        self._parts.append((a, b, strength, forward, backward))

    def packed(self, extra: list[str] | None = None) -> dict[str, Any]:
        """The state of a `LinkTable` (nodes, offsets, to, strength, label, labels): every node with
        links or linked to (and the `extra` nodes first), each node's links in a run of the arrays."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        def cat(i: int) -> Any:
            return pa.concat_arrays([part[i] for part in self._parts]) if self._parts else pa.array([], pa.string())

        a, b, forward, backward = cat(0), cat(1), cat(3), cat(4)
        strength = np.concatenate([part[2] for part in self._parts]) if self._parts else np.zeros(0)
        back = pc.is_valid(backward).to_numpy(zero_copy_only=False)
        first = pa.array(list(extra or ()), pa.string())
        nodes = pa.concat_arrays([first, a, b]).dictionary_encode()
        index = nodes.indices.to_numpy(zero_copy_only=False).astype(np.int64)[len(first):]
        a_i, b_i = index[:len(a)], index[len(a):]
        src, dst = np.concatenate([a_i, b_i[back]]), np.concatenate([b_i, a_i[back]])
        calls = np.arange(len(a))
        order = np.lexsort((np.concatenate([calls, calls[back]]), src))  # by node, then in the order added
        words = pa.concat_arrays([forward, backward.filter(pa.array(back))]).dictionary_encode()
        count = len(nodes.dictionary)
        offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=count), out=offsets[1:])
        return {"nodes": nodes.dictionary.to_pylist(), "labels": words.dictionary.to_pylist(),
                "offsets": _packed(offsets, "q"), "to": _packed(dst[order], "q"),
                "strength": _packed(np.concatenate([strength, strength[back]])[order], "d"),
                "label": _packed(words.indices.to_numpy(zero_copy_only=False)[order], "q")}


def _strings(values: Any, size: int | None = None) -> Any:
    """A column of text as an Arrow string array: `values` itself, a sequence, or one value (None
    included) repeated `size` times."""
    import pyarrow as pa

    if size is not None and (values is None or isinstance(values, str)):
        return pa.nulls(size, pa.string()) if values is None else pa.repeat(pa.scalar(values, pa.string()), size)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):  # an engine's text may come as large or view strings
        return values if values.type == pa.string() else values.cast(pa.string())
    return pa.array(list(values), pa.string())


def _packed(values: Any, code: str) -> array[Any]:
    """A numpy array as an `array.array` (quick to read one item at a time, and to pickle)."""
    import numpy as np

    out = array(code)
    out.frombytes(np.ascontiguousarray(values, dtype=np.float64 if code == "d" else np.int64).tobytes())
    return out


Links = dict[str, list[Link]] | LinkTable


#: What a right's node id starts with (its actors' are their ids).
RIGHT = "right:"


def right_node(right_id: str) -> str:
    return f"{RIGHT}{right_id}"


def trade_tally() -> Tally:
    """The fine mass traded per seller and buyer (`kind` 'pair', `a` the seller, `b` the buyer) and
    per right cited as origin and buyer ('origin', `a` the right): the sums the trade and sourcing
    links are computed from, kept between runs (`filon.detect.tally`), so a batch of trades adds
    its own sums instead of the links being computed again from every trade."""
    sql = """
    SELECT 'pair' AS kind, seller_id AS a, buyer_id AS b, sum(fine_mass_kg) AS kg FROM trades
    WHERE fine_mass_kg > 0 AND seller_id <> buyer_id GROUP BY seller_id, buyer_id
    UNION ALL
    SELECT 'origin' AS kind, origin_right_id AS a, buyer_id AS b, sum(fine_mass_kg) AS kg FROM trades
    WHERE fine_mass_kg > 0 AND origin_right_id IS NOT NULL GROUP BY origin_right_id, buyer_id"""
    return Tally("risk_trade_links", sql, ("kind", "a", "b"), sources=("trades",), lookups=())


def build_links(ctx: DetectContext, p: Parameters) -> LinkTable:
    """Every link at least `min_link_weight` strong, from both ends.

    Kept for the next run (`DetectContext.memo`) while ownership, trades and entities are the
    same: a batch of exports or production leaves them as they were; a batch of trades adds its
    sums to the kept ones (`trade_tally`) and the links are packed again from them."""
    from filon.detect.incremental import params_key
    from filon.graph.ownership import in_force_key

    in_force = in_force_key(ctx)

    def ownership() -> tuple[Any, ...]:
        return ctx.memo(("risk_ownership_links", params_key(p), in_force), lambda: _ownership_links(ctx, p),
                        ("ownership", "actors"), keep="risk_ownership_links")

    return ctx.memo(("risk_links", params_key(p), in_force), lambda: _build_links(ctx, p, ownership()),
                    ("ownership", "actors", "trades", "entities"), keep="risk_links")


def _build_links(ctx: DetectContext, p: Parameters, ownership: tuple[Any, ...] | None = None) -> LinkTable:
    """The links (see `build_links`); `ownership`: the ownership links' columns when kept (`_ownership_links`)."""
    links = LinkColumns(p.min_link_weight)
    links.add(*(ownership if ownership is not None else _ownership_links(ctx, p)))
    _add_trade_links(links, ctx.query_arrow(f"SELECT kind, a, b, kg FROM {ctx.tally(trade_tally())} t "
                                            "ORDER BY kind, a, b"), p)
    same = [(x, y, min(px, py)) for members in _entities(ctx).values()
            for i, (x, px) in enumerate(members) for y, py in members[i + 1:]]
    links.add([x for x, _, _ in same], [y for _, y, _ in same], [w for _, _, w in same],
              "is the same party as", "is the same party as")
    return LinkTable.of(links)


def _ownership_links(ctx: DetectContext, p: Parameters) -> tuple[Any, ...]:
    """The ownership links as columns (owner, owned, strength, forward and backward labels), as Arrow
    arrays: kept apart from the other links (a batch of trades leaves them as they were)."""
    import pyarrow as pa

    owners, owned, strengths, forward, backward = [], [], [], [], []
    for link in load_graph(ctx).links:
        if link.share:
            strength = (link.share[0] + link.share[1]) / 2.0
            what = f"{strength:.0%}"
        else:
            strength, what = p.control_weight, link.kind
        owners.append(link.owner)
        owned.append(link.subject)
        strengths.append(min(1.0, strength))
        forward.append(f"owns ({what})")
        backward.append(f"is owned ({what}) by")
    return (pa.array(owners, pa.string()), pa.array(owned, pa.string()), pa.array(strengths, pa.float64()),
            pa.array(forward, pa.string()), pa.array(backward, pa.string()))


def _add_trade_links(links: LinkColumns, sums: Any, p: Parameters) -> None:
    """The trade and sourcing links, from the rows of `trade_tally` (in a stable order, which decides
    the order of the sums and of each node's links): seller ↔ buyer, right → buyer."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    pairs, origins = (sums.filter(pc.equal(sums.column("kind"), kind)) for kind in ("pair", "origin"))
    kg = pairs.column("kg").to_numpy().astype(np.float64)
    sellers, buyers = pairs.column("a").combine_chunks(), pairs.column("b").combine_chunks()
    sold, bought = _totals(sellers, kg), _totals(buyers, kg)
    links.add(sellers, buyers, p.trade_link_weight * np.sqrt(kg / sold[0][sold[1]] * kg / bought[0][bought[1]]),
              "sells to", "buys from")

    kg = origins.column("kg").to_numpy().astype(np.float64)
    rights, buyer = origins.column("a").combine_chunks(), origins.column("b").combine_chunks()
    from_right = _totals(rights, kg)
    where = pc.index_in(buyer, value_set=bought[2]).fill_null(-1).to_numpy(zero_copy_only=False)
    buys = np.where(where >= 0, bought[0][np.maximum(where, 0)], 0.0)  # 0: buys nothing from others, or no buyer
    known = buys > 0
    keep = pa.array(known)
    okg, buys = kg[known], buys[known]
    links.add(pc.binary_join_element_wise(RIGHT, rights.filter(keep), ""), buyer.filter(keep),  # right_node
              p.trade_link_weight * np.sqrt(okg / from_right[0][from_right[1]][known] * np.minimum(1.0, okg / buys)),
              "is the origin of gold bought by", None)


def _totals(keys: Any, values: Any) -> tuple[Any, Any, Any]:
    """(the sum of `values` per distinct key, each row's key's position in it, the distinct keys):
    Arrow keys without nulls; sums added in row order, as a running sum would."""
    import numpy as np

    codes = keys.dictionary_encode()
    index = codes.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return np.bincount(index, weights=values, minlength=len(codes.dictionary)), index, codes.dictionary


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
