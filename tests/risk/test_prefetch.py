"""The indicators' aggregates computed beside the detectors are the ones computed in line."""

from __future__ import annotations

from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.engine.base import engine_for
from filon.risk.aggregates import prefetch
from filon.risk.contributions import alert_dicts
from filon.risk.indicators import compute_indicators
from filon.store.workspace import Workspace


def test_prefetched_aggregates_give_the_same_indicators(regions) -> None:
    region = next(iter(regions.values()))
    p = defaults("risk")
    alerts = alert_dicts(region.alerts)
    risk = {r["subject_id"]: float(r["risk_score"]) for r in region.risk_rows() if r["subject_type"] == "actor"}
    rows = {}
    for mode in ("in line", "prefetched"):
        ctx = DetectContext(engine_for("duckdb", Workspace(region.workspace)))
        try:
            if mode == "prefetched":
                pending = prefetch(ctx, p)
                assert pending is not None
                pending.join()
                assert sum(1 for k in ctx._memo if k[0] == "risk_indicators") == 3  # exports, trades, production
                ctx.reads = set()
            rows[mode] = [n.row() for n in compute_indicators(ctx, alerts, risk, p)]
            if mode == "prefetched":
                assert {"exports", "trades", "production"} <= ctx.reads  # a memo hit still records its inputs
        finally:
            ctx.engine.close()
    assert rows["in line"] == rows["prefetched"] and len(rows["in line"]) > 50
