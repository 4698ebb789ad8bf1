"""Demo regions generated, ingested, analysed and scored once per test session (they are the slow part)."""

from __future__ import annotations

import csv
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from filon.demo import generate_region
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.runner import run_analysis
from filon.engine.base import engine_for
from filon.ingest.load import ingest_package
from filon.risk.output import write_risk
from filon.store.workspace import Workspace

#: Detector modules written but not (yet) listed in the registry's MODULES; importing registers them.
for _name in ("input_overuse", "route_deviation"):
    try:
        importlib.import_module(f"filon.detect.{_name}")
    except ImportError:
        pass

REGIONS = [(7, 0.3), (11, 0.3)]


@dataclass
class Region:
    root: Path
    package: Path
    workspace: Path
    out: Path
    alerts: list[Alert]
    truth: list[dict[str, str]]

    def risk_rows(self) -> list[dict[str, str]]:
        with open(self.out / "risk.csv", newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))


def build_region(root: Path, seed: int, scale: float) -> Region:
    package, ws, out = root / "package", root / "ws", root / "out"
    generate_region(package, seed=seed, scale=scale)
    ingest_package(package, ws)
    alerts = run_analysis(ws, out).alerts
    ctx = DetectContext(engine_for("duckdb", Workspace(ws)))
    try:
        write_risk(ctx, alerts, out)
    finally:
        ctx.engine.close()
    with open(package / "ground_truth.csv", newline="", encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    return Region(root, package, ws, out, alerts, truth)


@pytest.fixture(scope="session")
def regions(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Region]:
    return {seed: build_region(tmp_path_factory.mktemp(f"risk-region-{seed}"), seed, scale) for seed, scale in REGIONS}
