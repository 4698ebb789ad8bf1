"""Report section: the ownership and control neighbourhood of the top ownership alerts.

A list of company ids says little about a structure; a drawing of who owns whom, with the shares
on the links and the red flags on the owners, shows the layering, the offshore owner and the
person behind a whole supply chain at a glance. Only the highest-scored alerts are drawn, so
the page stays readable; the rest are in the alert table.
"""

from __future__ import annotations

from markupsafe import Markup

from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters, defaults
from filon.graph.jurisdictions import secrecy_jurisdictions
from filon.graph.ownership import data_end, in_force_key, load_graph
from filon.graph.render import legend_svg, to_svg
from filon.graph.views import actor_neighbourhoods
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
    figures = drawings(ctx, mine)
    if not figures:
        return None
    legend = Markup('<div class="ownership-legend">{}</div>').format(legend_svg())
    as_of = data_end(ctx) or "any date"  # read here, so the section is redrawn when the date moves
    return Section(
        key="ownership", title="Ownership and control",
        intro=(f"Who owns and controls the actors of the top {len(figures)} ownership alerts, as of {as_of}: owners "
               "above what they own, shares on the links, red flags on the nodes (hover for details)."),
        html=legend + Markup("").join(figures))


def drawings(ctx: DetectContext, mine: list[dict]) -> list[Markup]:
    """A captioned figure per alert of `mine` whose subject is in the graph.

    They depend on those alerts, the links in force at the end of the data, the actors, the
    ownership records and the trades, but not on the end date itself, which every batch of newer
    flows moves. So they are kept for the next run (`DetectContext.memo`), and a batch that leaves
    all that unchanged (a month of customs declarations) costs no neighbourhood at all."""
    p = defaults("opaque_ownership")
    drawn = tuple((a["typology"], str(a["subject_id"]), float(a.get("score") or 0.0), a.get("explanation") or "")
                  for a in mine)
    secrecy = tuple(sorted(secrecy_jurisdictions(p["secrecy_jurisdictions_file"]).items()))
    key = ("report ownership drawings", drawn, in_force_key(ctx), secrecy, int(p["fresh_days"]), tuple(HOPS.items()))
    figures = ctx.memo(key, lambda: _draw(ctx, drawn, p), ("actors", "ownership", "trades"), keep="report_ownership")
    return [Markup(f) for f in figures]


def _draw(ctx: DetectContext, drawn: tuple[tuple[str, str, float, str], ...], p: Parameters) -> list[str]:
    """The figures of `drawn` (typology, subject, score, explanation), the neighbourhoods read together."""
    graph = load_graph(ctx)
    shown = [(typology, subject, score, explanation) for typology, subject, score, explanation in drawn
             if subject in graph.nodes]
    hoods = actor_neighbourhoods(ctx, graph, [(subject, HOPS[typology]) for typology, subject, _, _ in shown], p)
    figures = []
    for (typology, subject, score, explanation), hood in zip(shown, hoods):
        caption = Markup("<strong>{}</strong> · {} · score {:.2f}<br>{}").format(typology, subject, score, explanation)
        figures.append(str(Markup('<figure class="ownership-figure" style="overflow-x:auto;margin:1em 0">{}'
                                  '<figcaption>{}</figcaption></figure>').format(to_svg(graph, hood), caption)))
    return figures  # plain strings: what is kept for the next run
