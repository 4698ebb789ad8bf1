"""Analysts' link decisions: read, check, keep append-only, and turn into pair constraints.

A decisions file has `record_key_l`, `record_key_r`, `decision` (accept or reject) and,
when keys repeat across tables, `source_table_l` / `source_table_r`. Decisions are appended
to the workspace's log with who and when, never overwritten; the latest decision on a pair
wins, so an analyst corrects a mistake by deciding again.
"""

from __future__ import annotations

import csv
import getpass
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from filon.errors import InvalidData

COLUMNS = ("record_key_l", "record_key_r", "decision", "source_table_l", "source_table_r", "decided_by",
           "decided_at", "note")
VALUES = ("accept", "reject")


@dataclass(frozen=True)
class Decision:
    key_l: str
    key_r: str
    accept: bool
    table_l: str = ""
    table_r: str = ""


def read_decisions(path: Path) -> list[dict[str, str]]:
    """Rows of a decisions file, checked; errors name the file, row and column and say the fix."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"record_key_l", "record_key_r", "decision"} - set(reader.fieldnames or ())
            if missing:
                raise InvalidData(f"missing column(s) {', '.join(sorted(missing))}", file=str(path), row=1,
                                  fix="the header must read record_key_l,record_key_r,decision")
            rows = []
            for n, row in enumerate(reader, start=2):
                decision = (row.get("decision") or "").strip().lower()
                if decision not in VALUES:
                    raise InvalidData("decision must be accept or reject", file=str(path), row=n,
                                      column="decision", value=row.get("decision"), fix="write accept or reject")
                for col in ("record_key_l", "record_key_r"):
                    if not (row.get(col) or "").strip():
                        raise InvalidData("record key is empty", file=str(path), row=n, column=col,
                                          fix="copy the keys from review.csv or entities.csv")
                rows.append({c: (row.get(c) or "").strip() for c in COLUMNS} | {"decision": decision})
            return rows
    except FileNotFoundError:
        raise InvalidData("decisions file not found", file=str(path),
                          fix="give the path of a CSV with record_key_l,record_key_r,decision") from None


def append_decisions(log: Path, rows: list[dict[str, str]]) -> None:
    """Add rows to the workspace's decisions log, stamping who decided and when."""
    log.parent.mkdir(parents=True, exist_ok=True)
    new = not log.exists()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    user = os.environ.get("FILON_USER") or _user()
    with log.open("a", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow(row | {"decided_by": row.get("decided_by") or user, "decided_at": row.get("decided_at") or now})


def latest(rows: list[dict[str, str]]) -> list[Decision]:
    """One decision per unordered pair: the last one written."""
    out: dict[frozenset[tuple[str, str]], Decision] = {}
    for row in rows:
        d = Decision(row["record_key_l"], row["record_key_r"], row["decision"] == "accept",
                     row.get("source_table_l", ""), row.get("source_table_r", ""))
        out[frozenset(((d.table_l, d.key_l), (d.table_r, d.key_r)))] = d
    return list(out.values())


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
