"""What lane scoring knows about a workspace, computed once and cached in WS/derived/risk/.

Scoring a declaration must take milliseconds, so everything that needs the whole workspace is
prepared here: every detector's alerts, every actor's risk, each exporter's suppliers' risk,
each destination's mirror-gap history, reference prices, lot assays, and the red and amber
cut-offs calibrated on the workspace's own declarations. The cache is rebuilt when the
workspace (its manifest) or the parameters change.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from filon.detect.context import DetectContext
from filon.detect.parameters import defaults, resolve
from filon.detect.prices import UNITS_PER_KG
from filon.detect.registry import all_detectors
from filon.detect.valuation import lots_sql
from filon.engine.base import engine_for
from filon.risk.actors import read_inputs, score_actors
from filon.risk.contributions import alert_dicts, recency
from filon.store.workspace import MANIFEST, Workspace

log = logging.getLogger(__name__)

CACHE_DIR = Path("derived") / "risk"
MODEL_FILE = "lanes_model.json"
ACTORS_FILE = "actors.parquet"
LOTS_FILE = "lots.parquet"
LOT_COLUMNS = ("au_gpt", "ag_gpt", "cu_pct", "zn_pct", "sn_pct", "pb_pct")
#: Workspace file of analysts' triage decisions, used to recalibrate typology weights when present.
TRIAGE_FILE = Path("derived") / "triage.csv"


@dataclass
class LaneModel:
    """The cached knowledge, as arrays and dicts ready for vectorised scoring."""

    fingerprint: str
    actor_risk: dict[str, float]
    supplier_risk: dict[str, float]
    supplier_top: dict[str, str]
    mirror: dict[str, float]
    prices: dict[str, tuple[np.ndarray, np.ndarray]]     # commodity -> (days since epoch, usd per kg), sorted
    lot_index: dict[str, int]
    lot_grades: dict[str, np.ndarray]
    red_cutoff: float
    amber_cutoff: float
    calibrated_on: int


def fingerprint(ws: Workspace) -> str:
    """Changes when the workspace's data or any parameter scoring depends on changes."""
    h = hashlib.sha256((ws.path / MANIFEST).read_bytes())
    h.update(json.dumps({s: dict(defaults(s)) for s in ("risk", "lanes", "valuation", "content_misdeclaration")},
                        sort_keys=True, default=str).encode())
    triage = ws.path / TRIAGE_FILE
    if triage.is_file():
        h.update(triage.read_bytes())
    return h.hexdigest()[:24]


def load_or_build(ws: Workspace, progress=lambda _m: None) -> LaneModel:
    folder = ws.path / CACHE_DIR
    fp = fingerprint(ws)
    try:
        meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
        if meta.get("fingerprint") == fp:
            return _load(folder, meta)
    except (OSError, ValueError, KeyError):
        pass
    progress("preparing the workspace's risk model (detectors, actor risk, cut-offs); cached for later calls")
    build(ws, folder, fp)
    return _load(folder, json.loads((folder / MODEL_FILE).read_text(encoding="utf-8")))


