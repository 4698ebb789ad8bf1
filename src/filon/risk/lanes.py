"""Declaration lanes: red (inspect), amber (check the documents) or green (release).

A declaration's score combines, as independent evidence (1 − Π(1 − weight × factor)):
  exporter    the exporter's actor risk in the workspace (unknown exporters: 0, said in reasons)
  suppliers   the fine-mass-weighted risk of those the exporter buys from
  valuation   distance of the declared value from fine mass × reference price of the date ×
              payable share (the valuation detector's basis), beyond `valuation_tolerance`,
              complete at `valuation_full`
  content     paying gold or silver in the lot's assays that the declaration neither names nor
              values (the content_misdeclaration detector's rule and thresholds)
  mirror      the destination pair's mirror-gap history (recency-weighted alert score)
Red above the red cut-off: the score that `red_share` of the workspace's own declarations
reach, kept within [`min_red_score`, `max_red_cutoff`]; amber likewise with `amber_share`.
Scoring is vectorised with numpy: the whole batch at once, no per-row SQL.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from filon.detect._supply import HS_COMMODITY
from filon.detect.context import DetectContext
from filon.detect.output import escape_cell
from filon.detect.parameters import defaults
from filon.detect.valuation import ASSAY_GRADE, HS6_COMMODITY
from filon.errors import InvalidData, UsageError
from filon.risk.lanes_model import LaneModel

LANE_COLUMNS = ("declaration_id", "lane", "score", "reasons")
FIELDS = ("declaration_id", "country", "date", "exporter_id", "destination_country", "hs_code", "commodity",
          "product", "net_mass_kg", "fine_mass_kg", "value_usd", "lot_id")
NUMERIC = ("net_mass_kg", "fine_mass_kg", "value_usd")
FACTORS = ("exporter", "suppliers", "valuation", "content", "mirror")
CREDITS = {"Au": "au_gpt", "Ag": "ag_gpt"}


def _metal(hs: str | None, commodity: str | None) -> str | None:
    if commodity:
        return commodity
    hs = hs or ""
    return HS6_COMMODITY.get(hs[:6]) or HS_COMMODITY.get(hs[:4])


def _price(model: LaneModel, metals: np.ndarray, days: np.ndarray, max_age: int) -> np.ndarray:
    """Latest reference price (USD/kg) at or before each day, NaN when none within max_age days."""
    out = np.full(len(days), np.nan)
    for metal, (pdays, usd) in model.prices.items():
        mask = metals == metal
        if not mask.any():
            continue
        idx = np.searchsorted(pdays, days[mask], side="right") - 1
        ok = idx >= 0
        found = np.full(mask.sum(), np.nan)
        age = days[mask][ok] - pdays[idx[ok]]
        found[ok] = np.where(age < max_age, usd[idx[ok]], np.nan)
        out[mask] = found
    return out


def score_arrays(cols: dict[str, np.ndarray], model: LaneModel) -> dict[str, np.ndarray]:
    """Factors and score of every declaration in `cols` (arrays of FIELDS; `date` as days since 1970)."""
    lp, val, cm = defaults("lanes"), defaults("valuation"), defaults("content_misdeclaration")
    n = len(cols["declaration_id"])
    metal = np.array([_metal(h, c) for h, c in zip(cols["hs_code"], cols["commodity"])], dtype=object)
    form = np.array([p or ("concentrate" if (h or "").startswith("26") else None)
                     for p, h in zip(cols["product"], cols["hs_code"])], dtype=object)
    net, value = cols["net_mass_kg"], cols["value_usd"]
    lot = np.array([model.lot_index.get(x, -1) if x else -1 for x in cols["lot_id"]], dtype=np.int64)
    has_lot = lot >= 0
    safe = np.where(has_lot, lot, 0)

    def grade(column: str) -> np.ndarray:
        g = model.lot_grades[column][safe] if len(model.lot_grades[column]) else np.zeros(n)
        return np.where(has_lot, g, np.nan)

    fine = np.where(cols["fine_mass_kg"] > 0, cols["fine_mass_kg"], np.nan)
    for m, (column, factor) in ASSAY_GRADE.items():
        est = grade(column) * net * factor
        fine = np.where(np.isnan(fine) & (metal == m) & ~np.isnan(est), est, fine)
    fine = np.where(np.isnan(fine) & (form == "bullion"), net * val.purity_bullion, fine)
    days = cols["date"]
    price = _price(model, metal, days, val.max_price_age_days)
    payable = np.where(np.isin(form, ["concentrate", "ore"]), val.payable_concentrate, val.payable_metal)
    with np.errstate(divide="ignore", invalid="ignore"):
        deviation = value / (fine * price * payable) - 1.0
    valuation = np.clip((np.abs(deviation) - lp.valuation_tolerance) / (lp.valuation_full - lp.valuation_tolerance), 0, 1)
    valuation = np.nan_to_num(valuation, nan=0.0)

    credit = np.zeros(n)
    thresholds = {"Au": cm.au_payable_gpt, "Ag": cm.ag_payable_gpt}
    for m, column in CREDITS.items():
        g = np.nan_to_num(grade(column), nan=0.0)
        take = (metal != m) & (g >= thresholds[m])
        if take.any():
            px = np.nan_to_num(_price(model, np.full(n, m, dtype=object), days, cm.max_price_age_days), nan=0.0)
            credit += np.where(take, g * net / 1e6 * px * cm.credit_payable, 0.0)
    declared_metal = np.nan_to_num(fine * price, nan=0.0)
    paid = np.where(declared_metal > 0, np.maximum(0.0, value - declared_metal), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(value > 0, (credit - paid) / value, np.where(credit > 0, np.inf, 0.0))
    content = np.where((credit > 0) & (share >= cm.min_missing_share),
                       np.clip(share / cm.full_score_share, 0, 1), 0.0)

    exporter = np.array([model.actor_risk.get(e, 0.0) for e in cols["exporter_id"]])
    suppliers = np.array([model.supplier_risk.get(e, 0.0) for e in cols["exporter_id"]])
    mirror = np.array([model.mirror.get(f"{c}>{d}", 0.0) for c, d in zip(cols["country"], cols["destination_country"])])
    factors = {"exporter": exporter, "suppliers": suppliers, "valuation": valuation, "content": content, "mirror": mirror}
    rest = np.ones(n)
    for name, f in factors.items():
        rest *= 1.0 - np.clip(lp.weights[name] * f, 0, 1)
    return {**factors, "score": 1.0 - rest, "deviation": deviation, "credit_usd": credit,
            "missing_share": share, "fine": fine, "price": price}


def calibrate_cutoffs(scores: np.ndarray) -> tuple[float, float]:
    """Red and amber cut-offs from the workspace's own declaration scores."""
    lp = defaults("lanes")
    if len(scores) == 0:
        return lp.max_red_cutoff, min(lp.min_amber_score, lp.max_red_cutoff)
    red = float(np.clip(np.quantile(scores, 1.0 - lp.red_share, method="higher"), lp.min_red_score, lp.max_red_cutoff))
    amber = float(np.clip(np.quantile(scores, max(0.0, 1.0 - lp.red_share - lp.amber_share), method="higher"),
                          lp.min_amber_score, red))
    return red, amber


