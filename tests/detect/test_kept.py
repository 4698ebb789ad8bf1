"""Values kept between runs: reused only when their inputs match, never unpickled unless signed by this user."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from filon.detect.kept import KeptValues, user_key


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, int]:
        self.calls += 1
        return {"value": self.calls}


def test_reused_while_parts_and_tables_match(tmp_path: Path) -> None:
    compute = Counter()
    first = KeptValues(tmp_path, {"ownership": "a", "trades": "b"}, b"k" * 32)
    assert first.get("graph", ("g", 1), ("ownership",), compute) == {"value": 1}
    again = KeptValues(tmp_path, {"ownership": "a", "trades": "changed"}, b"k" * 32)
    assert again.get("graph", ("g", 1), ("ownership",), compute) == {"value": 1}  # trades not an input
    assert compute.calls == 1
    moved = KeptValues(tmp_path, {"ownership": "new", "trades": "b"}, b"k" * 32)
    assert moved.get("graph", ("g", 1), ("ownership",), compute) == {"value": 2}
    assert moved.get("graph", ("g", 2), ("ownership",), compute) == {"value": 3}  # other parts
    assert KeptValues(tmp_path, {"ownership": "new"}, b"k" * 32, read=False).get(
        "graph", ("g", 2), ("ownership",), compute) == {"value": 4}  # --full: computed, then kept
    assert KeptValues(tmp_path, {"ownership": "new"}, b"k" * 32).get("graph", ("g", 2), ("ownership",), compute) == {"value": 4}


class Exploit:
    def __reduce__(self):  # what a hostile results folder would carry
        return (Path.write_text, (Path(os.environ["EXPLOIT_MARK"]), "ran"))


def test_foreign_or_tampered_pickle_is_never_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mark = tmp_path / "mark"
    monkeypatch.setenv("EXPLOIT_MARK", str(mark))
    folder = tmp_path / "values"
    KeptValues(folder, {"ownership": "a"}, b"k" * 32).get("graph", "g", ("ownership",), lambda: "honest")
    (folder / "graph.pickle").write_bytes(pickle.dumps(Exploit()))  # swapped, sidecar kept
    compute = Counter()
    assert KeptValues(folder, {"ownership": "a"}, b"k" * 32).get("graph", "g", ("ownership",), compute) == {"value": 1}
    assert not mark.exists()
    # a folder written by someone else's filon (another key), however well formed
    other = tmp_path / "other"
    KeptValues(other, {"ownership": "a"}, b"x" * 32).get("graph", "g", ("ownership",), Exploit)
    assert mark.exists() is False
    assert KeptValues(other, {"ownership": "a"}, b"k" * 32).get("graph", "g", ("ownership",), compute) == {"value": 2}
    assert not mark.exists()


def test_damaged_files_cost_a_recomputation(tmp_path: Path) -> None:
    kv = KeptValues(tmp_path, {}, b"k" * 32)
    kv.get("links", "p", (), lambda: [1, 2, 3])
    (tmp_path / "links.json").write_text("{not json", encoding="utf-8")
    assert kv.get("links", "p", (), lambda: [4]) == [4]
    (tmp_path / "links.pickle").write_bytes(b"\x80\x05truncated")
    assert kv.get("links", "p", (), lambda: [5]) == [5]


def test_user_key_is_private_and_stable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cfg" / "state.key"
    monkeypatch.setenv("FILON_STATE_KEY_FILE", str(path))
    key = user_key()
    assert key is not None and len(key) == 32 and user_key() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    monkeypatch.setenv("FILON_STATE_KEY_FILE", str(tmp_path / "a-file" / "state.key"))
    assert user_key() is None  # unusable: nothing is kept, every run computes
