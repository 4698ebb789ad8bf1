"""Shared fixtures: a small valid package in the standard, copied fresh for each test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid_package"
#: Real public data beside the repository (present on developers' machines and CI).
SHARED = Path(__file__).resolve().parents[1].parent / "shared"

os.environ.setdefault("FILON_MEMORY_LIMIT", "1GB")
os.environ["COLUMNS"] = "250"  # Rich tables wide enough that assertions see whole values
# The key signing values kept between runs (filon.detect.kept): the tests' own, not the user's.
os.environ.setdefault("FILON_STATE_KEY_FILE", str(Path(__import__("tempfile").gettempdir())
                                                  / f"filon-tests-{os.getuid()}" / "state.key"))


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A writable copy of the valid fixture package."""
    target = tmp_path / "package"
    shutil.copytree(VALID, target)
    return target


def rewrite(path: Path, old: str, new: str) -> None:
    """Replace text in a fixture file; fails loudly if the text is not there (so tests cannot go stale)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
