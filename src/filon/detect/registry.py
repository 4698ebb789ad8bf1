"""The detector registry: each typology is a small function of tables to alerts.

A detector registers under its typology code with a version, a title, a description and the
section of `parameters.yaml` holding its thresholds (its code unless shared). Modules are listed explicitly in `MODULES` and
imported only when detectors are first asked for, so importing filon does no work.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.incremental import Scope
from filon.detect.parameters import Parameters, defaults

#: Modules under `filon.detect` that register detectors.
MODULES = ("mass_balance_break", "export_without_supply", "new_exporter_surge", "national_export_exceeds_supply",
           "inactive_right_production", "production_over_capacity", "valuation", "content_misdeclaration",
           "mirror_trade_gap", "sanctioned_party",
           "opaque_ownership", "shared_controller", "unlicensed_disturbance", "protected_area_disturbance",
           "production_without_disturbance", "displacement", "input_overuse", "route_deviation")

DetectFn = Callable[[DetectContext, Any], list[Alert]]


@dataclass(frozen=True)
class Detector:
    code: str
    version: str
    title: str
    description: str
    subject_type: str
    params: str
    tables: tuple[str, ...]
    run: DetectFn
    #: How its alerts localise to subjects, for incremental runs (None: always re-run in full).
    scope: Scope | None = None

    def defaults(self) -> Parameters:
        """This detector's default parameters (its section of parameters.yaml)."""
        return defaults(self.params)


_REGISTRY: dict[str, Detector] = {}


def detector(code: str, *, version: str, title: str, subject_type: str, tables: tuple[str, ...],
             params: str | None = None, scope: Scope | None = None) -> Callable[[DetectFn], DetectFn]:
    """Register `fn` as the detector of typology `code`. The docstring becomes its description."""
    def wrap(fn: DetectFn) -> DetectFn:
        if code in _REGISTRY and _REGISTRY[code].run is not fn:
            raise ValueError(f"two detectors registered for typology {code!r}")
        _REGISTRY[code] = Detector(code=code, version=version, title=title,
                                   description=" ".join((fn.__doc__ or "").split()), subject_type=subject_type,
                                   params=params or code, tables=tables, run=fn, scope=scope)
        return fn
    return wrap


def all_detectors() -> dict[str, Detector]:
    """Every registered detector, by typology code."""
    for name in MODULES:
        importlib.import_module(f"filon.detect.{name}")
    return dict(sorted(_REGISTRY.items()))
