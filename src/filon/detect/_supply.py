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
    has_role = " OR ".join(f"list_contains(string_split(a.roles, ';'), '{r}')" for r in roles) or "FALSE"
    kind = ", ".join(f"'{k}'" for k in kinds) or "NULL"
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
        f"SELECT {_literal(r['country'])} AS country, {_literal(r['cmdty'])} AS cmdty, "
        f"{_literal(r['product'])} AS product, CAST({float(r['purity'])!r} AS DOUBLE) AS purity" for r in rows) + ")"


def _literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


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
