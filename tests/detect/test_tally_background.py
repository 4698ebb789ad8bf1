"""Tallies kept on a thread beside the run (`TallyStore(background=True)`, as `filon analyze` does):
the files are there once `wait` returns, the next run takes them as kept, and a file that cannot be
written costs the next run a recomputation, never this run its results."""

from __future__ import annotations

from pathlib import Path

from filon.detect.incremental import fingerprints
from filon.detect.new_exporter_surge import EXPORTER_YEARS
from filon.detect.tally import TallyStore
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace


def rows(store: TallyStore, ws: Workspace) -> list[tuple]:
    con = ws.connect()
    name = store.relation(con, EXPORTER_YEARS)
    return con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def test_kept_in_the_background_then_taken_as_kept(package: Path, tmp_path: Path) -> None:
    ingest_package(package, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    folder = tmp_path / "tallies"
    first = TallyStore(folder, ws, fingerprints(ws), background=True)
    before = rows(first, ws)
    first.wait()
    assert (folder / f"{EXPORTER_YEARS.name}.arrow").exists() and (folder / f"{EXPORTER_YEARS.name}.json").exists()
    again = TallyStore(folder, ws, fingerprints(ws), background=True)
    read: list[dict] = []
    inner = again._over
    again._over = lambda tally, only: read.append(dict(only)) or inner(tally, only)  # type: ignore[method-assign]
    assert rows(again, ws) == before and read == []  # taken as kept: nothing read
    again.wait()


def test_a_folder_that_cannot_be_written_is_logged_not_raised(package: Path, tmp_path: Path) -> None:
    ingest_package(package, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    store = TallyStore(blocked / "tallies", ws, fingerprints(ws), background=True)
    assert rows(store, ws)
    store.wait()  # the write failed on the thread: logged only
    assert not (blocked / "tallies").exists()
