"""Tampering of every kind is detected; crashes and concurrent appenders leave a valid log."""

from __future__ import annotations

import json
import multiprocessing
import struct
import zlib
from pathlib import Path

from filon.ledger.keys import OPERATOR, PrivateKeys
from filon.ledger.merkle import verify_consistency
from filon.ledger.store import HEADS_FILE, LOG_FILE, MAGIC, Ledger, record
from filon.ledger.verify import verify_ledger


def records(folder: Path) -> list[bytes]:
    data = (folder / LOG_FILE).read_bytes()
    out, pos = [], len(MAGIC)
    while pos < len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        out.append(data[pos + 4:pos + 4 + n])
        pos += 8 + n
    return out


def rewrite(folder: Path, leaves: list[bytes]) -> None:
    (folder / LOG_FILE).write_bytes(MAGIC + b"".join(record(x) for x in leaves))


def test_intact_ledger_verifies(ledger):
    verdict = verify_ledger(ledger.folder)
    assert verdict.intact, verdict.problems
    assert verdict.entries == 10 and verdict.heads == 1


def test_every_changed_byte_is_detected(ledger):
    """Flip each byte of each stored event (payload, length, checksum): verification fails."""
    original = (ledger.folder / LOG_FILE).read_bytes()
    for pos in range(len(MAGIC), len(original), 7):
        data = bytearray(original)
        data[pos] ^= 0x01
        (ledger.folder / LOG_FILE).write_bytes(bytes(data))
        verdict = verify_ledger(ledger.folder)
        assert not verdict.intact, f"byte {pos} changed undetected"
    (ledger.folder / LOG_FILE).write_bytes(original)


def test_changed_event_with_valid_checksum_names_entry_and_reason(ledger):
    leaves = records(ledger.folder)
    leaves[4] = leaves[4].replace(b'"kg":8', b'"kg":9')
    rewrite(ledger.folder, leaves)
    verdict = verify_ledger(ledger.folder)
    assert verdict.bad_entry == 4 and "signature" in verdict.problems[0]


def test_reordering_is_detected(ledger):
    leaves = records(ledger.folder)
    leaves[2], leaves[3] = leaves[3], leaves[2]
    rewrite(ledger.folder, leaves)
    verdict = verify_ledger(ledger.folder)
    assert verdict.bad_entry == 2 and "reordered" in verdict.problems[0]


def test_deleting_is_detected(ledger):
    leaves = records(ledger.folder)
    del leaves[5]
    rewrite(ledger.folder, leaves)
    verdict = verify_ledger(ledger.folder)
    assert verdict.bad_entry == 5


def test_truncating_is_detected(ledger):
    rewrite(ledger.folder, records(ledger.folder)[:7])
    verdict = verify_ledger(ledger.folder)
    assert not verdict.intact and "truncated" in verdict.problems[0]


def test_resequenced_rewrite_is_caught_by_the_signed_head(ledger, keys):
    """An attacker holding a custodian's key re-signs an event: signatures hold, the root does not."""
    from filon.ledger.events import leaf_bytes, parse_leaf, sign_event

    leaves = records(ledger.folder)
    env = parse_leaf(leaves[1])
    forged = dict(env["event"], kg=1.0)
    leaves[1] = leaf_bytes(sign_event(forged, keys.key(forged["actor"])), 1)
    rewrite(ledger.folder, leaves)
    verdict = verify_ledger(ledger.folder)
    assert not verdict.intact and "not a prefix" in verdict.problems[0]


def test_forged_head_is_detected(ledger):
    head = json.loads((ledger.folder / HEADS_FILE).read_text())
    head["tree_size"] = 9
    (ledger.folder / HEADS_FILE).write_text(json.dumps(head) + "\n")
    assert "signature" in verify_ledger(ledger.folder).problems[0]


def test_fork_is_detected_by_consistency_between_two_heads(tmp_path, keys):
    """The operator shows party A one tree and party B another: A's head is not a prefix of B's tree."""
    from tests.ledger.conftest import story

    operator = keys.key(OPERATOR)
    a = Ledger.create(tmp_path / "A", operator, log_id="same-log")
    b = Ledger.create(tmp_path / "B", operator, log_id="same-log")
    events = story()
    a.append(events[:6], keys)
    b.append(events[:4] + [dict(events[4], event_id="e5x", inputs=[{"lot": "L1a", "kg": 5.0},
                                                                      {"lot": "L2", "kg": 2.0}])], keys)
    head_a = a.sign_head(operator)
    b.append(events[5:], keys)
    head_b = b.sign_head(operator)
    proof = b.tree.consistency_proof(head_a["tree_size"], head_b["tree_size"])
    assert not verify_consistency(head_a["tree_size"], head_b["tree_size"], bytes.fromhex(head_a["root_hash"]),
                                  bytes.fromhex(head_b["root_hash"]), proof)
    assert not verify_ledger(b.folder, held_head=head_a).intact
    assert verify_ledger(a.folder, held_head=head_a).intact


def test_torn_tail_is_recovered_and_new_appends_verify(ledger, keys):
    path = ledger.folder / LOG_FILE
    leaf = b'{"event":{"half":'
    torn = struct.pack(">I", 400) + leaf  # the process died inside write()
    path.write_bytes(path.read_bytes() + torn)
    verdict = verify_ledger(ledger.folder)
    assert verdict.intact and "interrupted" in verdict.notes[0]
    reopened = Ledger(ledger.folder)
    assert reopened.recovered_bytes == len(torn) and len(reopened) == 10
    reopened.append([{"type": "transfer", "event_id": "e11", "time": "2024-02-02", "actor": "TRADER-1",
                      "lot": "L1b", "kg": 1.0, "to_actor": "X"}], keys)
    reopened.sign_head(keys.key(OPERATOR))
    assert verify_ledger(ledger.folder).intact


def test_torn_final_checksum_is_recovered(ledger):
    path = ledger.folder / LOG_FILE
    leaf = b'{"x":1}'
    path.write_bytes(path.read_bytes() + struct.pack(">I", len(leaf)) + leaf + struct.pack(">I", zlib.crc32(leaf) ^ 1))
    assert len(Ledger(ledger.folder)) == 10


def _append_many(folder: str, worker: int, count: int) -> None:
    keys = PrivateKeys(None, demo_seed="test")
    led = Ledger(Path(folder))
    for i in range(count):
        led.append([{"type": "lot_created", "event_id": f"w{worker}-{i}", "time": "2024-03-01",
                     "actor": f"ACT-{worker}", "outputs": [{"lot": f"W{worker}-{i}", "kg": 1.0}]}], keys)


def test_concurrent_appenders(ledger, keys):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(ledger.folder), w, 40)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    led = Ledger(ledger.folder)
    assert len(led) == 10 + 160
    led.sign_head(keys.key(OPERATOR))
    verdict = verify_ledger(ledger.folder)
    assert verdict.intact, verdict.problems
