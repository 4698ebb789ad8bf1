"""Small escaped-HTML builders shared by the report sections."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, numeric: Sequence[int] = (),
          flagged: Iterable[bool] | None = None, caption: str = "") -> Markup:
    """An HTML table; `numeric` columns are right-aligned, flagged rows are marked for the eye and
    for screen readers (a ⚑ with a title)."""
    flags = list(flagged) if flagged is not None else None
    head = "".join(f'<th scope="col"{" class=num" if i in numeric else ""}>{escape(h)}</th>'
                   for i, h in enumerate(headers))
    body = []
    for k, row in enumerate(rows):
        mark = flags is not None and k < len(flags) and flags[k]
        cells = "".join(f'<td{" class=num" if i in numeric else ""}>{escape(_cell(v))}</td>' for i, v in enumerate(row))
        flag = '<td><span title="an alert concerns this row" aria-label="alert">⚑</span></td>' if mark else "<td></td>"
        body.append(f"<tr{' class=flagged' if mark else ''}>{cells}{flag if flags is not None else ''}</tr>")
    extra = '<th scope="col"><span class="sr-only">alert</span></th>' if flags is not None else ""
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return Markup(f'<div class="table-wrap"><table class="data">{cap}<thead><tr>{head}{extra}</tr></thead>'
                  f'<tbody>{"".join(body)}</tbody></table></div>')


def figure(chart: Markup, caption: str) -> Markup:
    return Markup(f"<figure>{chart}<figcaption>{escape(caption)}</figcaption></figure>") if chart else Markup("")


def _cell(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.3g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)
