"""Detector thresholds: one documented file of defaults, overridable per run.

`parameters.yaml` beside this module holds, per detector, each parameter's `value` and `why`
(the reasoning for the default), so an analyst or a reviewer reads every threshold in one
place and the code never hides one. A run may override values with a small YAML file
(`filon analyze --params FILE`); overrides are checked against the defaults (known detector,
known parameter, same kind of value) and a mistake names the file, the key and the fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from filon import yamlio

from filon.errors import UsageError

DEFAULTS_FILE = "parameters.yaml"


class Parameters(Mapping[str, Any]):
    """One detector's parameters, read as attributes (`p.margin`). Immutable; `replace` copies."""

    __slots__ = ("_section", "_values")

    def __init__(self, section: str, values: Mapping[str, Any]):
        object.__setattr__(self, "_section", section)
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"detector section {self._section!r} has no parameter {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("parameters are read-only; use replace()")

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Parameters({self._section!r}, {self._values!r})"

    @property
    def section(self) -> str:
        return self._section

    def replace(self, **changes: Any) -> Parameters:
        """A copy with some values changed, checked like an override file."""
        values = dict(self._values)
        for name, value in changes.items():
            values[name] = _checked(self._section, name, value, f"replace({name}=...)")
        return Parameters(self._section, values)


@lru_cache(maxsize=1)
def _documented() -> dict[str, dict[str, dict[str, Any]]]:
    text = files("filon.detect").joinpath(DEFAULTS_FILE).read_text(encoding="utf-8")
    data = yamlio.safe_load(text)
    for section, params in data.items():
        for name, entry in params.items():
            if set(entry) != {"value", "why"} or not str(entry["why"]).strip():
                raise ValueError(f"{DEFAULTS_FILE}: {section}.{name} needs exactly a value and a non-empty why")
    return data


def documented() -> dict[str, dict[str, dict[str, Any]]]:
    """Every section's parameters with `value` and `why`, as written in the defaults file."""
    return {s: {n: dict(e) for n, e in p.items()} for s, p in _documented().items()}


def defaults_text() -> str:
    """The defaults file itself, comments included (what `filon params` prints)."""
    return files("filon.detect").joinpath(DEFAULTS_FILE).read_text(encoding="utf-8")


def defaults(section: str) -> Parameters:
    """The default parameters of one detector section."""
    try:
        entries = _documented()[section]
    except KeyError:
        raise UsageError(f"no parameters section {section!r} in {DEFAULTS_FILE}") from None
    return Parameters(section, {n: _frozen(e["value"]) for n, e in entries.items()})


def resolve(section: str, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Parameters:
    """Defaults of `section` with a run's overrides (already checked by `load_overrides`) applied."""
    base = defaults(section)
    changes = (overrides or {}).get(section) or {}
    return base.replace(**changes) if changes else base


def load_overrides(path: Path) -> dict[str, dict[str, Any]]:
    """Read and check a run's override file: `{section: {name: value}}` (a `{value: ...}` entry,
    as in the defaults file, is accepted too so a copied and edited defaults file works)."""
    where = str(path)
    try:
        data = yamlio.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{where}: parameters file not found") from None
    except UnicodeDecodeError:
        raise UsageError(f"{where}: not UTF-8 text. Save the parameters file as UTF-8 YAML.") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise UsageError(f"{where}:{at} is not valid YAML ({getattr(err, 'problem', err)}). "
                         "Write one section per detector with `name: value` lines under it.") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected sections by detector (e.g. `valuation:` then `  margin: 0.3`)")
    known = _documented()
    out: dict[str, dict[str, Any]] = {}
    for section, params in data.items():
        if section not in known:
            raise UsageError(f"{where}: {section!r} is not a detector section. Known: {', '.join(known)}")
        if not isinstance(params, dict):
            raise UsageError(f"{where}: section {section!r} must hold `name: value` lines")
        out[section] = {}
        for name, value in params.items():
            if isinstance(value, dict) and "value" in value and set(value) <= {"value", "why"}:
                value = value["value"]
            out[section][name] = _checked(section, name, value, where)
    return out


def _checked(section: str, name: str, value: Any, where: str) -> Any:
    entries = _documented()[section]
    if name not in entries:
        raise UsageError(f"{where}: {section}.{name} is not a parameter. "
                         f"Parameters of {section}: {', '.join(entries)}")
    default = entries[name]["value"]
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if type(_frozen(value)) is not type(_frozen(default)):
        raise UsageError(f"{where}: {section}.{name} must be {_kind(default)} like its default "
                         f"{default!r}, not {value!r}")
    if isinstance(default, (int, float)) and not isinstance(default, bool) and value < 0:
        raise UsageError(f"{where}: {section}.{name} cannot be negative (got {value!r})")
    return _frozen(value)


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


def _kind(value: Any) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)
