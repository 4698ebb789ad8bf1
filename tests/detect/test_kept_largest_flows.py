"""The balance alerts' quoted records kept between runs (`_supply.kept_largest_flows`): a scoped run
reads only the actor-years whose figures moved, takes the others from the last run, and a full run
takes nothing from before."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from filon.detect import _supply
from filon.detect.kept import KeptValues


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[set]:
    """The keys each `largest_flows` call is asked for; its records name the call that read them."""
    calls: list[set] = []

    def largest_flows(ctx: Any, purity: str, flows: tuple, keys: set, limit: int) -> dict:
        calls.append(set(keys))
        return {k: [{"ref": f"read-{len(calls)}", "key": k}] for k in keys}

    monkeypatch.setattr(_supply, "largest_flows", largest_flows)
    return calls


def ctx(folder: Path, scoped: bool) -> SimpleNamespace:
    kept = KeptValues(folder, {}, b"k" * 32)
    return SimpleNamespace(full=SimpleNamespace(kept=kept), kept=None, scope_keys=frozenset({"A"}) if scoped else None)


def test_only_moved_figures_are_read_again(tmp_path: Path, reads: list[set]) -> None:
    a, b = ("A", "Au", 2024), ("B", "Au", 2024)
    first = _supply.kept_largest_flows(ctx(tmp_path, False), "t", "p", ("sold",), {a: (3, 1.5), b: (2, 0.5)}, 5)
    assert reads == [{a, b}] and first[a][0]["ref"] == "read-1"
    # a batch added a record to A's year (its count and mass moved), none to B's
    second = _supply.kept_largest_flows(ctx(tmp_path, True), "t", "p", ("sold",), {a: (4, 1.9), b: (2, 0.5)}, 5)
    assert reads[1] == {a} and second[a][0]["ref"] == "read-2" and second[b][0]["ref"] == "read-1"
    # nothing moved: nothing read
    _supply.kept_largest_flows(ctx(tmp_path, True), "t", "p", ("sold",), {a: (4, 1.9), b: (2, 0.5)}, 5)
    assert len(reads) == 2


def test_full_runs_and_other_purities_or_limits_read_everything(tmp_path: Path, reads: list[set]) -> None:
    a = ("A", "Au", 2024)
    _supply.kept_largest_flows(ctx(tmp_path, False), "t", "p", ("sold",), {a: (3, 1.5)}, 5)
    _supply.kept_largest_flows(ctx(tmp_path, False), "t", "p", ("sold",), {a: (3, 1.5)}, 5)  # a full run
    _supply.kept_largest_flows(ctx(tmp_path, True), "t", "other purity", ("sold",), {a: (3, 1.5)}, 5)
    _supply.kept_largest_flows(ctx(tmp_path, True), "t", "p", ("sold",), {a: (3, 1.5)}, 3)
    assert len(reads) == 4


def test_without_kept_values_every_record_is_read(reads: list[set]) -> None:
    bare = SimpleNamespace(full=None, kept=None, scope_keys=frozenset({"A"}))
    _supply.kept_largest_flows(bare, "t", "p", ("sold",), {("A", "Au", 2024): (1, 1.0)}, 5)
    _supply.kept_largest_flows(bare, "t", "p", ("sold",), {("A", "Au", 2024): (1, 1.0)}, 5)
    assert len(reads) == 2
