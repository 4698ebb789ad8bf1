"""Formatting helpers: numbers, money, scores and evidence, as plain text.

Everything here returns *plain strings*; HTML escaping happens later, in the
template (autoescape) or in `charts.py`. Nothing here produces markup.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EvidenceView",
    "as_float",
    "clip",
    "flatten_evidence",
    "fmt_number",
    "fmt_score",
    "fmt_usd",
    "fmt_usd_short",
    "score_band",
]

#: Longest string shown for one evidence value or explanation (characters).
MAX_TEXT = 400
#: Most evidence entries shown on one alert card.
MAX_EVIDENCE_ITEMS = 40
#: Most lineage pointers (`sources`) shown on one alert card.
MAX_SOURCES = 20

#: Key suffix -> unit shown after the number.
_UNITS = (
    ("_pct", "%"),
    ("_kg", "kg"),
    ("_ha", "ha"),
    ("_tpd", "t/day"),
    ("_gpt", "g/t"),
    ("_ppm", "ppm"),
    ("_km", "km"),
)


def as_float(value: Any) -> float | None:
    """A finite float, or None for missing, NaN, infinite or non-numeric values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def clip(text: Any, limit: int = MAX_TEXT) -> str:
    """`text` as a string, cut to `limit` characters with an ellipsis."""
    s = "" if text is None else str(text)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def fmt_usd(value: Any, missing: str = "not estimated") -> str:
    """`USD 1,234,567` (whole dollars), or `missing`."""
    f = as_float(value)
    if f is None:
        return missing
    return f"USD {f:,.0f}"


def fmt_usd_short(value: Any) -> str:
    """Compact money for chart labels: `USD 1.2 M`, `USD 350 k`, `USD 900`."""
    f = as_float(value)
    if f is None:
        return "—"
    a = abs(f)
    if a >= 1e9:
        return f"USD {f / 1e9:,.1f} bn"
    if a >= 1e6:
        return f"USD {f / 1e6:,.1f} M"
    if a >= 1e4:
        return f"USD {f / 1e3:,.0f} k"
    return f"USD {f:,.0f}"


def fmt_number(value: Any) -> str:
    """A readable number: thousands separators, sensible decimals."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    f = as_float(value)
    if f is None:
        return "—" if value is None or isinstance(value, float) else clip(value)
    if f == int(f) and abs(f) < 1e15:
        return f"{int(f):,}"
    a = abs(f)
    if a >= 100:
        return _trim(f"{f:,.1f}")
    if a >= 1:
        return _trim(f"{f:,.2f}")
    return f"{f:.3g}"


def _trim(text: str) -> str:
    """Drop trailing decimal zeros: `68.30` -> `68.3`, `12.00` -> `12`."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_score(value: Any) -> str:
    f = as_float(value)
    return "—" if f is None else f"{f:.2f}"


def score_band(value: Any) -> str:
    """`high`, `medium` or `low`, used for colour and for the reader's wording."""
    f = as_float(value) or 0.0
    if f >= 0.8:
        return "high"
    if f >= 0.5:
        return "medium"
    return "low"


def _unit_for(leaf: str) -> str:
    for suffix, unit in _UNITS:
        if leaf.endswith(suffix):
            return unit
    return ""


def _fmt_value(key: str, value: Any) -> str:
    """One evidence value; the unit is guessed from the key's suffix.

    `value_usd` -> `USD 1,234`; `price_usd_per_kg` -> `USD 61,235 per kg`;
    `fine_mass_kg` -> `12.5 kg`; `gap_pct` -> `40 %`; anything else a plain number.
    """
    leaf = key.rsplit(".", 1)[-1].lower()
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, (int, float)):
        return clip(value)
    if as_float(value) is None:
        return "—"
    head, _, per = leaf.partition("_per_")
    per_text = f" per {per.replace('_', ' ')}" if per else ""
    if head == "usd" or head.endswith("_usd") or head.startswith("usd_") or "_usd_" in head:
        f = float(value)
        money = fmt_usd(f, missing="—") if abs(f) >= 100 or f == int(f) else f"USD {fmt_number(f)}"
        return money + per_text
    text = fmt_number(value)
    unit = _unit_for("_" + head)
    return (f"{text} {unit}" if unit else text) + per_text


def _source_text(src: Any) -> str:
    """One lineage pointer as `file:row` (plus the table, when given)."""
    if not isinstance(src, dict):
        return clip(src, 200)
    file = src.get("file") or src.get("table") or "?"
    row = src.get("row")
    text = f"{file}:{row}" if row is not None else str(file)
    table = src.get("table")
    if table and src.get("file"):
        text += f" ({table})"
    return clip(text, 200)


@dataclass
class EvidenceView:
    """Evidence ready to show: flat (key, value) pairs and lineage pointers."""

    items: list[tuple[str, str]] = field(default_factory=list)
    hidden_items: int = 0
    sources: list[str] = field(default_factory=list)
    hidden_sources: int = 0


def flatten_evidence(evidence: Any) -> EvidenceView:
    """Flatten nested evidence into dotted keys with formatted values.

    Lists of scalars are joined with commas; lists of dicts are numbered
    (`lots.0.lot_id`). Any list named `sources` is taken as lineage pointers
    and shown separately as `file:row`.
    """
    view = EvidenceView()
    flat: list[tuple[str, str]] = []
    sources: list[str] = []

    def walk(prefix: str, value: Any, depth: int) -> None:
        if len(flat) > MAX_EVIDENCE_ITEMS * 4:  # stop walking huge evidence early
            return
        if isinstance(value, dict):
            if not value and prefix:
                flat.append((prefix, "—"))
            for k, v in value.items():
                key = f"{prefix}.{k}" if prefix else str(k)
                if str(k) == "sources" and isinstance(v, list):
                    sources.extend(_source_text(s) for s in v)
                    continue
                walk(key, v, depth + 1)
        elif isinstance(value, (list, tuple)):
            if all(not isinstance(x, (dict, list, tuple)) for x in value):
                shown = [_fmt_value(prefix, x) for x in value[:20]]
                more = f" … (+{len(value) - 20})" if len(value) > 20 else ""
                flat.append((prefix or "value", clip(", ".join(shown) + more) if value else "—"))
            elif depth > 6:
                flat.append((prefix or "value", f"{len(value)} items"))
            else:
                for i, x in enumerate(value):
                    walk(f"{prefix}.{i}" if prefix else str(i), x, depth + 1)
        else:
            flat.append((prefix or "value", _fmt_value(prefix, value)))

    if evidence is None or evidence == "":
        return view
    if isinstance(evidence, str) and evidence.lstrip()[:1] in ("{", "["):
        try:  # evidence left as JSON text by a caller: read it rather than show raw JSON
            evidence = json.loads(evidence)
        except ValueError:
            pass
    walk("", evidence, 0)
    view.items = flat[:MAX_EVIDENCE_ITEMS]
    view.hidden_items = max(0, len(flat) - MAX_EVIDENCE_ITEMS)
    view.sources = sources[:MAX_SOURCES]
    view.hidden_sources = max(0, len(sources) - MAX_SOURCES)
    return view
