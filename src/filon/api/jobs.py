"""Analysis in the background: one run at a time, its progress kept for the dashboard to poll.

Results go to `WS/results/` through `run_analysis`, which writes into a temporary folder and
moves the files into place at the end, so readers see the old alerts or the new, never half.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filon.detect.runner import run_analysis


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class AnalysisJobs:
    def __init__(self, workspace: Path, results: Path) -> None:
        self.workspace, self.results = workspace, results
        self._lock = threading.Lock()
        self.status: dict[str, Any] = {"state": "idle", "messages": [], "started_at": None, "finished_at": None,
                                       "started_by": None, "alerts": None, "error": None, "detectors_failed": {}}
        self._thread: threading.Thread | None = None

    def start(self, username: str, detectors: list[str] | None = None) -> bool:
        """Start a run; False when one is already running."""
        with self._lock:
            if self.status["state"] == "running":
                return False
            self.status = {"state": "running", "messages": [], "started_at": _now(), "finished_at": None,
                           "started_by": username, "alerts": None, "error": None, "detectors_failed": {}}
            self._thread = threading.Thread(target=self._run, args=(detectors,), name="filon-analysis", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _progress(self, message: str) -> None:
        self.status["messages"] = (self.status["messages"] + [message])[-50:]

    def _run(self, detectors: list[str] | None) -> None:
        try:
            result = run_analysis(self.workspace, self.results, detectors=detectors, progress=self._progress)
            self.status.update(state="done", alerts=len(result.alerts), detectors_failed=result.failures)
        except Exception as err:  # noqa: BLE001 - shown to the user who started the run
            self.status.update(state="failed", error=f"{type(err).__name__}: {err}")
        finally:
            self.status["finished_at"] = _now()
