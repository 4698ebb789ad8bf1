"""Shared fixtures for adapter tests: fixture paths, the shared real-data folder, output checks.

`conforms` checks an output table against the standard's own schema objects (header order, required
cells, enum values, ISO2 countries, ISO dates, periods, HS codes, numbers, unique keys, WKT
polygons), so an adapter cannot drift from the YAML without a test failing, independently of the
package validator.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import shapely

from filon.standard import Column, load_standard

HERE = Path(__file__).resolve()
FIXTURES = HERE.parents[2] / "fixtures" / "adapters"
SHARED = (HERE.parents[3] / ".." / "shared").resolve()


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _check_cell(col: Column, value: str) -> bool:
    kind, values = col.type, col.values
    if kind == "country":
        return bool(re.fullmatch(r"[A-Z]{2}", value))
    if kind == "date":
        return date.fromisoformat(value).isoformat() == value
    if kind == "period":
        return bool(re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", value))
    if kind == "hs_code":
        return bool(re.fullmatch(r"\d{6,10}", value))
    if kind in ("number", "integer"):
        number = float(value)
        return (col.minimum is None or number >= col.minimum) and (col.maximum is None or number <= col.maximum)
    if kind == "enum":
        return value in values
    if kind == "list":
        return all(v in values for v in value.split(";")) if values else True
    if kind == "geometry":
        geom = shapely.from_wkt(value)
        return geom.geom_type in ("Polygon", "MultiPolygon") and geom.is_valid and not geom.is_empty
    return True


def ruc_ok(ruc: str) -> bool:
    """PE-RUC check digit (weights 5432765432, 11 - sum mod 11, 10→0, 11→1)."""
    total = sum(int(d) * w for d, w in zip(ruc[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=False))
    return len(ruc) == 11 and ruc.isdigit() and int(ruc[10]) == (11 - total % 11) % 10


def conforms(out_dir: Path, table: str, extra: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Rows of `<out_dir>/<table>.csv`, after asserting they fit the standard's schema."""
    schema = load_standard()[table]
    path = out_dir / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == schema.column_names + list(extra)
    rows = read_rows(path)
    keys = [tuple(r[c] for c in schema.primary_key) for r in rows]
    assert len(keys) == len(set(keys)), f"duplicate keys in {table}"
    for number, row in enumerate(rows, start=2):
        for col in schema.columns:
            value = row[col.name]
            if col.required:
                assert value != "", f"{table} line {number}: {col.name} is empty"
            if value:
                assert _check_cell(col, value), f"{table} line {number}: {col.name}={value!r}"
        if table == "actors" and row["tax_id_scheme"] == "PE-RUC":
            assert ruc_ok(row["tax_id"]), row["tax_id"]
    return rows


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def shared_data() -> Path:
    """The project's shared real data (`shared/data` beside the repo); the test skips without it."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"shared data folder not found at {data} (it sits beside the repo in CI and dev)")
    return data


@pytest.fixture
def check() -> Callable[..., list[dict[str, str]]]:
    return conforms


@pytest.fixture
def rows_of() -> Callable[[Path], list[dict[str, str]]]:
    return read_rows
