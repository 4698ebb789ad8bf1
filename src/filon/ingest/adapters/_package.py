"""Write adapter output as a standard data package: one `<table>.csv` per table.

The header always comes from `load_standard()` (never a column list typed here), so a column added
to a table's YAML appears in every adapter's output without touching the adapters. UTF-8, comma,
`.` decimals, empty cell for missing: exactly what the package reader expects.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from filon.standard import load_standard

#: One output row: column name -> value (None, str, Decimal, float or int), formatted on write.
Row = dict[str, Any]


def format_value(value: Any) -> str:
    """A cell as text: '' for None, plain notation for numbers (never `1e-07` or `1E+3`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text
    if isinstance(value, float):
        text = format(value, ".10f").rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(value)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows under the given header; a key outside it is a bug in the adapter, so it raises."""
    path.parent.mkdir(parents=True, exist_ok=True)
    known = set(columns)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            unknown = set(row) - known
            if unknown:
                raise ValueError(f"{path.name}: columns not in the header: {sorted(unknown)}")
            writer.writerow([format_value(row.get(c)) for c in columns])
            count += 1
    return count


def write_table(out_dir: Path, table: str, rows: Iterable[Mapping[str, Any]],
                extra_columns: Sequence[str] = ()) -> Path:
    """Write `<out_dir>/<table>.csv` with the table's full standard header (plus any extra columns).

    Extra columns are allowed by the standard ("keep them, never fail on them"); they come after
    the standard ones so the standard part of the header is always in schema order.
    """
    columns = load_standard()[table].column_names + [c for c in extra_columns]
    path = Path(out_dir) / f"{table}.csv"
    write_csv(path, columns, rows)
    return path
