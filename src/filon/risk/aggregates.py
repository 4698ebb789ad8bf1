"""The indicators' figures that depend on the tables only, computed period by period.

Per node kind, node and period the indicators need sums and medians over the records (volume,
price dispersion), the value per actor and the records per alertable key (`Aggregates`). All of it
but three figures depends only on that period's records, and a new batch (a month of customs
declarations) brings records of the latest period or two: so the figures are computed per period,
each period's kept between runs (`filon.detect.kept`) under the batches its records come from,
and a run recomputes only the periods a new batch touched. The three figures spanning periods, the
period an actor was first seen in ("new" actors), the node's previous period's value and the first
period of the data, are derived afterwards from the per-period figures (`_combine`), in Arrow.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters, defaults
from filon.detect.valuation import declarations_sql, price_asof_sql
from filon.engine.duckdb import sql_literal
from filon.errors import UsageError

#: The node kinds, in the order indicators.csv lists them.
KINDS = ("customs_office", "country_pair", "facility", "admin_area")
#: What identifies a node's period in `Aggregates.parts`.
WHERE = ("kind", "sid", "country", "period")
#: Per source, the table whose rows are split by period, and its period as SQL over that table's row.
PARTITIONED = {"exports": ("exports", "date"), "trades": ("trades", "date"), "production": ("production", None)}


@dataclass
class Aggregates:
    """One source's figures that do not depend on this run's alerts and risk: rows per node and
    period (`nodes`), and `parts`, a pyarrow Table of the value per actor and the records per
    alertable key (a declaration, a right) per node and period. `parts` has about a row per record,
    so it stays in Arrow: summed there for this run's high-risk actors and alerted keys."""

    nodes: list[dict[str, Any]]
    parts: Any


def _period_sql(column: str, p: Parameters) -> str:
    if p.indicator_period not in ("year", "month"):
        raise UsageError(f"risk.indicator_period must be 'year' or 'month', not {p.indicator_period!r}")
    return f"strftime({column}, '%Y')" if p.indicator_period == "year" else f"strftime({column}, '%Y-%m')"


def _row_period_sql(source: str, p: Parameters) -> str:
    """The period of a row of the source's partitioned table, as its flows give it ('' when none)."""
    _, column = PARTITIONED[source]
    if column is None:  # production: a 'YYYY' or 'YYYY-MM' period column
        return f"coalesce(left(period, {4 if p.indicator_period == 'year' else 7}), '')"
    return f"coalesce({_period_sql(column, p)}, '')"


def flows_sql(p: Parameters, source: str, periods: list[str] | None = None, batches: list[str] | None = None) -> str:
    """SQL of the records flowing through `source`'s nodes (exports, trades or production): kind (the
    node kind), sid (the node), country, period, actor_id, value_usd, fine_kg, ratio (price paid per
    fine kg against the reference price) and `key`, the id an alert names (a declaration, or the right
    the metal comes from); only those of `periods`, when given, and of the rows of `batches`, when
    given (a record's flows depend on its own row and the other tables alone, so the flows of some
    batches' rows are those rows' flows among all). An export declaration passes through
    two nodes, its customs office and its country pair: one query, so it is valued once."""
    valuation = defaults("valuation")
    age = valuation.max_price_age_days
    table = PARTITIONED[source][0]
    where = ([] if periods is None else [f"{_row_period_sql(source, p)} IN ({_listed(periods)})"]) + (
        [] if batches is None else [f"_batch_id IN ({_listed(batches)})"])
    rel = f"(SELECT * FROM {table} WHERE {' AND '.join(where)})" if where else table
    if source == "exports":
        return f"""
        WITH v AS ({declarations_sql(valuation, exports=rel)}),
        x AS (
          SELECT e.customs_office, v.country || '>' || e.destination_country AS pair, v.country,
                 {_period_sql('v.date', p)} AS period, v.exporter_id AS actor_id, v.value_usd, v.fine_kg,
                 v.value_usd / nullif(v.fine_kg * v.usd_per_kg * v.payable_share, 0) AS ratio, v.declaration_id AS key
          FROM v JOIN {rel} e USING (declaration_id))
        SELECT k.kind, CASE WHEN k.kind = 'customs_office' THEN x.customs_office ELSE x.pair END AS sid, x.country,
               x.period, x.actor_id, x.value_usd, x.fine_kg, x.ratio, x.key
        FROM x CROSS JOIN (VALUES ('customs_office'), ('country_pair')) AS k(kind)"""
    if source == "trades":
        priced = f"(SELECT record_id AS declaration_id, commodity, date FROM {rel})"
        return f"""
        SELECT 'facility' AS kind, f.facility_id AS sid, f.country, {_period_sql('t.date', p)} AS period,
               t.seller_id AS actor_id, t.value_usd, t.fine_mass_kg AS fine_kg,
               t.value_usd / nullif(t.fine_mass_kg * px.usd_per_kg, 0) AS ratio, t.origin_right_id AS key
        FROM facilities f JOIN {rel} t ON t.buyer_id = f.operator_id
        LEFT JOIN ({price_asof_sql(age, priced)}) px ON px.declaration_id = t.record_id AND px.commodity = t.commodity
        WHERE f.kind <> 'customs_office' AND f.operator_id IS NOT NULL"""
    priced = (f"(SELECT record_id AS declaration_id, commodity, CAST(period || CASE WHEN length(period) = 4 "
              f"THEN '-12-31' ELSE '-01' END AS DATE) AS date FROM {rel})")
    return f"""
        SELECT 'admin_area' AS kind, r.admin_area AS sid, r.country,
               left(pr.period, {4 if p.indicator_period == 'year' else 7}) AS period,
               coalesce(pr.producer_id, r.holder_id) AS actor_id, pr.value_usd, pr.fine_mass_kg AS fine_kg,
               pr.value_usd / nullif(pr.fine_mass_kg * px.usd_per_kg, 0) AS ratio, pr.right_id AS key
        FROM {rel} pr JOIN mining_rights r USING (right_id)
        LEFT JOIN ({price_asof_sql(age, priced)}) px ON px.declaration_id = pr.record_id AND px.commodity = pr.commodity
        WHERE r.admin_area IS NOT NULL"""


