"""The checks run on a staged table: cells, tax ids, geometry, keys and references.

Cell checks run as one aggregate scan (a count per check); only checks that fail are
queried again for their first example rows, so a valid national file costs one pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from filon.engine.duckdb import quote_ident
from filon.standard.model import Standard
from filon.validate.checks import CellCheck, checks_for, condition_sql
from filon.validate.problems import MAX_EXAMPLES, Problem, ValidationReport
from filon.validate.reader import StagedFile
from filon.validate.udfs import SCHEME_BY_COUNTRY

if TYPE_CHECKING:
    import numpy as np


def _present(item: StagedFile) -> list[str]:
    return [c for c in item.columns if c in item.table.by_name]


def check_cells(con: duckdb.DuckDBPyConnection, item: StagedFile, report: ValidationReport) -> None:
    """Run every SQL cell check of every standard column in one scan, then fetch examples.

    The same scan also answers whether the primary key has any duplicate (see `check_keys`).
    """
    present = _present(item)
    planned: list[tuple[str, CellCheck, str]] = []
    for name in present:
        for check in checks_for(item.table.column(name), typed=name in item.typed):
            planned.append((name, check, condition_sql(check, quote_ident(name))))
    for group in item.table.one_of_required:
        cols = [c for c in group if c in item.columns]
        cond = " AND ".join(f"{quote_ident(c)} IS NULL" for c in cols) or "TRUE"
        check = CellCheck("missing_one_of", cond, f"needs one of {' or '.join(group)}, all are empty",
                          f"fill in {' or '.join(group)}")
        planned.append((group[0], check, f"({cond})"))
    if not planned or item.rows == 0:
        return
    cells = ("(SELECT __rowid, " + ", ".join(f"{item.cell(n)} AS {quote_ident(n)}" for n in present)
             + f" FROM {item.stage})")
    key = _key_sql(item, prefix="")
    probe = [f"count({key}) > count(DISTINCT {key})"] if key else []
    counts = con.execute("SELECT " + ", ".join([f"count(*) FILTER (WHERE {sql})" for _, _, sql in planned] + probe)
                         + f" FROM {cells}").fetchone() or ()
    if key:
        item.duplicate_keys = bool(counts[-1])
    for (name, check, sql), count in zip(planned, counts):
        if not count:
            continue
        rows = con.execute(f"SELECT s.__rowid + {item.row_offset}, CAST(s.{quote_ident(name)} AS VARCHAR) FROM {item.stage} s "
                           f"JOIN (SELECT __rowid FROM {cells} WHERE {sql} ORDER BY __rowid LIMIT {MAX_EXAMPLES}) f "
                           f"USING (__rowid) ORDER BY s.__rowid").fetchall()
        _add_examples(report, item, name, check.severity, check.code, check.message, check.fix, rows, count)


def _add_examples(report: ValidationReport, item: StagedFile, column: str, severity: str, code: str,
                  message: str, fix: str, rows: list[tuple], count: int) -> None:
    for i, (row, value, *why) in enumerate(rows):
        rest = count - len(rows) + 1 if i == len(rows) - 1 else 1
        report.add(Problem(severity, code, why[0] if why and why[0] else message, fix,  # type: ignore[arg-type]
                           file=str(item.path), table=item.table.name, row=int(row), column=column,
                           value=value, count=rest))


def check_tax_ids(con: duckdb.DuckDBPyConnection, item: StagedFile, report: ValidationReport) -> None:
    """Verify check digits of tax ids (scheme from its column, else from the actor's country)."""
    for name in _present(item):
        col = item.table.column(name)
        if col.type != "tax_id":
            continue
        scheme = "NULL"
        if col.scheme_column and col.scheme_column in item.columns:
            scheme = item.cell(col.scheme_column)
        if "country" in item.columns:
            by_country = "CASE " + " ".join(f"WHEN trim(country) = '{c}' THEN '{s}'" for c, s in SCHEME_BY_COUNTRY.items()) + " END"
            scheme = f"coalesce({scheme}, {by_country})"
        value = item.cell(name)
        why = f"filon_tax_id_problem({scheme}, {value})"
        sql = f"SELECT {item.row_sql()} AS r, {value} AS v, {why} AS why FROM {item.stage}"
        count = con.execute(f"SELECT count(*) FROM ({sql}) WHERE why IS NOT NULL").fetchone()[0]  # type: ignore[index]
        if count:
            rows = con.execute(f"SELECT r, v, why FROM ({sql}) WHERE why IS NOT NULL ORDER BY r LIMIT {MAX_EXAMPLES}").fetchall()
            _add_examples(report, item, name, "error", "bad_tax_id", "is not a valid tax id",
                          "copy the tax id again from the registry; a wrong digit breaks the check digit", rows, count)


def check_geometry(con: duckdb.DuckDBPyConnection, item: StagedFile, report: ValidationReport,
                   batch: int = 50_000) -> None:
    """Parse WKT with Shapely in batches: syntax, validity, geometry type and lon/lat range."""
    import numpy as np  # imported here: most tables have no geometry, and the CLI starts faster
    for name in _present(item):
        col = item.table.column(name)
        if col.type != "geometry":
            continue
        found: dict[str, list[tuple[int, str, str]]] = {}
        counts: dict[str, int] = {}
        cursor = con.execute(f"SELECT {item.row_sql()}, {item.cell(name)} FROM {item.stage} "
                             f"WHERE {item.cell(name)} IS NOT NULL ORDER BY __rowid")
        while chunk := cursor.fetchmany(batch):
            rows = np.array([r[0] for r in chunk])
            texts = np.array([r[1] for r in chunk], dtype=object)
            for code, idx, reasons in _geometry_problems(texts, col.geometry_types):
                counts[code] = counts.get(code, 0) + len(idx)
                keep = found.setdefault(code, [])
                for i, why in zip(idx[: MAX_EXAMPLES - len(keep)], reasons):
                    keep.append((int(rows[i]), str(texts[i]), why))
        for code, examples in found.items():
            message, fix = GEOMETRY_MESSAGES[code]
            rows_ = [(r, v, why) for r, v, why in examples]
            _add_examples(report, item, name, "error", code, message, fix, rows_, counts[code])


GEOMETRY_MESSAGES = {
    "bad_wkt": ("is not readable WKT", "write the geometry as WKT in EPSG:4326, e.g. POLYGON((-70.1 -12.5, ...))"),
    "wrong_geometry_type": ("has the wrong geometry type", "use a POLYGON or MULTIPOLYGON boundary"),
    "invalid_geometry": ("is not a valid polygon", "repair it (e.g. QGIS 'Fix geometries' or shapely make_valid)"),
    "outside_lonlat": ("has coordinates outside longitude/latitude range",
                       "reproject to EPSG:4326 and write longitude first, then latitude"),
}


def _geometry_problems(texts: "np.ndarray", allowed: tuple[str, ...]) -> list[tuple[str, "np.ndarray", list[str]]]:
    import numpy as np
    import shapely

    geoms = shapely.from_wkt(texts, on_invalid="ignore")
    out = []
    unreadable = np.flatnonzero(shapely.is_missing(geoms))
    if len(unreadable):
        out.append(("bad_wkt", unreadable, ["is not readable WKT"] * len(unreadable)))
    ok = ~shapely.is_missing(geoms)
    if allowed:
        types = np.array(shapely.get_type_id(geoms))
        allowed_ids = [{"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5,
                        "MultiPolygon": 6}[t] for t in allowed]
        wrong = np.flatnonzero(ok & ~np.isin(types, allowed_ids))
        if len(wrong):
            out.append(("wrong_geometry_type", wrong,
                        [f"is a {geoms[i].geom_type}, expected {' or '.join(allowed)}" for i in wrong[:MAX_EXAMPLES]]))
        ok &= np.isin(types, allowed_ids)
    invalid = np.flatnonzero(ok & ~shapely.is_valid(geoms))
    if len(invalid):
        out.append(("invalid_geometry", invalid,
                    [f"is not a valid polygon: {shapely.is_valid_reason(geoms[i])}" for i in invalid[:MAX_EXAMPLES]]))
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        outside = np.flatnonzero(ok & ((bounds[:, 0] < -180) | (bounds[:, 2] > 180) | (bounds[:, 1] < -90) | (bounds[:, 3] > 90)))
    if len(outside):
        out.append(("outside_lonlat", outside, ["has coordinates outside longitude/latitude range"] * len(outside)))
    return out


def _key_sql(item: StagedFile, prefix: str | None = None) -> str | None:
    """SQL of the primary key as one value (NULL when a part is empty); None if a part is absent.

    `prefix=""` reads the cells projected by `check_cells`; None reads the staged view."""
    keys = list(item.table.primary_key)
    if not keys or not all(k in item.columns for k in keys):
        return None
    cells = [quote_ident(k) if prefix == "" else item.cell(k) for k in keys]
    if len(cells) == 1:
        return cells[0]
    return f"CASE WHEN {' AND '.join(f'{c} IS NOT NULL' for c in cells)} THEN concat_ws(' / ', {', '.join(cells)}) END"


def check_keys(con: duckdb.DuckDBPyConnection, item: StagedFile, report: ValidationReport) -> None:
    """Report primary-key values that appear on more than one row."""
    keys = list(item.table.primary_key)
    key = _key_sql(item)
    if key is None or item.duplicate_keys is False:  # the cell scan found no duplicate
        return
    not_null = f"{key} IS NOT NULL"
    if item.duplicate_keys is None and not con.execute(
            f"SELECT count({key}) > count(DISTINCT {key}) FROM {item.stage}").fetchone()[0]:  # type: ignore[index]
        return
    sql = (f"SELECT {key} AS k, count(*) AS n, list({item.row_sql()} ORDER BY __rowid) AS rows "
           f"FROM {item.stage} WHERE {not_null} GROUP BY ALL HAVING count(*) > 1")
    total = con.execute(f"SELECT count(*), coalesce(sum(n), 0) FROM ({sql})").fetchone()
    if not total or not total[0]:
        return
    dups = con.execute(f"SELECT k, n, rows FROM ({sql}) ORDER BY rows[1] LIMIT {MAX_EXAMPLES}").fetchall()
    label = " / ".join(keys)
    for i, (key, n, rows) in enumerate(dups):
        shown = ", ".join(str(r) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
        report.add(Problem("error", "duplicate_id", f"{label} {key!r} appears on {n} rows ({shown})",
                           f"{label} must be unique in the table: remove the repeated rows or give them their own ids",
                           file=str(item.path), table=item.table.name, row=int(rows[1]), column=keys[0], value=key,
                           count=(total[0] - len(dups) + 1) if i == len(dups) - 1 else 1))


def check_references(con: duckdb.DuckDBPyConnection, std: Standard, files: dict[str, StagedFile],
                     report: ValidationReport, known_ids: dict[tuple[str, str], str]) -> None:
    """Report ids that point to rows absent from the package (and from `known_ids`)."""
    unchecked: set[str] = set()
    for item in files.values():
        if item.structural_errors:
            continue
        for name in _present(item):
            col = item.table.column(name)
            if not col.references:
                continue
            ref_table, ref_col = col.references
            sources = []
            target = files.get(ref_table)
            if target is not None and ref_col in target.columns:
                sources.append(f"SELECT {target.cell(ref_col)} AS id FROM {target.stage}")
            if (ref_table, ref_col) in known_ids:
                sources.append(known_ids[(ref_table, ref_col)])
            if not sources:
                unchecked.add(ref_table)
                continue
            value = item.cell(name)
            known = f"SELECT id FROM ({' UNION ALL '.join(sources)}) WHERE id IS NOT NULL"
            # Distinct values first: millions of rows usually name a few thousand actors or rights.
            missing = (f"SELECT v FROM (SELECT DISTINCT {value} AS v FROM {item.stage}) "
                       f"WHERE v IS NOT NULL AND v NOT IN ({known})")
            if not con.execute(f"SELECT count(*) FROM ({missing})").fetchone()[0]:  # type: ignore[index]
                continue
            sql = (f"SELECT {item.row_sql()} AS r, {value} AS v FROM {item.stage} "
                   f"WHERE {value} IN (SELECT v FROM ({missing}))")
            count = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]  # type: ignore[index]
            rows = con.execute(f"{sql} ORDER BY r LIMIT {MAX_EXAMPLES}").fetchall()
            _add_examples(report, item, name, "error", "dangling_reference",
                          f"points to no row of {ref_table}.{ref_col}",
                          f"add the missing row to {ref_table} (or ingest {ref_table} first), or correct the id",
                          rows, count)
    for ref_table in sorted(unchecked):
        report.add(Problem("warning", "references_not_checked",
                           f"references to {ref_table} were not checked: the package has no {ref_table} table",
                           f"include {ref_table} in the package, or ingest it into the workspace first",
                           file=report.package, table=ref_table))
