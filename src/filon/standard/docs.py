"""Markdown reference of the table schemas, generated from the YAML files.

`docs/standard/reference.md` is the output of `render_reference(load_standard())`;
a test fails when it drifts from the YAML. Regenerate it from the repository
root with::

    python -m filon.standard.docs docs/standard/reference.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from filon.standard.model import Column, Standard, Table, load_standard

__all__ = ["REGENERATE", "render_reference", "main"]

REGENERATE = "python -m filon.standard.docs docs/standard/reference.md"

_TYPE_NOTES = {
    "id": "identifier, unique within the package where it is the primary key",
    "string": "short text (a code or a label)",
    "text": "free text",
    "number": "decimal number, `.` as decimal point",
    "integer": "whole number",
    "date": "ISO 8601 date, `2024-03-31`",
    "datetime": "ISO 8601 date and time, `2024-03-31T14:05:00-05:00`",
    "period": "`YYYY-MM` (a month) or `YYYY` (a year)",
    "country": "ISO 3166-1 alpha-2 code, upper case (`PE`, `CO`, `BO`, `EC`...)",
    "hs_code": "tariff code, 6 to 10 digits, no dots",
    "enum": "one of the allowed values",
    "list": "allowed values separated by `;` (`trader;exporter`)",
    "tax_id": "tax identifier, checked according to its scheme column",
    "geometry": "WKT in EPSG:4326, longitude first (GeoParquet in Parquet files)",
}


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _num(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else repr(v)


def _allowed(col: Column) -> str:
    parts = []
    if col.values:
        values = ", ".join(f"`{v}`" for v in col.values)
        parts.append(f"`;`-separated list of {values}" if col.type == "list" else values)
    if col.minimum is not None or col.maximum is not None:
        lo = _num(col.minimum) if col.minimum is not None else "−∞"
        hi = _num(col.maximum) if col.maximum is not None else "∞"
        parts.append(f"{lo} to {hi}")
    if col.geometry_types:
        parts.append(", ".join(col.geometry_types))
    if col.scheme_column:
        parts.append(f"checked per `{col.scheme_column}`")
    return "; ".join(parts)


def _table_section(table: Table) -> list[str]:
    out = [f"## {table.name}", "", f"**{table.title}.** {table.description.strip()}", ""]
    keys = ", ".join(f"`{k}`" for k in table.primary_key)
    out.append(f"Primary key: {keys}.")
    for group in table.one_of_required:
        names = " or ".join(f"`{c}`" for c in group)
        out.append(f"At least one of {names} is required.")
    out += ["", "| column | type | required | unit | allowed values | references | description |",
            "|---|---|---|---|---|---|---|"]
    for c in table.columns:
        ref = f"`{c.references[0]}.{c.references[1]}`" if c.references else ""
        out.append("| " + " | ".join([
            f"`{c.name}`", c.type, "yes" if c.required else "", _cell(c.unit or ""),
            _cell(_allowed(c)), ref, _cell(c.description),
        ]) + " |")
    out.append("")
    return out


def render_reference(std: Standard) -> str:
    """The Markdown reference: one section per table, then the column types."""
    out = [
        f"# Table reference (standard version {std.version})",
        "",
        "<!-- Generated from src/filon/standard/tables/*.yaml by filon.standard.docs; "
        f"do not edit by hand. Regenerate with: {REGENERATE} -->",
        "",
        "This reference is generated from the table schemas that filon validates "
        "against. The normative text is [the data standard](data-standard.md). A "
        "package is a folder with one `<table>.csv` or `<table>.parquet` per table; any "
        "table may be absent, optional columns may be absent or empty, and extra columns "
        "are kept.",
        "",
        "| table | one row is | required columns |",
        "|---|---|---|",
    ]
    for t in std:
        req = ", ".join(f"`{c.name}`" for c in t.required)
        out.append(f"| [`{t.name}`](#{t.name}) | {_cell(t.description)} | {req} |")
    out.append("")
    for t in std:
        out += _table_section(t)
    out += ["## Column types", "", "| type | meaning |", "|---|---|"]
    used = {c.type for t in std for c in t.columns}
    for name, note in _TYPE_NOTES.items():
        if name in used:
            out.append(f"| {name} | {note} |")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write the reference to the path given (default `docs/standard/reference.md`)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "docs/standard/reference.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_reference(load_standard()), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