def _listed(values: list[str]) -> str:
    """An SQL list of string literals (NULL for none: `x IN (NULL)` holds for no row)."""
    return ", ".join(sql_literal(v) for v in values) or "NULL"


SOURCES = tuple(PARTITIONED)
#: Per source, how many of the latest periods keep their flow rows between runs (see `_computed`):
#: new batches bring records of the latest period or two (late declarations of last year's December).
FLOW_PERIODS = 2


def _nodes_sql(flows: str) -> str:
    """Per node kind, node and period, what depends on that period's records alone: the sums and the
    median price dispersion (against the period's usual ratio: the median of its records of the kind)."""
    return f"""
    WITH f AS (SELECT * FROM ({flows}) x WHERE sid IS NOT NULL AND sid <> ''),
    usual AS (SELECT kind, period, median(ratio) AS usual FROM f WHERE ratio > 0 GROUP BY kind, period)
    SELECT f.kind, f.sid, f.country, f.period, count(*) AS records,
           sum(coalesce(f.value_usd, 0)) AS value_usd, sum(coalesce(f.fine_kg, 0)) AS fine_kg,
           median(CASE WHEN f.ratio > 0 AND u.usual > 0 THEN abs(f.ratio / u.usual - 1.0) END) AS dispersion
    FROM f LEFT JOIN usual u ON u.kind = f.kind AND u.period = f.period
    GROUP BY f.kind, f.sid, f.country, f.period"""


def _parts_sql(flows: str) -> str:
    """Per node kind, node and period, the value per actor (`part` 'actor') and the records per
    alertable key (`part` 'key'). (A query of its own: joined to `_nodes_sql` by UNION ALL, DuckDB
    1.5 was seen to hang on two million trades.)"""
    return f"""
    WITH f AS (SELECT * FROM ({flows}) x WHERE sid IS NOT NULL AND sid <> '')
    SELECT 'actor' AS part, kind, sid, country, period, actor_id AS item, count(*) AS records,
           sum(coalesce(value_usd, 0)) AS value_usd
    FROM f WHERE actor_id IS NOT NULL GROUP BY kind, sid, country, period, actor_id
    UNION ALL
    SELECT 'key', kind, sid, country, period, key, count(*), CAST(NULL AS DOUBLE)
    FROM f WHERE key IS NOT NULL GROUP BY kind, sid, country, period, key"""


def _local(ctx: DetectContext, flows: str) -> tuple[Any, Any]:
    """The per-period figures of `flows`' records: (nodes, parts), Arrow tables."""
    return ctx.query_arrow(_nodes_sql(flows)), ctx.query_arrow(_parts_sql(flows))


def aggregates(ctx: DetectContext, source: str, p: Parameters) -> Aggregates:
    """`source`'s aggregates, once per context; kept whole while its tables are unchanged, and
    otherwise recomputed only for the periods whose records changed (`_by_period`)."""
    from filon.detect.incremental import tables_in

    flows = flows_sql(p, source)
    return ctx.memo(("risk_indicators", source, flows), lambda: _combine(_by_period(ctx, source, p, flows)),
                    tuple(sorted(tables_in(flows))), keep=f"indicators_{source}")


