"""The docs stay in step with the YAML table schemas.

(a) docs/standard/reference.md is exactly what `render_reference` produces.
(b) the tables section of docs/standard/data-standard.md (the normative text)
    lists the same tables, columns, column order, required flags and enum values
    as the YAML.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from filon.standard import load_standard
from filon.standard.docs import REGENERATE, render_reference

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "standard"
SPEC = DOCS / "data-standard.md"
SHARED_SPEC = ROOT.parent / "shared" / "spec" / "data-standard.md"


# --- (a) generated reference -----------------------------------------------------

def test_reference_is_up_to_date() -> None:
    committed = (DOCS / "reference.md").read_text(encoding="utf-8")
    assert committed == render_reference(load_standard()), (
        "docs/standard/reference.md is out of date with the YAML table schemas; "
        f"regenerate it from the repository root with: {REGENERATE}")


def test_reference_mentions_every_column() -> None:
    text = render_reference(load_standard())
    for table in load_standard():
        assert f"## {table.name}\n" in text
        for col in table.columns:
            assert f"| `{col.name}` | {col.type} |" in text


@pytest.mark.skipif(not SHARED_SPEC.is_file(), reason="shared spec not beside the repository")
def test_spec_copy_is_verbatim() -> None:
    assert SPEC.read_bytes() == SHARED_SPEC.read_bytes(), (
        "docs/standard/data-standard.md differs from shared/spec/data-standard.md; copy it again "
        "(and update the YAML if the tables changed)")


# --- (b) the spec's tables section against the YAML ----------------------------------

_TOKEN = re.compile(r"\(([^()]*)\)|`([^`]+)`")
_VALUE = re.compile(r"^[A-Za-z0-9_-]+$")


def _section(text: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, f"no '## {title}' section in {SPEC}"
    return m.group(1)


def _values(paren: str) -> tuple[tuple[str, ...], bool] | None:
    """Values listed in a parenthesis, and whether it is a semicolon list; None if prose."""
    is_list = paren.startswith("semicolon list:")
    body = paren.removeprefix("semicolon list:").split(";")[0]
    items = [v.strip() for v in body.split(",")]
    if len(items) >= 2 and all(_VALUE.match(v) for v in items):
        return tuple(items), is_list
    return None


def parse_spec_tables() -> dict[str, dict]:
    """{table: {"columns": [(name, required, values|None, is_list)], "one_of": [...]}}"""
    tables: dict[str, dict] = {}
    for line in _section(SPEC.read_text(encoding="utf-8"), "Tables").splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 3, line
        name = cells[0].strip("`")
        columns: list[list] = []
        for m in _TOKEN.finditer(cells[2]):
            paren, col = m.groups()
            if col is not None:
                columns.append([col.rstrip("*"), col.endswith("*"), None, False])
            elif columns:
                parsed = _values(paren)
                if parsed:
                    columns[-1][2], columns[-1][3] = parsed
        one_of = [tuple(g) for g in re.findall(r"`(\w+)` or `(\w+)`", cells[2])]
        tables[name] = {"columns": [tuple(c) for c in columns], "one_of": one_of}
    return tables


def parse_conventions() -> dict[str, tuple[str, ...]]:
    """Values the Conventions section gives for `commodity` and `product`."""
    text = _section(SPEC.read_text(encoding="utf-8"), "Conventions")
    m = re.search(r"`commodity`:(.*?)`product`:(.*?)(?:\n- |\Z)", text, re.S)
    assert m, "commodity/product conventions not found"
    return {"commodity": tuple(re.findall(r"`([^`]+)`", m.group(1))),
            "product": tuple(re.findall(r"`([^`]+)`", m.group(2)))}


SPEC_TABLES = parse_spec_tables()


def test_parser_sanity() -> None:
    assert len(SPEC_TABLES) == 16
    actors = {c[0]: c for c in SPEC_TABLES["actors"]["columns"]}
    assert actors["actor_id"][1] is True and actors["tax_id"][1] is False
    assert actors["roles"][2][0] == "miner" and actors["roles"][3] is True
    assert actors["kind"][2] == ("company", "person", "cooperative", "public_body")
    inputs = {c[0]: c for c in SPEC_TABLES["inputs"]["columns"]}
    assert inputs["unit"][2] == ("kg", "g", "t", "L", "m3", "gal", "unit")
    movements = [c[0] for c in SPEC_TABLES["movements"]["columns"]]
    assert "routes" not in movements  # backticks inside a parenthesis are prose
    exports = {c[0]: c for c in SPEC_TABLES["exports"]["columns"]}
    assert exports["value_usd"][2] is None  # "(FOB)" is a note, not a value list
    assert parse_conventions()["commodity"] == ("Au", "Ag", "Cu", "Zn", "Sn", "Pb", "Hg")


def test_same_tables_in_same_order() -> None:
    """The spec's tables, in order; tables the spec does not list must be declared extensions."""
    spec_tables = [t.name for t in load_standard() if t.name in SPEC_TABLES]
    assert list(SPEC_TABLES) == spec_tables
    for table in load_standard():
        if table.name not in SPEC_TABLES:
            assert table.description.startswith("Extension added in standard "), table.name


