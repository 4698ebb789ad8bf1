"""One analysis, two engines: DuckDB and Spark must give the same alerts."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from filon.detect.runner import run_analysis
from filon.engine.spark import transpile

pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra (scripts/test installs it)")
if shutil.which("java") is None:
    pytest.skip("the Spark engine needs Java 17+ (.ci/run installs it)", allow_module_level=True)


@pytest.fixture
def laundering(package: Path) -> Path:
    (package / "prices.csv").write_text(
        "date,commodity,price_usd,unit,source\n2024-01-01,Au,2000,troy_oz,WB\n2024-02-01,Au,2100,troy_oz,WB\n",
        encoding="utf-8")
    with (package / "trades.csv").open("a", encoding="utf-8") as fh:
        fh.write("PE-T900,PE,2024-05-10,PE-A003,PE-A004,Au,bullion,,30,1900000,,LOT-X,F9-1\n")
        fh.write("PE-T901,PE,2024-06-10,PE-A004,PE-A002,Au,dore,,75,4800000,PE-R003,,\n")
    return package


def test_spark_and_duckdb_agree(laundering: Path, tmp_path: Path) -> None:
    duck = run_analysis(laundering, tmp_path / "duck").alerts
    spark = run_analysis(laundering, tmp_path / "spark", engine="spark").alerts
    assert [a.alert_id for a in duck] == [a.alert_id for a in spark] and len(duck) == 2
    for d, s in zip(duck, spark):
        assert (d.subject_id, d.country, d.period) == (s.subject_id, s.country, s.period)
        assert d.score == pytest.approx(s.score) and d.value_at_risk_usd == pytest.approx(s.value_at_risk_usd)
        assert d.evidence["sources"] == s.evidence["sources"]  # lineage survives the engine change
        assert d.evidence.keys() == s.evidence.keys()
        for key, value in d.evidence.items():
            if isinstance(value, float):
                assert s.evidence[key] == pytest.approx(value), key
            elif key != "sources":
                assert s.evidence[key] == value, key


def test_transpile_keeps_placeholders() -> None:
    assert "?" in transpile("SELECT * FROM trades WHERE seller_id = ? GROUP BY ALL")


def test_every_detector_agrees_on_the_demo_region(tmp_path: Path) -> None:
    from filon.demo import generate_region

    generate_region(tmp_path / "region", seed=11, scale=0.3)
    duck_run = run_analysis(tmp_path / "region", tmp_path / "duck")
    spark_run = run_analysis(tmp_path / "region", tmp_path / "spark", engine="spark")
    assert not duck_run.failures and not spark_run.failures  # the risk ranking too, not only the detectors
    duck, spark = duck_run.alerts, spark_run.alerts
    risk = {}
    for name in ("duck", "spark"):
        with open(tmp_path / name / "risk.csv", newline="", encoding="utf-8") as fh:
            risk[name] = {(r["subject_type"], r["subject_id"], r["country"]): float(r["risk_score"]) for r in csv.DictReader(fh)}
    assert risk["duck"].keys() == risk["spark"].keys() and len(risk["duck"]) > 100
    assert all(risk["spark"][k] == pytest.approx(v, abs=1e-3) for k, v in risk["duck"].items())
    assert len({a.typology for a in duck}) >= 8
    assert [(a.alert_id, a.subject_id, a.period) for a in duck] == [(a.alert_id, a.subject_id, a.period) for a in spark]
    for d, s in zip(duck, spark):
        assert d.score == pytest.approx(s.score) and (d.value_at_risk_usd or 0) == pytest.approx(s.value_at_risk_usd or 0)
