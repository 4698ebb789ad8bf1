"""Bulk load: custody events from a workspace's `trades`, `exports` and `assays` (by lot_id).

Rows are replayed in date order. A lot's first appearance creates it (at its declared origin
right for a trade, from the exporter's stock for an export), a trade is a transfer from seller
to buyer, an assay is a sampling by the lot's custodian at that date and a result signed by the
laboratory (actor `lab:<name>`), an export row is an export declaration. The consignee's name is
kept as a salted commitment (the clear name goes to the erasable personal store).

With `demo=True` every key is derived from a public seed (see `keys.demo_private_key`) so the
demo ledger is reproducible; such keys are labelled as demo keys in keys.json and prove nothing.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filon.detect.parameters import defaults
from filon.ledger.keys import OPERATOR, PrivateKeys
from filon.ledger.personal import STORE_FILE, PersonalStore
from filon.ledger.store import Ledger

Progress = Callable[[str], None]
DEMO_SEED = "filon-demo"
ANALYTES = ("au_gpt", "ag_gpt", "cu_pct", "zn_pct", "sn_pct", "pb_pct", "hg_ppm")


@dataclass
class BuildSummary:
    ledger: Path
    keys: Path
    events: int
    lots: int
    heads: int
    demo: bool


def lab_actor(name: str) -> str:
    return "lab:" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unknown")


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _has(con: Any, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchone()[0])


def _day(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def custody_events(con: Any, personal: PersonalStore | None = None) -> Iterator[dict]:
    """Custody events, in date order, from the trades, exports and assays of a DuckDB connection."""
    stream: list[tuple[str, int, str, dict]] = []
    if _has(con, "trades"):
        for r in _rows(con, "SELECT * FROM trades WHERE lot_id IS NOT NULL AND lot_id <> ''"):
            stream.append((_day(r["date"]), 0, str(r["record_id"]), r))
    if _has(con, "assays"):
        for r in _rows(con, "SELECT * FROM assays WHERE lot_id IS NOT NULL AND lot_id <> ''"):
            stream.append((_day(r["date"]) if r.get("date") else "0000", 1, str(r["sample_id"]), r))
    if _has(con, "exports"):
        for r in _rows(con, "SELECT * FROM exports WHERE lot_id IS NOT NULL AND lot_id <> ''"):
            stream.append((_day(r["date"]), 2, str(r["declaration_id"]), r))
    stream.sort(key=lambda s: s[:3])
    custodian: dict[str, str] = {}
    for day, kind, key, r in stream:
        lot = str(r["lot_id"])
        if kind == 0:
            yield from _trade(r, lot, day, key, custodian)
        elif kind == 1:
            yield from _assay(r, lot, day, key, custodian)
        else:
            yield from _export(r, lot, day, key, custodian, personal)


def _created(lot: str, actor: str, kg: float, day: str, source: str, custodian: dict[str, str],
             **extra: Any) -> dict:
    custodian[lot] = actor
    return {"type": "lot_created", "event_id": f"{source}:lot_created", "time": day, "actor": actor,
            "outputs": [{"lot": lot, "kg": kg}], **{k: v for k, v in extra.items() if v not in (None, "")}}


def _trade(r: dict, lot: str, day: str, key: str, custodian: dict[str, str]) -> Iterator[dict]:
    seller, kg = str(r["seller_id"]), float(r["fine_mass_kg"])
    if lot not in custodian:
        yield _created(lot, seller, kg, day, f"trades:{key}", custodian, right_id=r.get("origin_right_id"),
                       commodity=r.get("commodity"), product=r.get("product"), country=r.get("country"))
    yield {"type": "transfer", "event_id": f"trades:{key}:transfer", "time": day, "actor": seller,
           "lot": lot, "kg": kg, "to_actor": str(r["buyer_id"]), "country": r.get("country"),
           **{k: r[k] if k != "value_usd" else float(r[k]) for k in ("value_usd", "document_ref")
              if r.get(k) not in (None, "")}}
    custodian[lot] = str(r["buyer_id"])


def _assay(r: dict, lot: str, day: str, key: str, custodian: dict[str, str]) -> Iterator[dict]:
    lab = lab_actor(str(r.get("lab") or "unknown"))
    yield {"type": "sampling", "event_id": f"assays:{key}:sampling", "time": day,
           "actor": custodian.get(lot, lab), "lot": lot, "sample_id": key}
    results = {a: float(r[a]) for a in ANALYTES if r.get(a) is not None}
    yield {"type": "assay_result", "event_id": f"assays:{key}:result", "time": day, "actor": lab, "lot": lot,
           "sample_id": key, "results": results,
           **{k: str(r[k]) for k in ("lab", "method") if r.get(k) not in (None, "")}}


def _export(r: dict, lot: str, day: str, key: str, custodian: dict[str, str],
            personal: PersonalStore | None) -> Iterator[dict]:
    exporter = str(r["exporter_id"])
    fine = r.get("fine_mass_kg")
    kg, basis = (float(fine), "fine") if fine is not None else (float(r["net_mass_kg"]), "net")
    if lot not in custodian:
        yield _created(lot, exporter, kg, day, f"exports:{key}", custodian, commodity=r.get("commodity"),
                       product=r.get("product"), country=r.get("country"), origin="exporter stock")
    event = {"type": "export_declaration", "event_id": f"exports:{key}:export", "time": day, "actor": exporter,
             "lot": lot, "kg": kg, "mass_basis": basis, "declaration_id": key,
             "destination_country": r.get("destination_country"), "country": r.get("country"),
             "value_usd": float(r["value_usd"]) if r.get("value_usd") is not None else None}
    if personal is not None and r.get("consignee_name"):
        name = str(r["consignee_name"])
        event["commitments"] = {"consignee_name": personal.commit(name, "consignee_name", name, key)}
    yield {k: v for k, v in event.items() if v is not None}


def build_ledger(source: Path, out: Path, keys_dir: Path, *, demo: bool = False,
                 progress: Progress = lambda _m: None) -> BuildSummary:
    """Create a ledger at `out` from a workspace or package folder; keys go to `keys_dir`."""
    from filon.detect.runner import open_source

    keys = PrivateKeys(keys_dir, demo_seed=DEMO_SEED if demo else None)
    p = defaults("ledger")
    with tempfile.TemporaryDirectory(prefix="filon-ledger-") as tmp:
        workspace = open_source(Path(source), progress, Path(tmp))
        con = workspace.connect()
        operator = keys.key(OPERATOR, create=True)
        ledger = Ledger.create(out, operator, demo=demo)
        personal = PersonalStore(out / STORE_FILE, demo_seed=DEMO_SEED if demo else None)
        batch: list[dict] = []
        lots: set[str] = set()
        heads = since_head = 0
        for event in custody_events(con, personal):
            keys.key(event["actor"], create=True)
            batch.append(event)
            lots.update(o["lot"] for o in event.get("outputs", []))
            if len(batch) >= 2000:
                ledger.append(batch, keys)
                since_head += len(batch)
                batch = []
                if since_head >= int(p.head_every):
                    ledger.sign_head(operator)
                    heads, since_head = heads + 1, 0
                progress(f"{len(ledger)} events appended")
        if batch:
            ledger.append(batch, keys)
        ledger.sign_head(operator)
        personal.close()
        con.close()
    keys.save()
    return BuildSummary(ledger=Path(out), keys=keys_dir, events=len(ledger), lots=len(lots),
                        heads=heads + 1, demo=demo)
