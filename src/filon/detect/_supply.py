"""Fine metal of exports and imports, estimated where a declaration lacks it (shared supply-side SQL).

Customs declarations must give a net mass but not a fine mass. Where `fine_mass_kg` is missing it is
estimated as net mass times a purity: first the mass-weighted purity of the declarations of the same
country, commodity and product that do give both masses (the package's own evidence of what that product
assays), to two significant figures (0.88 for dore: the estimate is no more precise than that, and a
week of new declarations then seldom moves it, so an incremental analysis re-runs only the exporters a
batch touches), else a typical purity of the product (bullion, dore). Declarations that cannot be estimated either
way (e.g. an ore with no reference) are left out and counted, never guessed. Imports carry only a net mass
and an HS code: gold (7108) counts at bullion purity, the highest plausible, so an import never understates
the supply it explains.
"""

from __future__ import annotations

from typing import Any

from filon.detect.tally import Tally
from filon.engine.duckdb import sql_literal

#: Commodity implied by an HS heading when a declaration does not name it.
HS_COMMODITY = {"7108": "Au", "7106": "Ag", "2603": "Cu", "2608": "Zn", "2609": "Sn", "2607": "Pb", "2805": "Hg"}
#: Typical purity of refined or semi-refined products: bullion is 99.5 % (LBMA good delivery),
#: dore 85 % (the middle of the 70-95 % range of mine dore).
PRODUCT_PURITY = {"bullion": 0.995, "dore": 0.85}
#: Purity assumed for imports, by HS heading: the upper bound of the product, so imports are not understated.
IMPORT_PURITY = {"7108": 0.995, "7106": 0.999, "2805": 1.0}


def month_index_sql(period: str) -> str:
    """Month index (year * 12 + month - 1) of a `YYYY-MM` period column; NULL for a yearly `YYYY` one.
    The rolling stock windows of the balance detectors count in these months."""
    return (f"CASE WHEN length({period}) >= 7 THEN CAST(left({period}, 4) AS INT) * 12 "
            f"+ CAST(substr({period}, 6, 2) AS INT) - 1 END")


def node_sql(roles: tuple[str, ...], kinds: tuple[str, ...]) -> str:
    """Condition on actors `a`: a trading node (trader, processor, refiner, cooperative, or roles not
    declared) whose balance `mass_balance_break` checks; `export_without_supply` takes the others."""
    # instr on the ;-delimited list: DuckDB and Spark (LOCATE) alike, where list_contains(string_split())
    # built a list for every actor
    has_role = " OR ".join(f"instr(';' || a.roles || ';', {sql_literal(';' + r + ';')}) > 0" for r in roles) or "FALSE"
    kind = ", ".join(sql_literal(k) for k in kinds) or "NULL"
    return f"a.roles IS NULL OR {has_role} OR coalesce(a.kind IN ({kind}), FALSE)"


def _hs_case(column: str) -> str:
    return "CASE " + " ".join(f"WHEN left({column}, 4) = '{h}' THEN '{c}'" for h, c in HS_COMMODITY.items()) + " END"


#: The reference purity per country, commodity and product, rounded to two significant figures.
PURITY_SQL = """
    SELECT country, cmdty, product, round(purity / power(10, floor(log10(purity)) - 1))
                                    * power(10, floor(log10(purity)) - 1) AS purity
    FROM (SELECT country, coalesce(commodity, {hs}) AS cmdty, product, sum(fine_mass_kg) / sum(net_mass_kg) AS purity
          FROM exports WHERE fine_mass_kg > 0 AND net_mass_kg > 0 AND country IS NOT NULL AND product IS NOT NULL
          GROUP BY ALL) x
    WHERE cmdty IS NOT NULL AND purity > 0 ORDER BY country, cmdty, product"""