def build(ws: Workspace, folder: Path, fp: str) -> None:
    from filon.risk.lanes import (  # scoring lives there
        calibrate_cutoffs,
        read_workspace_exports,
        score_arrays,
    )

    p = defaults("risk")
    ctx = DetectContext(engine_for("duckdb", ws))
    try:
        alerts = []
        for det in all_detectors().values():
            try:
                alerts.extend(det.run(ctx, resolve(det.params, {})))
            except Exception:  # one broken detector must not stop lanes; its typology is simply missing
                log.exception("detector %s failed while preparing lanes", det.code)
        rows = alert_dicts(alerts)
        inputs = read_inputs(ctx, rows, p)
        triage = ws.path / TRIAGE_FILE
        weights, decisions = dict(p.typology_weights), {}
        if triage.is_file():
            from filon.risk.calibration import read_decisions, recalibrate
            decided = read_decisions(triage)
            weights, _ = recalibrate(weights, decided, rows, p)
            decisions = {k: d["decision"] for k, d in decided.items()}
        risk = dict.fromkeys(inputs.actors, 0.0)  # every actor: those nothing points at score 0
        risk.update((a, r.score) for a, r in score_actors(inputs, p, weights, decisions).items())
        supplier_risk, supplier_top = _supplier_risk(ctx, risk)
        mirror: dict[str, float] = {}
        lanes = defaults("lanes")
        for a in rows:
            if a["typology"] == "mirror_trade_gap":
                f = float(a["score"]) * recency(a.get("period"), inputs.as_of, lanes.mirror_half_life_months)
                mirror[a["subject_id"]] = max(mirror.get(a["subject_id"], 0.0), f)
        cases = " ".join(f"WHEN '{u}' THEN {f}" for u, f in UNITS_PER_KG.items())
        prices = ctx.query(f"""SELECT commodity, date, price_usd * CASE unit {cases} END AS usd_per_kg FROM prices
                               WHERE price_usd > 0 ORDER BY commodity, date""")
        lots = ctx.query(lots_sql())
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"actor_id": list(risk), "risk": [risk[a] for a in risk],
                                 "supplier_risk": [supplier_risk.get(a, 0.0) for a in risk],
                                 "supplier_top": [supplier_top.get(a) for a in risk]}), folder / ACTORS_FILE)
        pq.write_table(pa.table({"lot_id": [r["lot_id"] for r in lots],
                                 **{c: [r[c] for r in lots] for c in LOT_COLUMNS}}), folder / LOTS_FILE)
        by_metal: dict[str, list] = defaultdict(list)
        for r in prices:
            by_metal[r["commodity"]].append([str(r["date"]), r["usd_per_kg"]])
        meta: dict[str, Any] = {"fingerprint": fp, "mirror": mirror, "prices": by_metal,
                                "red_cutoff": 1.0, "amber_cutoff": 1.0, "calibrated_on": 0}
        (folder / MODEL_FILE).write_text(json.dumps(meta), encoding="utf-8")
        model = _load(folder, meta)
        scores = score_arrays(read_workspace_exports(ctx), model)["score"]
        meta["red_cutoff"], meta["amber_cutoff"] = calibrate_cutoffs(scores)
        meta["calibrated_on"] = len(scores)
        (folder / MODEL_FILE).write_text(json.dumps(meta), encoding="utf-8")
    finally:
        ctx.engine.close()


def _supplier_risk(ctx: DetectContext, risk: dict[str, float]) -> tuple[dict[str, float], dict[str, str]]:
    """Per buyer: the fine-mass-weighted mean risk of its sellers, and the riskiest seller by its weight."""
    rows = ctx.query("""SELECT buyer_id, seller_id, sum(fine_mass_kg) AS kg FROM trades
                        WHERE fine_mass_kg > 0 GROUP BY buyer_id, seller_id ORDER BY buyer_id, seller_id""")
    total: dict[str, float] = defaultdict(float)
    weighted: dict[str, float] = defaultdict(float)
    top: dict[str, tuple[float, str]] = {}
    for r in rows:
        b, s, kg = r["buyer_id"], r["seller_id"], r["kg"]
        rs = risk.get(s, 0.0)
        total[b] += kg
        weighted[b] += kg * rs
        if kg * rs > top.get(b, (0.0, ""))[0]:
            top[b] = (kg * rs, s)
    return ({b: weighted[b] / total[b] for b in total if total[b] > 0}, {b: s for b, (_, s) in top.items()})


def _load(folder: Path, meta: dict[str, Any]) -> LaneModel:
    actors = pq.read_table(folder / ACTORS_FILE).to_pydict()
    lots = pq.read_table(folder / LOTS_FILE)
    lot_ids = lots.column("lot_id").to_pylist()
    grades = {c: lots.column(c).to_numpy(zero_copy_only=False).astype(float) for c in LOT_COLUMNS}
    prices = {}
    for metal, pairs in meta["prices"].items():
        days = np.array([np.datetime64(d, "D").astype(np.int64) for d, _ in pairs], dtype=np.int64)
        prices[metal] = (days, np.array([v for _, v in pairs], dtype=float))
    return LaneModel(
        fingerprint=meta["fingerprint"],
        actor_risk=dict(zip(actors["actor_id"], actors["risk"])),
        supplier_risk=dict(zip(actors["actor_id"], actors["supplier_risk"])),
        supplier_top={a: s for a, s in zip(actors["actor_id"], actors["supplier_top"]) if s},
        mirror={k: float(v) for k, v in meta["mirror"].items()},
        prices=prices, lot_index={lot: i for i, lot in enumerate(lot_ids)}, lot_grades=grades,
        red_cutoff=float(meta["red_cutoff"]), amber_cutoff=float(meta["amber_cutoff"]),
        calibrated_on=int(meta["calibrated_on"]))