def lanes_for(scores: np.ndarray, model: LaneModel) -> np.ndarray:
    """Red strictly above the red cut-off or at the ceiling; amber likewise; green otherwise.

    Strictly above: when many declarations share the cut-off score (one exporter's routine
    shipments), they stay amber rather than overflowing the red share.
    """
    ceiling = defaults("lanes").max_red_cutoff
    red = (scores > model.red_cutoff) | (scores >= ceiling)
    amber = ~red & (scores > model.amber_cutoff)
    return np.where(red, "red", np.where(amber, "amber", "green"))


def reasons_for(s: dict[str, np.ndarray], cols: dict[str, np.ndarray], model: LaneModel,
                w: dict[str, float]) -> list[str]:
    """Per declaration, the factors that moved its score, largest first, as compact JSON.

    Most declarations differ only by exporter and destination (their own figures are in line),
    so their reasons are built once per (exporter, destination, valued or not) and reused; the
    few with a valuation or content factor get their own.
    """
    exporters = cols["exporter_id"].tolist()
    pairs = [f"{c}>{d}" for c, d in zip(cols["country"].tolist(), cols["destination_country"].tolist())]
    unvalued = np.isnan(s["deviation"]).tolist()
    own = ((s["valuation"] > 0) | (s["content"] > 0)).tolist()
    values = {name: s[name].tolist() for name in FACTORS}
    memo: dict[tuple[str, str, bool], str] = {}

    def build(i: int) -> str:
        e, pair = exporters[i], pairs[i]
        items: list[tuple[float, dict[str, Any]]] = []
        for name in FACTORS:
            v = values[name][i]
            if v <= 0:
                continue
            if name == "exporter":
                detail = f"exporter {e} has actor risk {v:.2f}"
            elif name == "suppliers":
                detail = f"its suppliers' risk averages {v:.2f}; riskiest: {model.supplier_top.get(e, '-')}"
            elif name == "mirror":
                detail = f"mirror-gap alerts on {pair} (recency-weighted score {v:.2f})"
            elif name == "valuation":
                detail = (f"declared value is {1 + s['deviation'][i]:.2f} times fine mass x reference price "
                          f"({s['fine'][i]:,.3f} kg at {s['price'][i]:,.0f} USD/kg)")
            else:
                detail = (f"lot {cols['lot_id'][i]} assays paying metal worth {s['credit_usd'][i]:,.0f} USD not "
                          f"accounted for ({s['missing_share'][i]:.0%} of the declared value)")
            c = round(w[name] * v, 4)
            items.append((c, {"factor": name, "contribution": c, "detail": detail}))
        if unvalued[i]:
            items.append((0.0, {"factor": "valuation", "contribution": 0.0, "detail": "not valued: no fine mass "
                                "(declared, from assays or bullion) or no reference price"}))
        if e not in model.actor_risk:
            items.append((0.0, {"factor": "exporter", "contribution": 0.0,
                                "detail": f"exporter {e} is not in the workspace: no actor or supplier risk"}))
        items.sort(key=lambda r: -r[0])
        return json.dumps([item for _, item in items], ensure_ascii=False)

    out = []
    for i in range(len(exporters)):
        if own[i]:
            out.append(build(i))
            continue
        key = (exporters[i], pairs[i], unvalued[i])
        if key not in memo:
            memo[key] = build(i)
        out.append(memo[key])
    return out


