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
