"""risk.csv: actors, facilities, customs offices, admin areas and country pairs ranked by risk.

    write_risk(ctx, alerts, out_dir, params)      # after the detectors, engine still open

Columns: subject_type, subject_id, country, risk_score (0–1), rank (1 = highest within its
subject_type), reasons (JSON list of the largest contributions, each with where it comes from).
Every actor of the workspace is listed, with 0 when nothing points at it, so a rank is a rank
among all actors. Beside it: indicators.csv (every node's indicators per period) and, when
triage decisions were given, risk_calibration.json (weights before/after, how the ranking moved).
"""

from __future__ import annotations

import csv
import io
import json
import weakref
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.output import (
    FORMULA_START,
    escape_cell,
    row_cells,
    write_cells,
)
from filon.detect.parameters import Parameters, defaults
from filon.risk.actors import ActorRisk, ranked, read_inputs, score_actors
from filon.risk.calibration import rank_moves, read_decisions, recalibrate
from filon.risk.contributions import alert_dicts
from filon.risk.indicators import (
    INDICATOR_COLUMNS,
    INDICATORS,
    NodePeriod,
    compute_indicators,
    node_scores,
)

RISK_COLUMNS = ("subject_type", "subject_id", "country", "risk_score", "rank", "reasons")
SUBJECT_ORDER = ("actor", "facility", "customs_office", "admin_area", "country_pair")


