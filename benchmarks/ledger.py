"""Benchmark of the custody ledger (filon.ledger) against pymerkle on the same workload.

    .venv/bin/python benchmarks/ledger.py [--events 20000] [--batch 1000]

Reproducible: events and demo keys derive from fixed seeds; the ledger is rebuilt under
benchmarks/_data/ledger-bench/ on every run. Measures
  * signed appends/s: canonical JSON + Ed25519 signature + log write + fsync per batch + a signed
    tree head per batch (the full durable path);
  * tree-only appends/s: leaf hashing and the incremental tree, the part pymerkle also does;
  * inclusion proof: generation and RFC 9162 verification time per proof;
and the same tree-only appends and proof generation/verification with pymerkle's InmemoryTree
(RFC 9162-compatible hashing) over the very same leaf bytes. Targets: >= 5,000 signed appends/s,
proof verification < 1 ms.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from pathlib import Path

from filon.ledger.keys import OPERATOR, PrivateKeys
from filon.ledger.merkle import MerkleTree, leaf_hash, verify_inclusion
from filon.ledger.store import Ledger

DATA = Path(__file__).parent / "_data" / "ledger-bench"


def workload(n: int) -> list[dict]:
    rng = random.Random(7)
    events = []
    for i in range(n):
        actor = f"ACT-PE-{rng.randrange(200):05d}"
        if i % 2 == 0:
            events.append({"type": "lot_created", "event_id": f"b{i}", "time": "2024-01-02", "actor": actor,
                           "outputs": [{"lot": f"L{i}", "kg": round(rng.uniform(0.1, 40), 4)}], "country": "PE"})
        else:
            events.append({"type": "transfer", "event_id": f"b{i}", "time": "2024-01-03", "actor": actor,
                           "lot": f"L{i - 1}", "kg": round(rng.uniform(0.1, 40), 4),
                           "to_actor": f"ACT-PE-{rng.randrange(200):05d}", "value_usd": round(rng.uniform(1e3, 1e6), 2)})
    return events


def bench_filon(events: list[dict], batch: int) -> tuple[Ledger, dict]:
    shutil.rmtree(DATA, ignore_errors=True)
    keys = PrivateKeys(None, demo_seed="bench")
    for e in events:  # key derivation is set-up, not appending
        keys.key(e["actor"])
    operator = keys.key(OPERATOR)
    led = Ledger.create(DATA, operator, demo=True, log_id="bench")
    led.append(events[:1], keys)
    t = time.perf_counter()
    for i in range(1, len(events), batch):
        led.append(events[i:i + batch], keys)
        led.sign_head(operator)
    signed = (len(events) - 1) / (time.perf_counter() - t)
    leaves = led.leaves
    t = time.perf_counter()
    tree = MerkleTree(leaf_hash(x) for x in leaves)
    tree_only = len(leaves) / (time.perf_counter() - t)
    return led, {"signed appends/s": signed, "tree-only appends/s": tree_only, **proof_times(tree)}


def proof_times(tree: MerkleTree, samples: int = 2000) -> dict:
    rng, n, root = random.Random(1), len(tree), tree.root()
    idx = [rng.randrange(n) for _ in range(samples)]
    t = time.perf_counter()
    proofs = [tree.inclusion_path(i, n) for i in idx]
    gen = (time.perf_counter() - t) / samples
    t = time.perf_counter()
    assert all(verify_inclusion(i, n, tree.leaf(i), p, root) for i, p in zip(idx, proofs))
    ver = (time.perf_counter() - t) / samples
    return {"proof generation ms": gen * 1e3, "proof verification ms": ver * 1e3}


def bench_pymerkle(leaves: list[bytes], samples: int = 2000) -> dict:
    from pymerkle import InmemoryTree, verify_inclusion as pm_verify

    tree = InmemoryTree(algorithm="sha256")
    t = time.perf_counter()
    for leaf in leaves:
        tree.append_entry(leaf)
    appends = len(leaves) / (time.perf_counter() - t)
    n = tree.get_size()
    root = tree.get_state() if not hasattr(tree, "get_root") else tree.get_root()
    rng = random.Random(1)
    idx = [rng.randrange(n) + 1 for _ in range(samples)]
    t = time.perf_counter()
    proofs = [tree.prove_inclusion(i, n) for i in idx]
    gen = (time.perf_counter() - t) / samples
    t = time.perf_counter()
    for i, p in zip(idx, proofs):
        pm_verify(tree.get_leaf(i), root, p)
    ver = (time.perf_counter() - t) / samples
    return {"signed appends/s": None, "tree-only appends/s": appends,
            "proof generation ms": gen * 1e3, "proof verification ms": ver * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    events = workload(args.events)
    led, ours = bench_filon(events, args.batch)
    theirs = bench_pymerkle(led.leaves)
    print(f"workload: {args.events:,} custody events (lot_created/transfer), batches of {args.batch}, "
          f"fsync and a signed tree head per batch; log {(DATA / 'log.bin').stat().st_size / 1e6:.1f} MB")
    print(f"{'measure':<26}{'filon.ledger':>16}{'pymerkle 7':>16}")
    for key in ours:
        a, b = ours[key], theirs[key]
        fmt = (lambda v: "n/a" if v is None else f"{v:,.0f}") if "/s" in key else (lambda v: f"{v:.4f}")
        print(f"{key:<26}{fmt(a):>16}{fmt(b):>16}")
    print("pymerkle signs nothing and writes nothing to disk: its figures are the tree alone.")
    verdict = ours["signed appends/s"] >= 5000 and ours["proof verification ms"] < 1.0
    print(f"targets (>= 5,000 signed appends/s, verification < 1 ms): {'met' if verdict else 'NOT met'}")


if __name__ == "__main__":
    main()
