"""The Frictionless validator itself accepts the demo region with the exported descriptor."""

from __future__ import annotations

from pathlib import Path

import pytest

from filon.demo import generate_region
from filon.standard import load_standard
from filon.standard.frictionless import export_datapackage

frictionless = pytest.importorskip("frictionless")


def test_demo_region_passes_frictionless(tmp_path: Path) -> None:
    generate_region(tmp_path, seed=11, scale=0.05)
    (tmp_path / "ground_truth.csv").unlink()
    descriptor = export_datapackage(load_standard(), tmp_path, tmp_path)
    report = frictionless.validate(str(descriptor))
    problems = [(t.name, e.type, e.message) for t in report.tasks for e in t.errors][:10]
    assert report.valid, problems
    assert len(report.tasks) == len(load_standard().names)
