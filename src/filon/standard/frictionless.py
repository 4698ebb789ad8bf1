"""Export the standard as a Frictionless Data Package descriptor (`datapackage.json`).

The descriptor follows the Data Package v1 specification with the
``tabular-data-package`` profile: one ``tabular-data-resource`` per table, each
with a Table Schema derived from the table's YAML. It lets any Frictionless tool
(`frictionless validate datapackage.json`, Open Data Editor, CKAN...) check a
package without filon.

Mapping of column types to Table Schema:

=========================================================  ===========  ==========================
filon type                                                 field type   constraint
=========================================================  ===========  ==========================
id, string, text, tax_id, geometry                         string
enum                                                       string       ``enum`` (the values)
list                                                       string       ``pattern`` (a;b;c)
country                                                    string       ``pattern`` ``^[A-Z]{2}$``
hs_code                                                    string       ``pattern`` ``^[0-9]{6,10}$``
period                                                     string       ``pattern`` YYYY or YYYY-MM
number / integer / date / datetime                         same name
=========================================================  ===========  ==========================

plus ``required``, ``minimum`` and ``maximum`` from the YAML, ``primaryKey``,
``foreignKeys`` from ``references``, ``missingValues: [""]`` (an empty cell is
missing), the column description and, when the column has one, a custom
``unit`` property. Checks that Table Schema cannot express (tax-id check digits,
WKT geometry, ISO country list, `one_of_required`) are left to filon's own
validator.

Two kinds of descriptor:

* ``package_dir=None``: the reference descriptor of the standard: every table,
  every column, in the standard's order.
* ``package_dir`` given: a descriptor for that package. Only tables with a
  ``<table>.csv`` file are listed (tables stored only as Parquet are left out).
  Because the standard lets optional columns be absent and extra columns be
  present, while a Table Schema matches the header column by column, each
  schema follows the file's actual header: standard columns take their
  standard definition, extra columns become plain string fields marked
  ``"filon:extra": true``, absent optional columns are left out, and absent
  required columns are appended so Frictionless reports them as missing.
  Foreign keys whose column or target table is absent are left out (a package
  may omit any table), and primary-key columns absent from the file are dropped
  from the key.

Resource paths are the bare file names (``actors.csv``): the descriptor is
meant to sit in the package folder, so ``out_dir`` is normally ``package_dir``.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from filon.standard.model import Column, Standard, Table

__all__ = ["PACKAGE_NAME", "export_datapackage", "field_descriptor", "package_descriptor",
           "table_schema"]

PACKAGE_NAME = "filon-regional-standard"

_FIELD_TYPES = {"number": "number", "integer": "integer", "date": "date", "datetime": "datetime"}

_PATTERNS = {
    "country": "^[A-Z]{2}$",
    "hs_code": "^[0-9]{6,10}$",
    "period": "^[0-9]{4}(-(0[1-9]|1[0-2]))?$",
}


def _list_pattern(values: tuple[str, ...]) -> str:
    alt = "|".join(re.escape(v) for v in values)
    return f"^({alt})(;({alt}))*$"


def field_descriptor(col: Column) -> dict[str, Any]:
    """Table Schema field for one column."""
    field: dict[str, Any] = {"name": col.name, "type": _FIELD_TYPES.get(col.type, "string")}
    if col.description:
        field["description"] = col.description
    if col.unit:
        field["unit"] = col.unit
    constraints: dict[str, Any] = {}
    if col.required:
        constraints["required"] = True
    if col.type == "enum" and col.values:
        constraints["enum"] = list(col.values)
    elif col.type == "list" and col.values:
        constraints["pattern"] = _list_pattern(col.values)
    elif col.type in _PATTERNS:
        constraints["pattern"] = _PATTERNS[col.type]
    if col.minimum is not None:
        constraints["minimum"] = col.minimum
    if col.maximum is not None:
        constraints["maximum"] = col.maximum
    if constraints:
        field["constraints"] = constraints
    return field


def _extra_field(name: str) -> dict[str, Any]:
    return {"name": name, "type": "string",
            "description": "Extra column, not part of the standard (kept as is).",
            "filon:extra": True}


def table_schema(table: Table, header: list[str] | None = None,
                 available: set[str] | None = None) -> dict[str, Any]:
    """Table Schema for a table.

    `header`: the column names of the actual file, in order (None: the
    standard's columns). `available`: names of the tables present in the
    package (None: all); foreign keys to other tables are emitted only for these.
    """
    if header is None:
        fields = [field_descriptor(c) for c in table.columns]
        present = set(table.column_names)
    else:
        fields = [field_descriptor(table.by_name[h]) if h in table.by_name else _extra_field(h)
                  for h in header]
        present = set(header)
        fields += [field_descriptor(c) for c in table.required if c.name not in present]
        present |= {c.name for c in table.required}
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    pk = [k for k in table.primary_key if k in present]
    if pk:
        schema["primaryKey"] = pk
    fks = []
    for col in table.references:
        ref_table, ref_col = col.references  # type: ignore[misc]
        if col.name not in present or (available is not None and ref_table not in available):
            continue
        fks.append({"fields": [col.name],
                    "reference": {"resource": "" if ref_table == table.name else ref_table,
                                  "fields": [ref_col]}})
    if fks:
        schema["foreignKeys"] = fks
    return schema


def _resource(table: Table, header: list[str] | None, available: set[str] | None) -> dict[str, Any]:
    res: dict[str, Any] = {
        "name": table.name,
        "path": f"{table.name}.csv",
        "profile": "tabular-data-resource",
        "title": table.title,
    }
    if table.description:
        res["description"] = table.description
    res.update({"format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                "schema": table_schema(table, header, available)})
    return res


def _read_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])


def package_descriptor(std: Standard, package_dir: Path | None = None) -> dict[str, Any]:
    """The `datapackage.json` content (see the module docstring)."""
    if package_dir is None:
        resources = [_resource(t, None, None) for t in std]
    else:
        package_dir = Path(package_dir)
        present = {t.name: package_dir / f"{t.name}.csv" for t in std
                   if (package_dir / f"{t.name}.csv").is_file()}
        resources = [_resource(t, _read_header(present[t.name]), set(present))
                     for t in std if t.name in present]
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "Regional minerals data standard",
        "version": std.version,
        "resources": resources,
    }


def export_datapackage(std: Standard, out_dir: Path, package_dir: Path | None = None) -> Path:
    """Write `datapackage.json` into `out_dir` (created if needed) and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "datapackage.json"
    text = json.dumps(package_descriptor(std, package_dir), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path
