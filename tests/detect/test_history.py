"""Runs into the same folder report what is new, changed and resolved since the last one."""

from __future__ import annotations

import csv
from pathlib import Path

from filon.detect.history import compare
from filon.detect.runner import run_analysis


def add_trades(package: Path, rows: list[str]) -> None:
    with (package / "trades.csv").open("a", encoding="utf-8") as fh:
        fh.writelines(r + "\n" for r in rows)


def changes(out: Path) -> list[dict[str, str]]:
    with (out / "changes.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_new_changed_resolved_across_runs(package: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_analysis(package, out, detectors=["mass_balance_break"])
    assert first.first_run and changes(out) == [] and "Since the last run" not in (out / "report.html").read_text()

    add_trades(package, ["PE-T900,PE,2024-05-10,PE-A003,PE-A004,Au,bullion,,30,1900000,,,"])
    second = run_analysis(package, out, detectors=["mass_balance_break"])
    [new] = changes(out)
    assert (new["status"], new["subject_id"], new["previous_score"]) == ("new", "PE-A003", "")
    assert not second.first_run and "Since the last run" in (out / "report.html").read_text()

    run_analysis(package, out, detectors=["mass_balance_break"])
    assert changes(out) == []  # same input, same alerts: nothing announced twice

    add_trades(package, ["PE-T901,PE,2024-05-11,PE-A003,PE-A004,Au,bullion,,10,630000,,,"])
    run_analysis(package, out, detectors=["mass_balance_break"])
    [moved] = changes(out)
    assert moved["status"] == "changed" and moved["alert_id"] == new["alert_id"]

    trades = package / "trades.csv"
    trades.write_text("".join(line for line in trades.read_text().splitlines(keepends=True)
                              if not line.startswith(("PE-T900", "PE-T901"))))
    run_analysis(package, out, detectors=["mass_balance_break"])
    [gone] = changes(out)
    assert gone["status"] == "resolved" and gone["alert_id"] == new["alert_id"] and gone["score"] == ""


def test_detectors_that_did_not_run_resolve_nothing() -> None:
    before = [{"alert_id": "AL-1", "typology": "valuation_x", "score": 0.5, "evidence": {}}]
    assert compare(before, [], {"mass_balance_break"}) == []


def test_a_damaged_previous_file_counts_as_a_first_run(package: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "alerts.json").write_text("[{truncated")
    assert run_analysis(package, out).first_run


def alert(score: float = 0.5, value: float | None = 1000.0, **evidence: object) -> dict[str, object]:
    return {"alert_id": "AL-1", "typology": "mass_balance_break", "score": score, "value_at_risk_usd": value,
            "evidence": evidence}


def test_a_rounded_figure_whose_last_digit_flips_is_not_a_change() -> None:
    # Full and incremental runs add the same kilograms in another order: 280.8405 rounds either way.
    for before, after in [(280.84, 280.841), (91.766, 91.765), (0.1 + 0.2, 0.3), (1234567.891234567, 1234567.8912345671)]:
        assert compare([alert(bought_kg=before)], [alert(bought_kg=after)], {"mass_balance_break"}) == []
        nested = {"sources": [{"fine_kg": before}]}
        assert compare([alert(**nested)], [alert(sources=[{"fine_kg": after}])], {"mass_balance_break"}) == []


def test_a_real_move_of_a_figure_is_a_change() -> None:
    for before, after in [(280.84, 280.86), (0.5, 0.6), (0.012, 0.013), (1.0, 1.0002), (5, 6)]:
        [row] = compare([alert(bought_kg=before)], [alert(bought_kg=after)], {"mass_balance_break"})
        assert row["status"] == "changed", (before, after)
    [row] = compare([alert(score=0.5)], [alert(score=0.5002)], {"mass_balance_break"})
    assert row["status"] == "changed"
    [row] = compare([alert(value=None)], [alert(value=0.0)], {"mass_balance_break"})
    assert row["status"] == "changed"
    [row] = compare([alert(ids=["a", "b"])], [alert(ids=["a", "b", "c"])], {"mass_balance_break"})
    assert row["status"] == "changed"


def test_evidence_as_json_text_compares_as_parsed() -> None:
    import json

    text = {**alert(bought_kg=280.84), "evidence": json.dumps({"bought_kg": 280.84})}
    assert compare([text], [alert(bought_kg=280.841)], {"mass_balance_break"}) == []
