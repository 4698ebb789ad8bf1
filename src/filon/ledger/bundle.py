"""Evidence bundle: everything a third party needs to verify one lot's history, offline.

    BUNDLE/ (or BUNDLE.zip)
      manifest.json   the lot, its lineage, the signed tree head, and per entry its log index,
                      leaf hash and RFC 9162 inclusion proof; SHA-256 of the other files
      events.jsonl    the entries' exact leaf bytes, one per line, in manifest order
      keys.json       public keys of the custodians involved and of the ledger operator
      assays.json     the lot family's samples and assay results, as signed in the events

The lineage is the lot, its ancestors (the lots it was split, merged or processed from, up to
their creation) and its descendants; every event naming one of them is included. Personal
fields stay commitments: a bundle never carries a clear personal value or a salt.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import defaultdict, deque
from pathlib import Path

from filon.errors import UsageError
from filon.ledger.events import check_event, envelope_problem, parse_leaf, touched_lots
from filon.ledger.keys import OPERATOR, KeyRegistry
from filon.ledger.merkle import leaf_hash, verify_inclusion
from filon.ledger.store import Ledger, now_iso
from filon.ledger.verify import Verdict, head_problem

FORMAT = "filon-evidence-bundle/1"
MANIFEST, EVENTS, KEYS, ASSAYS = "manifest.json", "events.jsonl", "keys.json", "assays.json"


def lineage(events: list[dict], lot_id: str) -> tuple[list[str], list[str]]:
    """(ancestors, descendants) of a lot through splits, merges and processing."""
    parents: dict[str, set[str]] = defaultdict(set)
    children: dict[str, set[str]] = defaultdict(set)
    for e in events:
        for i in e.get("inputs", []):
            for o in e.get("outputs", []):
                parents[o["lot"]].add(i["lot"])
                children[i["lot"]].add(o["lot"])
    return _reach(parents, lot_id), _reach(children, lot_id)


def _reach(edges: dict[str, set[str]], start: str) -> list[str]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in sorted(edges.get(queue.popleft(), ())):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    seen.discard(start)
    return sorted(seen)


def export_bundle(ledger: Ledger, lot_id: str, out: Path, head: dict | None = None) -> dict:
    """Write the bundle of `lot_id` to `out` (a folder, or a zip when out ends in .zip)."""
    events = [env["event"] for _, env in ledger.envelopes()]
    if not any(lot_id in touched_lots(e) for e in events):
        raise UsageError(f"lot {lot_id} appears in no event of {ledger.folder}. Check the lot id "
                         "(e.g. in trades.csv column lot_id)")
    head = head or ledger.latest_head()
    ancestors, descendants = lineage(events, lot_id)
    family = {lot_id, *ancestors, *descendants}
    indexes = [i for i, e in enumerate(events) if family.intersection(touched_lots(e))]
    if head is None or head["tree_size"] <= indexes[-1]:
        size = 0 if head is None else head["tree_size"]
        raise UsageError(f"the latest signed tree head covers {size} entries but lot {lot_id} has events up to "
                         f"entry {indexes[-1]}. Sign a new head: pass the operator's --keys folder to export")
    size = head["tree_size"]
    leaves = [ledger.leaves[i] for i in indexes]
    envelopes = [parse_leaf(leaf) for leaf in leaves]
    registry = KeyRegistry([k for k in ledger.registry if k.actor_id == OPERATOR or
                            k.key_id in {env["key_id"] for env in envelopes}])
    files = {
        EVENTS: b"".join(leaf + b"\n" for leaf in leaves),
        KEYS: (json.dumps(registry.to_json(), indent=1, sort_keys=True) + "\n").encode(),
        ASSAYS: (json.dumps(_assays(envelopes), indent=1, ensure_ascii=False) + "\n").encode(),
    }
    manifest = {
        "format": FORMAT, "lot": lot_id, "log_id": ledger.log_id, "created": now_iso(),
        "lineage": {"ancestors": ancestors, "descendants": descendants},
        "tree_head": head,
        "entries": [{"index": i, "event_id": env["event"]["event_id"], "type": env["event"]["type"],
                     "leaf_hash": ledger.tree.leaf(i).hex(),
                     "inclusion_proof": [h.hex() for h in ledger.tree.inclusion_path(i, size)]}
                    for i, env in zip(indexes, envelopes)],
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        "how_to_verify": "filon ledger verify THIS_BUNDLE. Hashing: RFC 9162 (leaf = SHA-256(0x00||line of "
                         "events.jsonl without its newline)); signatures: Ed25519 over 'filon-ledger-event/1\\n' "
                         "+ canonical JSON of the event; compare the operator key id with the one the operator publishes.",
    }
    files[MANIFEST] = (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode()
    _write(out, files)
    return manifest


def _assays(envelopes: list[dict]) -> list[dict]:
    return [env["event"] for env in envelopes if env["event"]["type"] in ("sampling", "assay_result")]


def _write(out: Path, files: dict[str, bytes]) -> None:
    out = Path(out)
    if out.exists() and (out.is_file() or any(out.iterdir())):
        raise UsageError(f"{out} already exists; choose a new --out path or remove it")
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
    else:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (out / name).write_bytes(data)


def read_bundle(path: Path) -> dict[str, bytes]:
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return {name: zf.read(name) for name in zf.namelist()}
    if (path / MANIFEST).exists():
        return {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
    raise UsageError(f"{path} is not an evidence bundle (no {MANIFEST})")


def is_bundle(path: Path) -> bool:
    path = Path(path)
    return (path / MANIFEST).exists() or (path.is_file() and zipfile.is_zipfile(path))


def verify_bundle(path: Path, held_head: dict | None = None) -> Verdict:
    """Check a bundle: file hashes, the head's signature, every inclusion proof and signature."""
    verdict = Verdict(Path(path))
    files = read_bundle(path)
    try:
        manifest = json.loads(files[MANIFEST])
        registry = KeyRegistry.from_json(json.loads(files[KEYS]), KEYS)
        lines = files[EVENTS].split(b"\n")
    except (KeyError, ValueError) as err:
        return verdict.fail(f"the bundle is incomplete or unreadable ({err})")
    for name, digest in manifest.get("files", {}).items():
        if hashlib.sha256(files.get(name, b"")).hexdigest() != digest:
            verdict.fail(f"{name} differs from the SHA-256 recorded in the manifest")
    head = manifest["tree_head"]
    problem = head_problem(head, registry, manifest["log_id"])
    if problem:
        return verdict.fail(problem)
    verdict.heads = 1
    size, root = head["tree_size"], bytes.fromhex(head["root_hash"])
    entries = manifest["entries"]
    if lines and lines[-1] == b"":
        lines.pop()
    if len(lines) != len(entries):
        return verdict.fail(f"{EVENTS} has {len(lines)} lines but the manifest lists {len(entries)} entries")
    for entry, leaf in zip(entries, lines):
        i = entry["index"]
        where = f"entry {i} (event {entry.get('event_id')})"
        proof = [bytes.fromhex(h) for h in entry["inclusion_proof"]]
        if not verify_inclusion(i, size, leaf_hash(leaf), proof, root):
            verdict.fail(f"{where}: its inclusion proof does not lead to the signed root: the event's bytes, "
                         "its position or the proof were changed", i)
            continue
        try:
            env = parse_leaf(leaf)
            check_event(env["event"], EVENTS)
        except (ValueError, UnicodeDecodeError) as err:
            verdict.fail(f"{where}: unreadable ({err})", i)
            continue
        problem = envelope_problem(env, registry)
        if problem or env["seq"] != i:
            verdict.fail(f"{where}: {problem or 'its stated position differs from its proven index'}", i)
    verdict.entries = len(entries)
    if held_head is not None and held_head["tree_size"] == size and held_head["root_hash"] != head["root_hash"]:
        verdict.fail("the tree head you hold has the same size but another root: the log was forked")
    verdict.notes.append(f"operator key id {next((k.key_id for k in registry if k.actor_id == OPERATOR), '?')}: "
                         "compare it with the key the ledger operator publishes")
    return verdict


def bundle_events(path: Path) -> list[dict]:
    """The events of a bundle (for mass balance or display), in log order."""
    return [parse_leaf(line)["event"] for line in read_bundle(path)[EVENTS].split(b"\n") if line]

