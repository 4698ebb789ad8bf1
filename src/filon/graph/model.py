"""The ownership graph's data: nodes (actors and name-only owners) and links valid at a date.

A link is either *equity* (shareholding: a share of the capital, exact or a (low, high) range)
or *control* (director, nominee, voting, beneficial). Nominee and director links never carry
equity, even when the registry writes a share on them: a nominee holds shares for someone else,
so counting the share as the nominee's would name the wrong owner. Beneficial declarations name
who stands behind the legal chain; they are read by `ultimate_owners` and `controllers`, not
added to the capital (that would count the same shares twice).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from filon.errors import InvalidData
from filon.graph.names import looks_like_organisation, name_node_id

EQUITY_KINDS = frozenset({"shareholding"})
CONTROL_KINDS = frozenset({"director", "nominee", "voting", "beneficial"})
#: Tolerance on a company's share total before its shares are scaled down to 100 %.
SHARE_TOTAL_SLACK = 1e-6


@dataclass(frozen=True, slots=True)
class Node:
    node_id: str
    name: str
    kind: str | None          # company, person, cooperative, public_body; None when not recorded (name-only owners)
    country: str | None
    incorporation_date: date | None
    roles: tuple[str, ...]
    name_only: bool           # known only by name in the ownership table

    @property
    def natural_person(self) -> bool:
        """A person actor, or (kind not recorded) a name that carries no legal form or organisation word."""
        if self.kind is not None:
            return self.kind == "person"
        return not looks_like_organisation(self.name)


@dataclass(frozen=True, slots=True)
class Link:
    record_id: str
    subject: str                          # owned or controlled node
    owner: str                            # owning or controlling node
    kind: str
    share: tuple[float, float] | None     # fraction bounds (low, high); None when not given
    start: date | None
    end: date | None
    source_file: str | None = None
    source_row: int | None = None

    @property
    def equity(self) -> bool:
        return self.kind in EQUITY_KINDS

    def source(self) -> dict[str, Any]:
        return {"table": "ownership", "id": self.record_id, "file": self.source_file, "row": self.source_row}


@dataclass
class OwnershipGraph:
    """Nodes and the links valid at `as_of` (or overlapping `period`), indexed both ways.

    Pickled as columns (`filon.graph.packed`) with its effective ownership: a kept national graph
    then loads in a fraction of the time, and its nodes and links are built as they are asked for
    (so `nodes` may be any mapping and `links` any sequence, in the orders they were built in)."""

    nodes: Mapping[str, Node]
    links: Sequence[Link]
    as_of: date | None = None
    period: tuple[date, date] | None = None
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def owners_of(self) -> Mapping[str, list[Link]]:
        """Node id -> the links into it (its owners and controllers), in link order."""
        out: dict[str, list[Link]] = defaultdict(list)
        for link in self.links:
            out[link.subject].append(link)
        return dict(out)

    @cached_property
    def holdings_of(self) -> Mapping[str, list[Link]]:
        """Node id -> the links from it (what it owns or controls), in link order."""
        out: dict[str, list[Link]] = defaultdict(list)
        for link in self.links:
            out[link.owner].append(link)
        return dict(out)

    def links_into(self, node_id: str) -> list[Link]:
        return self.owners_of.get(node_id, [])

    def links_from(self, node_id: str) -> list[Link]:
        return self.holdings_of.get(node_id, [])

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise KeyError(f"{node_id!r} is not in the ownership graph") from None

    @cached_property
    def effective(self):  # type: ignore[no-untyped-def]  # -> EffectiveOwnership, imported late (scipy)
        from filon.graph.effective import effective_ownership
        return effective_ownership(self)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as columns, with the effective ownership (see the class docstring)."""
        from filon.graph.packed import pack, restore
        return restore, (pack(self),)


