"""`analyze` end to end: outputs in the spec's shape, escaped for spreadsheets and browsers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from filon.detect.alerts import ALERT_COLUMNS
from filon.detect.output import escape_cell
from filon.detect.runner import run_analysis
from filon.errors import UsageError
from tests.conftest import rewrite


@pytest.fixture
def laundering(package: Path) -> Path:
    """The fixture package with a hostile-named trader selling 30 kg it never bought."""
    rewrite(package / "actors.csv", "Comercializadora Oro Andino E.I.R.L.", '"=HYPERLINK(""http://x"")<script>alert(1)</script>"')
    with (package / "trades.csv").open("a", encoding="utf-8") as fh:
        fh.write("PE-T900,PE,2024-05-10,PE-A003,PE-A004,Au,bullion,,30,1900000,,LOT-X,F9-1\n")
    return package


def test_outputs_match_the_spec(laundering: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_analysis(laundering, out, detectors=["mass_balance_break"])
    assert [a.subject_id for a in result.alerts] == ["PE-A003"]
    with (out / "alerts.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == ALERT_COLUMNS
    assert rows[0]["typology"] == "mass_balance_break" and rows[0]["period"] == "2024"
    assert rows[0]["explanation"].startswith("'=HYPERLINK")  # neutralised for spreadsheets
    evidence = json.loads(rows[0]["evidence"])
    assert evidence["sources"][0]["file"].endswith("trades.csv")
    assert pq.read_table(out / "alerts.parquet").num_rows == 1
    assert json.loads((out / "alerts.json").read_text())[0]["evidence"]["unexplained_kg"] == 30.0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert not any(p.name.startswith(".filon-") for p in out.iterdir())


def test_same_input_same_ids(laundering: Path, tmp_path: Path) -> None:
    a = run_analysis(laundering, tmp_path / "a").alerts
    b = run_analysis(laundering, tmp_path / "b").alerts
    assert a
    assert [x.alert_id for x in a] == [x.alert_id for x in b]


def test_unknown_detector(laundering: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="mass_balance_break"):
        run_analysis(laundering, tmp_path / "out", detectors=["nope"])


def test_a_failing_detector_does_not_hide_the_others(laundering: Path, tmp_path: Path, monkeypatch) -> None:
    from filon.detect import registry

    detectors = registry.all_detectors()
    broken = registry.Detector(**{**detectors["mass_balance_break"].__dict__, "code": "broken",
                                  "run": lambda ctx, p: 1 / 0})
    monkeypatch.setattr(registry, "_REGISTRY", {**detectors, "broken": broken})
    result = run_analysis(laundering, tmp_path / "out", detectors=["mass_balance_break", "broken"])
    assert "ZeroDivisionError" in result.failures["broken"] and len(result.alerts) == 1


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("+5", "'+5"), ("@SUM(A1)", "'@SUM(A1)"),
                                            ("-2", "'-2"), ("plain", "plain"), (3.5, 3.5), (None, None)])
def test_escape_cell(value: object, expected: object) -> None:
    assert escape_cell(value) == expected


def test_the_engine_is_closed_when_the_run_fails_early(laundering: Path, tmp_path: Path, monkeypatch) -> None:
    from filon.detect import incremental, runner

    closed = []
    real = runner.engine_for

    def engine_for(name, ws):  # noqa: ANN001, ANN202 — the real engine, its closing recorded
        engine = real(name, ws)
        close = engine.close
        engine.close = lambda: (closed.append(True), close())
        return engine

    def broken(ws):  # noqa: ANN001, ANN202
        raise RuntimeError("disk gone")

    monkeypatch.setattr(runner, "engine_for", engine_for)
    monkeypatch.setattr(incremental, "fingerprints", broken)
    with pytest.raises(RuntimeError):
        run_analysis(laundering, tmp_path / "out")
    assert closed
