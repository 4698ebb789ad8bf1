"""risk.csv written in bulk (`RiskResult.write`) is byte for byte what `csv.writer` writes of its cells."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from filon.detect.output import write_cells
from filon.risk.actors import ActorRisk, ranked
from filon.risk.contributions import Contribution
from filon.risk.output import RISK_COLUMNS, RiskResult

#: Cells a spreadsheet would run (escaped), cells csv.writer quotes, text beyond ASCII, nothing.
AWKWARD = ["PE", "=SUM(A1)", "+1", "-2", "@x", "\tt", "\rr", "a,b", 'say "hi"', "two\nlines", "ñandú", "", "x\r\n"]


def result(rng: random.Random, n: int) -> RiskResult:
    ids = sorted({f"{rng.choice(AWKWARD)}A{i}" for i in range(n)})
    countries = {a: rng.choice(AWKWARD + [None, None]) for a in ids}
    risks = {a: ActorRisk(a, countries[a], rng.choice((0.0, 0.5)), 0.0,
                          [Contribution(0.0, "linked", path=(rng.choice(AWKWARD), "—owns→", a))]) for a in rng.sample(ids, n // 4)}
    scored, zero = ranked({a: r for a, r in risks.items() if r.own or rng.random() < 0.5}, countries)
    rows = [{"subject_type": "actor", "subject_id": r.actor_id, "country": r.country, "risk_score": round(r.score, 4),
             "reasons": r.reasons(3), "rank": i + 1} for i, r in enumerate(scored)]
    rows.append({"subject_type": "facility", "subject_id": "-F1", "country": "PE", "risk_score": 0.5,
                 "reasons": [{"kind": "x, \"y\""}], "rank": 1})
    return RiskResult(rows, risks, [], zero_actors=zero, countries=countries, top_reasons=3)


@pytest.mark.parametrize("seed", range(8))
def test_bulk_rows_are_the_csv_writers(seed: int, tmp_path: Path) -> None:
    found = result(random.Random(seed), 60)
    assert found.zero_actors
    found.write(tmp_path / "bulk.csv")
    write_cells(tmp_path / "cells.csv", RISK_COLUMNS, found.cells())
    assert (tmp_path / "bulk.csv").read_bytes() == (tmp_path / "cells.csv").read_bytes()


def test_cells_that_are_not_text_are_written_as_the_csv_writer_does(tmp_path: Path) -> None:
    found = RiskResult([], {}, [], zero_actors=["A", "B"], countries={"A": 7, "B": None})  # type: ignore[dict-item]
    found.write(tmp_path / "bulk.csv")
    write_cells(tmp_path / "cells.csv", RISK_COLUMNS, found.cells())
    assert (tmp_path / "bulk.csv").read_bytes() == (tmp_path / "cells.csv").read_bytes()
    assert b"actor,A,7,0.0,1,[]" in (tmp_path / "bulk.csv").read_bytes()


def test_indicator_cells_are_the_rows_escaped() -> None:
    from filon.detect.output import row_cells
    from filon.risk.indicators import INDICATOR_COLUMNS, INDICATORS, NodePeriod

    rng = random.Random(3)
    for sid in AWKWARD:
        node = NodePeriod("facility", sid, rng.choice(AWKWARD + [None]), "-2024", records=3, value_usd=rng.random() * 1e6,
                          fine_kg=rng.random(), values={k: rng.choice((None, rng.random())) for k in INDICATORS},
                          score=rng.random())
        assert node.cells() == row_cells(node.row(), INDICATOR_COLUMNS)
