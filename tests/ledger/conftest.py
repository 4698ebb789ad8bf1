"""A small signed ledger with demo keys: one lot created at a right, traded, split, processed,
sampled, assayed and exported; another merged in."""

from __future__ import annotations

from pathlib import Path

import pytest

from filon.ledger.keys import OPERATOR, PrivateKeys
from filon.ledger.store import Ledger


def story() -> list[dict]:
    return [
        {"type": "lot_created", "event_id": "e1", "time": "2024-01-02", "actor": "MINER-1", "country": "PE",
         "outputs": [{"lot": "L1", "kg": 10.0}], "right_id": "R-9", "commodity": "Au"},
        {"type": "transfer", "event_id": "e2", "time": "2024-01-03", "actor": "MINER-1", "lot": "L1", "kg": 10.0,
         "to_actor": "TRADER-1", "value_usd": 600000.0},
        {"type": "split", "event_id": "e3", "time": "2024-01-04", "actor": "TRADER-1",
         "inputs": [{"lot": "L1", "kg": 10.0}], "outputs": [{"lot": "L1a", "kg": 6.0}, {"lot": "L1b", "kg": 4.0}]},
        {"type": "lot_created", "event_id": "e4", "time": "2024-01-04", "actor": "TRADER-1",
         "outputs": [{"lot": "L2", "kg": 2.0}]},
        {"type": "merge", "event_id": "e5", "time": "2024-01-05", "actor": "TRADER-1",
         "inputs": [{"lot": "L1a", "kg": 6.0}, {"lot": "L2", "kg": 2.0}], "outputs": [{"lot": "M1", "kg": 8.0}]},
        {"type": "processing", "event_id": "e6", "time": "2024-01-06", "actor": "TRADER-1",
         "inputs": [{"lot": "M1", "kg": 8.0}], "outputs": [{"lot": "D1", "kg": 7.6}]},
        {"type": "sampling", "event_id": "e7", "time": "2024-01-07", "actor": "TRADER-1", "lot": "D1",
         "sample_id": "S1", "kg": 0.01},
        {"type": "assay_result", "event_id": "e8", "time": "2024-01-08", "actor": "lab:andino", "lot": "D1",
         "sample_id": "S1", "results": {"au_gpt": 912000.5}, "lab": "andino", "method": "fire assay"},
        {"type": "export_declaration", "event_id": "e9", "time": "2024-01-09", "actor": "TRADER-1", "lot": "D1",
         "kg": 7.5, "declaration_id": "235-2024-40-1", "destination_country": "CH"},
        {"type": "seizure", "event_id": "e10", "time": "2024-01-10", "actor": "SUNAT", "lot": "L1b", "kg": 4.0,
         "authority": "SUNAT"},
    ]


@pytest.fixture
def keys() -> PrivateKeys:
    return PrivateKeys(None, demo_seed="test")


@pytest.fixture
def ledger(tmp_path: Path, keys: PrivateKeys) -> Ledger:
    led = Ledger.create(tmp_path / "L", keys.key(OPERATOR), demo=True, log_id="test-log")
    led.append(story(), keys)
    led.sign_head(keys.key(OPERATOR), timestamp="2024-02-01T00:00:00Z")
    return led
