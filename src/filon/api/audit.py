"""The audit trail: every API access and every decision, written behind the requests.

A request handler only appends a row to an in-memory queue; one writer thread inserts what
has queued in one transaction, at most every `LINGER` seconds (or at once when `BATCH` rows
wait), so fifty analysts paging through alerts cost a few commits a second rather than one
per page, and the insert is a single executemany rather than one ORM object per row.

No entry is dropped on the way: `flush()` returns only when everything queued before it is
in the database. The audit view calls it, so it always shows the latest accesses; the app's
lifespan calls it when the server stops (Ctrl+C, SIGTERM); and `close()`, registered to run
at interpreter exit as a backstop, flushes before it stops the writer. What a hard kill
(SIGKILL, power loss) can lose is what is still queued, normally under `LINGER` seconds of
access rows; triage decisions are never queued, they are written in the same transaction as
the decision itself (`TriageBook.change`).
If the database refuses a batch, the writer logs it and retries (about 15 s in all), then
writes row by row; a row that still cannot be written is logged in full at ERROR level.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from datetime import datetime, timezone

from sqlalchemy import insert

from filon.api.db.models import AuditEntry
from filon.api.db.session import Database

log = logging.getLogger(__name__)
LINGER = 0.2
BATCH = 2000
RETRY_SECONDS = 0.5
RETRIES = 5


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._rows: list[dict] = []
        self._cond = threading.Condition()
        self._queued = 0       # rows ever queued
        self._written = 0      # rows ever written (or given up on at close)
        self._urgent = False
        self._closed = False
        self.thread = threading.Thread(target=self._run, name="filon-audit", daemon=True)
        self.thread.start()
        atexit.register(self.close)

    def record(self, username: str | None, action: str, target: str, status: int | None = None,
               detail: str | None = None) -> None:
        row = {"at": datetime.now(timezone.utc), "username": _storable(username and username[:80]),
               "action": _storable(action[:40]), "target": _storable(target[:500]), "status": status,
               "detail": _storable(detail)}
        with self._cond:
            self._rows.append(row)
            self._queued += 1
            if len(self._rows) >= BATCH:
                self._cond.notify()

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every row queued so far is written; False if that took longer than `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._queued
            self._urgent = True
            self._cond.notify_all()
            while self._written < target:
                left = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
                if left <= 0 or not self.thread.is_alive():
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        """Write what is queued, then stop the writer (idempotent)."""
        if self._closed:
            return
        self.flush()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self.thread.join(timeout=10)

    def _take(self) -> list[dict] | None:
        """The next batch: waits for the first row, then up to LINGER for more (None: closed)."""
        with self._cond:
            while not self._rows and not self._closed:
                self._cond.wait()
            if not self._rows:
                return None
            deadline = time.monotonic() + LINGER
            while len(self._rows) < BATCH and not self._urgent and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch, self._rows = self._rows[:BATCH], self._rows[BATCH:]
            if not self._rows:
                self._urgent = False
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            self._write(batch)
            with self._cond:
                self._written += len(batch)
                self._cond.notify_all()

    def _write(self, batch: list[dict]) -> None:
        """Insert the batch, retrying while the database is away; after RETRIES failed tries,
        row by row, and a row the database still refuses goes to the server log in full
        (at ERROR level), so nothing vanishes without a trace."""
        for attempt in range(RETRIES):
            try:
                with self.db.session() as s:
                    s.execute(insert(AuditEntry), batch)
                return
            except Exception:  # noqa: BLE001 - an audit failure must be visible but not kill the server
                log.exception("could not write %d audit rows (try %d of %d)", len(batch), attempt + 1, RETRIES)
                if self._closed:
                    break
                time.sleep(RETRY_SECONDS * 2 ** attempt)
        for row in batch:
            try:
                with self.db.session() as s:
                    s.execute(insert(AuditEntry), [row])
            except Exception:  # noqa: BLE001
                log.error("audit row not written to the database: %r", row)


def _storable(text: str | None) -> str | None:
    """Text any database column takes: NUL written as \\x00, unpaired surrogates as '?'."""
    if text is None:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text
