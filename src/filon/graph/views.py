"""An actor's drawable neighbourhood from a workspace: graph, red flags and trades together.

Shared by `filon graph` and the report's ownership section, so both flag the same facts with
the thresholds of `opaque_ownership` (secrecy list, days that make an incorporation fresh).
"""

from __future__ import annotations

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
    p = params or defaults("opaque_ownership")
    secrecy = secrecy_jurisdictions(p["secrecy_jurisdictions_file"])
    bare = neighbourhood(graph, actor_id, hops)
    # Ids inlined as quoted literals: DuckDB's Python client binds each `?` slowly (a neighbourhood
    # may hold hundreds of nodes, and the report draws several).
    ids = ", ".join(sql_literal(str(n)) for n in bare.nodes) or "NULL"
    trades = ctx.query(f"""SELECT seller_id, buyer_id, sum(value_usd) AS value_usd FROM trades
        WHERE seller_id IN ({ids}) AND buyer_id IN ({ids}) AND seller_id <> buyer_id
        GROUP BY seller_id, buyer_id ORDER BY seller_id, buyer_id""")
    flags = {n: node_flags(graph, n, secrecy=secrecy, fresh_days=int(p["fresh_days"])) for n in bare.nodes}
    return neighbourhood(graph, actor_id, hops, trades=trades, flags=flags)