def reference_purity(ctx: Any) -> str:
    """SQL relation (country, cmdty, product, purity) of the reference purities, taken over every
    declaration even in a run scoped to some exporters, and recorded as a figure over the whole data
    (`DetectContext.query_global`): an incremental run checks it has not moved."""
    rows = ctx.query_global(PURITY_SQL.format(hs=_hs_case("hs_code")))
    if not rows:
        return ("(SELECT CAST(NULL AS VARCHAR) AS country, CAST(NULL AS VARCHAR) AS cmdty, "
                "CAST(NULL AS VARCHAR) AS product, CAST(NULL AS DOUBLE) AS purity WHERE 1 = 0)")
    return "(" + " UNION ALL ".join(
        f"SELECT {sql_literal(str(r['country']))} AS country, {sql_literal(str(r['cmdty']))} AS cmdty, "
        f"{sql_literal(str(r['product']))} AS product, CAST({float(r['purity'])!r} AS DOUBLE) AS purity" for r in rows) + ")"


def exports_fine_sql(purity: str) -> str:
    """SQL of exports (id, country, date, exporter, value, lineage) with `commodity`, `kg` (fine, estimated
    where missing, at the reference `purity`: `reference_purity(ctx)`), `estimated` and `purity_basis`."""
    typical = " ".join(f"WHEN '{p}' THEN {v}" for p, v in PRODUCT_PURITY.items())
    return f"""
    SELECT e.declaration_id, e.country, e.date, e.exporter_id, e.cmdty AS commodity, e.product, e.net_mass_kg,
           e.value_usd, e._source_file, e._source_row,
           coalesce(e.fine_mass_kg, e.net_mass_kg * coalesce(pu.purity, CASE e.product {typical} END)) AS kg,
           e.fine_mass_kg IS NULL AS estimated,
           CASE WHEN e.fine_mass_kg IS NOT NULL THEN 'declared'
                WHEN pu.purity IS NOT NULL THEN 'purity of declarations of the same product'
                WHEN e.product IN ({", ".join(f"'{p}'" for p in PRODUCT_PURITY)}) THEN 'typical purity of the product'
           END AS purity_basis
    FROM (SELECT x.*, coalesce(x.commodity, {_hs_case('x.hs_code')}) AS cmdty FROM exports x) e
    LEFT JOIN {purity} pu ON pu.country = e.country AND pu.cmdty = e.cmdty AND pu.product = e.product"""


def imports_fine_sql() -> str:
    """SQL of imports with `commodity` (from the HS code) and `kg` (fine, at the product's upper purity)."""
    purity = "CASE " + " ".join(f"WHEN left(hs_code, 4) = '{h}' THEN {v}" for h, v in IMPORT_PURITY.items()) + " END"
    return f"SELECT i.*, {_hs_case('hs_code')} AS commodity, net_mass_kg * {purity} AS kg FROM imports i"


def flow_sql(flow: str, purity: str) -> str:
    """SQL of the records of one `flow` of `supply_flows_sql` (its columns), so a query that needs
    only some flows (the evidence of an alert) reads only their tables."""
    month = "year(date) * 12 + month(date) - 1"
    return {
        "exported": f"""SELECT exporter_id AS actor_id, commodity, year(date) AS year, {month} AS mi, 'exported' AS flow, kg,
             estimated, value_usd, declaration_id AS ref, _source_file, _source_row
      FROM ({exports_fine_sql(purity)}) e WHERE commodity IS NOT NULL""",
        "sold": f"""SELECT seller_id, commodity, year(date), {month}, 'sold', fine_mass_kg, false, value_usd, record_id,
             _source_file, _source_row FROM trades""",
        "bought": f"""SELECT buyer_id, commodity, year(date), {month}, 'bought', fine_mass_kg, false, value_usd, record_id,
             _source_file, _source_row FROM trades""",
        "produced": f"""SELECT coalesce(p.producer_id, r.holder_id), p.commodity, CAST(left(p.period, 4) AS INT),
             {month_index_sql('p.period')}, 'produced', p.fine_mass_kg, false, p.value_usd, p.record_id,
             p._source_file, p._source_row
      FROM production p LEFT JOIN mining_rights r ON r.right_id = p.right_id""",
        "imported": f"""SELECT a.actor_id, i.commodity, CAST(left(i.period, 4) AS INT), {month_index_sql('i.period')}, 'imported',
             i.kg, false, i.value_usd, i.record_id, i._source_file, i._source_row
      FROM ({imports_fine_sql()}) i
      JOIN actors a ON a.country = i.country AND upper(trim(a.name)) = upper(trim(i.importer_name))
      WHERE i.commodity IS NOT NULL""",
    }[flow]