def score_declarations(cols: dict[str, np.ndarray], model: LaneModel) -> list[dict[str, Any]]:
    s = score_arrays(cols, model)
    lanes = lanes_for(s["score"], model).tolist()
    reasons = reasons_for(s, cols, model, dict(defaults("lanes").weights))
    scores = np.round(s["score"], 4).tolist()
    ids = cols["declaration_id"].tolist()
    return [{"declaration_id": ids[i], "lane": lanes[i], "score": scores[i], "reasons": reasons[i]} for i in range(len(ids))]


def _arrays(table: Any) -> dict[str, np.ndarray]:
    """A pyarrow table of FIELDS (date as DATE) -> numpy arrays (text as object, numbers as float, NaN missing)."""
    out: dict[str, np.ndarray] = {}
    for name in FIELDS:
        col = table.column(name)
        if name in NUMERIC:
            out[name] = np.array(col.to_numpy(zero_copy_only=False), dtype=float)
        elif name == "date":
            out[name] = col.cast("int32").to_numpy(zero_copy_only=False).astype(np.int64)
        else:
            out[name] = np.array(col.to_pylist(), dtype=object)
    return out


def read_workspace_exports(ctx: DetectContext) -> dict[str, np.ndarray]:
    """The workspace's own declarations, to calibrate the cut-offs."""
    import pyarrow as pa

    rows = ctx.query(f"SELECT {', '.join(FIELDS)} FROM exports ORDER BY declaration_id")
    table = pa.table({f: [r[f] for r in rows] for f in FIELDS},
                     schema=pa.schema([(f, pa.float64() if f in NUMERIC else pa.date32() if f == "date" else pa.string())
                                       for f in FIELDS]))
    return _arrays(table)


