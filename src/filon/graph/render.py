"""An actor's ownership neighbourhood as SVG (for people), GraphML (for Gephi, yEd) and JSON.

The neighbourhood is every node within `hops` ownership or control links of the actor, in either
direction. The drawing is layered (igraph's Sugiyama layout): owners above what they own, so a
chain reads top-down. Edges carry the share; nodes carry their red flags. The SVG is built as
text with every data string escaped, so it can be inlined in the HTML report as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from xml.etree import ElementTree as ET

import igraph as ig
from markupsafe import Markup, escape

from filon.graph.flags import Flag
from filon.graph.model import Link, OwnershipGraph

FLAG_COLOURS = {"secrecy": "#c0392b", "nominee": "#8e44ad", "fresh": "#d35400", "cycle": "#2c3e50"}
FLAG_LABELS = {"secrecy": "secrecy jurisdiction", "nominee": "nominee", "fresh": "fresh incorporation",
               "cycle": "circular ownership"}
KIND_COLOURS = {"person": "#eaf2f8", "company": "#fdfefe", "name": "#f4f6f6"}
BOX_W, BOX_H, GAP_X, GAP_Y = 190, 46, 30, 80


@dataclass
class Neighbourhood:
    centre: str
    nodes: list[str]
    links: list[Link]
    trades: list[tuple[str, str, float]]          # seller, buyer, value_usd among the nodes
    flags: dict[str, list[Flag]]


def neighbourhood(graph: OwnershipGraph, actor_id: str, hops: int = 2, *, trades: Iterable[Mapping] = (),
                  flags: Mapping[str, list[Flag]] | None = None) -> Neighbourhood:
    """Nodes within `hops` links of `actor_id` (owners and holdings alike), with the links among them."""
    graph.node(actor_id)
    seen, frontier = {actor_id}, {actor_id}
    for _ in range(hops):
        nxt = set()
        for n in frontier:
            nxt |= {link.owner for link in graph.links_into(n)} | {link.subject for link in graph.links_from(n)}
        frontier = nxt - seen
        seen |= frontier
    # Each link among them is one into its subject: read from the nodes reached, not from every link of
    # the country (a kept graph builds its links only as they are asked for).
    links = [link for n in sorted(seen) for link in graph.links_into(n) if link.owner in seen]
    trade_list = [(t["seller_id"], t["buyer_id"], float(t.get("value_usd") or 0.0)) for t in trades
                  if t["seller_id"] in seen and t["buyer_id"] in seen]
    return Neighbourhood(actor_id, sorted(seen), links, trade_list, {n: list((flags or {}).get(n, [])) for n in seen})


def layout(hood: Neighbourhood) -> dict[str, tuple[float, float]]:
    """Pixel centres: owners on upper rows, what they own below (Sugiyama layers)."""
    index = {n: i for i, n in enumerate(hood.nodes)}
    edges = sorted({(index[link.owner], index[link.subject]) for link in hood.links if link.owner != link.subject})
    g = ig.Graph(n=len(hood.nodes), edges=edges, directed=True)
    coords = g.layout_sugiyama().coords[: len(hood.nodes)] if edges else [[i, 0.0] for i in range(len(hood.nodes))]
    xs = sorted({round(c[0], 3) for c in coords})
    rank = {x: i for i, x in enumerate(xs)}
    return {n: (rank[round(coords[i][0], 3)] * (BOX_W + GAP_X) + BOX_W / 2 + 10, coords[i][1] * (BOX_H + GAP_Y) + BOX_H / 2 + 10)
            for n, i in index.items()}


def _share_label(link: Link) -> str:
    if link.share is None:
        return link.kind
    lo, hi = (round(s * 100, 2) for s in link.share)
    share = f"{lo:g} %" if lo == hi else f"{lo:g}-{hi:g} %"
    return share if link.kind == "shareholding" else f"{link.kind} {share}"


def to_svg(graph: OwnershipGraph, hood: Neighbourhood) -> Markup:
    """The neighbourhood drawn as one inline <svg> element."""
    pos = layout(hood)
    width = max(x for x, _ in pos.values()) + BOX_W / 2 + 10
    height = max(y for _, y in pos.values()) + BOX_H / 2 + (60 if hood.trades else 10)
    arrow = "arrow-" + re.sub(r"[^A-Za-z0-9_-]", "_", hood.centre)  # unique per drawing: several share one page
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="ownership-graph" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="11" role="img">'),
           (f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
            'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>')]
    for seller, buyer, value in hood.trades:  # curved below the boxes, so a trade never hides behind a third box
        (x1, y1), (x2, y2) = pos[seller], pos[buyer]
        y1, y2 = y1 + BOX_H / 2, y2 + BOX_H / 2
        cy = max(y1, y2) + 28 + abs(x2 - x1) * 0.08
        out.append(f'<path d="M {x1:.1f} {y1:.1f} Q {(x1 + x2) / 2:.1f} {cy:.1f} {x2:.1f} {y2:.1f}" fill="none" '
                   f'stroke="#2e86c1" stroke-width="2" stroke-dasharray="6 3" marker-end="url(#{arrow})">'
                   f'<title>{escape(f"trades {seller} → {buyer}: {value:,.0f} USD")}</title></path>')
    grouped: dict[tuple[str, str], list[Link]] = {}
    for link in hood.links:
        grouped.setdefault((link.owner, link.subject), []).append(link)
    for (owner, subject), group in grouped.items():
        (x1, y1), (x2, y2) = pos[owner], pos[subject]
        y1, y2 = y1 + BOX_H / 2, y2 - BOX_H / 2
        dash = "" if any(link.equity for link in group) else ' stroke-dasharray="2 3"'
        label = " · ".join(_share_label(link) for link in group)
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#555"{dash} marker-end="url(#{arrow})"/>')
        out.append(f'<text x="{x1 + 0.7 * (x2 - x1) + 4:.1f}" y="{y1 + 0.7 * (y2 - y1):.1f}" fill="#333">{escape(label)}</text>')
    for n in hood.nodes:
        node, (x, y) = graph.node(n), pos[n]
        fill = KIND_COLOURS["name" if node.name_only else "person" if node.natural_person else "company"]
        stroke = "#000" if n == hood.centre else "#7f8c8d"
        rx = 22 if node.natural_person else 3
        tip = "; ".join([f"{n} {node.country or ''}".strip()] + [f.detail for f in hood.flags.get(n, [])])
        out.append(f'<g><title>{escape(tip)}</title><rect x="{x - BOX_W / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{BOX_W}" '
                   f'height="{BOX_H}" rx="{rx}" fill="{fill}" stroke="{stroke}" stroke-width="{2 if n == hood.centre else 1}"/>')
        label = node.name if len(node.name) <= 27 else node.name[:26] + "…"
        out.append(f'<text x="{x:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-weight="bold">{escape(label)}</text>')
        sub = " · ".join(v for v in (node.country, "/".join(node.roles)) if v) or ("name only" if node.name_only else "")
        out.append(f'<text x="{x:.1f}" y="{y + 11:.1f}" text-anchor="middle" fill="#555">{escape(sub)}</text>')
        for k, code in enumerate(sorted({f.code for f in hood.flags.get(n, [])})):
            out.append(f'<circle cx="{x + BOX_W / 2 - 8 - 12 * k:.1f}" cy="{y - BOX_H / 2 + 8:.1f}" r="5" '
                       f'fill="{FLAG_COLOURS[code]}"><title>{escape(FLAG_LABELS[code])}</title></circle>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def legend_svg() -> Markup:
    """A small key to the drawing's symbols."""
    items = [(f'<circle cx="8" cy="{10 + 18 * i}" r="5" fill="{c}"/>', FLAG_LABELS[k]) for i, (k, c) in enumerate(FLAG_COLOURS.items())]
    base = 10 + 18 * len(items)
    items += [(f'<line x1="0" y1="{base}" x2="16" y2="{base}" stroke="#555"/>', "shareholding (share on the line)"),
              (f'<line x1="0" y1="{base + 18}" x2="16" y2="{base + 18}" stroke="#555" stroke-dasharray="2 3"/>',
               "director, nominee, voting or beneficial link"),
              (f'<line x1="0" y1="{base + 36}" x2="16" y2="{base + 36}" stroke="#2e86c1" stroke-dasharray="6 3" stroke-width="2"/>',
               "trades between the actors"),
              (f'<rect x="2" y="{base + 47}" width="12" height="10" rx="5" fill="{KIND_COLOURS["person"]}" stroke="#7f8c8d"/>',
               "natural person (rounded); companies are square")]
    rows = [f'{shape}<text x="24" y="{14 + 18 * i}">{escape(text)}</text>' for i, (shape, text) in enumerate(items)]
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" width="330" height="{18 * len(items) + 8}" font-family="sans-serif" '
                  f'font-size="11">{"".join(rows)}</svg>')


