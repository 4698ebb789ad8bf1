"""Satellite detections, reference areas, enforcement operations and tracked vehicles.

Normal disturbance lies *inside* rights that are active at the image date, and
every producing right is seen at least once, so the territorial typologies
(unlicensed or protected-area disturbance, production without disturbance,
displacement after an operation, route deviation) fire only where planted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random

from shapely.geometry import Polygon

from filon.demo.actors import new_actor
from filon.demo.geography import (
    AREA_SPECS,
    OPERATION_SPECS,
    ROUTE_NAMES,
    ROUTES,
    Grid,
    Region,
    area_ha,
    area_polygon,
    blob_ring,
    corridor_polygon,
    m_to_deg,
    operation_polygon,
    region_by_name,
    wkt_linestring,
    wkt_polygon,
)
from filon.demo.model import Ctx, Right
from filon.demo.rights import make_right

SOURCE = "Sentinel-2 mining-scar model (demo)"
QUIBDO = Region("CO", "CHOCO", "QUIBDO", "27001", (-76.614, 5.718, -76.391, 5.897), "alluvial", 0.0)


def random_date(rng: random.Random, first: str, last: str) -> str:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    b = max(b, a)
    return (a + dt.timedelta(days=rng.randint(0, (b - a).days))).isoformat()


def month_end(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).isoformat()


def plus_days(date: str, n: int) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=n)).isoformat()


def blob_inside(rng: random.Random, ring: list[tuple[float, float]], scale: tuple[float, float] = (0.12, 0.3)
                ) -> list[tuple[float, float]]:
    """A disturbance polygon strictly inside a right (checked with shapely, shrunk until it fits)."""
    poly = Polygon(ring)
    c = poly.centroid
    minx, miny, maxx, maxy = poly.bounds
    lat = c.y
    side_m = min((maxx - minx) * 111_320 * math.cos(math.radians(lat)), (maxy - miny) * 110_574)
    radius = side_m * rng.uniform(*scale)
    for _ in range(12):
        cx = c.x + rng.uniform(-0.12, 0.12) * (maxx - minx)
        cy = c.y + rng.uniform(-0.12, 0.12) * (maxy - miny)
        blob = blob_ring(rng, cx, cy, radius, n=rng.randint(7, 11))
        if poly.contains(Polygon(blob)):
            return blob
        radius *= 0.7
    return blob_ring(rng, c.x, c.y, side_m * 0.05, n=7, irregularity=0.1)


class Territory:
    """Writes `detections`, `areas`, `operations` and `movements`, planting the territorial cases."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("territory")

    def detection(self, ring: list[tuple[float, float]], date: str, confidence: float | None = None) -> str:
        det_id = self.ctx.next_id("DET", 6)
        self.ctx.rows["detections"].append({
            "detection_id": det_id, "date": date, "geometry": wkt_polygon(ring),
            "area_ha": round(area_ha(ring), 3), "source": SOURCE,
            "confidence": round(confidence if confidence is not None else self.rng.uniform(0.55, 0.99), 3),
        })
        return det_id

    def window(self, right: Right) -> tuple[str, str]:
        """Dates at which a scar on this right is licensed: after grant and production start, before expiry."""
        if right.detection_window:
            return right.detection_window
        first = max(plus_days(right.granted_on, 30), f"{right.start_month}-01", "2022-01-01")
        last = min(right.expires_on or "2024-12-31", month_end(right.end_month), "2024-12-31")
        return first, last

    # --- normal -------------------------------------------------------------------------
    def normal(self) -> None:
        rng = self.rng
        pad_right = self.ctx.notes.get("pad_right")
        for right in self.ctx.rights.values():
            if not right.producing or right.no_detection:
                continue
            first, last = self.window(right)
            n = 1 if rng.random() < 0.7 or right.detection_window else 2
            for _ in range(n):
                det = self.detection(blob_inside(rng, right.ring), random_date(rng, first, last))
                if right.right_id == pad_right:
                    self.ctx.truth_row("protected_area_disturbance", "area", det, "PE", self.last_date(), "fire",
                                       "scar inside an indigenous territory, within an active right granted over it")
                    self.ctx.truth_row("unlicensed_disturbance", "area", det, "PE", self.last_date(), "silent",
                                       "inside the territory but within an active right: licensed")
        # Look-alikes of production_without_disturbance: an exploration right (no output, no scar).
        expl = next((r for r in self.ctx.rights.values() if r.regime == "exploration" and r.status == "active"), None)
        if expl:
            self.ctx.truth_row("production_without_disturbance", "right", expl.right_id, expl.country, "", "silent",
                               "exploration right: no production declared and no disturbance")

    def last_date(self) -> str:
        return str(self.ctx.rows["detections"][-1]["date"])

    # --- planted --------------------------------------------------------------------------
    def outside_rights(self) -> None:
        """unlicensed_disturbance and protected_area_disturbance."""
        ctx, rng = self.ctx, self.rng
        grids: dict[str, Grid] = ctx.grids  # type: ignore[assignment]
        op = OPERATION_SPECS[0]
        cx, cy = op[6]
        det = self.detection(blob_ring(rng, cx, cy, 320, n=9), "2023-07-18")
        ctx.truth_row("unlicensed_disturbance", "area", det, "PE", "2023-07-18", "fire",
                      "mining is back in La Pampa, where no right exists (area of the 2019 operation)")
        for name, country, date in (("HUEPETUHE", "PE", "2024-02-10"), ("ISTMINA", "CO", "2023-09-05"),
                                    ("TIPUANI", "BO", "2022-11-20"), ("ELOY ALFARO", "EC", "2024-05-14")):
            region = region_by_name(name)
            x, y = grids[region.key].free_point(rng)
            det = self.detection(blob_ring(rng, x, y, rng.uniform(150, 280), n=8), date)
            ctx.truth_row("unlicensed_disturbance", "area", det, country, date, "fire",
                          f"scar in {name.title()} outside every mining right")
        expired = next(r for r in ctx.rights.values() if r.country == "PE" and r.status == "expired"
                       and r.expires_on < "2022" and r.right_id not in ctx.reserved)
        ctx.reserved.add(expired.right_id)
        det = self.detection(blob_inside(rng, expired.ring), "2023-08-15")
        ctx.truth_row("unlicensed_disturbance", "area", det, "PE", "2023-08-15", "fire",
                      f"scar inside right {expired.right_id}, which expired on {expired.expires_on}")
        for area_id, date, country in (("AREA-PE-PA-01", "2023-10-02", "PE"), ("AREA-EC-PA-01", "2024-03-11", "EC")):
            spec = next(s for s in AREA_SPECS if s.area_id == area_id)
            det = self.detection(blob_ring(rng, spec.center[0], spec.center[1], 380, n=10), date)
            ctx.truth_row("protected_area_disturbance", "area", det, country, date, "fire",
                          f"scar inside {spec.name}")
            ctx.truth_row("unlicensed_disturbance", "area", det, country, date, "fire",
                          "inside a protected area, where no right exists")
        # Look-alikes: a right granted weeks before its first scar; a licensed scar next to the reserve.
        laberinto = region_by_name("LABERINTO")
        holder = new_actor(ctx, "PE", "company", ["miner"], name_role="miner", region=laberinto, date="2022-11-07")
        new = make_right(ctx, laberinto, holder, "concession", "active", "small",
                         grids[laberinto.key].take(rng), granted="2023-02-10", expires="")  # type: ignore[arg-type]
        det = self.detection(blob_inside(rng, new.ring), "2023-05-20")
        ctx.truth_row("unlicensed_disturbance", "area", det, "PE", "2023-05-20", "silent",
                      f"new scar, but inside right {new.right_id} granted on 2023-02-10")
        spec = next(s for s in AREA_SPECS if s.area_id == "AREA-PE-PA-01")
        reserve = Polygon(area_polygon(spec))
        inambari = region_by_name("INAMBARI")
        bounds = grids[inambari.key].take_nearest(reserve, 0.002)
        if bounds is not None:
            holder = new_actor(ctx, "PE", "person", ["miner"], region=inambari, years=(2005, 2012))
            edge = make_right(ctx, inambari, holder, "formalization", "active", "small", bounds,
                              granted="2014-09-22", expires="2025-06-30")
            det = self.detection(blob_inside(rng, edge.ring), "2023-06-21")
            ctx.truth_row("protected_area_disturbance", "area", det, "PE", "2023-06-21", "silent",
                          "scar a few hundred metres from the reserve boundary, inside an active right")

    def displacement(self) -> None:
        """Scars multiply around La Pampa after Operación Mercurio while they fall inside its area; around
        the Chocó operation they stay flat, inside and around (same counts and sizes before and after).

        Scars inside an operation area lie in no right: each is also a planted unlicensed_disturbance."""
        ctx, rng = self.ctx, self.rng
        grids: dict[str, Grid] = ctx.grids  # type: ignore[assignment]
        # (operation, region, ring rights, ring scars before, after, ring scar sizes before, after,
        #  scars inside the operation area before, after, expected)
        plans = ((OPERATION_SPECS[0], region_by_name("INAMBARI"), 8, 4, 26, (0.08, 0.16), (0.15, 0.3), 5, 1, "fire"),
                 (OPERATION_SPECS[1], QUIBDO, 6, 7, 7, (0.1, 0.2), (0.1, 0.2), 3, 4, "silent"))
        reference = [Polygon(area_polygon(s)) for s in AREA_SPECS]
        for op, region, n_rights, n_before, n_after, size_before, size_after, in_before, in_after, expected in plans:
            op_poly = Polygon(operation_polygon(op[0], op[6], op[7]))
            if region.key not in grids:
                grids[region.key] = Grid(region, [op_poly])
            grid = grids[region.key]
            cx, cy = op[6]
            window = (cx - 0.13, cy - 0.13, cx + 0.13, cy + 0.13)
            ring_rights: list[Right] = []
            for _ in range(400):
                if len(ring_rights) >= n_rights:
                    break
                bounds = grid.take(rng, 1, near=window)
                if bounds is None:
                    break
                d = Polygon.from_bounds(*bounds).distance(op_poly)
                if not 0.005 < d < 0.11:
                    continue
                kind = "person" if region.country == "PE" else "company"
                holder = new_actor(ctx, region.country, kind, ["miner"], name_role="miner", region=region,
                                   years=(2003, 2008))
                regime = "formalization" if region.country == "PE" else "title"
                right = make_right(ctx, region, holder, regime, "active", "small", bounds,
                                   granted=f"{rng.randint(2009, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                                   expires="2025-06-30" if region.country == "PE" else "2041-03-31")
                ring_rights.append(right)
                ctx.reserved.add(right.right_id)
            start = dt.date.fromisoformat(op[2])
            before = ((start - dt.timedelta(days=700)).isoformat(), (start - dt.timedelta(days=20)).isoformat())
            after = ((start + dt.timedelta(days=20)).isoformat(), (start + dt.timedelta(days=700)).isoformat())
            for n, (first, last), size in ((n_before, before, size_before), (n_after, after, size_after)):
                for _ in range(n):
                    right = rng.choice(ring_rights)
                    self.detection(blob_inside(rng, right.ring, size), random_date(rng, first, last))
            for n, (first, last) in ((in_before, before), (in_after, after)):
                for _ in range(n):
                    for _ in range(50):  # inside the operation area, clear of reserves and territories
                        dx = m_to_deg(op[7] * rng.uniform(-0.55, 0.55), cy)[0]
                        dy = m_to_deg(op[7] * rng.uniform(-0.55, 0.55), cy)[1]
                        blob = blob_ring(rng, cx + dx, cy + dy, rng.uniform(180, 220), n=9)
                        if op_poly.contains(Polygon(blob)) and not any(a.intersects(Polygon(blob)) for a in reference):
                            break
                    date = random_date(rng, first, last)
                    det = self.detection(blob, date)
                    ctx.truth_row("unlicensed_disturbance", "area", det, op[1], date, "fire",
                                  f"scar inside the area of {op[4]}, where no right exists")
            note = (f"{n_before} scars within ~12 km in the two years before, {n_after} in the two years after; "
                    f"{in_before} then {in_after} inside the operation area"
                    + (": miners moved to the surroundings" if expected == "fire" else ": no rise, no fall"))
            ctx.truth_row("displacement", "area", op[0], op[1], op[2][:7], expected, note)

    # --- reference layers -------------------------------------------------------------------
    def areas(self) -> None:
        for spec in AREA_SPECS:
            self.ctx.rows["areas"].append({"area_id": spec.area_id, "kind": spec.kind, "name": spec.name,
                                           "country": spec.country, "geometry": wkt_polygon(area_polygon(spec))})
        self.ctx.rows["areas"].append({"area_id": "AREA-PE-MC-01", "kind": "mining_corridor",
                                       "name": "Corredor Minero de Madre de Dios (demo)", "country": "PE",
                                       "geometry": wkt_polygon(corridor_polygon())})

    def operations(self) -> None:
        for op_id, country, start, end, name, kind, center, radius, seized, arrests in OPERATION_SPECS:
            self.ctx.rows["operations"].append({
                "operation_id": op_id, "country": country, "start_date": start, "end_date": end, "name": name,
                "kind": kind, "geometry": wkt_polygon(operation_polygon(op_id, center, radius)),
                "seized_value_usd": seized, "arrests": arrests})

    def movements(self) -> None:
        """Trucks on the Interoceanic and on a Zamora road; one of each detours into a protected area.

        Look-alikes: trucks that keep to their road, one whose GPS jumps once into the reserve for a
        single fix (a glitch: implausible speed to and from it) and an unrouted truck that passes
        about a kilometre outside the reserve without entering it.
        """
        ctx = self.ctx
        pe, ec = ROUTES["RT-PE-IOS-01"], ROUTES["RT-EC-ZYP-01"]
        for route_id, line in ROUTES.items():
            ctx.rows["routes"].append({"route_id": route_id, "name": ROUTE_NAMES[route_id], "width_m": 100.0,
                                       "geometry": wkt_linestring(line), "valid_from": "2020-01-01",
                                       "valid_to": None, "country": route_id[3:5]})
        pe_detour = [pe[0], pe[1], pe[2], (-69.84, -12.98), (-69.87, -13.07), (-69.89, -13.11), (-69.86, -13.02),
                     pe[3], pe[4], pe[5]]
        ec_detour = list(ec) + [(-78.68, -4.05), (-78.69, -4.20), (-78.70, -4.32), (-78.69, -4.18), (-78.67, -3.95)]
        reserve_spec = next(s for s in AREA_SPECS if s.area_id == "AREA-PE-PA-01")
        reserve = Polygon(area_polygon(reserve_spec))
        minx, _, maxx, maxy = reserve.bounds
        north = maxy + m_to_deg(1000, maxy)[1]
        near_pass = [(minx - 0.15, north), (maxx + 0.15, north)]
        trips = (
            ("TRK-PE-001", "RT-PE-IOS-01", pe_detour, "2023-05-14T05:40:00", "mercurio (Hg) 120 kg", "fire", "PE"),
            ("TRK-PE-002", "RT-PE-IOS-01", list(pe), "2023-05-16T06:10:00", "diesel 1500 gal", "silent", "PE"),
            ("TRK-PE-003", "RT-PE-IOS-01", list(reversed(pe)), "2023-06-02T14:20:00", "oro dore 14 kg", "silent", "PE"),
            ("TRK-EC-001", "RT-EC-ZYP-01", ec_detour, "2024-03-09T07:00:00", "cianuro de sodio 2 t", "fire", "EC"),
            ("TRK-EC-002", "RT-EC-ZYP-01", list(ec), "2024-03-12T08:15:00", "explosivos 400 kg", "silent", "EC"),
            ("TRK-PE-004", "RT-PE-IOS-01", list(pe), "2023-07-21T09:30:00", "combustible 900 gal", "silent", "PE"),
            ("TRK-PE-005", None, near_pass, "2023-08-03T10:05:00", "carga general", "silent", "PE"),
        )
        notes = {"TRK-PE-004": "stays on its road; one GPS fix jumps into the reserve and back (glitch)",
                 "TRK-PE-005": "unrouted truck passing about 1 km outside the reserve, never inside"}
        for asset, route, path, start, cargo, expected, country in trips:
            rows = self.track(asset, route, path, start, cargo)
            if asset == "TRK-PE-004":  # one fix a minute after another, 19 km away inside the reserve
                i = len(rows) // 2
                t = dt.datetime.fromisoformat(str(rows[i]["time"])) + dt.timedelta(minutes=1)
                rows.insert(i + 1, dict(rows[i], movement_id=ctx.next_id("MOV", 6), time=t.isoformat(),
                                        lat=reserve_spec.center[1], lon=reserve_spec.center[0]))
            ctx.rows["movements"].extend(rows)
            note = notes.get(asset) or ("leaves the permitted road and enters a protected area" if expected == "fire"
                                        else "stays on its permitted road")
            ctx.truth_row("route_deviation", "asset", asset, country, start[:10], expected, note)

    def track(self, asset: str, route: str | None, path: list[tuple[float, float]], start: str, cargo: str
              ) -> list[dict[str, object]]:
        """Positions every ~4 km (6-9 minutes apart) along `path`, with ~60 m of GPS jitter."""
        ctx, rng = self.ctx, self.rng
        rows: list[dict[str, object]] = []
        t = dt.datetime.fromisoformat(start)
        for (x0, y0), (x1, y1) in itertools.pairwise(path):
            km = math.hypot((x1 - x0) * 111.3 * math.cos(math.radians(y0)), (y1 - y0) * 110.6)
            steps = max(1, int(km / 4))
            for i in range(steps):
                f = i / steps
                jx, jy = m_to_deg(rng.uniform(-60, 60), y0)
                rows.append({
                    "movement_id": ctx.next_id("MOV", 6), "asset_id": asset, "time": t.isoformat(),
                    "lat": round(y0 + (y1 - y0) * f + jy, 6), "lon": round(x0 + (x1 - x0) * f + jx, 6),
                    "cargo": cargo, "route_id": route})
                t += dt.timedelta(minutes=int(rng.uniform(6, 9)) if km > 0 else 5)
        x, y = path[-1]
        rows.append({"movement_id": ctx.next_id("MOV", 6), "asset_id": asset, "time": t.isoformat(),
                     "lat": round(y, 6), "lon": round(x, 6), "cargo": cargo, "route_id": route})
        return rows


def build_territory(ctx: Ctx) -> None:
    terr = Territory(ctx)
    terr.areas()
    terr.operations()
    terr.normal()
    terr.outside_rights()
    terr.displacement()
    terr.movements()
