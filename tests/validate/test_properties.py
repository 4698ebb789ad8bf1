"""Property tests: any valid trades file validates; any single corrupted cell is found where it is."""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filon.standard import load_standard
from filon.validate import validate_package

FIXTURE = Path(__file__).parent.parent / "fixtures" / "valid_package"
ACTORS = ["PE-A001", "PE-A002", "PE-A003", "PE-A004"]

trade = st.fixed_dictionaries({
    "country": st.sampled_from(["PE", "CO", "BO", "EC"]),
    "date": st.dates().filter(lambda d: d.year >= 1900).map(lambda d: d.isoformat()),
    "seller_id": st.sampled_from(ACTORS), "buyer_id": st.sampled_from(ACTORS),
    "commodity": st.sampled_from(["Au", "Ag", "Cu"]),
    "product": st.sampled_from(["", "ore", "dore", "bullion"]),
    "fine_mass_kg": st.floats(min_value=0, max_value=1e6, allow_nan=False).map(repr),
    "value_usd": st.one_of(st.just(""), st.floats(min_value=0, max_value=1e9, allow_nan=False).map(repr)),
    "document_ref": st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
                      .map(str.strip).filter(lambda t: not t.startswith(("=", "+", "-", "@"))),
})

#: (column, a bad value, the problem code the validator must report)
CORRUPTIONS = [("date", "31/12/2024", "bad_date"), ("date", "2024-02-30", "bad_date"),
               ("country", "Peru", "bad_country"), ("commodity", "gold", "bad_enum"),
               ("fine_mass_kg", "12,5", "not_a_number"), ("fine_mass_kg", "-3", "negative_value"),
               ("fine_mass_kg", "", "missing_value"), ("seller_id", "PE-A999", "dangling_reference"),
               ("value_usd", "1e20", "above_maximum")]


def write_package(rows: list[dict[str, str]]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="filon-prop-"))
    for name in ("actors", "mining_rights"):
        shutil.copy(FIXTURE / f"{name}.csv", folder)
    columns = load_standard()["trades"].column_names
    with (folder / "trades.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow({c: "" for c in columns} | row | {"record_id": f"T{i}"})
    return folder


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(trade, min_size=1, max_size=30))
def test_valid_rows_validate(rows: list[dict[str, str]]) -> None:
    folder = write_package(rows)
    try:
        with validate_package(folder) as staged:
            assert staged.report.valid, [p.describe() for p in staged.report.errors]
            assert staged.report.rows_read["trades"] == len(rows)
    finally:
        shutil.rmtree(folder)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(trade, min_size=1, max_size=30), st.data())
def test_a_corrupted_cell_is_found_at_its_row_and_column(rows: list[dict[str, str]], data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    column, value, code = data.draw(st.sampled_from(CORRUPTIONS))
    rows[index] = rows[index] | {column: value}
    folder = write_package(rows)
    try:
        with validate_package(folder) as staged:
            found = [(p.row, p.column, p.code) for p in staged.report.errors]
            assert found == [(index + 2, column, code)], found
    finally:
        shutil.rmtree(folder)
