"""Source adapters: convert a file in a real national or international shape into a data package.

An adapter only maps a shape (columns, codes, units, encodings) onto the standard's tables; it
does not check the standard's rules. `filon ingest --adapter NAME SOURCE` calls `convert` into the
workspace's `adapted/` folder, then validates and ingests that folder like any other package, so every rule
lives in one place (the validator) and an adapter stays a short, readable mapping.

The registry is an explicit list of module names, imported only when asked for: no scanning, no
work at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filon.errors import UsageError


@dataclass(frozen=True)
class Adapter:
    """One source shape and the function that converts it."""

    name: str  # e.g. "comtrade"
    title: str  # one line for `filon ingest --help`
    description: str  # what shape it reads, which tables it produces, source/licence notes
    tables: tuple[str, ...]  # standard tables written (always, header-only when empty)
    convert: Callable[[Path, Path], list[str]]  # (source file or folder, out_dir) -> warnings


#: Adapter modules, in the order `filon ingest --help` lists them.
_MODULES = ("comtrade", "pe_customs", "pe_reinfo", "worldbank_prices", "geojson_areas",
            "geojson_detections", "opensanctions_ftm", "bods", "gpx_tracks", "nmea", "traccar")


def list_adapters() -> list[Adapter]:
    """Every adapter, in registry order."""
    return [importlib.import_module(f"{__name__}.{module}").ADAPTER for module in _MODULES]


def get_adapter(name: str) -> Adapter:
    """The adapter called `name` (case and `-`/`_` insensitive); UsageError naming the known ones."""
    wanted = name.strip().lower().replace("-", "_")
    if wanted in _MODULES:
        adapter: Adapter = importlib.import_module(f"{__name__}.{wanted}").ADAPTER
        return adapter
    raise UsageError(f"unknown adapter {name!r}; known adapters: {', '.join(_MODULES)}")


__all__ = ["Adapter", "get_adapter", "list_adapters"]
