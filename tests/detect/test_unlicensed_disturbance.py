"""unlicensed_disturbance: mining seen outside every right in force at the image date."""

from __future__ import annotations

import pytest

from filon.detect.parameters import defaults
from filon.detect.unlicensed_disturbance import detect
from tests.geo.territory_ctx import context, detection, gold_prices, right, square

P = defaults("unlicensed_disturbance")
R1 = square(0, 0, 1000)  # 100 ha right


def run(rights, dets, **kw):
    return detect(context(mining_rights=rights, detections=dets, prices=gold_prices(), **kw), P)


def test_scar_inside_an_active_right_is_silent() -> None:
    assert run([right("R1", R1)], [detection("D1", square(300, 300, 200))]) == []


def test_scar_outside_every_right_fires_with_area_score_and_value() -> None:
    [a] = run([right("R1", R1)], [detection("D1", square(3000, 0, 200), confidence=0.8)])
    assert (a.subject_type, a.subject_id, a.period, a.country) == ("area", "D1", "2023-06-01", "PE")
    assert a.evidence["outside_ha"] == pytest.approx(4.0, rel=0.01) and a.evidence["outside_share"] == pytest.approx(1.0)
    assert a.score == pytest.approx(0.8 * (0.5 + 0.5 * 0.4), rel=0.01)
    # 4 ha x 2 kg/ha x 2000 USD/oz x 32.15 oz/kg
    assert a.value_at_risk_usd == pytest.approx(4.0 * 2.0 * 2000 * 32.1507466, rel=0.01)
    assert a.evidence["sources"][0] == {"table": "detections", "id": "D1", "file": "detections.csv", "row": 2}


def test_partial_overlap_fires_only_beyond_share_and_minimum() -> None:
    # 200 x 200 m scar straddling the east edge: half (2 ha) outside.
    [a] = run([right("R1", R1)], [detection("D1", square(900, 300, 200))])
    assert a.evidence["outside_share"] == pytest.approx(0.5, abs=0.01)
    assert "50% outside" in a.explanation
    # 10 m over the edge (5 % of it): digitising noise, silent.
    assert run([right("R1", R1)], [detection("D1", square(810, 300, 200))]) == []
    # Wholly outside but below the minimum area (0.04 ha): silent.
    assert run([right("R1", R1)], [detection("D1", square(3000, 0, 20))]) == []


def test_two_adjacent_rights_together_cover_the_scar() -> None:
    rights = [right("R1", R1), right("R2", square(1000, 0, 1000))]
    assert run(rights, [detection("D1", square(900, 300, 200))]) == []


def test_right_expired_before_the_image_does_not_license_it() -> None:
    [a] = run([right("R1", R1, status="expired", expires="2021-12-31")], [detection("D1", square(300, 300, 200))])
    assert a.evidence["rights"][0]["in_force"] is False and "expired on 2021-12-31" in a.explanation
    # ... but it did in 2021: the status is today's, the dates decide.
    assert run([right("R1", R1, status="expired", expires="2021-12-31")],
               [detection("D1", square(300, 300, 200), date="2021-06-01")]) == []


def test_grant_after_the_image_and_undated_lapses() -> None:
    det = [detection("D1", square(300, 300, 200))]
    assert len(run([right("R1", R1, granted="2024-01-01")], det)) == 1
    assert run([right("R1", R1, granted=None)], det) == []          # missing grant date: counted as granted
    assert run([right("R1", R1, expires=None)], det) == []          # missing expiry: open-ended
    assert len(run([right("R1", R1, status="expired", expires=None)], det)) == 1  # lapse undated
    assert len(run([right("R1", R1, status="suspended")], det)) == 1
    assert len(run([right("R1", R1, status="cancelled")], det)) == 1


def test_missing_confidence_uses_the_default_and_no_price_no_value() -> None:
    [a] = detect(context(detections=[detection("D1", square(3000, 0, 200), confidence=None)]), P)
    assert a.evidence["confidence_used"] == 0.7 and a.value_at_risk_usd is None and a.country is None


def test_invalid_scar_is_repaired_and_flagged() -> None:
    from tests.geo.territory_ctx import offset
    (x0, y0), (x1, y1) = offset(3000, 0), offset(3300, 300)
    bowtie = f"POLYGON (({x0} {y0}, {x1} {y1}, {x1} {y0}, {x0} {y1}, {x0} {y0}))"
    [a] = run([right("R1", R1)], [detection("D1", bowtie)])
    assert a.evidence["geometry_repaired"] is True and a.evidence["detection_ha"] == pytest.approx(4.5, rel=0.02)


def test_alert_id_is_stable_across_runs() -> None:
    args = ([right("R1", R1)], [detection("D1", square(3000, 0, 200))])
    assert run(*args)[0].alert_id == run(*args)[0].alert_id


def test_projected_or_unreadable_geometry_is_left_out_not_fatal() -> None:
    utm = "POLYGON ((500000 8500000, 500200 8500000, 500200 8500200, 500000 8500000))"
    dets = [detection("D1", utm), detection("D2", "POLYGON ((0 0, 1"), detection("D3", square(3000, 0, 200))]
    [a] = run([right("R1", R1)], dets)
    assert a.subject_id == "D3"
