"""Typed view of the standard's table schemas.

The YAML files in `tables/` are the single source of truth: validation, ingestion,
the Frictionless export and the docs all read these objects, so a column is
described in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from filon import yamlio

STANDARD_VERSION = "0.1"

#: Column types understood by the validator; see `filon.standard.types`.
COLUMN_TYPES = frozenset({
    "id", "string", "text", "number", "integer", "date", "datetime", "period",
    "country", "hs_code", "enum", "list", "tax_id", "geometry",
})


@dataclass(frozen=True)
class Column:
    """One column of a table: its type, whether it is required, and its constraints."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    values: tuple[str, ...] = ()
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    references: tuple[str, str] | None = None  # (table, column)
    geometry_types: tuple[str, ...] = ()
    scheme_column: str | None = None

    @property
    def storage_type(self) -> str:
        """DuckDB type the column is stored as in the warehouse."""
        return {"number": "DOUBLE", "integer": "BIGINT", "date": "DATE",
                "datetime": "TIMESTAMP"}.get(self.type, "VARCHAR")


@dataclass(frozen=True)
class Table:
    """One table of the standard."""

    name: str
    title: str
    description: str
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    one_of_required: tuple[tuple[str, ...], ...] = ()
    by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({c.name: c for c in self.columns})

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    @property
    def references(self) -> list[Column]:
        return [c for c in self.columns if c.references]

    def column(self, name: str) -> Column:
        return self.by_name[name]


@dataclass(frozen=True)
class Standard:
    """All tables of one version of the standard."""

    version: str
    tables: dict[str, Table]

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.tables.values())

    @property
    def names(self) -> list[str]:
        return list(self.tables)


_COLUMN_KEYS = {"name", "type", "description", "required", "values", "unit", "minimum", "maximum",
                "references", "geometry_types", "scheme_column"}


def _column(raw: dict[str, Any], table: str) -> Column:
    unknown = set(raw) - _COLUMN_KEYS
    if unknown:
        raise ValueError(f"tables/{table}.yaml: column {raw.get('name')} has unknown keys {sorted(unknown)} "
                         "(quote descriptions that contain commas)")
    ctype = raw["type"]
    if ctype not in COLUMN_TYPES:
        raise ValueError(f"tables/{table}.yaml: column {raw['name']} has unknown type {ctype!r}")
    ref = raw.get("references")
    return Column(
        name=raw["name"], type=ctype, description=raw.get("description", ""),
        required=bool(raw.get("required", False)), values=tuple(raw.get("values", ())),
        unit=raw.get("unit"), minimum=raw.get("minimum"), maximum=raw.get("maximum"),
        references=tuple(ref.split(".", 1)) if ref else None,  # type: ignore[arg-type]
        geometry_types=tuple(raw.get("geometry_types", ())), scheme_column=raw.get("scheme_column"),
    )


def _table(raw: dict[str, Any]) -> Table:
    pk = raw.get("primary_key", ())
    return Table(
        name=raw["name"], title=raw.get("title", raw["name"]), description=raw.get("description", ""),
        primary_key=(pk,) if isinstance(pk, str) else tuple(pk),
        columns=tuple(_column(c, raw["name"]) for c in raw["columns"]),
        one_of_required=tuple(tuple(g) for g in raw.get("one_of_required", ())),
    )


#: Order in which tables are listed and loaded: referenced tables come first.
TABLE_ORDER = ("actors", "facilities", "mining_rights", "production", "trades", "exports",
               "imports", "ownership", "inputs", "routes", "movements", "assays", "operations",
               "detections", "areas", "prices", "sanctions")


@lru_cache(maxsize=1)
def load_standard() -> Standard:
    """Load every table schema once; later calls return the same object."""
    folder = resources.files("filon.standard") / "tables"
    raw = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            data = yamlio.safe_load(entry.read_text(encoding="utf-8"))
            raw[data["name"]] = _table(data)
    order = [n for n in TABLE_ORDER if n in raw] + sorted(set(raw) - set(TABLE_ORDER))
    std = Standard(version=STANDARD_VERSION, tables={n: raw[n] for n in order})
    for table in std:
        for col in table.references:
            ref_table, ref_col = col.references  # type: ignore[misc]
            if ref_table not in std or ref_col not in std[ref_table].by_name:
                raise ValueError(f"tables/{table.name}.yaml: {col.name} references unknown {ref_table}.{ref_col}")
    return std
