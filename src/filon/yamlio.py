"""YAML reading with libyaml's C parser when PyYAML has it: the parameters file alone takes
seconds to parse in pure Python on a busy machine, and every `filon` command reads it."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, with the C loader when available (same results, same errors)."""
    return yaml.load(text, Loader=_LOADER)
