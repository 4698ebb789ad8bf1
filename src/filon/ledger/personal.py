"""Personal data outside the log: salted commitments in events, clear values in an erasable store.

An event carries SHA-256(salt || value) for a personal field (a consignee's or courier's name),
never the value. The value and its 32-byte random salt are kept in `personal.sqlite` beside the
log. Erasing a person deletes the value and the salt: the commitment left in the log can no
longer be opened or brute-forced from a list of names, while every hash, signature and proof
over the log still verifies, because none of them ever covered the clear value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from pathlib import Path

STORE_FILE = "personal.sqlite"


def commitment(salt: bytes, value: str) -> str:
    return hashlib.sha256(salt + value.encode("utf-8")).hexdigest()


def opens(commit_hex: str, salt: bytes, value: str) -> bool:
    """True when (salt, value) is the opening of the commitment."""
    return hmac.compare_digest(commitment(salt, value), commit_hex)


class PersonalStore:
    """Clear personal values and their salts, keyed by commitment, erasable per person."""

    def __init__(self, path: Path, *, demo_seed: str | None = None) -> None:
        self.path = path
        self.demo_seed = demo_seed
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("""CREATE TABLE IF NOT EXISTS personal (
            commitment TEXT PRIMARY KEY, person TEXT NOT NULL, field TEXT NOT NULL,
            value TEXT NOT NULL, salt BLOB NOT NULL)""")
        self._db.execute("CREATE INDEX IF NOT EXISTS personal_person ON personal(person)")

    def commit(self, person: str, field: str, value: str, context: str = "") -> str:
        """Store value and a fresh salt; return the commitment to put in the event.

        In demo mode the salt is derived from the seed and `context` so the demo ledger is
        reproducible; such salts hide nothing and are only for the demo."""
        if self.demo_seed is not None:
            salt = hashlib.sha256(f"filon demo salt|{self.demo_seed}|{context}|{field}|{value}".encode()).digest()
        else:
            salt = secrets.token_bytes(32)
        digest = commitment(salt, value)
        self._db.execute("INSERT OR REPLACE INTO personal VALUES (?, ?, ?, ?, ?)", (digest, person, field, value, salt))
        return digest

    def reveal(self, commit_hex: str) -> tuple[str, bytes] | None:
        row = self._db.execute("SELECT value, salt FROM personal WHERE commitment = ?", (commit_hex,)).fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def erase(self, person: str) -> int:
        """Delete every value and salt of a person; returns how many fields were erased."""
        cur = self._db.execute("DELETE FROM personal WHERE person = ?", (person,))
        self._db.commit()
        self._db.execute("VACUUM")  # do not leave the deleted pages readable in the file
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # nor in the write-ahead log
        return cur.rowcount

    def flush(self) -> None:
        self._db.commit()

    def close(self) -> None:
        self._db.commit()
        self._db.close()
