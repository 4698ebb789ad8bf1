"""The four territorial detectors on demo regions (cheap draws): recall and precision against the
planted cases, and alert ids that do not change from one run to the next."""

from __future__ import annotations

import pytest

from filon.demo import generate_region
from filon.detect.runner import run_analysis
from tests.detect.groundtruth import read_truth, score

CODES = ["unlicensed_disturbance", "protected_area_disturbance", "production_without_disturbance", "displacement"]
REGIONS = [(7, 0.3), (11, 0.3)]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = {}
    for seed, scale in REGIONS:
        root = tmp_path_factory.mktemp(f"territory-{seed}")
        generate_region(root / "package", seed=seed, scale=scale)
        first = run_analysis(root / "package", root / "out", detectors=CODES).alerts
        again = run_analysis(root / "package", root / "out2", detectors=CODES).alerts
        out[seed] = (first, again, read_truth(root / "package" / "ground_truth.csv"))
    return out


@pytest.mark.parametrize("seed", [s for s, _ in REGIONS])
@pytest.mark.parametrize("typology", CODES)
def test_recall_and_precision(analysed: dict, typology: str, seed: int) -> None:
    alerts, _, truth = analysed[seed]
    assert any(r["typology"] == typology and r["expected"] == "silent" for r in truth), "no look-alike planted"
    precision, recall, details = score(alerts, truth, typology)
    assert recall >= 0.95 and precision >= 0.9, details


@pytest.mark.parametrize("seed", [s for s, _ in REGIONS])
def test_alert_ids_are_stable_across_runs(analysed: dict, seed: int) -> None:
    first, again, _ = analysed[seed]
    assert sorted(a.alert_id for a in first) == sorted(a.alert_id for a in again)
    assert len({a.alert_id for a in first}) == len(first)
