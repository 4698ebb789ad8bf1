"""The ledger folder: an append-only log file, signed tree heads, the key registry.

    LEDGER/
      ledger.json        log id and format
      log.bin            magic, then records: 4-byte big-endian length, leaf bytes, CRC-32
      heads.jsonl        signed tree heads, one canonical JSON object per line
      keys.json          public keys (actors and the operator)
      personal.sqlite    erasable personal values (see `personal`)
      .lock              advisory lock for appenders

Records are written in one `write` and fsync'ed under an exclusive `flock`, so several
processes may append at once. A process killed mid-append leaves at most one incomplete final
record; the next writer cuts it off (it was never acknowledged, so no head covers it) and
carries on. The CRC only detects torn writes: tampering is caught by signatures and the
Merkle root, which `verify` checks.
"""

from __future__ import annotations

import fcntl
import json
import os
import struct
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from filon.errors import UsageError, WorkspaceError
from filon.ledger.canonical import canonical_bytes
from filon.ledger.events import leaf_bytes, parse_leaf, sign_event
from filon.ledger.keys import OPERATOR, REGISTRY_FILE, KeyRegistry, PrivateKeys, PublicKey, b64, key_id, public_bytes
from filon.ledger.merkle import MerkleTree, leaf_hash

MAGIC = b"FILON-LEDGER-LOG/1\n"
META_FILE, LOG_FILE, HEADS_FILE, LOCK_FILE = "ledger.json", "log.bin", "heads.jsonl", ".lock"
HEAD_DOMAIN = b"filon-ledger-tree-head/1\n"
_LEN = struct.Struct(">I")


@dataclass
class ScannedLog:
    """What a read of log.bin found: intact leaves, where they end, and what follows them."""
    leaves: list[bytes] = field(default_factory=list)
    end: int = len(MAGIC)
    torn_tail: int = 0              # bytes of an incomplete final record (an interrupted append)
    corrupt_at: int | None = None   # index of a damaged record followed by more data (tampering)
    bad_magic: bool = False


def scan(data: bytes, start: int = len(MAGIC), first_index: int = 0) -> ScannedLog:
    out = ScannedLog(end=start)
    if start == len(MAGIC) and data[:len(MAGIC)] != MAGIC:
        out.bad_magic = True
        return out
    pos, size = start, len(data)
    while pos < size:
        if size - pos < 4:
            out.torn_tail = size - pos
            break
        (length,) = _LEN.unpack_from(data, pos)
        end = pos + 4 + length + 4
        if end > size:
            out.torn_tail = size - pos
            break
        leaf = data[pos + 4:pos + 4 + length]
        if zlib.crc32(leaf) != _LEN.unpack_from(data, end - 4)[0]:
            if end == size:   # a torn final write: acknowledged by nobody
                out.torn_tail = size - pos
            else:
                out.corrupt_at = first_index + len(out.leaves)
            break
        out.leaves.append(bytes(leaf))
        pos = end
    out.end = pos
    return out


def record(leaf: bytes) -> bytes:
    return _LEN.pack(len(leaf)) + leaf + _LEN.pack(zlib.crc32(leaf))


