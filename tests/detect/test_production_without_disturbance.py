"""production_without_disturbance: a surface-mining right declares output where no mining is seen."""

from __future__ import annotations

import logging

import pytest

from filon.detect.parameters import defaults
from filon.detect.production_without_disturbance import detect
from tests.geo.territory_ctx import context, detection, gold_prices, right, square

P = defaults("production_without_disturbance")
R1 = square(0, 0, 1000)
ELSEWHERE = detection("D-far", square(20_000, 0, 200), "2023-06-01")  # coverage: imagery 20 km away


def production(right_id: str, months=("2023-01", "2023-02", "2023-03"), kg: float = 2.0) -> list[dict]:
    return [{"record_id": f"{right_id}-{m}", "country": "PE", "right_id": right_id, "period": m, "commodity": "Au",
             "fine_mass_kg": kg} for m in months]


def run(rights, dets, prod, p=P):
    return detect(context(mining_rights=rights, detections=dets, production=prod, prices=gold_prices()), p)


def test_producing_right_without_any_scar_fires_once_per_right() -> None:
    [a] = run([right("R1", R1)], [ELSEWHERE], production("R1"))
    assert (a.subject_type, a.subject_id, a.period, a.country) == ("right", "R1", None, "PE")
    assert a.evidence["declared_fine_kg"] == 6.0 and a.evidence["window"] == ["2022-07-01", "2023-06-30"]
    assert a.value_at_risk_usd == 6.0 * 2000 * 32.1507466
    assert a.evidence["detections_nearby_for_coverage"] == 1


def test_a_scar_on_or_near_the_right_in_the_period_silences_it() -> None:
    assert run([right("R1", R1)], [ELSEWHERE, detection("D1", square(200, 200, 100), "2023-02-10")], production("R1")) == []
    # 300 m east of the boundary: within the 500 m buffer
    assert run([right("R1", R1)], [ELSEWHERE, detection("D1", square(1300, 200, 100), "2023-02-10")], production("R1")) == []
    # 900 m away: not the right's
    assert len(run([right("R1", R1)], [ELSEWHERE, detection("D1", square(1900, 200, 100), "2023-02-10")],
                   production("R1"))) == 1


def test_a_scar_outside_the_period_does_not_count() -> None:
    old = detection("D1", square(200, 200, 100), "2019-05-01")
    assert len(run([right("R1", R1)], [ELSEWHERE, old], production("R1"))) == 1
    lookback = detection("D1", square(200, 200, 100), "2022-09-01")  # within the 6 months before
    assert run([right("R1", R1)], [ELSEWHERE, lookback], production("R1")) == []


def test_large_mines_exploration_and_small_output_are_out_of_scope() -> None:
    assert run([right("R1", R1, scale="large")], [ELSEWHERE], production("R1")) == []
    assert run([right("R1", R1, regime="exploration")], [ELSEWHERE], production("R1")) == []
    assert run([right("R1", R1)], [ELSEWHERE], production("R1", kg=0.1)) == []
    assert len(run([right("R1", R1, scale="large")], [ELSEWHERE], production("R1"),
                   P.replace(surface_scales=["small", "large"]))) == 1


def test_no_imagery_nearby_means_no_judgement() -> None:
    assert run([right("R1", R1)], [], production("R1")) == []
    far = detection("D-far", square(200_000, 0, 200), "2023-06-01")
    assert run([right("R1", R1)], [far], production("R1")) == []


def test_rights_without_geometry_are_skipped_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="filon.detect.production_without_disturbance"):
        [a] = run([right("R1", R1), right("R2", None)], [ELSEWHERE], production("R1") + production("R2"))
    assert a.subject_id == "R1" and "skipped_rights" not in a.evidence  # run-wide counts are not evidence
    assert "skipped 1 right(s) without geometry (R2)" in caplog.text


def test_a_neighbours_scar_does_not_count_but_a_scar_in_no_right_does() -> None:
    rights = [right("R1", R1), right("R2", square(1200, 0, 1000))]
    near = detection("D1", square(1300, 200, 100), "2023-02-10")  # 300 m from R1, inside R2
    [a] = run(rights, [ELSEWHERE, near], production("R1"))
    assert a.subject_id == "R1"
    outside = detection("D1", square(1050, 200, 100), "2023-02-10")  # 50 m from R1, in no right
    assert run(rights, [ELSEWHERE, outside], production("R1")) == []
