"""unlicensed_disturbance: mining seen from space outside every mining right in force at the image date.

For each detection, the rights whose polygons intersect it are looked up in an STRtree; those in
force on the detection's date (`_territory.in_force`: status active or expired, granted on or
before the date, not past the expiry; a missing grant date counts as granted, a missing expiry
as open-ended; suspended and cancelled rights never count) are merged, and the part of the
detection outside them is measured in an equal-area projection (hectares, never degrees).

It fires when the outside part is more than `min_outside_share` of the detection *and* at least
`min_outside_ha`: a scar spilling a few metres over a boundary (digitising error, a 10 m pixel)
stays silent, a scar half outside its right does not.

Score: confidence (or `default_confidence`) × (0.5 + 0.5 × min(1, outside ha / `full_score_ha`)).
Value at risk: outside ha × `gold_kg_per_ha` × the year's gold reference price (see the parameter's
why); None without a price. Subject: the detection (`area`), period: its date, so the alert id is
the same on every run over the same detection.
"""

from __future__ import annotations

import logging

import numpy as np
import shapely

from filon.detect import _territory as t
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.registry import detector
from filon.geo.projection import area_ha

log = logging.getLogger(__name__)


def outside_rights(dets, rights, dates: list[str | None]) -> tuple[np.ndarray, dict[int, list[dict]]]:
    """(hectares of each detection outside the rights in force at its date, intersecting rights per
    detection with whether each was in force)."""
    outside = dets.geoms.copy()
    touching: dict[int, list[dict]] = {}
    active: dict[int, list[int]] = {}
    if len(dets) and len(rights):
        di, ri = rights.tree.query(dets.geoms, predicate="intersects")
        for d, r in zip(di.tolist(), ri.tolist()):
            ok, why = t.in_force(rights.rows[r], dates[d])
            row = rights.rows[r]
            touching.setdefault(d, []).append({
                "right_id": rights.ids[r], "status": row["status"], "granted_on": row["granted_on"],
                "expires_on": row["expires_on"], "in_force": ok, "reason": why})
            if ok:
                active.setdefault(d, []).append(r)
    single = [d for d, rs in active.items() if len(rs) == 1]
    if single:
        idx = np.array(single)
        outside[idx] = shapely.difference(dets.geoms[idx], rights.geoms[[active[d][0] for d in single]])
    for d, rs in active.items():
        if len(rs) > 1:
            outside[d] = shapely.difference(dets.geoms[d], shapely.union_all(rights.geoms[rs]))
    return area_ha(outside), touching


@detector("unlicensed_disturbance", version="1.0", title="Mining disturbance outside any active right",
          subject_type="area", tables=("detections", "mining_rights", "areas", "prices"))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A mining disturbance detected from space lies, wholly or largely, outside every mining right in
    force at the image's date: mining without a title, whose gold must be laundered through someone's papers."""
    dets = t.detections(ctx)
    if not len(dets):
        return []
    rights = t.rights(ctx)
    dates = [r["date"] for r in dets.rows]
    out_ha, touching = outside_rights(dets, rights, dates)
    total_ha = dets.area_ha
    share = np.divide(out_ha, total_ha, out=np.zeros_like(out_ha), where=total_ha > 0)
    fire = np.flatnonzero((share > p.min_outside_share) & (out_ha >= p.min_outside_ha))
    if not len(fire):
        return []
    countries = t.countries_for(dets.geoms[fire], rights, t.areas(ctx))
    prices = t.gold_usd_per_kg(ctx)
    alerts = []
    out_ha, share, total_ha = out_ha.tolist(), share.tolist(), total_ha.tolist()  # fast scalar access
    for k, i in enumerate(fire.tolist()):
        row, did = dets.rows[i], dets.ids[i]
        conf = row.get("confidence")
        conf_used = float(conf) if conf is not None else p.default_confidence
        score = conf_used * (0.5 + 0.5 * min(1.0, out_ha[i] / p.full_score_ha))
        year = (row["date"] or "")[:4]
        price = prices.get(year)
        var = out_ha[i] * p.gold_kg_per_ha * price[0] if price else None
        rights_here = touching.get(i, [])
        where = ("outside every mining right" if not rights_here else
                 "in no right in force at that date" if not any(r["in_force"] for r in rights_here) else
                 f"{share[i]:.0%} outside the rights in force at that date")
        lapsed = [r for r in rights_here if not r["in_force"]]
        because = (f" (right {lapsed[0]['right_id']}: {lapsed[0]['reason']})" if lapsed and
                   not any(r["in_force"] for r in rights_here) else "")
        alerts.append(Alert(
            typology="unlicensed_disturbance", subject_type="area", subject_id=did, country=countries[k],
            period=row["date"], score=max(0.0, min(1.0, score)), value_at_risk_usd=var,
            explanation=(f"Detection {did} of {row['date']} shows {out_ha[i]:,.2f} ha of mining disturbance "
                         f"{where}{because}."),
            evidence={
                "date": row["date"], "detection_ha": round(total_ha[i], 4),
                "declared_area_ha": row.get("area_ha"), "outside_ha": round(out_ha[i], 4),
                "outside_share": round(share[i], 4), "confidence": conf,
                "confidence_used": conf_used, "source": row.get("source"), "rights": rights_here[:20],
                "geometry_repaired": did in dets.repaired,
                "value_basis": (None if not price else
                                {"gold_kg_per_ha": p.gold_kg_per_ha, "usd_per_kg": round(price[0], 2),
                                 "price_year": year, "price_source": price[1]}),
                "sources": [t.lineage("detections", did, row)] + [
                    t.lineage("mining_rights", r["right_id"], rights.rows[rights.index[r["right_id"]]])
                    for r in rights_here[:5]],
            }))
    if dets.problems:
        log.warning("unlicensed_disturbance: %d detections with unusable geometry left out", len(dets.problems))
    return alerts
