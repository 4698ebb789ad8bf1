"""production_without_disturbance with the map kept between runs: a production batch is judged
without reading the rights' or the detections' layers, with the alerts a fresh run gives; other
detections, rights or spatial parameters, or `--full`, read the layers again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from filon.detect import _territory
from filon.detect.kept import KeptValues
from filon.detect.parameters import defaults
from filon.detect.production_without_disturbance import detect
from tests.detect.test_production_without_disturbance import ELSEWHERE, production
from tests.geo.territory_ctx import context, detection, gold_prices, right, square

P = defaults("production_without_disturbance")
RIGHTS = [right("R1", square(0, 0, 1000)), right("R2", square(5000, 0, 1000)), right("R3", square(0, 5000, 1000)),
          right("R4", square(5000, 5000, 1000), scale="large"), right("R5", None)]
DETECTIONS = [ELSEWHERE, detection("D1", square(1300, 200, 100), "2023-02-10"),  # 300 m from R1, in no right
              detection("D2", square(5200, 200, 100), "2024-05-01")]             # on R2, a year later


class Layers:
    """Counts how often the rights' and detections' layers are read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads = 0
        for name in ("rights", "detections"):
            inner = getattr(_territory, name)
            monkeypatch.setattr(_territory, name, lambda ctx, inner=inner: self.read(inner, ctx))

    def read(self, inner: Any, ctx: Any) -> Any:
        self.reads += 1
        return inner(ctx)


def run(folder: Path, prod: list[dict], dets: list[dict] = DETECTIONS, prints: dict[str, str] | None = None,
        p=P, read: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """(alerts with the map kept in `folder`, alerts of a fresh run) by subject."""
    tables = {"mining_rights": RIGHTS, "detections": dets, "production": prod, "prices": gold_prices()}
    ctx = context(**tables)
    ctx.kept = KeptValues(folder, prints or {"mining_rights": "r1", "detections": "d1"}, b"k" * 32, read=read)
    kept = {a.subject_id: a for a in detect(ctx, p)}
    return kept, {a.subject_id: a for a in detect(context(**tables), p)}


def test_a_production_batch_reads_no_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layers = Layers(monkeypatch)
    base = production("R1", months=("2024-03", "2024-04")) + production("R3")
    first, fresh = run(tmp_path, base)
    assert first.keys() == fresh.keys() == {"R1", "R3"}  # D1 (Feb 2023) is outside R1's window
    reads = layers.reads
    # R1 declares from 2023-04: D1 now falls in its window; R2 starts producing in 2024, over D2
    more = production("R1", months=("2023-04", "2023-06")) + production("R2", months=("2024-03", "2024-04"))
    again, fresh = run(tmp_path, base + more)
    assert layers.reads == reads + 2  # the fresh run's alone
    assert again.keys() == fresh.keys() == {"R3"}
    assert all(again[k].evidence == fresh[k].evidence and again[k].score == fresh[k].score for k in again)


@pytest.mark.parametrize("change", ["detections", "rights", "parameters", "full"])
def test_other_inputs_read_the_layers_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    layers = Layers(monkeypatch)
    prod = production("R1", months=("2024-03", "2024-04")) + production("R2", months=("2023-01", "2023-02"))
    run(tmp_path, prod)
    reads = layers.reads
    if change == "detections":  # a scar on R1 in its window: R1 silenced
        dets = DETECTIONS + [detection("D3", square(100, 100, 50), "2024-03-15")]
        got, fresh = run(tmp_path, prod, dets, {"mining_rights": "r1", "detections": "d2"})
        assert "R1" not in got
    elif change == "rights":
        got, fresh = run(tmp_path, prod, prints={"mining_rights": "r2", "detections": "d1"})
    elif change == "parameters":  # a buffer reaching D1 (300 m from R1) no more
        got, fresh = run(tmp_path, prod + production("R1", months=("2023-02",)), p=P.replace(buffer_m=200.0))
        assert "R1" in got
    else:
        got, fresh = run(tmp_path, prod, read=False)
    assert layers.reads == reads + 4  # read for the kept map and for the fresh run
    assert got.keys() == fresh.keys() and all(got[k].evidence == fresh[k].evidence for k in got)
