"""Every risk and lanes parameter is documented and read by the risk code."""

from __future__ import annotations

import re
from pathlib import Path

import filon.risk
from filon.detect.parameters import documented

RISK = Path(filon.risk.__file__).parent


def test_every_risk_and_lanes_parameter_is_read() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in RISK.glob("*.py"))
    for section in ("risk", "lanes"):
        for name, entry in documented()[section].items():
            assert len(entry["why"].split()) >= 6, f"{section}.{name}: say why"
            assert re.search(rf"\.{name}\b", code), f"{section}.{name} is documented but never read"