def _by_period(ctx: DetectContext, source: str, p: Parameters, flows: str) -> tuple[Any, Any]:
    """The per-period figures (`_local`) of every period: each period's taken from the last run
    when its records come from the same batches (and the other tables it reads are unchanged),
    the others computed in one go and kept for the next run."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from filon.detect.incremental import tables_in

    kept = ctx.kept if ctx.engine.name == "duckdb" and not ctx.filtered else None
    if kept is None:
        return _local(ctx, flows)
    table = PARTITIONED[source][0]
    others = tuple(sorted(tables_in(flows) - {table}))
    batches = {r["period"]: tuple(r["batches"]) for r in ctx.query(
        f"SELECT {_row_period_sql(source, p)} AS period, list(DISTINCT _batch_id ORDER BY _batch_id) AS batches "
        f"FROM {table} GROUP BY ALL ORDER BY period")}
    if not batches:
        return _local(ctx, flows)

    def key(period: str) -> tuple[str, Any, tuple[str, ...]]:
        return f"indicators_{source}_{period or 'none'}", (flows, period, batches[period]), others

    latest = set(sorted(batches)[-FLOW_PERIODS:])
    kept.prune(_flows_name(source, None), {_flows_name(source, period) for period in latest})
    found = {period: hit[0] for period in batches if (hit := kept.find(*key(period))) is not None}
    missing = {period: batches[period] for period in batches if period not in found}
    if missing:
        fresh = _computed(ctx, kept, source, p, flows, others, missing, latest)
        for period in missing:
            found[period] = tuple(t.filter(pc.equal(pc.coalesce(t["period"], ""), period)) for t in fresh)
            kept.put(*key(period), found[period])
    return tuple(pa.concat_tables([found[k][i] for k in sorted(found)]) for i in (0, 1))  # type: ignore[return-value]


def _computed(ctx: DetectContext, kept: Any, source: str, p: Parameters, flows: str, others: tuple[str, ...],
              missing: dict[str, tuple[str, ...]], latest: set[str]) -> tuple[Any, Any]:
    """The per-period figures of the periods `missing` (period -> the batches of its records). Those
    of the `latest` periods are summed from their flow rows, kept too: when a new batch adds records
    to such a period (a year of production is ten times a batch), only the new records' flows are
    computed (the price of each, its node), and the period's figures summed from its kept rows and
    them. Older periods are computed from their records in one query."""
    import pyarrow as pa

    older = [period for period in missing if period not in latest]
    results = [_local(ctx, flows_sql(p, source, older))] if older else []
    rows = [_period_flows(ctx, kept, source, p, flows, others, period, missing[period])
            for period in missing if period in latest]
    if rows:
        results.append(_summed(ctx, pa.concat_tables(rows)))
    return tuple(pa.concat_tables([r[i] for r in results]) for i in (0, 1))  # type: ignore[return-value]


def _period_flows(ctx: DetectContext, kept: Any, source: str, p: Parameters, flows: str, others: tuple[str, ...],
                  period: str, batches: tuple[str, ...]) -> Any:
    """The flow rows of `period`'s records (of `batches`): the kept rows of the batches seen before
    (while the other tables are unchanged) and the new batches' rows; kept for the next run."""
    import pyarrow as pa

    name, parts = _flows_name(source, period), (flows, period)
    hit = kept.find(name, parts, others)
    seen, old = hit[0] if hit is not None else ((), None)
    if old is not None and set(seen) <= set(batches):
        added = sorted(set(batches) - set(seen))
        rows = pa.concat_tables([old, ctx.query_arrow(flows_sql(p, source, [period], added)).cast(old.schema)]) \
            if added else old
    else:
        rows = ctx.query_arrow(flows_sql(p, source, [period]))
    kept.put(name, parts, others, (batches, rows))
    return rows


def _flows_name(source: str, period: str | None) -> str:
    """The kept flow rows' name (the prefix of every period's, for None)."""
    return f"indicator_flows_{source}_" + ("" if period is None else period or "none")


def _summed(ctx: DetectContext, rows: Any) -> tuple[Any, Any]:
    """`_local` over flow rows held in Arrow (DuckDB only: the table is registered on its connection)."""
    con, name = ctx.engine.con, "_risk_flow_rows"  # type: ignore[attr-defined]
    con.register(name, rows)
    try:
        return _local(ctx, f"SELECT * FROM {name}")
    finally:
        con.unregister(name)


