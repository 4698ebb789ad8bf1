"""Every registered detector against the demo region's ground truth, on several draws.

Regions of different seeds and sizes are generated and analysed once each (all detectors
together, as `filon analyze` runs them); every typology must reach recall >= 0.95 and
precision >= 0.9 on each, so no detector is tuned to one draw.
"""

from __future__ import annotations


import pytest

from filon.demo import generate_region
from filon.detect import all_detectors
from filon.detect.alerts import Alert
from filon.detect.runner import run_analysis
from tests.detect.groundtruth import read_truth, score

REGIONS = [(7, 1.0), (11, 0.3), (3, 0.3), (23, 0.3)]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[int, float], tuple[list[Alert], list[dict[str, str]]]]:
    out = {}
    for seed, scale in REGIONS:
        root = tmp_path_factory.mktemp(f"region-{seed}-{scale:g}")
        generate_region(root / "package", seed=seed, scale=scale)
        alerts = run_analysis(root / "package", root / "out").alerts
        out[(seed, scale)] = (alerts, read_truth(root / "package" / "ground_truth.csv"))
    return out


@pytest.mark.parametrize("region", REGIONS, ids=[f"seed{s}-x{x:g}" for s, x in REGIONS])
@pytest.mark.parametrize("typology", sorted(all_detectors()))
def test_precision_and_recall(analysed: dict, typology: str, region: tuple[int, float]) -> None:
    alerts, truth = analysed[region]
    assert any(r["typology"] == typology and r["expected"] == "fire" for r in truth), "no planted case"
    precision, recall, details = score(alerts, truth, typology)
    assert recall >= 0.95 and precision >= 0.9, details