def _as_date(value: Any, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InvalidData(f"{where}: {value!r} is not a date; write YYYY-MM-DD") from None


def _as_pct(value: Any, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        pct = float(value)
    except (TypeError, ValueError):
        raise InvalidData(f"{where}: {value!r} is not a percentage; write a number from 0 to 100") from None
    if not 0.0 <= pct <= 100.0:
        raise InvalidData(f"{where}: share {pct:g} is outside 0-100 %; write the share in percent")
    return pct


def _valid(start: date | None, end: date | None, as_of: date | None, period: tuple[date, date] | None) -> bool:
    if period is not None:
        return (start is None or start <= period[1]) and (end is None or end >= period[0])
    if as_of is not None:
        return (start is None or start <= as_of) and (end is None or end > as_of)
    return True


def build_graph(ownership: Iterable[Mapping[str, Any]], actors: Iterable[Mapping[str, Any]] = (), *,
                as_of: date | None = None, period: tuple[date, date] | None = None) -> OwnershipGraph:
    """A graph from rows shaped like the standard's `ownership` and `actors` tables.

    `share_pct` is an exact share; optional `share_min`/`share_max` columns give a range instead.
    A shareholding without any share gets the bounds (0, what the company's other known shares
    leave), never an invented point. Shares of one company summing over 100 % are scaled down
    (the total is noted in `warnings`) so that no company hands out more than all of itself.
    """
    nodes: dict[str, Node] = {}
    for a in actors:
        roles = tuple(r.strip() for r in str(a.get("roles") or "").split(";") if r.strip())
        nodes[str(a["actor_id"])] = Node(
            node_id=str(a["actor_id"]), name=str(a.get("name") or a["actor_id"]), kind=a.get("kind") or None,
            country=a.get("country") or None,
            incorporation_date=_as_date(a.get("incorporation_date"), f"actors {a['actor_id']} incorporation_date"),
            roles=roles, name_only=False)
    raw: list[dict[str, Any]] = []
    for i, row in enumerate(ownership, start=1):
        where = f"ownership row {row.get('_source_row', i)} (record {row.get('record_id')})"
        start = _as_date(row.get("start_date"), where + " start_date")
        end = _as_date(row.get("end_date"), where + " end_date")
        if not _valid(start, end, as_of, period):
            continue
        owner_id, owner_name = row.get("owner_id") or None, (row.get("owner_name") or "").strip()
        if owner_id is None and not owner_name:
            raise InvalidData(f"{where}: neither owner_id nor owner_name is given; fill one of them")
        if owner_id is None:
            owner_id = name_node_id(owner_name)
            nodes.setdefault(owner_id, Node(owner_id, owner_name, None, None, None, (), True))
        subject = str(row["subject_id"])
        for nid in (subject, str(owner_id)):
            nodes.setdefault(nid, Node(nid, nid, None if nid.startswith("name:") else "company", None, None, (), False))
        exact = _as_pct(row.get("share_pct"), where + " share_pct")
        lo, hi = _as_pct(row.get("share_min"), where + " share_min"), _as_pct(row.get("share_max"), where + " share_max")
        if exact is not None:
            lo = hi = exact
        elif lo is not None or hi is not None:
            lo, hi = lo or 0.0, 100.0 if hi is None else hi
            if lo > hi:
                raise InvalidData(f"{where}: share_min {lo:g} is above share_max {hi:g}; swap them")
        raw.append({"record_id": str(row.get("record_id") or f"row-{i}"), "subject": subject, "owner": str(owner_id),
                    "kind": row.get("control_kind") or "shareholding", "lo": lo, "hi": hi, "start": start, "end": end,
                    "file": row.get("_source_file"), "row": row.get("_source_row")})
    warnings: list[str] = []
    return OwnershipGraph(nodes, _bounded_links(raw, warnings), as_of=as_of, period=period, warnings=warnings)


def _bounded_links(raw: list[dict[str, Any]], warnings: list[str]) -> list[Link]:
    """Turn percent rows into links with fraction bounds, per company consistent with 100 %."""
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in raw:
        by_subject[r["subject"]].append(r)
    links = []
    for subject, rows in by_subject.items():
        equity = [r for r in rows if r["kind"] in EQUITY_KINDS]
        known_low = sum(r["lo"] for r in equity if r["lo"] is not None)
        scale = 1.0
        if known_low > 100.0 * (1 + SHARE_TOTAL_SLACK):
            scale = 100.0 / known_low
            warnings.append(f"shares of {subject} add up to {known_low:g} %; scaled down to 100 % "
                            f"(records {', '.join(r['record_id'] for r in equity)})")
        for r in rows:
            if r["kind"] in EQUITY_KINDS and r["lo"] is None:
                share: tuple[float, float] | None = (0.0, max(0.0, 1.0 - known_low * scale / 100.0))
            elif r["lo"] is None:
                share = None
            else:
                low = r["lo"] * scale / 100.0
                high = min(r["hi"] * scale / 100.0, max(low, 1.0 - (known_low - r["lo"]) * scale / 100.0))
                share = (low, high)
            links.append(Link(r["record_id"], subject, r["owner"], r["kind"], share, r["start"], r["end"],
                              r["file"], r["row"]))
    return links
