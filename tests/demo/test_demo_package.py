"""The demo package obeys the standard: files, headers, keys, references, types, ranges, geometry."""

from __future__ import annotations

import csv
import datetime as dt
import re
import time
from pathlib import Path

import pytest
from shapely import wkt

from filon.demo import DemoSummary, generate_region
from filon.demo.taxids import is_valid_tax_id
from filon.standard import load_standard

STD = load_standard()


def read(folder: Path, table: str) -> tuple[list[str], list[dict[str, str]]]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def tables(demo_dir: Path) -> dict[str, list[dict[str, str]]]:
    return {t.name: read(demo_dir, t.name)[1] for t in STD}


def test_every_table_written_with_schema_header(demo_dir: Path) -> None:
    for table in STD:
        header, _ = read(demo_dir, table.name)
        assert header == table.column_names, table.name
    header, rows = read(demo_dir, "ground_truth")
    assert header == ["typology", "subject_type", "subject_id", "country", "period", "expected", "note"]
    assert rows


def test_every_table_has_rows(tables: dict[str, list[dict[str, str]]]) -> None:
    assert all(rows for rows in tables.values()), [n for n, r in tables.items() if not r]


def test_files_are_utf8_with_unix_newlines(demo_dir: Path) -> None:
    data = (demo_dir / "actors.csv").read_bytes()
    data.decode("utf-8")
    assert b"\r\n" not in data


def test_same_seed_gives_identical_bytes(demo: DemoSummary, tmp_path: Path) -> None:
    again = generate_region(tmp_path / "again", seed=demo.seed, scale=demo.scale)
    names = sorted(p.name for p in demo.path.iterdir())
    assert names == sorted(p.name for p in again.path.iterdir())
    for name in names:
        assert (demo.path / name).read_bytes() == (again.path / name).read_bytes(), name


def test_other_seed_gives_other_data(demo: DemoSummary, tmp_path: Path) -> None:
    other = generate_region(tmp_path / "other", seed=demo.seed + 1, scale=demo.scale)
    assert (other.path / "trades.csv").read_bytes() != (demo.path / "trades.csv").read_bytes()


def test_runs_quickly(tmp_path: Path) -> None:
    start = time.perf_counter()
    summary = generate_region(tmp_path / "timed", seed=3, scale=0.1)
    seconds = time.perf_counter() - start
    print(f"scale 0.1 generated in {seconds:.2f} s: {summary.counts}")
    assert seconds < 60  # generous: the point is that it runs; a few seconds is normal


def test_summary_counts_match_files(demo: DemoSummary, tables: dict[str, list[dict[str, str]]]) -> None:
    for name, rows in tables.items():
        assert demo.counts[name] == len(rows)


def test_primary_keys_unique(tables: dict[str, list[dict[str, str]]]) -> None:
    for table in STD:
        keys = [tuple(r[c] for c in table.primary_key) for r in tables[table.name]]
        assert len(keys) == len(set(keys)), table.name


def test_references_resolve(tables: dict[str, list[dict[str, str]]]) -> None:
    for table in STD:
        for col in table.references:
            ref_table, ref_col = col.references  # type: ignore[misc]
            known = {r[ref_col] for r in tables[ref_table]}
            missing = {r[col.name] for r in tables[table.name] if r[col.name] and r[col.name] not in known}
            assert not missing, f"{table.name}.{col.name}: {sorted(missing)[:5]}"


PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")


def check_value(col, value: str) -> str | None:  # type: ignore[no-untyped-def]
    """None when the value fits the column's type and constraints, else a reason."""
    t = col.type
    if t in ("number", "integer"):
        x = float(value)
        if t == "integer" and not x.is_integer():
            return "not an integer"
        if col.minimum is not None and x < col.minimum or col.maximum is not None and x > col.maximum:
            return "out of range"
    elif t == "date":
        dt.date.fromisoformat(value)
        if len(value) != 10:
            return "not YYYY-MM-DD"
    elif t == "datetime":
        dt.datetime.fromisoformat(value)
    elif t == "period":
        if not PERIOD.match(value):
            return "bad period"
    elif t == "country":
        if not re.fullmatch(r"[A-Z]{2}", value):
            return "bad country"
    elif t == "hs_code":
        if not re.fullmatch(r"\d{6,10}", value):
            return "bad hs code"
    elif t == "enum":
        if value not in col.values:
            return "not in enum"
    elif t == "list":
        if any(v not in col.values for v in value.split(";")):
            return "list value not allowed"
    elif t == "geometry":
        geom = wkt.loads(value)
        if geom.geom_type not in col.geometry_types or not geom.is_valid:
            return "invalid geometry"
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            return "not lon/lat"
    return None


