"""Precision and recall of one typology's alerts against a demo region's ground_truth.csv.

An alert matches a truth row with the same typology and subject_id and, when the row gives a
period, a nested period: equal, or one a prefix of the other ("2023" holds "2023-09"), since
detectors report at the grain of their evidence (a month, a year) while the truth names the case.
A `fire` row matched is a hit; a matched `silent` row, or an alert on a subject the truth does
not name, is a false positive.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def read_truth(path: Path) -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _same_period(alert_period: str | None, truth_period: str | None) -> bool:
    a, t = (alert_period or "").strip(), (truth_period or "").strip()
    return not t or a.startswith(t) or (bool(a) and t.startswith(a))


def score(alerts: list[Any], truth_rows: list[dict[str, str]], typology: str) -> tuple[float, float, dict[str, Any]]:
    """(precision, recall, details) of `alerts` of `typology` against the truth rows."""
    rows = [r for r in truth_rows if r["typology"] == typology]
    mine = [a for a in alerts if a.typology == typology]
    fire = [r for r in rows if r["expected"] == "fire"]
    hits = [r for r in fire if any(a.subject_id == r["subject_id"] and _same_period(a.period, r["period"]) for a in mine)]
    false_pos = []
    for a in mine:
        match = [r for r in rows if r["subject_id"] == a.subject_id and _same_period(a.period, r["period"])]
        if not any(r["expected"] == "fire" for r in match) and not any(
                r["subject_id"] == a.subject_id and r["expected"] == "fire" for r in rows):
            false_pos.append(a)
        elif match and all(r["expected"] == "silent" for r in match):
            false_pos.append(a)
    true_pos = len(mine) - len(false_pos)
    precision = true_pos / len(mine) if mine else 1.0
    recall = len(hits) / len(fire) if fire else 1.0
    details = {"alerts": len(mine), "fire_rows": len(fire), "missed": [r["subject_id"] for r in fire if r not in hits],
               "false_positives": [(a.subject_id, a.period) for a in false_pos]}
    return precision, recall, details
