"""Canonical JSON (RFC 8785 style): one byte string per value, so hashes and signatures are
reproducible by any party in any language.

Keys sorted by their UTF-16 code units, no whitespace, strings escaped as ECMAScript's
JSON.stringify does, numbers written as ECMAScript writes them (shortest round-trip digits,
`1` not `1.0`, exponent form only below 1e-6 or from 1e21). NaN and infinities are refused:
they have no JSON form and would make two parties hash different bytes.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

_escape = json.encoder.encode_basestring  # JSON.stringify's escaping for strings (C implementation)
_fast_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode


class _Slow(Exception):
    """Raised by the fast path's pre-pass when a value needs the full writer."""


def canonical_bytes(value: Any) -> bytes:
    """The canonical UTF-8 bytes of a JSON value (dict, list, str, int, float, bool, None)."""
    return canonical_text(value).encode("utf-8")


def canonical_text(value: Any) -> str:
    """Fast path: the C JSON encoder, after integral floats become ints; it writes the same text
    as ECMAScript for every other float in 1e-4..1e16 and sorts BMP keys as UTF-16 does. Anything
    else (tiny floats, keys beyond the BMP) goes through the full writer below."""
    try:
        return _fast_dumps(_plain(value))
    except _Slow:
        parts: list[str] = []
        _write(value, parts)
        return "".join(parts)


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return int(value)
        if not 1e-4 <= abs(value) < 1e16:
            raise _Slow
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or not k.isascii() and max(k) > "\uffff":
                raise _Slow
            out[k] = _plain(v)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int)):
        return value
    raise _Slow


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_escape(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(es_number(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if not isinstance(key, str):
                raise TypeError(f"canonical JSON keys must be strings, got {key!r}")
            if i:
                out.append(",")
            out.append(_escape(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"canonical JSON cannot hold a {type(value).__name__}: {value!r}")


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be")


def es_number(x: float) -> str:
    """ECMAScript Number::toString of a double (RFC 8785 §3.2.2.3)."""
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"canonical JSON has no form for {x}")
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es_number(-x)
    sign, digits, exp = Decimal(repr(x)).as_tuple()
    d = "".join(map(str, digits)).rstrip("0") or "0"
    exp += len(digits) - len(d)  # value = int(d) * 10**exp
    k, n = len(d), len(d) + exp  # ES: digits s (k of them), value = s * 10**(n-k)
    if k <= n <= 21:
        return d + "0" * (n - k)
    if 0 < n <= 21:
        return d[:n] + "." + d[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + d
    e = n - 1
    mantissa = d if k == 1 else d[0] + "." + d[1:]
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
