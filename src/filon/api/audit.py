"""The audit trail: every API access and every decision, written by one background thread.

Request handlers only put a row on a queue, so logging never adds a database round trip to a
response; the writer inserts rows in batches. `flush()` waits until everything queued is
written (tests, shutdown).
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime, timezone

from filon.api.db.models import AuditEntry
from filon.api.db.session import Database

log = logging.getLogger(__name__)


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.queue: queue.Queue[dict | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="filon-audit", daemon=True)
        self.thread.start()

    def record(self, username: str | None, action: str, target: str, status: int | None = None,
               detail: str | None = None) -> None:
        self.queue.put({"at": datetime.now(timezone.utc), "username": username, "action": action[:40],
                        "target": target[:500], "status": status, "detail": detail})

    def flush(self) -> None:
        self.queue.join()

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            first = self.queue.get()
            if first is None:
                self.queue.task_done()
                return
            batch = [first]
            while len(batch) < 500:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self.queue.put(None)
                    self.queue.task_done()
                    break
                batch.append(item)
            try:
                with self.db.session() as s:
                    s.add_all([AuditEntry(**row) for row in batch])
            except Exception:  # noqa: BLE001 - an audit failure must be visible but not kill the server
                log.exception("could not write %d audit rows", len(batch))
            finally:
                for _ in batch:
                    self.queue.task_done()