def to_json(graph: OwnershipGraph, hood: Neighbourhood) -> str:
    nodes = [{"id": n, "name": graph.node(n).name, "kind": graph.node(n).kind, "country": graph.node(n).country,
              "roles": list(graph.node(n).roles), "name_only": graph.node(n).name_only,
              "natural_person": graph.node(n).natural_person,
              "flags": [{"code": f.code, "detail": f.detail} for f in hood.flags.get(n, [])]} for n in hood.nodes]
    links = [{"record_id": link.record_id, "owner": link.owner, "subject": link.subject, "kind": link.kind,
              "share_pct": None if link.share is None else [round(s * 100, 4) for s in link.share],
              "start_date": link.start and link.start.isoformat(), "end_date": link.end and link.end.isoformat(),
              "source": link.source()} for link in hood.links]
    trades = [{"seller_id": s, "buyer_id": b, "value_usd": v} for s, b, v in hood.trades]
    return json.dumps({"centre": hood.centre, "as_of": graph.as_of and graph.as_of.isoformat(), "nodes": nodes,
                       "links": links, "trades": trades}, ensure_ascii=False, indent=2)


def to_graphml(graph: OwnershipGraph, hood: Neighbourhood) -> str:
    """GraphML with typed attributes; ownership/control and trade edges told apart by `relation`."""
    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", xmlns=ns)
    keys = [("name", "node", "string"), ("kind", "node", "string"), ("country", "node", "string"),
            ("roles", "node", "string"), ("flags", "node", "string"), ("relation", "edge", "string"),
            ("share_low_pct", "edge", "double"), ("share_high_pct", "edge", "double"), ("record_id", "edge", "string"),
            ("value_usd", "edge", "double")]
    for name, domain, kind in keys:
        ET.SubElement(root, "key", id=name, attrib={"for": domain, "attr.name": name, "attr.type": kind})
    g = ET.SubElement(root, "graph", id=hood.centre, edgedefault="directed")

    def data(parent: ET.Element, key: str, value: object) -> None:
        if value not in (None, ""):
            ET.SubElement(parent, "data", key=key).text = str(value)
    for n in hood.nodes:
        node = graph.node(n)
        el = ET.SubElement(g, "node", id=n)
        for key, value in (("name", node.name), ("kind", node.kind or "unknown"), ("country", node.country),
                           ("roles", ";".join(node.roles)), ("flags", ";".join(f.code for f in hood.flags.get(n, [])))):
            data(el, key, value)
    for i, link in enumerate(hood.links):
        el = ET.SubElement(g, "edge", id=f"o{i}", source=link.owner, target=link.subject)
        data(el, "relation", link.kind)
        data(el, "record_id", link.record_id)
        if link.share is not None:
            data(el, "share_low_pct", round(link.share[0] * 100, 4))
            data(el, "share_high_pct", round(link.share[1] * 100, 4))
    for i, (s, b, v) in enumerate(hood.trades):
        el = ET.SubElement(g, "edge", id=f"t{i}", source=s, target=b)
        data(el, "relation", "trade")
        data(el, "value_usd", v)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
