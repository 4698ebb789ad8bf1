"""Public API of the ownership and control graph.

    graph = load_graph(ctx)                       # links valid at the end of the data
    graph = load_graph(ctx, as_of=date(2023, 6, 30))
    graph = load_graph(ctx, period=(date(2023, 1, 1), date(2023, 12, 31)))
    effective_ownership(graph).of("ACT-PE-00012")  # {owner: (low, high) fraction}
    ultimate_owners(graph, "ACT-PE-00012", 25.0)
    controllers(graph, "ACT-PE-00012", 50.0)
    layers(graph, "ACT-PE-00012"); cycles(graph)

Owners known only by name get the node id `name:<NORMALISED-NAME>` (see `names.name_node_id`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from filon.detect.context import DetectContext
from filon.graph.control import (
    Controller,
    UltimateOwner,
    controllers,
    cycles,
    layers,
    terminal,
    ultimate_owners,
)
from filon.graph.effective import EffectiveOwnership, effective_ownership
from filon.graph.model import (
    CONTROL_KINDS,
    EQUITY_KINDS,
    Link,
    Node,
    OwnershipGraph,
    build_graph,
)
from filon.graph.names import name_node_id

__all__ = ["CONTROL_KINDS", "EQUITY_KINDS", "Controller", "EffectiveOwnership", "Link", "Node", "OwnershipGraph",
           "UltimateOwner", "build_graph", "controllers", "cycles", "data_end", "effective_ownership", "layers",
           "load_graph", "name_node_id", "terminal", "ultimate_owners"]


def data_end(ctx: DetectContext, record: bool = True) -> date | None:
    """The last date of the package's flows (trades, exports), else of its ownership records.

    Ownership is judged at the end of the data by default: the structure an analyst meets today,
    not links that ended before the period under review.
    """
    rows = ctx.query_whole(DATA_END_SQL, record)
    value = rows[0]["d"] if rows else None
    return value if isinstance(value, date) else None


DATA_END_SQL = """SELECT max(d) AS d FROM (
    SELECT max(date) AS d FROM trades UNION ALL SELECT max(date) AS d FROM exports
    UNION ALL SELECT max(start_date) AS d FROM ownership) s"""

#: A digest of the links in force at the end of the data (the test of `model._valid`). This, not the
#: last date, is what the default graph depends on: a batch of newer flows moves the date but rarely
#: the links. Digested in SQL: one row to record and compare, where the list of a national table's
#: record ids cost tens of milliseconds each time it was digested in Python.
IN_FORCE_SQL = f"""SELECT sha256(to_json(list_sort(list(o.record_id)))) AS links FROM ownership o, ({DATA_END_SQL}) e
    WHERE e.d IS NULL OR ((o.start_date IS NULL OR o.start_date <= e.d) AND (o.end_date IS NULL OR o.end_date > e.d))"""


def _ownership_rows(ctx: DetectContext) -> list[dict[str, Any]]:
    # SELECT * keeps optional range columns (share_min, share_max) when a workspace carries them.
    return ctx.query("SELECT * FROM ownership ORDER BY record_id")


def load_graph(ctx: DetectContext, as_of: date | None = None,
               period: tuple[date, date] | None = None) -> OwnershipGraph:
    """The ownership graph of a workspace: links valid at `as_of`, or overlapping `period`.

    With neither, links valid at the end of the data (`data_end`); with no dated data at all,
    every link.
    """
    at = as_of
    key: tuple[Any, ...] = ("ownership_graph", at, period)
    if as_of is None and period is None:
        # The graph depends on the links in force at the last date, not on the date itself, which
        # every batch of newer flows moves: what used it is reused while those links are the same.
        key = ("ownership_graph", "in force", in_force_key(ctx))
        at = data_end(ctx, record=False)

    def build() -> OwnershipGraph:
        actors = ctx.query("SELECT actor_id, name, kind, country, incorporation_date, roles FROM actors")
        return build_graph(_ownership_rows(ctx), actors, as_of=at, period=period)

    # Built once per analysis (opaque ownership, shared controllers, the risk ranking and the report
    # share it), and kept for the next analysis while ownership, actors and the links in force hold.
    # Only the default graph is kept: one file per name, and other dates or periods are one-off views.
    keep = "ownership_graph" if as_of is None and period is None else None
    graph = ctx.memo(key, build, ("ownership", "actors"), keep=keep)
    graph.as_of = at  # a kept graph was built at the last run's end date: same links, today's date
    return graph


def in_force_key(ctx: DetectContext) -> str:
    """A digest of the ownership links in force at the end of the data (recorded as a figure over
    the whole data, so an incremental run checks it before reusing anything built from it)."""
    return str(ctx.query_global(IN_FORCE_SQL)[0]["links"])