def read_declarations(path: Path) -> dict[str, np.ndarray]:
    """Validate a CSV (or Parquet) of export declarations against the standard and read it.

    The checks are the standard's (`filon validate`): a problem names the file, row, column and fix.
    """
    from filon.engine.duckdb import connect
    from filon.standard.model import load_standard
    from filon.validate.problems import ValidationReport
    from filon.validate.reader import stage_file
    from filon.validate.rules import check_cells

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path} does not exist. Give a CSV file of export declarations in the standard's "
                         "exports shape (see 'filon standard show exports').")
    table = load_standard()["exports"]
    report = ValidationReport(package=str(path))
    con = connect()
    staging = Path(tempfile.mkdtemp(prefix="filon-lanes-"))
    try:
        item = stage_file(con, table, path, "stage_exports", report, staging)
        if item is not None and not item.structural_errors:
            check_cells(con, item, report)
        if item is None or not report.valid:
            first = report.errors[:5]
            more = f" (and {report.error_count() - len(first)} more)" if report.error_count() > len(first) else ""
            raise InvalidData("the declarations do not follow the standard's exports table: "
                              + "; ".join(p.describe() for p in first) + more
                              + ". Correct the file and run again ('filon validate FILE' lists every problem)")
        parts = []
        for name in FIELDS:
            kind = "DOUBLE" if name in NUMERIC else "DATE" if name == "date" else "VARCHAR"
            if name not in item.columns:
                parts.append(f"CAST(NULL AS {kind}) AS {name}")
            else:
                parts.append(f"TRY_CAST({item.cell(name)} AS {kind}) AS {name}")
        arrow = con.execute(f"SELECT {', '.join(parts)} FROM {item.stage} ORDER BY __rowid").arrow()
        if hasattr(arrow, "read_all"):
            arrow = arrow.read_all()
        return _arrays(arrow)
    finally:
        con.close()
        shutil.rmtree(staging, ignore_errors=True)


def record_columns(record: dict[str, Any]) -> dict[str, np.ndarray]:
    """One declaration given as a dict (a service call, not a file) -> scoring arrays.

    Checks what scoring relies on, in Python, without the file validator's DuckDB staging (about
    100 ms): the standard's required columns are present, numbers are numbers, the date is ISO.
    """
    from filon.standard.model import load_standard

    where = f"declaration {record.get('declaration_id') or '(no id)'}"
    for col in load_standard()["exports"].columns:
        if col.required and record.get(col.name) in (None, ""):
            raise InvalidData(f"{where}: required value missing", column=col.name,
                              fix=f"give {col.name} (see 'filon standard show exports')")
    out: dict[str, np.ndarray] = {}
    for name in FIELDS:
        value = record.get(name)
        value = None if value == "" else value
        if name in NUMERIC:
            try:
                out[name] = np.array([np.nan if value is None else float(value)])
            except (TypeError, ValueError):
                raise InvalidData(f"{where}: not a number", column=name, value=str(value),
                                  fix="write a plain number with a decimal point, e.g. 1234.5") from None
        elif name == "date":
            try:
                out[name] = np.array([np.datetime64(str(value)[:10], "D").astype(np.int64)])
            except ValueError:
                raise InvalidData(f"{where}: not an ISO date", column=name, value=str(value),
                                  fix="write the date as YYYY-MM-DD") from None
        else:
            out[name] = np.array([None if value is None else str(value)], dtype=object)
    return out


def write_lanes(path: Path, rows: list[dict[str, Any]]) -> Path:
    """lanes.csv; ids that a spreadsheet would run as formulas are neutralised (reasons start with '[')."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(LANE_COLUMNS)
        writer.writerows((escape_cell(r["declaration_id"]), r["lane"], r["score"], r["reasons"]) for r in rows)
    return path