@dataclass
class RiskResult:
    """`rows`: the actors with a score, then every node, each with its rank. The actors scoring 0
    (most of a nation's) are `zero_actors`, ranked after the scored ones in id order: kept as ids
    (sorted) and written in bulk (`write`), since nothing about them needs a look each."""

    rows: list[dict[str, Any]]
    actors: dict[str, ActorRisk]
    periods: list[NodePeriod]
    calibration: dict[str, Any] | None = None
    weights: dict[str, float] = field(default_factory=dict)
    zero_actors: list[str] = field(default_factory=list)
    countries: dict[str, str | None] = field(default_factory=dict)
    top_reasons: int = 0

    def cells(self) -> Iterator[Sequence[Any]]:
        """risk.csv's rows, in order, as escaped cells: the scored actors, the zero-scoring ones
        (a nation's worth, made column by column rather than a dict each), then the nodes."""
        scored, nodes = self._split()
        yield from map(_cells, scored)
        ids, countries, reasons = self._zero_columns()
        yield from zip(repeat("actor"), ids, countries, repeat(0.0), range(len(scored) + 1, len(scored) + 1 + len(ids)),
                       reasons)
        yield from map(_cells, nodes)

    def write(self, path: Path) -> None:
        """risk.csv, byte for byte as `write_cells` writes `cells()`, the zero-scoring actors' rows made
        in Arrow (`_csv_block`): `csv.writer` spent most of an incremental run's risk step on them."""
        scored, nodes = self._split()
        ids, countries, reasons = self._zero_columns(escape=False)
        with path.open("wb") as fh:
            fh.write(_csv_text([RISK_COLUMNS, *map(_cells, scored)]))
            try:
                fh.write(_csv_block(ids, countries, reasons, len(scored) + 1))
            except (TypeError, ValueError):  # a cell not text (Arrow's errors are both): as csv.writer writes it
                fh.write(_csv_text(zip(repeat("actor"), _escaped(ids), _escaped(countries), repeat(0.0),
                                       range(len(scored) + 1, len(scored) + 1 + len(ids)), _escaped(reasons))))
            fh.write(_csv_text(map(_cells, nodes)))

    def _split(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return ([r for r in self.rows if r["subject_type"] == "actor"],
                [r for r in self.rows if r["subject_type"] != "actor"])

    def _zero_columns(self, escape: bool = True) -> tuple[list[Any], list[Any], list[Any]]:
        """The zero-scoring actors' ids, countries and reasons (escaped, unless not `escape`)."""
        ids = self.zero_actors
        countries = list(map(self.countries.get, ids))
        reasons = ["[]"] * len(ids)
        for a, risk in self.actors.items():  # reached by a path of no weight: keeps its reasons and country
            i = bisect_left(ids, a)  # `ranked` gives them in id order
            if i < len(ids) and ids[i] == a:
                countries[i], reasons[i] = risk.country, json.dumps(risk.reasons(self.top_reasons), ensure_ascii=False)
        if not escape:
            return ids, countries, reasons
        return _escaped(ids), _escaped(countries), _escaped(reasons)


def _cells(r: dict[str, Any]) -> list[Any]:
    return row_cells({**r, "reasons": json.dumps(r["reasons"], ensure_ascii=False)}, RISK_COLUMNS)


def _escaped(values: list[Any]) -> list[Any]:
    """`escape_cell` over a column, skipped when no cell needs it (the usual case, checked in one pass)."""
    if any(isinstance(v, str) and v.startswith(FORMULA_START) for v in values):
        return [escape_cell(v) for v in values]
    return values


def _csv_text(rows: Iterable[Sequence[Any]]) -> bytes:
    """`rows` (escaped cells) as `csv.writer` writes them in its default dialect, UTF-8."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


#: The characters `csv.writer` quotes a cell holding; as an Arrow (RE2) regular expression.
_QUOTE_CHARS = ',"\r\n'
_QUOTED = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _QUOTE_CHARS) + "]"


def _csv_block(ids: list[str], countries: list[str | None], reasons: list[str], first_rank: int) -> bytes:
    """The zero-scoring actors' rows (`actor,<id>,<country>,0.0,<rank>,<reasons>`) as `csv.writer`
    writes them, made column by column in Arrow (a nation's actors in milliseconds); TypeError when
    a cell is not text."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not ids:
        return b""

    def column(values: list[Any]) -> Any:
        cells = pa.array(values, pa.string()).fill_null("")
        formula = pc.is_in(pc.utf8_slice_codeunits(cells, 0, 1), value_set=pa.array(FORMULA_START, pa.string()))
        escaped = pc.any(formula).as_py()
        if escaped:
            cells = pc.if_else(formula, pc.binary_join_element_wise("'", cells, ""), cells)
        joined = "\0".join(cells.to_pylist()) if escaped or None in values else "\0".join(values)
        if any(c in joined for c in _QUOTE_CHARS):  # one search each, over every cell at once
            quoted = pc.match_substring_regex(cells, _QUOTED)
            cells = pc.if_else(quoted, pc.binary_join_element_wise('"', pc.replace_substring(cells, '"', '""'), '"', ""),
                               cells)
        return cells

    ranks = pc.cast(pa.array(np.arange(first_rank, first_rank + len(ids), dtype=np.int64)), pa.string())
    lines = pc.binary_join_element_wise("actor", column(ids), column(countries), "0.0", ranks,
                                        pc.binary_join_element_wise(column(reasons), "\r\n", ""), ",")
    return _values(lines)


def _values(strings: Any) -> bytes:
    """The bytes of an Arrow string array's values, one after the other."""
    import numpy as np

    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32, count=len(strings) + 1, offset=4 * strings.offset)
    return strings.buffers()[2][int(offsets[0]):int(offsets[-1])].to_pybytes()


#: The last result computed, so the report drawn in the same run reuses it instead of recomputing. The
#: context is held weakly: holding it kept the run's tables and values alive until the next run in the
#: process (a benchmark, a server), which then spent a third of a second freeing them in its risk step.
_last: dict[str, Any] = {}


def _remember(ctx: DetectContext, alerts: int, result: RiskResult) -> None:
    _last.clear()
    _last.update(ctx=weakref.ref(ctx), alerts=alerts, result=result)


def compute_risk(ctx: DetectContext, alerts: list[Alert] | list[dict[str, Any]], params: Parameters | None = None,
                 decisions: Path | None = None) -> RiskResult:
    p = params or defaults("risk")
    rows = alert_dicts(alerts)
    inputs = read_inputs(ctx, rows, p)
    weights = dict(p.typology_weights)
    calibration = None
    decided: dict[str, dict[str, str]] = {}
    if decisions is not None and Path(decisions).is_file():
        decided = read_decisions(Path(decisions))
    if decided:
        base = ranked(score_actors(inputs, p, weights), inputs.actors)
        weights, table = recalibrate(weights, decided, rows, p)
    actors = score_actors(inputs, p, weights, {k: d["decision"] for k, d in decided.items()})
    scored, zero = ranked(actors, inputs.actors)
    if decided:
        before, after = [r.actor_id for r in base[0]] + base[1], [r.actor_id for r in scored] + zero
        calibration = {"decisions": len(decided), "typologies": table,
                       **rank_moves(before, after, max(1, len(after) // 20))}
    periods = compute_indicators(ctx, rows, {a: r.score for a, r in actors.items()}, p)
    out_rows: list[dict[str, Any]] = [{"subject_type": "actor", "subject_id": r.actor_id, "country": r.country,
                 "risk_score": round(r.score, 4), "reasons": r.reasons(p.top_reasons)} for r in scored]
    nodes = node_scores(periods)
    for kind in SUBJECT_ORDER[1:]:
        mine = sorted((n for n in nodes if n["subject_type"] == kind),
                      key=lambda n: (-round(n["risk_score"], 9), n["subject_id"], n["country"] or ""))
        out_rows.extend({**n, "risk_score": round(n["risk_score"], 4), "reasons": n["reasons"][:p.top_reasons]}
                        for n in mine)
    counters: dict[str, int] = {}
    for r in out_rows:
        kind = str(r["subject_type"])
        counters[kind] = counters.get(kind, 0) + 1
        r["rank"] = counters[kind]
    result = RiskResult(out_rows, actors, periods, calibration, weights, zero, inputs.actors, p.top_reasons)
    _remember(ctx, len(rows), result)
    return result


def last_result(ctx: DetectContext, alerts: list[Any]) -> RiskResult | None:
    """The result computed on this very context for these alerts, if any (the report's shortcut)."""
    held = _last.get("ctx")
    if held is not None and held() is ctx and _last.get("alerts") == len(alerts):
        return _last["result"]
    return None


def reuse_result(ctx: DetectContext, alerts: list[Any], folder: Path) -> RiskResult:
    """The result a previous run wrote into `folder` (risk.csv, indicators.csv), read back so the
    report drawn on `ctx` shows it without recomputing (an incremental run that reused the ranking)."""
    import csv

    def num(v: str) -> float | None:
        return None if v in ("", None) else float(v)

    with open(folder / "risk.csv", newline="", encoding="utf-8") as fh:
        rows = [{**r, "country": r["country"] or None, "risk_score": float(r["risk_score"]), "rank": int(r["rank"]),
                 "reasons": json.loads(r["reasons"]) if r["reasons"] else []} for r in csv.DictReader(fh)]
    periods = []
    with open(folder / "indicators.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            node = NodePeriod(r["subject_type"], r["subject_id"], r["country"] or None, r["period"],
                              records=int(r["records"]), value_usd=float(r["value_usd"]), fine_kg=float(r["fine_kg"]),
                              values={k: num(r[k]) for k in INDICATORS}, score=float(r["score"]))
            periods.append(node)
    result = RiskResult(rows, {}, periods)
    _remember(ctx, len(alerts), result)
    return result


def write_risk(ctx: DetectContext, alerts: list[Alert], out_dir: Path, params: Parameters | None = None,
               decisions: Path | None = None) -> Path:
    """Write OUT/risk.csv and OUT/indicators.csv (and risk_calibration.json with decisions); return risk.csv's path.

    `decisions`: the analysts' triage file (alert_id, decision), e.g. WS/derived/triage.csv; ignored when absent.
    """
    result = compute_risk(ctx, alerts, params, decisions)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "risk.csv"
    result.write(path)
    write_cells(out_dir / "indicators.csv", INDICATOR_COLUMNS, (n.cells() for n in result.periods))
    calibration = out_dir / "risk_calibration.json"
    if result.calibration is not None:
        calibration.write_text(json.dumps(result.calibration, indent=2, ensure_ascii=False), encoding="utf-8")
    elif calibration.exists():
        calibration.unlink()  # a stale calibration would describe decisions no longer applied
    return path