@pytest.mark.parametrize("table", list(SPEC_TABLES))
def test_columns_order_and_required_match(table: str) -> None:
    yaml_table = load_standard()[table]
    spec_cols = [(c[0], c[1]) for c in SPEC_TABLES[table]["columns"]]
    yaml_cols = [(c.name, c.required) for c in yaml_table.columns]
    assert yaml_cols == spec_cols


@pytest.mark.parametrize("table", list(SPEC_TABLES))
def test_enum_values_match(table: str) -> None:
    """Values listed in the spec must be exactly the YAML's; the YAML may add a
    value list only where the spec lists none (e.g. facilities.kind)."""
    yaml_table = load_standard()[table]
    for name, _req, values, is_list in SPEC_TABLES[table]["columns"]:
        col = yaml_table.column(name)
        if values is None:
            continue
        assert col.type == ("list" if is_list else "enum"), f"{table}.{name} should be {'list' if is_list else 'enum'}"
        assert col.values == values, f"{table}.{name}"


def test_commodity_and_product_follow_conventions() -> None:
    conv = parse_conventions()
    checked = 0
    for table in load_standard():
        for col in table.columns:
            key = {"commodity": "commodity", "commodities": "commodity", "product": "product"}.get(col.name)
            if key and col.values:
                assert col.values == conv[key], f"{table.name}.{col.name}"
                checked += 1
    assert checked >= 8


def test_one_of_groups_match() -> None:
    for name, spec in SPEC_TABLES.items():
        assert set(load_standard()[name].one_of_required) == set(spec["one_of"]), name


def test_actor_references_point_to_actors() -> None:
    """Conventions: an actor reference (holder_id, exporter_id, seller_id...) points to actors.actor_id."""
    actor_refs = {"holder_id", "exporter_id", "seller_id", "buyer_id", "producer_id",
                  "operator_id", "subject_id", "owner_id"}
    for table in load_standard():
        for col in table.columns:
            if col.name in actor_refs or (col.name == "actor_id" and table.name != "actors"):
                assert col.references == ("actors", "actor_id"), f"{table.name}.{col.name}"


_KNOWN_KEYS = {"name", "type", "required", "description", "values", "unit", "minimum", "maximum",
               "references", "geometry_types", "scheme_column"}


def test_yaml_columns_have_only_known_keys() -> None:
    folder = resources.files("filon.standard") / "tables"
    stray = []
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            for col in yaml.safe_load(entry.read_text(encoding="utf-8"))["columns"]:
                if set(col) - _KNOWN_KEYS:
                    stray.append(f"{entry.name}:{col['name']}: {sorted(set(col) - _KNOWN_KEYS)}")
    assert not stray, "\n".join(stray)
