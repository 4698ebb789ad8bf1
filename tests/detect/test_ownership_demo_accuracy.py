"""opaque_ownership and shared_controller against the demo region's planted cases and look-alikes."""

from __future__ import annotations

import pytest

from filon.demo import generate_region
from filon.detect import opaque_ownership, shared_controller
from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace
from tests.detect.groundtruth import read_truth, score

REGIONS = [(7, 0.3), (11, 0.3)]
DETECTORS = {"opaque_ownership": opaque_ownership.detect, "shared_controller": shared_controller.detect}


@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[int, float], tuple[DetectContext, list[dict[str, str]]]]:
    out = {}
    for seed, scale in REGIONS:
        root = tmp_path_factory.mktemp(f"own-{seed}")
        generate_region(root / "package", seed=seed, scale=scale)
        ingest_package(root / "package", root / "ws")
        ctx = DetectContext(DuckDBEngine(Workspace(root / "ws").connect()))
        out[(seed, scale)] = (ctx, read_truth(root / "package" / "ground_truth.csv"))
    return out


@pytest.mark.parametrize("region", REGIONS, ids=[f"seed{s}-x{x:g}" for s, x in REGIONS])
@pytest.mark.parametrize("typology", sorted(DETECTORS))
def test_planted_cases_fire_and_look_alikes_stay_silent(regions: dict, typology: str, region: tuple[int, float]) -> None:
    ctx, truth = regions[region]
    alerts = DETECTORS[typology](ctx, defaults(typology))
    assert any(r["typology"] == typology and r["expected"] == "silent" for r in truth), "no look-alike planted"
    precision, recall, details = score(alerts, truth, typology)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    assert recall >= 0.95 and precision >= 0.9 and f1 >= 0.9, details


def test_report_section_draws_the_top_alerts(regions: dict) -> None:
    import json

    from filon.report.sections.ownership import MAX_DRAWINGS, section

    ctx, _ = regions[REGIONS[0]]
    rows = []
    for code, fn in DETECTORS.items():
        for alert in fn(ctx, defaults(code)):
            row = alert.to_row()
            row["evidence"] = json.loads(row["evidence"])
            rows.append(row)
    found = section(ctx, rows)
    assert found is not None and found.key == "ownership"
    assert str(found.html).count('<figure class="ownership-figure"') == min(MAX_DRAWINGS, len(rows))
    assert "secrecy jurisdiction" in str(found.html)
    assert section(ctx, [r for r in rows if r["typology"] == "other"]) is None
