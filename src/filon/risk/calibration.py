"""Typology weights recalibrated from analysts' triage decisions (Beta-Binomial, per typology).

An analyst who confirms or dismisses alerts says how often each typology is right in this
workspace. With a Beta prior of mean `prior_confirm_rate` and weight `prior_strength`
decisions, a typology's posterior confirmation rate is

    rate = (confirmed + prior_rate × strength) / (decided + strength)

and its weight becomes `weight × rate / prior_rate` (capped at 1): a typology confirmed more
often than assumed weighs more, one mostly dismissed weighs less, and a handful of decisions
moves it only a little. Decided alerts themselves count fully (confirmed) or not at all
(dismissed). The file: CSV with columns `alert_id` and `decision` (confirmed or dismissed);
other columns (typology, analyst, note) are kept out of the way.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from filon.detect.parameters import Parameters
from filon.errors import InvalidData

DECISIONS = ("confirmed", "dismissed")


def read_decisions(path: Path) -> dict[str, dict[str, str]]:
    """alert_id -> {decision, typology (when the file gives it)}; the last decision of an alert wins."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in ("alert_id", "decision") if c not in header]
            if missing:
                raise InvalidData(f"triage decisions need the column(s) {', '.join(missing)}", file=str(path), row=1,
                                  fix="write a header row with alert_id,decision (decision: confirmed or dismissed)")
            out: dict[str, dict[str, str]] = {}
            for number, row in enumerate(reader, start=2):
                row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
                decision = row["decision"].lower()
                if decision not in DECISIONS:
                    raise InvalidData("decision must be confirmed or dismissed", file=str(path), row=number,
                                      column="decision", value=row["decision"],
                                      fix="write confirmed or dismissed (leave undecided alerts out of the file)")
                if not row["alert_id"]:
                    raise InvalidData("alert_id is empty", file=str(path), row=number, column="alert_id",
                                      fix="copy the alert_id from alerts.csv")
                out[row["alert_id"]] = {"decision": decision, "typology": row.get("typology", "")}
            return out
    except UnicodeDecodeError:
        raise InvalidData("not UTF-8 text", file=str(path), fix="save the decisions file as UTF-8 CSV") from None


def recalibrate(weights: dict[str, float], decisions: dict[str, dict[str, str]], alerts: list[dict[str, Any]],
                p: Parameters) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """New weights and, per typology decided on, the counts and rates behind them."""
    typology_of = {a["alert_id"]: a["typology"] for a in alerts}
    counts: dict[str, Counter] = {}
    for aid, d in decisions.items():
        typology = typology_of.get(aid) or d.get("typology")
        if typology:
            counts.setdefault(typology, Counter())[d["decision"]] += 1
    new = dict(weights)
    table = []
    for typology, c in sorted(counts.items()):
        decided = c["confirmed"] + c["dismissed"]
        rate = (c["confirmed"] + p.prior_confirm_rate * p.prior_strength) / (decided + p.prior_strength)
        before = float(weights.get(typology, p.default_weight))
        after = min(1.0, before * rate / p.prior_confirm_rate) if p.prior_confirm_rate > 0 else before
        new[typology] = after
        table.append({"typology": typology, "confirmed": c["confirmed"], "dismissed": c["dismissed"],
                      "confirmation_rate": round(rate, 4), "weight_before": round(before, 4),
                      "weight_after": round(after, 4)})
    return new, table


def rank_moves(before: list[str], after: list[str], top: int) -> dict[str, Any]:
    """How the ranking changed: the actors that moved most among those in either top, and the overlap of the tops."""
    rb = {a: i + 1 for i, a in enumerate(before)}
    ra = {a: i + 1 for i, a in enumerate(after)}
    watched = set(before[:top]) | set(after[:top])
    far = len(before) + len(after) + 1  # an actor missing from one ranking counts as below every ranked one
    moves = sorted(({"subject_id": a, "rank_before": rb.get(a), "rank_after": ra.get(a)} for a in watched),
                   key=lambda m: (-abs(rb.get(str(m["subject_id"]), far) - ra.get(str(m["subject_id"]), far)),
                                  str(m["subject_id"])))
    return {"top": top, "top_overlap": len(set(before[:top]) & set(after[:top])),
            "moves": [m for m in moves if m["rank_before"] != m["rank_after"]][:25]}
