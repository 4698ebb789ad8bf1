"""Offline verification of a ledger folder: every check a third party would make, in order.

1. the log file reads as whole records (a damaged record in the middle is named);
2. each entry is canonical JSON, sits at the position it states (`seq`), has a unique event id,
   is signed by a registered key of its custodian, and the signature holds;
3. each signed tree head is signed by the operator and its root equals the log's root at its
   size (reordering, deleting or rewriting entries changes the root);
4. a tree head held by someone else (`--head`) is checked through an RFC 9162 consistency proof:
   a failure means the log was truncated or forked (two different trees shown to two parties).

The first failure is reported with the entry and the reason; later ones are usually its echo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from filon.errors import UsageError
from filon.ledger.events import envelope_problem, parse_leaf
from filon.ledger.keys import OPERATOR, REGISTRY_FILE, KeyRegistry, unb64
from filon.ledger.merkle import MerkleTree, leaf_hash, verify_consistency
from filon.ledger.store import HEADS_FILE, LOG_FILE, META_FILE, head_message, scan


@dataclass
class Verdict:
    """The outcome of a verification: intact or the first problem, plus counts and notes."""
    path: Path
    entries: int = 0
    heads: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bad_entry: int | None = None

    @property
    def intact(self) -> bool:
        return not self.problems

    def fail(self, message: str, entry: int | None = None) -> Verdict:
        if entry is not None and self.bad_entry is None:
            self.bad_entry = entry
        self.problems.append(message)
        return self


def head_problem(head: dict, registry: KeyRegistry, log_id: str | None = None) -> str | None:
    """Why a signed tree head is not trustworthy, or None."""
    try:
        key = registry.get(head["key_id"])
        if key is None or key.actor_id != OPERATOR:
            return f"tree head signed by key {head['key_id']}, which is not the operator's key"
        if log_id is not None and head["log_id"] != log_id:
            return f"tree head belongs to log {head['log_id']}, not {log_id}"
        if not registry.verify(head["key_id"], unb64(head["signature"]), head_message(head)):
            return f"tree head of size {head['tree_size']}: the operator's signature does not match"
        bytes.fromhex(head["root_hash"])
    except (KeyError, ValueError, TypeError) as err:
        return f"tree head is malformed ({err})"
    return None


def check_entries(leaves: list[bytes], registry: KeyRegistry, verdict: Verdict, first: int = 0,
                  check_seq: bool = True) -> list[dict]:
    """Steps 2: parse, position, uniqueness and signature of each entry."""
    envelopes: list[dict] = []
    seen: dict[str, int] = {}
    for offset, leaf in enumerate(leaves):
        i = first + offset
        try:
            env = parse_leaf(leaf)
        except (ValueError, UnicodeDecodeError) as err:
            verdict.fail(f"entry {i}: unreadable ({err})", i)
            return envelopes
        event_id = env["event"].get("event_id") if isinstance(env["event"], dict) else None
        if check_seq and env["seq"] != i:
            verdict.fail(f"entry {i} (event {event_id}) says it is entry {env['seq']}: "
                         "entries were reordered, deleted or inserted", i)
            return envelopes
        problem = envelope_problem(env, registry)
        if problem:
            verdict.fail(f"entry {i} (event {event_id}): {problem}", i)
            return envelopes
        if event_id in seen:
            verdict.fail(f"entry {i} repeats event {event_id} of entry {seen[event_id]} (a replayed event)", i)
            return envelopes
        seen[event_id] = i
        envelopes.append(env)
    return envelopes


def verify_ledger(folder: Path, held_head: dict | None = None) -> Verdict:
    folder = Path(folder)
    verdict = Verdict(folder)
    if not (folder / META_FILE).exists():
        raise UsageError(f"{folder} is neither a ledger (no {META_FILE}) nor an evidence bundle (no manifest.json)")
    log_id = json.loads((folder / META_FILE).read_text(encoding="utf-8"))["log_id"]
    registry = KeyRegistry.load(folder / REGISTRY_FILE)
    found = scan((folder / LOG_FILE).read_bytes())
    if found.bad_magic:
        return verdict.fail(f"{LOG_FILE} does not start with the ledger header", 0)
    verdict.entries = len(found.leaves)
    if found.corrupt_at is not None:
        verdict.fail(f"entry {found.corrupt_at}: its bytes fail the record checksum (changed after writing)",
                     found.corrupt_at)
    if found.torn_tail:
        verdict.notes.append(f"an incomplete final record of {found.torn_tail} bytes (an interrupted append, "
                             "never acknowledged) is ignored; the next append removes it")
    check_entries(found.leaves, registry, verdict)
    tree = MerkleTree(leaf_hash(leaf) for leaf in found.leaves)
    heads = [json.loads(line) for line in (folder / HEADS_FILE).read_text(encoding="utf-8").splitlines() if line]
    verdict.heads = len(heads)
    for n, head in enumerate(heads, start=1):
        _check_head_against(tree, head, registry, log_id, verdict, f"tree head #{n}")
    if held_head is not None:
        _check_head_against(tree, held_head, registry, log_id, verdict, "the tree head you hold")
    if not heads:
        verdict.notes.append("no signed tree head yet: entries are signed but the log as a whole is not")
    return verdict


def _check_head_against(tree: MerkleTree, head: dict, registry: KeyRegistry, log_id: str,
                        verdict: Verdict, name: str) -> None:
    problem = head_problem(head, registry, log_id)
    if problem:
        verdict.fail(f"{name}: {problem}")
        return
    size, root = head["tree_size"], bytes.fromhex(head["root_hash"])
    if size > len(tree):
        verdict.fail(f"{name} covers {size} entries but the log has {len(tree)}: "
                     f"the log was truncated (entries {len(tree)} to {size - 1} are missing)", len(tree))
        return
    if size == 0:
        return
    proof = tree.consistency_proof(size, len(tree))
    if not verify_consistency(size, len(tree), root, tree.root(), proof):
        verdict.fail(f"{name} (size {size}) is not a prefix of this log: the consistency proof fails "
                     f"(log root at size {size}: {tree.root(size).hex()[:16]}…, head: {root.hex()[:16]}…). "
                     f"One of entries 0 to {size - 1} was rewritten, or the log was forked")