def head_message(head: dict) -> bytes:
    signed = {k: head[k] for k in ("log_id", "tree_size", "root_hash", "timestamp")}
    return HEAD_DOMAIN + canonical_bytes(signed)


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Ledger:
    """An open ledger folder. Reads everything into memory; appends under the file lock."""

    def __init__(self, folder: Path, *, writable: bool = True) -> None:
        self.folder = Path(folder)
        if not (self.folder / META_FILE).exists():
            raise UsageError(f"{self.folder} is not a ledger (no {META_FILE}). "
                             "Create one with 'filon ledger build' or Ledger.create().")
        self.meta = json.loads((self.folder / META_FILE).read_text(encoding="utf-8"))
        self.log_id: str = self.meta["log_id"]
        self.registry = KeyRegistry.load(self.folder / REGISTRY_FILE)
        self.leaves: list[bytes] = []
        self.tree = MerkleTree()
        self.recovered_bytes = 0
        self._end = len(MAGIC)
        self._writable = writable
        with self._locked(shared=not writable):
            self._catch_up(repair=writable)

    # --- creation -----------------------------------------------------------------
    @classmethod
    def create(cls, folder: Path, operator_key: Ed25519PrivateKey, *, demo: bool = False,
               log_id: str | None = None) -> Ledger:
        folder = Path(folder)
        if (folder / META_FILE).exists():
            raise UsageError(f"{folder} already holds a ledger; choose another --out or remove it first")
        folder.mkdir(parents=True, exist_ok=True)
        registry = KeyRegistry([PublicKey(OPERATOR, public_bytes(operator_key), demo)])
        registry.save(folder / REGISTRY_FILE)
        with open(folder / LOG_FILE, "wb") as fh:
            fh.write(MAGIC)
            fh.flush()
            os.fsync(fh.fileno())
        (folder / HEADS_FILE).touch()
        meta = {"format": "filon-ledger/1", "log_id": log_id or f"filon-ledger:{uuid.uuid4()}",
                "hashing": "RFC 9162 SHA-256", "demo": demo, "created": now_iso()}
        (folder / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        return cls(folder)

    # --- reading ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.leaves)

    def envelope(self, index: int) -> dict:
        return parse_leaf(self.leaves[index])

    def envelopes(self) -> Iterator[tuple[int, dict]]:
        for i, leaf in enumerate(self.leaves):
            yield i, parse_leaf(leaf)

    def heads(self) -> list[dict]:
        path = self.folder / HEADS_FILE
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def latest_head(self) -> dict | None:
        heads = self.heads()
        return heads[-1] if heads else None

    def root(self, size: int | None = None) -> bytes:
        return self.tree.root(size)

    # --- writing ------------------------------------------------------------------
    def register(self, actor_id: str, key: Ed25519PrivateKey, *, demo: bool = False) -> str:
        """Add an actor's public key to the registry (kept in keys.json); returns its key id."""
        return self.register_many({actor_id: key}, demo=demo)[actor_id]

    def register_many(self, keys: dict[str, Ed25519PrivateKey], *, demo: bool = False) -> dict[str, str]:
        """Register several public keys with one locked rewrite of keys.json."""
        publics = {actor: PublicKey(actor, public_bytes(key), demo) for actor, key in keys.items()}
        with self._locked():
            self.registry = KeyRegistry.load(self.folder / REGISTRY_FILE)
            new = [p for p in publics.values() if self.registry.get(p.key_id) is None]
            for public in new:
                self.registry.add(public)
            if new:
                self.registry.save(self.folder / REGISTRY_FILE)
        return {actor: p.key_id for actor, p in publics.items()}

    def append(self, events: list[dict], keys: PrivateKeys) -> list[int]:
        """Sign each event with its custodian's key and append them all; returns their indexes.

        Signing happens before the lock is taken; the batch is one write and one fsync."""
        kids: dict[str, str] = {}
        for actor in {e["actor"] for e in events}:
            kids[actor] = key_id(public_bytes(keys.key(actor)))
        missing = {a: keys.key(a) for a, kid in kids.items() if self.registry.get(kid) is None}
        if missing:
            self.register_many(missing, demo=keys.is_demo)
        return self.append_signed([sign_event(e, keys.key(e["actor"]), kids[e["actor"]]) for e in events])

    def append_signed(self, signed: list[dict]) -> list[int]:
        """Append envelopes already signed by their custodians (e.g. received from elsewhere)."""
        if not self._writable:
            raise UsageError("this ledger was opened read-only")
        with self._locked():
            self._catch_up(repair=True)
            first = len(self.leaves)
            leaves = [leaf_bytes(s, first + i) for i, s in enumerate(signed)]
            blob = b"".join(record(leaf) for leaf in leaves)
            with open(self.folder / LOG_FILE, "r+b") as fh:
                fh.seek(self._end)
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
            self._end += len(blob)
            self._take(leaves)
        return list(range(first, first + len(leaves)))

    def sign_head(self, operator_key: Ed25519PrivateKey, timestamp: str | None = None) -> dict:
        """Sign the current tree head with the operator key and append it to heads.jsonl."""
        kid = key_id(public_bytes(operator_key))
        registered = self.registry.get(kid)
        if registered is None or registered.actor_id != OPERATOR:
            raise UsageError("this key is not the ledger operator's key (keys.json, actor _operator)")
        with self._locked():
            self._catch_up(repair=True)
            head = {"log_id": self.log_id, "tree_size": len(self.leaves), "root_hash": self.tree.root().hex(),
                    "timestamp": timestamp or now_iso()}
            head.update(key_id=kid, signature=b64(operator_key.sign(head_message(head))))
            with open(self.folder / HEADS_FILE, "ab") as fh:
                fh.write(canonical_bytes(head) + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
        return head

    # --- internals ----------------------------------------------------------------
    @contextmanager
    def _locked(self, shared: bool = False) -> Iterator[None]:
        path = self.folder / LOCK_FILE
        try:
            fh = open(path, "a+b")
        except OSError:  # a read-only copy (e.g. on a CD): nobody can append, no lock needed
            yield
            return
        with fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _catch_up(self, repair: bool) -> None:
        """Read records other processes appended since our last read; cut a torn tail if asked."""
        path = self.folder / LOG_FILE
        with open(path, "rb") as fh:
            if self._end == len(MAGIC):
                data = fh.read()
                found = scan(data)
            else:
                fh.seek(self._end)
                found = scan(fh.read(), 0, len(self.leaves))
                found.end += self._end
        if found.bad_magic:
            raise WorkspaceError(f"{path} does not start with the ledger header; it is not a filon ledger log")
        if found.corrupt_at is not None:
            raise WorkspaceError(f"{path}: record {found.corrupt_at} is damaged in the middle of the log. "
                                 f"Run 'filon ledger verify {self.folder}' and restore from a bundle or backup.")
        self._take(found.leaves)
        self._end = found.end
        if found.torn_tail and repair:
            with open(path, "r+b") as fh:
                fh.truncate(self._end)
                fh.flush()
                os.fsync(fh.fileno())
            self.recovered_bytes += found.torn_tail

    def _take(self, leaves: list[bytes]) -> None:
        self.leaves.extend(leaves)
        append = self.tree.append
        for leaf in leaves:
            append(leaf_hash(leaf))