def _combine(local: tuple[Any, Any]) -> Aggregates:
    """`Aggregates` from the per-period figures (nodes, parts), with the three that span periods:
    `fresh` (the value moved by actors first seen, over the node kind's records, in the period),
    `previous_value` (the node's value in its previous period) and `first_period` (the kind's first)."""
    import pyarrow.compute as pc

    table, parts = local
    actors = parts.filter(pc.and_(pc.equal(parts["part"], "actor"), pc.not_equal(parts["item"], "")))
    seen = actors.group_by(["kind", "item"]).aggregate([("period", "min")])
    firsts = actors.join(seen, ["kind", "item"])
    firsts = firsts.filter(pc.equal(firsts["period"], firsts["period_min"]))
    fresh_sums = firsts.group_by(list(WHERE)).aggregate([("value_usd", "sum")])
    fresh = dict(zip(zip(*(fresh_sums[c].to_pylist() for c in WHERE)), fresh_sums["value_usd_sum"].to_pylist()))
    # A stable order here, so indicators.csv and the ranking's ties do not depend on the engine's threads.
    nodes = sorted(table.to_pylist(),
                   key=lambda r: (KINDS.index(r["kind"]), str(r["sid"]), r["country"] or "", r["period"] or ""))
    first_period: dict[str, Any] = {}
    by_node: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in nodes:
        r["fresh"] = fresh.get((r["kind"], r["sid"], r["country"], r["period"]), 0.0)
        by_node.setdefault((r["kind"], r["sid"], r["country"]), []).append(r)
        if r["period"] is not None and (r["kind"] not in first_period or r["period"] < first_period[r["kind"]]):
            first_period[r["kind"]] = r["period"]
    for rows in by_node.values():
        rows.sort(key=lambda r: (r["period"] is None, r["period"] or ""))  # as SQL orders them: NULL last
        for before, r in zip([None, *rows], rows):
            r["previous_value"] = before["value_usd"] if before is not None else None
    for r in nodes:
        r["first_period"] = first_period.get(r["kind"])
    return Aggregates(nodes, parts)


def sums(parts: Any, part: str, items: set[str], column: str) -> dict[tuple[Any, ...], float]:
    """Per node and period, the sum of `column` over the `part` rows ('actor' or 'key') whose item is in `items`."""
    if not items or parts.num_rows == 0:
        return {}
    import pyarrow as pa
    import pyarrow.compute as pc

    chosen = parts.filter(pc.is_in(parts["item"], value_set=pa.array(sorted(items), type=parts.schema.field("item").type)))
    chosen = chosen.filter(pc.equal(chosen["part"], part))  # on the few rows of those items: the same rows, in order
    summed = chosen.group_by(list(WHERE)).aggregate([(column, "sum")])
    return dict(zip(zip(*(summed[c].to_pylist() for c in WHERE)), summed[f"{column}_sum"].to_pylist()))


class Prefetch:
    """Every source's aggregates, the actors and the risk links (`propagation.build_links`) computed in
    a thread while the detectors run: they depend on the tables only, not on the alerts, and a scoped
    detector leaves the second core idle. DuckDB only (a cursor is a second connection to the same
    database); `join` hands the values to `ctx`'s memo, or nothing when the thread failed, and then
    the risk step computes them as usual."""

    def __init__(self, ctx: DetectContext, p: Parameters) -> None:
        from filon.engine.duckdb import DuckDBEngine

        self._ctx, self._error = ctx, None
        self._bg = DetectContext(DuckDBEngine(ctx.engine.con.cursor()), kept=ctx.kept,  # type: ignore[attr-defined]
                                 tallies=ctx.tallies)
        self._thread: threading.Thread | None = threading.Thread(target=self._run, args=(p,), daemon=True,
                                                                 name="filon-indicators")
        self._thread.start()

    def _run(self, p: Parameters) -> None:
        from filon.risk.actors import workspace_actors
        from filon.risk.propagation import build_links

        try:
            for source in SOURCES:
                aggregates(self._bg, source, p)
            workspace_actors(self._bg)
            build_links(self._bg, p)
        except Exception as err:  # noqa: BLE001 — computed again in the main thread, which reports it
            self._error = err

    def join(self) -> None:
        if self._thread is None:
            return
        self._thread.join()
        self._thread = None
        if self._error is None:
            self._ctx.adopt(self._bg)
        self._bg.engine.close()


def prefetch(ctx: DetectContext, p: Parameters) -> Prefetch | None:
    """Start computing what the risk step reads from the tables alone beside the detectors (DuckDB only; None otherwise)."""
    return Prefetch(ctx, p) if hasattr(ctx.engine, "con") and ctx.engine.name == "duckdb" else None
