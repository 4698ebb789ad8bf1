"""Report section: the ownership and control neighbourhood of the top ownership alerts.

A list of company ids says little about a structure; a drawing of who owns whom, with the shares
on the links and the red flags on the owners, shows the layering, the offshore owner and the
person behind a whole supply chain at a glance. Only the highest-scored alerts are drawn, so
the page stays readable; the rest are in the alert table.
"""

from __future__ import annotations

from markupsafe import Markup

from filon.detect.context import DetectContext
from filon.graph.ownership import data_end, load_graph
from filon.graph.render import legend_svg, to_svg
from filon.graph.views import actor_neighbourhood
from filon.report.sections import Section

TYPOLOGIES = ("opaque_ownership", "shared_controller")
#: Drawings shown; each is a full-width figure, more would bury the rest of the report.
MAX_DRAWINGS = 4
#: Links followed from the subject: three reach the nominee behind two holding layers; two show a
#: controller, its companies and their co-owners.
HOPS = {"opaque_ownership": 3, "shared_controller": 2}


def section(ctx: DetectContext, alerts: list[dict]) -> Section | None:
    mine = sorted((a for a in alerts if a.get("typology") in TYPOLOGIES),
                  key=lambda a: (-float(a.get("score") or 0.0), str(a.get("subject_id"))))[:MAX_DRAWINGS]
    if not mine:
        return None
    graph = load_graph(ctx)
    figures = []
    for a in mine:
        subject = str(a["subject_id"])
        if subject not in graph.nodes:
            continue
        hood = actor_neighbourhood(ctx, graph, subject, HOPS[a["typology"]])
        caption = Markup("<strong>{}</strong> · {} · score {:.2f}<br>{}").format(
            a["typology"], subject, float(a.get("score") or 0.0), a.get("explanation") or "")
        figures.append(Markup('<figure class="ownership-figure" style="overflow-x:auto;margin:1em 0">{}'
                              '<figcaption>{}</figcaption></figure>').format(to_svg(graph, hood), caption))
    if not figures:
        return None
    legend = Markup('<div class="ownership-legend">{}</div>').format(legend_svg())
    as_of = data_end(ctx) or "any date"  # read here, so the section is redrawn when the date moves
    return Section(
        key="ownership", title="Ownership and control",
        intro=(f"Who owns and controls the actors of the top {len(figures)} ownership alerts, as of {as_of}: owners "
               "above what they own, shares on the links, red flags on the nodes (hover for details)."),
        html=legend + Markup("").join(figures))
