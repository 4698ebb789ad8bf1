"""A printable dossier of one alert: explanation, evidence, lineage, a map of the subject and
its surroundings, the ownership network of the actors involved, and the triage record.

One self-contained HTML page (no scripts, inline SVG), laid out for A4 printing, so an
analyst can file it or send it to a prosecutor as it is.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import shapely
from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from markupsafe import Markup

from filon.api.alerts import lineage
from filon.api.auth import Principal
from filon.api.deps import app_state, current_user, require_country
from filon.api.entities import actor_record, network_svg
from filon.api.geo import alert_geometry, load_layer, outlines
from filon.api.schemas import SIGNED_IN
from filon.api.state import AppState
from filon.report.maps import MapLayer, svg_map

router = APIRouter(tags=["alerts"], responses=SIGNED_IN)
TEMPLATE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dossier {{ a.alert_id }}</title>
<style>
body{font:12px/1.45 system-ui,sans-serif;margin:24px auto;max-width:900px;color:#1a1a1a}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;border-bottom:1px solid #999;margin-top:22px}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;background:#f6f6f6;padding:8px;font-size:11px}.muted{color:#666}
.network svg{max-width:100%;height:auto}@page{size:A4;margin:14mm}@media print{h2{break-after:avoid}.network{break-inside:avoid}}
</style></head><body>
<p class="muted">filon dossier · generated {{ generated }} by {{ user }} · workspace {{ workspace }}</p>
<h1>{{ a.typology }} — {{ a.subject_id }}</h1>
<table><tr><th>Alert</th><td>{{ a.alert_id }}</td><th>Country</th><td>{{ a.country or "-" }}</td></tr>
<tr><th>Period</th><td>{{ a.period or "-" }}</td><th>Score</th><td>{{ "%.2f"|format(a.score) }}</td></tr>
<tr><th>Value at risk</th><td>{{ "{:,.0f} USD".format(a.value_at_risk_usd) if a.value_at_risk_usd else "-" }}</td>
<th>Triage</th><td>{{ triage.status }}{% if triage.assignee %} · {{ triage.assignee }}{% endif %}</td></tr></table>
<h2>Explanation</h2><p>{{ a.explanation }}</p>
<h2>Map</h2>{% if map %}{{ map }}{% else %}<p class="muted">This alert's subject has no geometry.</p>{% endif %}
<h2>Ownership network</h2>{% for actor, svg in networks %}<h3>{{ actor }}</h3>{{ svg }}{% else %}
<p class="muted">No actor is named by this alert.</p>{% endfor %}
<h2>Evidence</h2><pre>{{ evidence }}</pre>
<h2>Lineage (source records)</h2><table><tr><th>Table</th><th>Record</th><th>File</th><th>Row</th><th>Batch</th><th>SHA-256</th></tr>
{% for s in sources %}<tr><td>{{ s.table or "" }}</td><td>{{ s.record_id or "" }}</td><td>{{ s.file }}</td><td>{{ s.row or "" }}</td>
<td>{{ s.batch_id or "" }}</td><td>{{ (s.sha256 or "")[:16] }}</td></tr>{% endfor %}</table>
<h2>Notes</h2>{% for n in notes %}<p><b>{{ n.author }}</b> <span class="muted">{{ n.created_at }}</span><br>{{ n.text }}</p>
{% else %}<p class="muted">No notes.</p>{% endfor %}
<h2>Decisions</h2><table><tr><th>When</th><th>Who</th><th>Change</th></tr>{% for h in history %}
<tr><td>{{ h.at }}</td><td>{{ h.username }}</td><td>{{ h.detail }}</td></tr>{% endfor %}</table>
<p class="muted">Map base: country outlines from Natural Earth (public domain).</p>
</body></html>""")


def _map(state: AppState, alert: dict[str, Any]) -> Markup | None:
    geom = alert_geometry(state.data, alert)
    if geom is None:
        return None
    x0, y0, x1, y1 = geom.bounds
    pad = max(x1 - x0, y1 - y0, 0.05) * 1.5
    view = shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    layers = []
    codes, shapes = outlines()
    layers.append(MapLayer("country outline", [s.intersection(view) for s in shapes if s.intersects(view)],
                           fill="#f2efe6", stroke="#888"))
    for name, label, fill, stroke in (("areas", "protected areas and territories", "#2e7d3233", "#2e7d32"),
                                      ("rights", "mining rights", "#1565c033", "#1565c0"),
                                      ("detections", "satellite detections", "#ef6c0066", "#ef6c00")):
        layer = load_layer(state.data, name)
        near = [layer.geoms[i] for i in layer.tree.query(view)]
        if near:
            layers.append(MapLayer(label, near, fill=fill, stroke=stroke))
    layers.append(MapLayer("alert subject", [geom], fill="#c6282855", stroke="#c62828", stroke_width=2.0))
    return svg_map(layers, title=f"{alert['typology']} {alert['subject_id']}", bounds=view.bounds, map_id="dossier-map")


@router.get("/dossier/{alert_id}", response_class=HTMLResponse, summary="Print-ready dossier of one alert")
def dossier(alert_id: str, user: Principal = Depends(current_user), state: AppState = Depends(app_state)) -> HTMLResponse:
    alert = state.alerts.get(alert_id)
    if alert is None:
        raise HTTPException(404, f"No alert {alert_id} in the latest analysis.")
    require_country(user, alert.get("country"), "alert")
    networks = []
    for actor_id in alert["_actors"][:3]:
        record = actor_record(state.data, actor_id)
        if record is not None and user.can_read(record.get("country")):
            networks.append((f"{record['name']} ({actor_id})", network_svg(state.data, actor_id)))
    html = TEMPLATE.render(a=alert, user=user.username, workspace=state.workspace.name,
                           generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           triage=state.triage.of(alert_id), map=_map(state, alert), networks=networks,
                           evidence=json.dumps(alert.get("evidence"), indent=1, ensure_ascii=False),
                           sources=lineage(alert, state.data.workspace.batches), notes=state.triage.notes(alert_id),
                           history=state.triage.history(alert_id))
    return HTMLResponse(html)
