"""Evidence bundles verify offline and catch tampering; erasing a person keeps every proof valid."""

from __future__ import annotations

import json
import zipfile

import pytest

from filon.errors import UsageError
from filon.ledger.bundle import EVENTS, MANIFEST, export_bundle, verify_bundle
from filon.ledger.keys import OPERATOR
from filon.ledger.personal import STORE_FILE, PersonalStore, opens
from filon.ledger.store import Ledger
from filon.ledger.verify import verify_ledger


def test_bundle_holds_the_lineage_and_verifies(ledger, tmp_path):
    manifest = export_bundle(ledger, "D1", tmp_path / "b")
    assert set(manifest["lineage"]["ancestors"]) == {"M1", "L1a", "L2", "L1"}
    ids = {e["event_id"] for e in manifest["entries"]}
    assert {"e1", "e2", "e3", "e5", "e6", "e7", "e8", "e9"} <= ids
    assert verify_bundle(tmp_path / "b").intact
    keys = json.loads((tmp_path / "b" / "keys.json").read_text())
    assert all("private" not in json.dumps(k) for k in keys["keys"])


def test_zip_bundle_and_tampering(ledger, tmp_path):
    export_bundle(ledger, "L1", tmp_path / "b.zip")
    assert verify_bundle(tmp_path / "b.zip").intact
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files[EVENTS] = files[EVENTS].replace(b'"kg":10', b'"kg":11', 1)
    manifest = json.loads(files[MANIFEST])
    manifest["files"] = {}  # a careful forger also drops the file hashes
    files[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as zf:
        for n, d in files.items():
            zf.writestr(n, d)
    verdict = verify_bundle(tmp_path / "bad.zip")
    assert not verdict.intact and "inclusion proof" in verdict.problems[0]


def test_export_refuses_unknown_lot_and_existing_out(ledger, tmp_path):
    with pytest.raises(UsageError, match="appears in no event"):
        export_bundle(ledger, "NOPE", tmp_path / "x")
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "f").write_text("x")
    with pytest.raises(UsageError, match="already exists"):
        export_bundle(ledger, "L1", tmp_path / "y")


def test_erasing_a_person_keeps_every_proof(ledger, keys, tmp_path):
    store = PersonalStore(ledger.folder / STORE_FILE)
    commit = store.commit("Ana Quispe", "courier_name", "Ana Quispe")
    store.flush()
    ledger.append([{"type": "transfer", "event_id": "p1", "time": "2024-03-01", "actor": "TRADER-1", "lot": "D1",
                    "kg": 7.5, "to_actor": "COURIER-1", "commitments": {"courier_name": commit}}], keys)
    ledger.sign_head(keys.key(OPERATOR))
    value, salt = store.reveal(commit)
    assert opens(commit, salt, value)
    assert b"Ana Quispe" not in (ledger.folder / "log.bin").read_bytes()
    export_bundle(ledger, "D1", tmp_path / "before")
    assert store.erase("Ana Quispe") == 1
    assert store.reveal(commit) is None
    store.close()
    assert b"Ana Quispe" not in (ledger.folder / STORE_FILE).read_bytes()
    assert verify_ledger(ledger.folder).intact
    assert verify_bundle(tmp_path / "before").intact
    export_bundle(Ledger(ledger.folder), "D1", tmp_path / "after")
    assert verify_bundle(tmp_path / "after").intact
