"""Write the demo package: one CSV per table in the standard's exact column order.

Column lists come from `load_standard()` (never written here), so a column
added to a YAML schema appears in the demo as an empty column without touching
the generator. Values are formatted deterministically (no locale, no
scientific notation, `\\n` line ends) so the same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
from pathlib import Path

from filon.standard import load_standard

GROUND_TRUTH_COLUMNS = ("typology", "subject_type", "subject_id", "country", "period", "expected", "note")


def fmt(value: object) -> str:
    """CSV text of a value: '' for missing, plain decimals for floats."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def write_csv(path: Path, columns: list[str] | tuple[str, ...], rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([fmt(row.get(c)) for c in columns])


def write_package(out_dir: Path, rows: dict[str, list[dict[str, object]]], truth: list[dict[str, object]]
                  ) -> dict[str, int]:
    """Write every table of the standard (even when empty) plus `ground_truth.csv`; return row counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table in load_standard():
        table_rows = rows.get(table.name, [])
        write_csv(out_dir / f"{table.name}.csv", table.column_names, table_rows)
        counts[table.name] = len(table_rows)
    write_csv(out_dir / "ground_truth.csv", GROUND_TRUTH_COLUMNS, truth)
    counts["ground_truth"] = len(truth)
    return counts
