"""Early warning: a digest of only what changed, posted to a webhook, never announcing twice."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Self

import pytest

from filon.detect.parameters import defaults
from filon.errors import UsageError
from filon.ingest.load import ingest_package
from filon.risk.watch import post, risk_moves, run_watch
from tests.conftest import VALID
from tests.risk.conftest import REGIONS


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_second_run_on_the_same_data_announces_nothing(regions, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(regions[REGIONS[0][0]].workspace, ws)
    out = tmp_path / "watch"
    with Receiver() as hook:
        first = run_watch(ws, out, hook.url)
        second = run_watch(ws, out, hook.url)
    assert first.first_run and first.alerts and all(a["status"] == "new" for a in first.alerts)
    assert second.empty and not second.first_run
    assert len(hook.bodies) == 1 and hook.bodies[0]["counts"]["new"] == len(first.alerts)
    digest = json.loads((out / "digest.json").read_text(encoding="utf-8"))
    assert digest["empty"] and digest["alerts"] == [] and digest["risk_moves"] == []
    assert "Nothing new since the last run" in (out / "digest.html").read_text(encoding="utf-8")
    assert (out / "risk.csv").exists()


def test_risk_moves_are_announced_from_the_threshold() -> None:
    p = defaults("risk")
    row = lambda score, rank: {"risk_score": str(score), "rank": str(rank), "reasons": "[]"}
    before = {("actor", "A", "PE"): row(0.1, 5), ("actor", "B", "PE"): row(0.5, 1), ("actor", "C", "PE"): row(0.3, 2)}
    after = {("actor", "A", "PE"): row(0.6, 1), ("actor", "B", "PE"): row(0.52, 2), ("actor", "D", "PE"): row(0.4, 3)}
    moves = {m["subject_id"]: m["status"] for m in risk_moves(before, after, p)}
    assert moves == {"A": "up", "C": "gone", "D": "new"}
    assert risk_moves(None, after, p) == []


def test_watch_needs_a_workspace_and_a_web_url(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a filon workspace"):
        run_watch(VALID, tmp_path / "out")
    ingest_package(VALID, tmp_path / "ws")
    with pytest.raises(UsageError, match="http"):
        run_watch(tmp_path / "ws", tmp_path / "out", "ftp://example.org/x")


def test_an_unreachable_webhook_says_where_the_digest_is(tmp_path: Path) -> None:
    with Receiver() as hook:
        dead = hook.url
    with pytest.raises(UsageError, match="could not POST.*digest.json"):
        post(dead, b"{}", tmp_path)


def test_a_new_batch_is_analysed_incrementally_and_announced_once(regions, tmp_path: Path) -> None:
    import csv

    region = regions[REGIONS[0][0]]
    ws, out, batch = tmp_path / "ws", tmp_path / "watch", tmp_path / "batch"
    shutil.copytree(region.workspace, ws)
    run_watch(ws, out)
    with open(region.package / "exports.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    src = next(r for r in rows if r["commodity"] == "Au" and r["product"] == "dore" and r["fine_mass_kg"])
    new = {**src, "declaration_id": src["declaration_id"] + "-N", "value_usd": f"{float(src['value_usd']) * 0.1:.2f}"}
    batch.mkdir()
    with open(batch / "exports.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerow(new)
    ingest_package(batch, ws)
    digest = run_watch(ws, out)
    mine = [(a["status"], a["typology"]) for a in digest.alerts if a["subject_id"] == new["declaration_id"]]
    assert mine == [("new", "undervaluation")]
    assert "undervaluation" in digest.scoped and "displacement" in digest.reused
    assert run_watch(ws, out).empty
