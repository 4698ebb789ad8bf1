"""input_overuse and route_deviation against the demo region's planted cases and look-alikes.

The demo plants mercury and cyanide overuse, a trader buying banned mercury, trucks detouring
through reserves, and their look-alikes (mercury recorded in grams, a large mine's cyanide and
diesel, trucks on their road, a GPS glitch inside a reserve, a truck passing just outside one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import filon.detect.input_overuse
import filon.detect.route_deviation  # noqa: F401
from filon.demo import generate_region
from filon.detect.runner import run_analysis
from tests.detect.groundtruth import read_truth, score

REGIONS = [(7, 0.3), (11, 0.3)]
TYPOLOGIES = ("input_overuse", "route_deviation")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = {}
    for seed, scale in REGIONS:
        root: Path = tmp_path_factory.mktemp(f"region-{seed}")
        generate_region(root / "package", seed=seed, scale=scale)
        alerts = run_analysis(root / "package", root / "out", detectors=list(TYPOLOGIES)).alerts
        out[(seed, scale)] = (alerts, read_truth(root / "package" / "ground_truth.csv"))
    return out


@pytest.mark.parametrize("region", REGIONS, ids=[f"seed{s}-x{x:g}" for s, x in REGIONS])
@pytest.mark.parametrize("typology", TYPOLOGIES)
def test_precision_and_recall(analysed: dict, typology: str, region: tuple[int, float]) -> None:
    alerts, truth = analysed[region]
    rows = [r for r in truth if r["typology"] == typology]
    assert any(r["expected"] == "fire" for r in rows) and any(r["expected"] == "silent" for r in rows)
    precision, recall, details = score(alerts, truth, typology)
    assert recall >= 0.95 and precision >= 0.9, details


def test_route_look_alikes_are_planted(analysed: dict) -> None:
    _, truth = analysed[REGIONS[0]]
    notes = " ".join(r["note"] for r in truth if r["typology"] == "route_deviation" and r["expected"] == "silent")
    assert "glitch" in notes and "outside the reserve" in notes
