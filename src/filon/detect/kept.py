"""Intermediate values kept between analyses of one workspace: the ownership graph, the risk links.

At national scale each takes seconds to build, and most new batches (a week of declarations) leave
them unchanged, so an incremental run (`filon.detect.incremental`) takes them from the last run
instead. Each is stored under `OUT/.filon-state/values/` as a pickle with a JSON sidecar saying
what it was computed from: its name and key (e.g. the digest of the ownership links in force), the
fingerprints of the tables it reads, filon's version and a digest of its code. Any difference and
it is computed again.

Unpickling runs code, and a results folder may come from someone else (a colleague's copy, an
attachment). So every pickle is signed (HMAC-SHA256) with a key that stays with the user, in
`~/.local/share/filon/state.key` (or `$FILON_STATE_KEY_FILE`), never in the results folder: a
pickle this user's filon did not write fails the check and is recomputed, never loaded.
"""

from __future__ import annotations

import gc
import glob
import hashlib
import hmac
import json
import logging
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from filon import __version__

log = logging.getLogger(__name__)
T = TypeVar("T")

KEY_ENV = "FILON_STATE_KEY_FILE"
KEY_BYTES = 32


def key_file() -> Path:
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "filon" / "state.key"


def user_key() -> bytes | None:
    """The user's signing key, created on first use (readable by the user only); None when it can
    be neither read nor created (then nothing is kept: every run computes)."""
    path = key_file()
    for _ in range(2):
        try:
            data = path.read_bytes()
            return data if len(data) >= KEY_BYTES else None
        except FileNotFoundError:
            pass
        except OSError:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue  # another process created it meanwhile: read that one
        except OSError:
            return None
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(KEY_BYTES))
    return None


@dataclass
class KeptValues:
    """Values kept in `folder`, valid for tables with fingerprints `prints`. With `read` False (a
    `--full` run) nothing is taken from the folder, but what is computed is kept for the next run."""

    folder: Path
    prints: dict[str, str]
    key: bytes
    read: bool = True
    code: str = ""  # digest of filon's code (`incremental.code_key`), computed once per run

    def get(self, name: str, parts: Any, tables: tuple[str, ...], compute: Callable[[], T]) -> T:
        """The value `compute()` returns, from the folder when it was kept from the same `parts`
        (everything besides the tables that decides the value) and the same `tables`."""
        found = self.find(name, parts, tables)
        if found is not None:
            return found[0]
        value = compute()
        self.put(name, parts, tables, value)
        return value

    def find(self, name: str, parts: Any, tables: tuple[str, ...]) -> tuple[Any] | None:
        """(value,) when kept from the same `parts` and `tables` (see `get`); None otherwise, so a
        caller holding many values can compute all the missing ones together before `put`."""
        if not self.read:
            return None
        ident = self._ident(name, parts, tables)
        return self._load(ident, self.folder / f"{name}.pickle", self.folder / f"{name}.json")

    def put(self, name: str, parts: Any, tables: tuple[str, ...], value: Any) -> None:
        """Keep `value` for the next run (a value that cannot be kept is only logged)."""
        try:
            self._store(self._ident(name, parts, tables), value, self.folder / f"{name}.pickle",
                        self.folder / f"{name}.json")
        except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError) as err:
            log.info("could not keep %s for the next run: %s", name, err)

    def prune(self, prefix: str, keep: set[str]) -> None:
        """Remove the values kept under names starting with `prefix`, but those in `keep`: values
        nothing will ask for again (a period no longer among the latest) would otherwise pile up."""
        for path in self.folder.glob(f"{glob.escape(prefix)}*"):
            if path.suffix in (".json", ".pickle") and path.stem not in keep:
                path.unlink(missing_ok=True)

    def _ident(self, name: str, parts: Any, tables: tuple[str, ...]) -> str:
        from filon.detect.incremental import code_key, params_key

        self.code = self.code or code_key()
        return params_key({"name": name, "parts": repr(parts), "version": __version__, "code": self.code,
                           "inputs": {t: self.prints.get(t, "") for t in sorted(tables)}})

    def _mac(self, ident: str, data: bytes) -> str:
        return hmac.new(self.key, ident.encode() + b"\0" + data, hashlib.sha256).hexdigest()

    def _load(self, ident: str, blob: Path, meta: Path) -> tuple[Any] | None:
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            if info.get("ident") != ident:
                return None
            data = blob.read_bytes()
        except (OSError, ValueError, AttributeError):
            return None
        if not hmac.compare_digest(self._mac(ident, data), str(info.get("mac", ""))):
            log.warning("%s is not signed by this user's filon: computed again, not loaded", blob)
            return None
        try:
            collecting = gc.isenabled()
            gc.disable()  # a graph is many small objects: the collector would scan them again and again
            try:
                return (pickle.loads(data),)  # noqa: S301 — signed by this user's key, checked above
            finally:
                if collecting:
                    gc.enable()
        except Exception as err:  # noqa: BLE001 — a damaged file costs a recomputation, nothing more
            log.info("could not read %s: %s", blob, err)
            return None

    def _store(self, ident: str, value: Any, blob: Path, meta: Path) -> None:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self.folder.mkdir(parents=True, exist_ok=True)
        meta.unlink(missing_ok=True)  # no moment where a new pickle has an old sidecar
        tmp = blob.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, blob)
        tmp = meta.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"ident": ident, "mac": self._mac(ident, data)}), encoding="utf-8")
        os.replace(tmp, meta)


def kept_values(out: Path, prints: dict[str, str], read: bool) -> KeptValues | None:
    """The kept values of results folder `out`; None when the user's key is not available."""
    from filon.detect.incremental import STATE_DIR

    key = user_key()
    return KeptValues(out / STATE_DIR / "values", prints, key, read) if key else None
