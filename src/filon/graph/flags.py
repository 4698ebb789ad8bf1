"""Red flags on one node of an ownership graph, shared by the detector, the CLI and the report.

A flag is a fact an analyst can check in the registry: the node is registered in a secrecy
jurisdiction, was incorporated days before it took over a company, acts as a nominee, or owns
itself through a loop of companies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from filon.graph.model import OwnershipGraph


@dataclass(frozen=True)
class Flag:
    code: str            # secrecy, fresh, nominee, cycle
    node_id: str
    detail: str
    record_ids: tuple[str, ...] = ()


def node_flags(graph: OwnershipGraph, node_id: str, *, secrecy: Mapping[str, str], fresh_days: int) -> list[Flag]:
    node = graph.node(node_id)
    out = []
    if node.country and node.country in secrecy:
        out.append(Flag("secrecy", node_id, f"registered in {node.country} ({secrecy[node.country]})"))
    for link in graph.links_from(node_id):
        if link.kind == "nominee":
            out.append(Flag("nominee", node_id, f"nominee of {link.subject}", (link.record_id,)))
        if node.incorporation_date and link.start and not node.natural_person:
            days = (link.start - node.incorporation_date).days
            if 0 <= days <= fresh_days:
                out.append(Flag("fresh", node_id, f"incorporated {days} days before its {link.kind} link to "
                                f"{link.subject} began", (link.record_id,)))
    if node_id in graph.effective.circular:
        out.append(Flag("cycle", node_id, "owns itself through a loop of companies"))
    return out