def test_values_fit_types_and_ranges(tables: dict[str, list[dict[str, str]]]) -> None:
    for table in STD:
        for col in table.columns:
            errors = set()
            for row in tables[table.name]:
                value = row[col.name]
                if value == "":
                    if col.required:
                        errors.add("required value missing")
                    continue
                reason = check_value(col, value)
                if reason:
                    errors.add(f"{reason}: {value[:40]}")
            assert not errors, f"{table.name}.{col.name}: {sorted(errors)[:3]}"


def test_one_of_required(tables: dict[str, list[dict[str, str]]]) -> None:
    for table in STD:
        for group in table.one_of_required:
            assert all(any(r[c] for c in group) for r in tables[table.name]), table.name


def test_tax_ids_have_valid_check_digits(tables: dict[str, list[dict[str, str]]]) -> None:
    rows = [r for r in tables["actors"] if r["tax_id"]]
    assert len(rows) > 0.9 * len([r for r in tables["actors"] if r["country"] in ("PE", "CO", "BO", "EC")])
    bad = [r["tax_id"] for r in rows if not is_valid_tax_id(r["tax_id"], r["tax_id_scheme"])]
    assert not bad, bad[:5]
    assert len({r["tax_id"] for r in rows}) == len(rows)


def test_rights_area_matches_polygon(tables: dict[str, list[dict[str, str]]]) -> None:
    import math
    for row in tables["mining_rights"]:
        geom = wkt.loads(row["geometry"])
        lat = geom.centroid.y
        approx_ha = geom.area * 111_195 ** 2 * math.cos(math.radians(lat)) / 10_000
        assert abs(float(row["area_ha"]) - approx_ha) <= 0.01 * approx_ha + 0.05, row["right_id"]
        assert 0.5 <= float(row["area_ha"]) <= 1000


def test_rights_do_not_overlap(tables: dict[str, list[dict[str, str]]]) -> None:
    from shapely.strtree import STRtree
    geoms = [wkt.loads(r["geometry"]) for r in tables["mining_rights"]]
    tree = STRtree(geoms)
    for i, g in enumerate(geoms):
        for j in tree.query(g):
            if j != i:
                assert g.intersection(geoms[j]).area < 1e-9


def test_gold_values_follow_the_price(tables: dict[str, list[dict[str, str]]]) -> None:
    """Production and trade values sit at 85-100 % of fine mass x monthly price."""
    price = {r["date"][:7]: float(r["price_usd"]) * 32.1507466 for r in tables["prices"] if r["commodity"] == "Au"}
    for table, date_col in (("production", "period"), ("trades", "date")):
        for r in tables[table]:
            if r["commodity"] == "Au":
                ratio = float(r["value_usd"]) / (float(r["fine_mass_kg"]) * price[r[date_col][:7]])
                assert 0.85 <= ratio <= 1.0, (table, r)


def test_prices_monthly_gold(tables: dict[str, list[dict[str, str]]]) -> None:
    au = [r for r in tables["prices"] if r["commodity"] == "Au"]
    assert len(au) == 36 and all(r["date"].endswith("-01") and r["unit"] == "troy_oz" for r in au)
    assert all(1600 <= float(r["price_usd"]) <= 2800 for r in au)


def test_roles_and_kinds(tables: dict[str, list[dict[str, str]]]) -> None:
    actors = tables["actors"]
    kinds = {r["kind"] for r in actors}
    assert {"company", "person", "cooperative", "public_body"} <= kinds
    roles = {x for r in actors for x in r["roles"].split(";") if x}
    assert {"miner", "trader", "processor", "exporter", "refiner", "transporter"} <= roles
    persons = [r["name"] for r in actors if r["kind"] == "person"]
    assert all(len(n.split()) >= 3 and n == n.upper() for n in persons)
