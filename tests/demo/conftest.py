"""Shared fixtures: one demo package per test session (scale 0.1 unless FILON_DEMO_SCALE says otherwise)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from demo_oracles import connect

from filon.demo import DemoSummary, generate_region

SCALE = float(os.environ.get("FILON_DEMO_SCALE", "0.1"))
SEED = int(os.environ.get("FILON_DEMO_SEED", "7"))


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return generate_region(tmp_path_factory.mktemp("demo") / "package", seed=SEED, scale=SCALE)


@pytest.fixture(scope="session")
def demo_dir(demo: DemoSummary) -> Path:
    return demo.path


@pytest.fixture(scope="session")
def con(demo_dir: Path) -> duckdb.DuckDBPyConnection:
    return connect(demo_dir)
