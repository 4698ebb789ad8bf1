"""Declaration lanes: planted mispricing and hidden metal go red, few others do, and fast."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pytest

from filon.cli.risk import score_declaration
from filon.errors import InvalidData
from filon.risk.lanes import read_declarations, score_declarations
from filon.risk.lanes_model import load_or_build
from filon.store.workspace import Workspace
from tests.risk.conftest import REGIONS

PLANTED = ("undervaluation", "overvaluation", "content_misdeclaration")


@pytest.fixture(scope="module")
def lanes(regions) -> dict[int, dict[str, dict[str, str]]]:
    out = {}
    for seed, region in regions.items():
        score_declaration(region.package / "exports.csv", region.workspace, region.root / "lanes")
        with open(region.root / "lanes" / "lanes.csv", newline="", encoding="utf-8") as fh:
            out[seed] = {r["declaration_id"]: r for r in csv.DictReader(fh)}
    return out


@pytest.mark.parametrize("seed", [s for s, _ in REGIONS])
def test_planted_declarations_go_red_and_few_others_do(regions, lanes, seed: int) -> None:
    truth = regions[seed].truth
    planted = {t["subject_id"] for t in truth if t["typology"] in PLANTED and t["expected"] == "fire"}
    rows = lanes[seed]
    assert planted <= set(rows)
    red = {d for d in planted if rows[d]["lane"] == "red"}
    assert len(red) >= 0.95 * len(planted), {d: rows[d] for d in planted - red}
    others = [r for d, r in rows.items() if d not in planted]
    assert sum(r["lane"] == "red" for r in others) <= 0.12 * len(others)
    silent = {t["subject_id"] for t in truth if t["typology"] in PLANTED and t["expected"] == "silent"}
    assert all(rows[d]["lane"] != "red" or "valuation" not in rows[d]["reasons"] for d in silent)


def test_reasons_say_why(regions, lanes) -> None:
    seed = REGIONS[0][0]
    under = next(t["subject_id"] for t in regions[seed].truth if t["typology"] == "undervaluation" and t["expected"] == "fire")
    assert '"factor": "valuation"' in lanes[seed][under]["reasons"]
    assert "times fine mass x reference price" in lanes[seed][under]["reasons"]


def test_batch_and_single_speed(regions) -> None:
    region = regions[REGIONS[0][0]]
    model = load_or_build(Workspace(region.workspace))
    cols = read_declarations(region.package / "exports.csv")
    big = {k: np.concatenate([v] * 20) for k, v in cols.items()}
    best = min(_timed(lambda: score_declarations(big, model)) for _ in range(3))
    assert len(big["declaration_id"]) / best >= 50_000
    one = {k: v[:1] for k, v in cols.items()}
    assert min(_timed(lambda: score_declarations(one, model)) for _ in range(5)) < 0.05


def test_a_bad_file_names_row_column_and_fix(regions, tmp_path: Path) -> None:
    region = regions[REGIONS[0][0]]
    lines = (region.package / "exports.csv").read_text(encoding="utf-8").splitlines()[:4]
    head = lines[0].split(",")
    cells = next(csv.reader([lines[2]]))
    cells[head.index("value_usd")] = "lots"
    bad = tmp_path / "new.csv"
    with open(bad, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([head, next(csv.reader([lines[1]])), cells])
    with pytest.raises(InvalidData, match=r"row 3, column 'value_usd'.*Fix"):
        read_declarations(bad)


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def test_one_declaration_as_a_record(regions) -> None:
    from filon.risk.lanes import record_columns

    region = regions[REGIONS[0][0]]
    model = load_or_build(Workspace(region.workspace))
    with open(region.package / "exports.csv", newline="", encoding="utf-8") as fh:
        record = next(csv.DictReader(fh))
    assert min(_timed(lambda: score_declarations(record_columns(record), model)) for _ in range(5)) < 0.05
    with pytest.raises(InvalidData, match=r"column 'value_usd'.*not a number"):
        record_columns({**record, "value_usd": "n/a"})
    with pytest.raises(InvalidData, match=r"column 'exporter_id'.*required"):
        record_columns({**record, "exporter_id": ""})
