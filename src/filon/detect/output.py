"""Writing alerts as CSV, Parquet and JSON, safe to open in a spreadsheet.

Values come from agencies' files and may start with `=`, `+`, `-` or `@`; a spreadsheet
would run them as formulas. Every text cell that could be read as a formula is prefixed
with an apostrophe (OWASP's CSV-injection advice); numbers are left as numbers.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from filon.detect.alerts import ALERT_COLUMNS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """Neutralise a text cell a spreadsheet would evaluate as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def row_cells(row: dict[str, Any], columns: tuple[str, ...]) -> list[Any]:
    """A row's cells in `columns` order, escaped."""
    return list(map(escape_cell, map(row.get, columns)))


def write_csv(path: Path, rows: Iterable[dict[str, Any]], columns: tuple[str, ...] = ALERT_COLUMNS) -> None:
    write_cells(path, columns, (row_cells(row, columns) for row in rows))


def write_cells(path: Path, columns: tuple[str, ...], cells: Iterable[Sequence[Any]]) -> None:
    """A CSV of rows given as cells the caller escaped (`row_cells`, or `escape_cell` on each text
    cell), for callers writing many rows they know the shape of."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(cells)


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    schema = pa.schema([(c, pa.float64() if c in ("score", "value_at_risk_usd") else pa.string()) for c in ALERT_COLUMNS])
    table = pa.Table.from_pylist([{c: r.get(c) for c in ALERT_COLUMNS} for r in rows], schema=schema)
    pq.write_table(table, path, compression="zstd")


def write_json(path: Path, rows: list[dict[str, Any]]) -> None:
    data = [{**r, "evidence": json.loads(r["evidence"])} for r in rows]
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