#: The flows of `supply_flows_sql`, in its order, and its columns (only the first flow's SQL names them).
FLOWS = ("exported", "sold", "bought", "produced", "imported")
FLOW_COLUMNS = ("actor_id", "commodity", "year", "mi", "flow", "kg", "estimated", "value_usd", "ref", "_source_file",
                "_source_row")


def supply_flows_sql(purity: str) -> str:
    """SQL of every flow of fine metal into or out of an actor's books, one row per record: exports
    (`exported`, fine mass estimated as in `exports_fine_sql`, NULL when it cannot be), trades as seller
    (`sold`) and as buyer (`bought`), production of the rights an actor holds or declares producing
    (`produced`) and imports matched to an importer by name in its country (`imported`). Columns:
    actor_id, commodity, year, mi (month index, NULL for a yearly record), flow, kg, estimated,
    value_usd, ref (the record's id), _source_file, _source_row."""
    return "\n      " + "\n      UNION ALL\n      ".join(flow_sql(f, purity) for f in FLOWS)


def supply_tally(purity: str, carry_months: int) -> Tally:
    """Per actor, commodity and year, the sums the balance detectors compare (`mass_balance_break`,
    `export_without_supply`), kept between runs (`filon.detect.tally`):

      <flow>_kg, <flow>_rows   fine metal and records of each flow (kg: the records that have one);
      exported_rows_kg, estimated_rows(_kg), exported_value_usd, sold_value_usd
                               exports with a fine mass, exports whose fine mass is estimated (with
                               one), the value of exports with a fine mass and of sales;
      carry_kg, carry_imported_kg
                               the opening stock's terms: what was acquired (+) and sold or shipped (-)
                               in the `carry_months` before the year, a yearly record counting
                               carry_months / 12 of its mass; imports apart (only
                               `export_without_supply` counts them).

    The opening stock is a year's row's own sum (each record adds to the years whose window holds
    its month), so every column adds up over records and a new batch only adds its own sums."""
    k = int(carry_months)
    carry = "CASE WHEN flow = 'imported' THEN 'carry_imported' ELSE 'carry' END"
    held = "commodity IS NOT NULL AND kg IS NOT NULL"
    terms = ["SELECT actor_id, commodity, year, flow, kg, estimated, value_usd FROM f"]
    # a monthly record, to the opening stock of each later year whose window of k months holds its month
    terms += [f"SELECT actor_id, commodity, year + {o}, {carry}, CASE WHEN flow IN ('exported', 'sold') THEN -kg "
              f"ELSE kg END, false, CAST(NULL AS DOUBLE) FROM f "
              f"WHERE {held} AND mi IS NOT NULL AND mi - year * 12 >= {12 * o - k}" for o in range(1, (k + 11) // 12 + 1)]
    # a yearly record, k/12 of it to the next year's
    terms.append(f"SELECT actor_id, commodity, year + 1, {carry}, CASE WHEN flow IN ('exported', 'sold') THEN -kg "
                 f"ELSE kg * {k} / 12.0 END, false, CAST(NULL AS DOUBLE) FROM f "
                 f"WHERE {held} AND mi IS NULL AND year IS NOT NULL")
    union = "\n      UNION ALL\n      ".join(terms)
    sql = f"""
    SELECT actor_id, commodity, year,
      sum(kg) FILTER (WHERE flow = 'exported') AS exported_kg,
      count(*) FILTER (WHERE flow = 'exported') AS exported_rows,
      count(kg) FILTER (WHERE flow = 'exported') AS exported_rows_kg,
      count(*) FILTER (WHERE flow = 'exported' AND estimated) AS estimated_rows,
      count(kg) FILTER (WHERE flow = 'exported' AND estimated) AS estimated_rows_kg,
      sum(value_usd) FILTER (WHERE flow = 'exported' AND kg IS NOT NULL) AS exported_value_usd,
      sum(kg) FILTER (WHERE flow = 'sold') AS sold_kg,
      count(*) FILTER (WHERE flow = 'sold') AS sold_rows,
      sum(value_usd) FILTER (WHERE flow = 'sold') AS sold_value_usd,
      sum(kg) FILTER (WHERE flow = 'bought') AS bought_kg,
      count(*) FILTER (WHERE flow = 'bought') AS bought_rows,
      sum(kg) FILTER (WHERE flow = 'produced') AS produced_kg,
      count(*) FILTER (WHERE flow = 'produced') AS produced_rows,
      sum(kg) FILTER (WHERE flow = 'imported') AS imported_kg,
      sum(kg) FILTER (WHERE flow = 'carry') AS carry_kg,
      sum(kg) FILTER (WHERE flow = 'carry_imported') AS carry_imported_kg
    FROM (
      {union}) terms
    WHERE actor_id IS NOT NULL GROUP BY actor_id, commodity, year"""
    return Tally(f"supply_k{k}", sql, ("actor_id", "commodity", "year"), sources=("exports", "trades", "production",
                 "imports"), lookups=("mining_rights", "actors"), shared=(("f", supply_flows_sql(purity)),))


def largest_flows(ctx: Any, purity: str, flows: tuple[str, ...], keys: set[tuple[str, str, int]],
                  limit: int) -> dict[tuple[str, str, int], list[dict[str, Any]]]:
    """The `limit` largest records (by fine mass, then id) of `flows` of each (actor, commodity, year)
    in `keys`, in one query: the evidence of a balance alert. Exports without a fine mass are left out.
    Each flow's records are read on their own (`flow_sql`), filtered to the actors before the union:
    the whole `supply_flows_sql` also joined production to the register and imports to the actors by
    name, to keep only an alert's exports and sales (at ×10 the exports now cost 0.013 s, not 0.017-0.022;
    the sales are a scan of every trade's columns, 0.03-0.05 s either way)."""
    if not keys:
        return {}
    actors = ", ".join(sql_literal(a) for a in sorted({k[0] for k in keys}))
    union = "\n          UNION ALL\n          ".join(
        f"SELECT * FROM ({flow_sql(f, purity)}) f{i}({', '.join(FLOW_COLUMNS)}) WHERE actor_id IN ({actors})"
        for i, f in enumerate(flows))
    rows = ctx.query(f"""
        SELECT actor_id, commodity, year, flow, ref, kg, estimated, file, row FROM (
          SELECT actor_id, commodity, year, flow, ref, kg, estimated, _source_file AS file, _source_row AS row,
                 row_number() OVER (PARTITION BY actor_id, commodity, year ORDER BY kg DESC, ref) AS rank
          FROM ({union}) f
          WHERE NOT (flow = 'exported' AND kg IS NULL))
        WHERE rank <= {int(limit)} ORDER BY actor_id, commodity, year, rank""")
    out: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in rows:
        key = (r["actor_id"], r["commodity"], r["year"])
        if key in keys:
            out.setdefault(key, []).append(r)
    return out


def kept_largest_flows(ctx: Any, name: str, purity: str, flows: tuple[str, ...], figures: dict[tuple, tuple],
                       limit: int) -> dict[tuple, list[dict[str, Any]]]:
    """`largest_flows` of the actor-years `figures` names, kept between runs (`filon.detect.kept`, as
    `name`) with the figures they were taken at: the tally's sums that count those flows' records,
    their mass and value. A scoped run follows only added batches (a removed one runs the balance
    detectors in full), so an actor-year whose figures are the same got no new record: its largest
    flows are the last run's, in the same order. Only the others are read (`largest_flows` scans every
    trade's columns whichever actors it is about: 0.03-0.1 s at ×10, 0.2-0.7 s at ×30). A full run
    takes nothing from before, and keeps what it finds."""
    kept = (ctx.full or ctx).kept
    if kept is None:
        return largest_flows(ctx, purity, flows, set(figures), limit)
    parts = (purity, limit, flows)
    last: dict[tuple, tuple[tuple, list[dict[str, Any]]]] = {}
    if ctx.scope_keys is not None:
        was = kept.find(name, parts, ())
        last = was[0] if was is not None and isinstance(was[0], dict) else {}
    reused = {k: last[k][1] for k, f in figures.items() if k in last and last[k][0] == f}
    missing = set(figures) - reused.keys()
    sources = {**reused, **(largest_flows(ctx, purity, flows, missing, limit) if missing else {})}
    if missing or not last:
        kept.put(name, parts, (), {**last, **{k: (figures[k], sources.get(k, [])) for k in figures}})
    return sources
