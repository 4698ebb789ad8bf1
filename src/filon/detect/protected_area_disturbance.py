"""protected_area_disturbance: mining seen from space inside a protected area or indigenous territory.

Detections are intersected with the `areas` of the kinds in `area_kinds` (protected_area and
indigenous_territory by default) through an STRtree; the overlap is measured in an equal-area
projection (several areas overlapping each other are merged first, so nothing is counted twice).

It fires when the overlap is at least `min_overlap_ha`, or at least `min_overlap_share` of the
detection (a small scar wholly inside). A detection that only touches a boundary (overlap 0 ha)
stays silent. A right in force over the place does not silence it: a title granted inside a
reserve or a territory is itself what the agency must look at; the evidence says whether the
scar is inside a right in force.

Score: confidence (or `default_confidence`) × (0.6 + 0.4 × min(1, overlap ha / `full_score_ha`)).
No value at risk (unlicensed_disturbance values the gold of the same scar; counting it twice
would inflate totals). Subject: the detection (`area`); period: its date.
"""

from __future__ import annotations

import numpy as np
import shapely

from filon.detect import _territory as t
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.registry import detector
from filon.geo.projection import area_ha


@detector("protected_area_disturbance", version="1.0", title="Mining disturbance in a protected area or territory",
          subject_type="area", tables=("detections", "areas", "mining_rights"))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A mining disturbance detected from space overlaps a protected area or an indigenous territory,
    where mining is forbidden or needs the people's consent."""
    dets = t.detections(ctx)
    zones = t.areas(ctx, tuple(p.area_kinds))
    if not len(dets) or not len(zones):
        return []
    di, ai = zones.tree.query(dets.geoms, predicate="intersects")
    if not len(di):
        return []
    parts = shapely.intersection(dets.geoms[di], zones.geoms[ai])
    part_ha = area_ha(parts)
    by_det: dict[int, list[int]] = {}
    for k, d in enumerate(di.tolist()):
        by_det.setdefault(d, []).append(k)
    total_ha = dets.area_ha
    rights = None
    alerts = []
    for d, ks in sorted(by_det.items()):
        overlap = float(part_ha[ks[0]]) if len(ks) == 1 else float(area_ha(shapely.union_all(parts[ks]))[0])
        share = overlap / total_ha[d] if total_ha[d] > 0 else 0.0
        if overlap <= 0 or not (overlap >= p.min_overlap_ha or share >= p.min_overlap_share):
            continue
        if rights is None:
            rights = t.rights(ctx)
        row, did = dets.rows[d], dets.ids[d]
        hit = sorted(({"area_id": zones.ids[ai[k]], "name": zones.rows[ai[k]].get("name"),
                       "kind": zones.rows[ai[k]]["kind"], "country": zones.rows[ai[k]].get("country"),
                       "overlap_ha": round(float(part_ha[k]), 4),
                       "share": round(float(part_ha[k] / total_ha[d]) if total_ha[d] > 0 else 0.0, 4)}
                      for k in ks if part_ha[k] > 0), key=lambda a: (-a["overlap_ha"], a["area_id"]))
        main = hit[0]
        in_rights = []
        for r in rights.tree.query(dets.geoms[d], predicate="intersects").tolist():
            ok, why = t.in_force(rights.rows[r], row["date"])
            in_rights.append({"right_id": rights.ids[r], "in_force": ok, "reason": why})
        conf = row.get("confidence")
        conf_used = float(conf) if conf is not None else p.default_confidence
        score = conf_used * (0.6 + 0.4 * min(1.0, overlap / p.full_score_ha))
        country = main["country"] or t.countries_for(dets.geoms[[d]], rights)[0]
        kind = main["kind"].replace("_", " ")
        licensed = any(r["in_force"] for r in in_rights)
        alerts.append(Alert(
            typology="protected_area_disturbance", subject_type="area", subject_id=did, country=country,
            period=row["date"], score=max(0.0, min(1.0, score)), value_at_risk_usd=None,
            explanation=(f"Detection {did} of {row['date']} shows {overlap:,.2f} ha of mining disturbance "
                         f"({share:.0%} of it) inside the {kind} {main['name'] or main['area_id']}"
                         + (", within a mining right in force over it." if licensed else ".")),
            evidence={
                "date": row["date"], "detection_ha": round(float(total_ha[d]), 4), "overlap_ha": round(overlap, 4),
                "overlap_share": round(share, 4), "areas": hit, "confidence": conf, "confidence_used": conf_used,
                "source": row.get("source"), "inside_right_in_force": licensed, "rights": in_rights[:10],
                "geometry_repaired": did in dets.repaired,
                "sources": [t.lineage("detections", did, row)] + [
                    t.lineage("areas", a["area_id"], zones.rows[zones.index[a["area_id"]]]) for a in hit[:5]],
            }))
    return alerts
