"""Ed25519 keys: a public registry beside the log, private keys kept apart from it.

The registry (`keys.json` in the ledger folder) maps each actor, and the ledger operator, to
its public key; it is copied into every evidence bundle so a verifier needs nothing else.
Private keys live in a separate folder (`private-keys.json`, mode 0600) that is never written
into the log or a bundle. Demo keys are derived from a public seed so the demo ledger is
reproducible; they are marked `"demo": true` everywhere and prove nothing about real custody.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from filon.errors import InvalidData, UsageError

OPERATOR = "_operator"
REGISTRY_FILE = "keys.json"
PRIVATE_FILE = "private-keys.json"
DEMO_LABEL = "DEMO KEY: derived from a public seed, anyone can sign with it; never use for real custody"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: bytes) -> str:
    """Short, stable name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public).hexdigest()[:16]


def demo_private_key(actor_id: str, seed: str = "filon-demo") -> Ed25519PrivateKey:
    """A deterministic, therefore public, key for the demo ledger only."""
    raw = hashlib.sha256(f"filon demo key v1|{seed}|{actor_id}".encode("utf-8")).digest()
    return Ed25519PrivateKey.from_private_bytes(raw)


@dataclass(frozen=True)
class PublicKey:
    actor_id: str
    raw: bytes
    demo: bool = False

    @property
    def key_id(self) -> str:
        return key_id(self.raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class KeyRegistry:
    """Public keys by actor id (several per actor are allowed, e.g. after a rotation)."""

    def __init__(self, keys: list[PublicKey] | None = None) -> None:
        self._by_id: dict[str, PublicKey] = {}
        self._by_actor: dict[str, list[PublicKey]] = {}
        self._cache: dict[str, Ed25519PublicKey] = {}
        for k in keys or []:
            self.add(k)

    def add(self, key: PublicKey) -> None:
        known = self._by_id.get(key.key_id)
        if known and known.actor_id != key.actor_id:
            raise UsageError(f"key {key.key_id} is already registered to {known.actor_id}, not {key.actor_id}")
        if not known:
            self._by_id[key.key_id] = key
            self._by_actor.setdefault(key.actor_id, []).append(key)

    def get(self, kid: str) -> PublicKey | None:
        return self._by_id.get(kid)

    def for_actor(self, actor_id: str) -> list[PublicKey]:
        return list(self._by_actor.get(actor_id, []))

    def __iter__(self):
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def verify(self, kid: str, signature: bytes, message: bytes) -> bool:
        """Ed25519 check with the key objects cached (verifying a ledger checks every event)."""
        key = self._cache.get(kid)
        if key is None:
            entry = self._by_id.get(kid)
            if entry is None:
                return False
            key = self._cache[kid] = Ed25519PublicKey.from_public_bytes(entry.raw)
        try:
            key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def to_json(self) -> dict:
        return {"format": "filon-ledger-keys/1", "keys": [
            {"actor_id": k.actor_id, "key_id": k.key_id, "public_key": b64(k.raw), "algorithm": "Ed25519",
             **({"demo": True, "label": DEMO_LABEL} if k.demo else {})}
            for k in sorted(self._by_id.values(), key=lambda k: (k.actor_id, k.key_id))]}

    @classmethod
    def from_json(cls, data: dict, source: str = REGISTRY_FILE) -> KeyRegistry:
        keys = []
        for row, entry in enumerate(data.get("keys", []), start=1):
            try:
                key = PublicKey(entry["actor_id"], unb64(entry["public_key"]), bool(entry.get("demo")))
            except (KeyError, ValueError) as err:
                raise InvalidData(f"unreadable key entry ({err})", file=source, row=row, column="public_key",
                                  fix="each key needs actor_id and a base64 Ed25519 public_key") from err
            if entry.get("key_id") not in (None, key.key_id):
                raise InvalidData("key_id does not match the public key", file=source, row=row, column="key_id",
                                  value=entry.get("key_id"), fix=f"the key_id of this key is {key.key_id}")
            keys.append(key)
        return cls(keys)

    def save(self, path: Path) -> None:
        _write_atomic(path, json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> KeyRegistry:
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise InvalidData(f"not JSON ({err.msg})", file=str(path), row=err.lineno,
                              fix="restore the key registry from a bundle or a backup") from err
        return cls.from_json(data, str(path))


class PrivateKeys:
    """Signing keys by actor, in a folder kept apart from the ledger and its bundles."""

    def __init__(self, folder: Path | None = None, *, demo_seed: str | None = None) -> None:
        self.folder = folder
        self.demo_seed = demo_seed
        self._keys: dict[str, Ed25519PrivateKey] = {}
        if folder is not None and (folder / PRIVATE_FILE).exists():
            data = json.loads((folder / PRIVATE_FILE).read_text(encoding="utf-8"))
            for actor, text in data.get("keys", {}).items():
                self._keys[actor] = Ed25519PrivateKey.from_private_bytes(unb64(text))
            self.demo_seed = self.demo_seed or data.get("demo_seed")

    @property
    def is_demo(self) -> bool:
        return self.demo_seed is not None

    def key(self, actor_id: str, *, create: bool = False) -> Ed25519PrivateKey:
        """The actor's key; in demo mode derived on first use, else created only if `create`."""
        key = self._keys.get(actor_id)
        if key is None:
            if self.demo_seed is not None:
                key = demo_private_key(actor_id, self.demo_seed)
            elif create:
                key = Ed25519PrivateKey.generate()
            else:
                where = self.folder / PRIVATE_FILE if self.folder else "the private key folder"
                raise UsageError(f"no private key for actor {actor_id} in {where}. "
                                 f"Fix: create one with 'filon ledger keys new {actor_id}'")
            self._keys[actor_id] = key
        return key

    def actors(self) -> list[str]:
        return sorted(self._keys)

    def save(self) -> None:
        if self.folder is None:
            raise UsageError("no private key folder given; pass --keys FOLDER")
        self.folder.mkdir(parents=True, exist_ok=True)
        data: dict = {"format": "filon-ledger-private-keys/1",
                      "warning": "Private signing keys. Never copy into a ledger, a bundle or a report.",
                      "keys": {a: b64(k.private_bytes_raw()) for a, k in sorted(self._keys.items())}}
        if self.demo_seed is not None:
            data.update(demo_seed=self.demo_seed, label=DEMO_LABEL)
        _write_atomic(self.folder / PRIVATE_FILE, json.dumps(data, indent=1) + "\n", mode=0o600)


def _write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
