"""An actor as the analyst sees it: its record, who owns it and what it owns, its trades and
exports, its alerts, and its ownership network drawn as SVG (the same drawing as `filon graph`)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from filon.api.workspace_data import WorkspaceData
from filon.graph.ownership import load_graph
from filon.graph.render import legend_svg, to_svg
from filon.graph.views import actor_neighbourhood

LIST_LIMIT = 50


def _clean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


def actor_record(data: WorkspaceData, actor_id: str) -> dict[str, Any] | None:
    rows = data.query("SELECT actor_id, country, name, kind, tax_id, tax_id_scheme, incorporation_date, address, "
                      "admin_area, roles, _source_file, _source_row, _batch_id FROM actors WHERE actor_id = ?", [actor_id])
    return _clean(rows)[0] if rows else None


def actor_details(data: WorkspaceData, actor_id: str) -> dict[str, Any]:
    q = data.query
    owners = q("SELECT o.record_id, o.owner_id, coalesce(a.name, o.owner_name) AS owner_name, o.share_pct, o.control_kind, "
               "o.start_date, o.end_date FROM ownership o LEFT JOIN actors a ON a.actor_id = o.owner_id "
               "WHERE o.subject_id = ? ORDER BY o.start_date, o.record_id", [actor_id])
    holdings = q("SELECT o.record_id, o.subject_id, a.name AS subject_name, o.share_pct, o.control_kind, o.start_date, "
                 "o.end_date FROM ownership o LEFT JOIN actors a ON a.actor_id = o.subject_id WHERE o.owner_id = ? "
                 "ORDER BY o.start_date, o.record_id", [actor_id])
    trades = q("""SELECT CASE WHEN seller_id = ? THEN 'sold' ELSE 'bought' END AS flow,
                         CASE WHEN seller_id = ? THEN buyer_id ELSE seller_id END AS counterparty_id,
                         any_value(a.name) AS counterparty_name, count(*) AS records,
                         round(sum(fine_mass_kg), 3) AS fine_kg, round(sum(value_usd), 2) AS value_usd
                  FROM trades t LEFT JOIN actors a ON a.actor_id = CASE WHEN seller_id = ? THEN buyer_id ELSE seller_id END
                  WHERE seller_id = ? OR buyer_id = ? GROUP BY 1, 2 ORDER BY value_usd DESC NULLS LAST LIMIT ?""",
               [actor_id] * 5 + [LIST_LIMIT])
    exports = q("SELECT declaration_id, date, destination_country, hs_code, commodity, product, fine_mass_kg, value_usd, "
                "_source_file, _source_row FROM exports WHERE exporter_id = ? ORDER BY date DESC LIMIT ?", [actor_id, LIST_LIMIT])
    export_totals = q("SELECT count(*) AS declarations, round(sum(fine_mass_kg), 3) AS fine_kg, round(sum(value_usd), 2) "
                      "AS value_usd FROM exports WHERE exporter_id = ?", [actor_id])[0]
    rights = q("SELECT right_id, country, regime, status, scale, area_ha, granted_on, expires_on FROM mining_rights "
               "WHERE holder_id = ? ORDER BY right_id LIMIT ?", [actor_id, LIST_LIMIT])
    return {"owners": _clean(owners), "holdings": _clean(holdings), "trades": _clean(trades),
            "exports": _clean(exports), "export_totals": export_totals, "rights": _clean(rights)}


def network_svg(data: WorkspaceData, actor_id: str, hops: int = 2) -> Markup:
    """The actor's ownership neighbourhood with red flags and trades, plus a legend."""
    graph = data.cached("ownership_graph", lambda: load_graph(data.context()))
    if actor_id not in graph.nodes:
        return Markup('<p class="muted" data-i18n="no_ownership">No ownership or control records for this actor.</p>')
    hood = actor_neighbourhood(data.context(), graph, actor_id, hops)
    return Markup(f'<div class="network">{to_svg(graph, hood)}</div><div class="legend">{legend_svg()}</div>')


def search_actors(data: WorkspaceData, q: str, scope: frozenset[str] | None, limit: int = 20) -> list[dict[str, Any]]:
    params: list[Any] = [f"%{q}%", f"%{q}%"]
    where = "(name ILIKE ? OR actor_id ILIKE ?)"
    if scope is not None:
        where += f" AND country IN ({', '.join('?' for _ in scope)})"
        params += sorted(scope)
    return _clean(data.query(f"SELECT actor_id, name, country, kind, roles FROM actors WHERE {where} "
                             f"ORDER BY name LIMIT ?", params + [limit]))
