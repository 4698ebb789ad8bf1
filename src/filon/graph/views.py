"""An actor's drawable neighbourhood from a workspace: graph, red flags and trades together.

Shared by `filon graph` and the report's ownership section, so both flag the same facts with
the thresholds of `opaque_ownership` (secrecy list, days that make an incorporation fresh).
"""

from __future__ import annotations

from collections.abc import Sequence

from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters, defaults
from filon.engine.duckdb import sql_literal
from filon.graph.flags import node_flags
from filon.graph.jurisdictions import secrecy_jurisdictions
from filon.graph.model import OwnershipGraph
from filon.graph.render import Neighbourhood, neighbourhood


def actor_neighbourhood(ctx: DetectContext, graph: OwnershipGraph, actor_id: str, hops: int = 2,
                        params: Parameters | None = None) -> Neighbourhood:
    """Nodes within `hops` links of the actor, their red flags, and the trades among them."""
    return actor_neighbourhoods(ctx, graph, [(actor_id, hops)], params)[0]


def actor_neighbourhoods(ctx: DetectContext, graph: OwnershipGraph, wanted: Sequence[tuple[str, int]],
                         params: Parameters | None = None) -> list[Neighbourhood]:
    """`actor_neighbourhood` of each (actor, hops) in `wanted`, with one read of the trades for all
    of them: the trades table is scanned once rather than once per drawing (the report draws several)."""
    if not wanted:
        return []
    p = params or defaults("opaque_ownership")
    secrecy = secrecy_jurisdictions(p["secrecy_jurisdictions_file"])
    bare = [neighbourhood(graph, actor_id, hops) for actor_id, hops in wanted]
    nodes = sorted({n for hood in bare for n in hood.nodes})
    # Ids inlined as quoted literals: DuckDB's Python client binds each `?` slowly (a neighbourhood
    # may hold hundreds of nodes, and the report draws several). Each neighbourhood keeps the pairs
    # among its own nodes, so one query over all of them gives each the trades it would get alone.
    ids = ", ".join(sql_literal(str(n)) for n in nodes) or "NULL"
    trades = ctx.query(f"""SELECT seller_id, buyer_id, sum(value_usd) AS value_usd FROM trades
        WHERE seller_id IN ({ids}) AND buyer_id IN ({ids}) AND seller_id <> buyer_id
        GROUP BY seller_id, buyer_id ORDER BY seller_id, buyer_id""")
    flags = {n: node_flags(graph, n, secrecy=secrecy, fresh_days=int(p["fresh_days"])) for n in nodes}
    return [neighbourhood(graph, actor_id, hops, trades=trades, flags=flags) for actor_id, hops in wanted]
