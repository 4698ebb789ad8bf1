"""Reference implementations of simple typology rules, run on the demo CSVs with DuckDB.

They are deliberately naive (one SQL query each): the demo's promise is that
even naive rules find exactly the planted cases, so a test can compare their
output with `ground_truth.csv`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

TABLES = ("actors", "mining_rights", "production", "trades", "exports", "imports", "ownership", "inputs",
          "movements", "assays", "operations", "detections", "areas", "prices", "sanctions", "facilities",
          "ground_truth")


def connect(folder: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per CSV (all text; queries cast what they need)."""
    con = duckdb.connect()
    for name in TABLES:
        path = folder / f"{name}.csv"
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_csv('{path}', all_varchar=true, header=true)")
    return con


def truth(con: duckdb.DuckDBPyConnection, typology: str, expected: str = "fire") -> set[tuple[str, str]]:
    rows = con.execute("SELECT subject_id, period FROM ground_truth WHERE typology = ? AND expected = ?",
                       [typology, expected]).fetchall()
    return {(s, p or "") for s, p in rows}


BALANCE_SQL = """
WITH prod AS (
    SELECT p.*, r.holder_id FROM production p JOIN mining_rights r USING (right_id)
    WHERE p.commodity = '{commodity}'
), inflow AS (
    SELECT buyer_id AS actor_id, substr(date, 1, 4) AS year, CAST(fine_mass_kg AS DOUBLE) AS kg
    FROM trades WHERE commodity = '{commodity}'
    UNION ALL
    SELECT {producer} AS actor_id, substr(period, 1, 4), CAST(fine_mass_kg AS DOUBLE) FROM prod
    {union_holder}
), outflow AS (
    SELECT seller_id AS actor_id, substr(date, 1, 4) AS year, CAST(fine_mass_kg AS DOUBLE) AS kg
    FROM trades WHERE commodity = '{commodity}'
    UNION ALL
    SELECT exporter_id, substr(date, 1, 4), CAST(fine_mass_kg AS DOUBLE) FROM exports
    WHERE coalesce(commodity, '{commodity}') = '{commodity}'
), i AS (SELECT actor_id, year, sum(kg) AS kg FROM inflow GROUP BY ALL),
   o AS (SELECT actor_id, year, sum(kg) AS kg FROM outflow GROUP BY ALL)
SELECT o.actor_id, o.year, o.kg AS out_kg, coalesce(i.kg, 0) AS in_kg
FROM o LEFT JOIN i USING (actor_id, year)
WHERE o.kg > coalesce(i.kg, 0) * 1.05 AND o.kg - coalesce(i.kg, 0) > {min_kg}
"""


def balance_breaks(con: duckdb.DuckDBPyConnection, commodity: str = "Au", union: bool = True,
                   min_kg: float = 1.0) -> set[tuple[str, str]]:
    """Actor-years whose sales plus exports exceed purchases plus production by > 5 % and > `min_kg`.

    `union=True` credits production both to the right's holder and to its
    operator (`producer_id`); `union=False` credits it to the operator when
    there is one, else to the holder. The demo is built so both agree.
    """
    if union:
        producer = "holder_id"
        union_holder = ("UNION ALL SELECT producer_id, substr(period, 1, 4), CAST(fine_mass_kg AS DOUBLE) "
                        "FROM prod WHERE producer_id IS NOT NULL")
    else:
        producer, union_holder = "coalesce(producer_id, holder_id)", ""
    sql = BALANCE_SQL.format(commodity=commodity, producer=producer, union_holder=union_holder, min_kg=min_kg)
    return {(a, y) for a, y, _, _ in con.execute(sql).fetchall()}


def mbb_population(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Traders, processors and cooperatives: the nodes a mass-balance break is about."""
    rows = con.execute("""SELECT actor_id FROM actors WHERE kind = 'cooperative'
                          OR list_contains(string_split(coalesce(roles, ''), ';'), 'trader')
                          OR list_contains(string_split(coalesce(roles, ''), ';'), 'processor')""").fetchall()
    return {r[0] for r in rows}


def national_breaks(con: duckdb.DuckDBPyConnection) -> tuple[set[tuple[str, str]], dict[tuple[str, str], float]]:
    """Country-years where gold exports exceed production plus imports into the country."""
    rows = con.execute("""
        WITH p AS (SELECT country, substr(period, 1, 4) AS y, sum(fine_mass_kg::DOUBLE) AS kg FROM production
                   WHERE commodity = 'Au' GROUP BY ALL),
             m AS (SELECT country, substr(period, 1, 4) AS y, sum(net_mass_kg::DOUBLE) AS kg FROM imports
                   WHERE hs_code LIKE '7108%' GROUP BY ALL),
             e AS (SELECT country, substr(date, 1, 4) AS y, sum(fine_mass_kg::DOUBLE) AS kg FROM exports
                   WHERE commodity = 'Au' GROUP BY ALL)
        SELECT e.country, e.y, e.kg / (coalesce(p.kg, 0) + coalesce(m.kg, 0)) FROM e
        LEFT JOIN p USING (country, y) LEFT JOIN m USING (country, y)""").fetchall()
    ratios = {(c, y): r for c, y, r in rows}
    return {k for k, r in ratios.items() if r > 1.0}, ratios


def mirror_gaps(con: duckdb.DuckDBPyConnection, tolerance: float = 0.2
                ) -> tuple[set[tuple[str, str]], dict[tuple[str, str], float]]:
    """Pair-years where the partner's reported mass differs from the exporter's by more than `tolerance`."""
    rows = con.execute("""
        WITH e AS (SELECT country || '>' || destination_country AS pair, substr(date, 1, 4) AS y,
                          sum(net_mass_kg::DOUBLE) AS kg FROM exports GROUP BY ALL),
             i AS (SELECT origin_country || '>' || country AS pair, substr(period, 1, 4) AS y,
                          sum(net_mass_kg::DOUBLE) AS kg FROM imports GROUP BY ALL)
        SELECT pair, y, coalesce(i.kg, 0) / e.kg - 1 FROM e FULL JOIN i USING (pair, y)""").fetchall()
    gaps = {(p, y): g for p, y, g in rows}
    return {k for k, g in gaps.items() if g is None or abs(g) > tolerance}, gaps


def valuation(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Declared value over fine content at the month's reference price, per declaration."""
    rows = con.execute("""
        SELECT e.declaration_id, e.value_usd::DOUBLE / (e.fine_mass_kg::DOUBLE * CASE p.unit
               WHEN 'troy_oz' THEN p.price_usd::DOUBLE * 32.1507466 WHEN 't' THEN p.price_usd::DOUBLE / 1000 END)
        FROM exports e JOIN prices p ON p.commodity = e.commodity AND p.date = substr(e.date, 1, 7) || '-01'
        WHERE e.fine_mass_kg IS NOT NULL""").fetchall()
    return dict(rows)


def implied_grade(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], float]:
    """Fine gold grams per tonne of authorised capacity in each month (max per right-year)."""
    rows = con.execute("""
        SELECT p.right_id, substr(p.period, 1, 4),
               max(p.fine_mass_kg::DOUBLE * 1000 / (r.capacity_tpd::DOUBLE * day(last_day((p.period || '-01')::DATE))))
        FROM production p JOIN mining_rights r USING (right_id)
        WHERE p.commodity = 'Au' GROUP BY ALL""").fetchall()
    return {(r, y): g for r, y, g in rows}


def inactive_rights(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Rights with production or cited sales at a date when they were not active."""
    rows = con.execute("""
        WITH r AS (SELECT right_id, status, expires_on FROM mining_rights)
        SELECT right_id FROM production JOIN r USING (right_id)
        WHERE status IN ('cancelled', 'suspended') OR (expires_on IS NOT NULL AND period > substr(expires_on, 1, 7))
        UNION
        SELECT origin_right_id FROM trades t JOIN r ON r.right_id = t.origin_right_id
        WHERE status IN ('cancelled', 'suspended') OR (expires_on IS NOT NULL AND date > expires_on)""").fetchall()
    return {r[0] for r in rows}


def hidden_content(con: duckdb.DuckDBPyConnection, threshold_gpt: float = 5.0) -> set[str]:
    """Declarations not declaring gold whose lot assays at least `threshold_gpt` g/t of gold."""
    rows = con.execute("""SELECT DISTINCT e.declaration_id FROM exports e JOIN assays a USING (lot_id)
                          WHERE coalesce(e.commodity, '') <> 'Au' AND a.au_gpt::DOUBLE >= ?""",
                       [threshold_gpt]).fetchall()
    return {r[0] for r in rows}


def new_exporters(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, float, float]]:
    """Exporters that first export within a year of incorporation: (first year, kg in first 12 months,
    median yearly kg of the country's other exporters)."""
    rows = con.execute("""
        WITH e AS (SELECT exporter_id, country, date::DATE AS d, fine_mass_kg::DOUBLE AS kg FROM exports
                   WHERE commodity = 'Au'),
             f AS (SELECT exporter_id, min(d) AS first FROM e GROUP BY ALL),
             yearly AS (SELECT exporter_id, country, year(d) AS y, sum(kg) AS kg FROM e GROUP BY ALL),
             med AS (SELECT country, median(kg) AS kg FROM yearly GROUP BY ALL)
        SELECT f.exporter_id, strftime(f.first, '%Y'),
               (SELECT sum(kg) FROM e WHERE e.exporter_id = f.exporter_id AND e.d < f.first + INTERVAL 12 MONTH),
               med.kg
        FROM f JOIN actors a ON a.actor_id = f.exporter_id JOIN med ON med.country = a.country
        WHERE f.first <= a.incorporation_date::DATE + INTERVAL 12 MONTH""").fetchall()
    return {a: (y, kg, m) for a, y, kg, m in rows}


# --- territory (shapely) --------------------------------------------------------------

def _geoms(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    from shapely import wkt
    return [(*row[:-1], wkt.loads(row[-1])) for row in con.execute(sql).fetchall()]


def disturbance(con: duckdb.DuckDBPyConnection) -> tuple[set[str], set[str], set[str]]:
    """(detections outside any right active at their date, detections in protected/indigenous areas,
    producing rights never touched by a detection)."""
    from shapely.strtree import STRtree
    rights = _geoms(con, "SELECT right_id, status, granted_on, expires_on, geometry FROM mining_rights")
    dets = _geoms(con, "SELECT detection_id, date, geometry FROM detections")
    areas = _geoms(con, "SELECT area_id, geometry FROM areas WHERE kind IN ('protected_area', 'indigenous_territory')")
    tree = STRtree([g for *_, g in rights])
    unlicensed, protected = set(), set()
    seen: set[str] = set()
    for det_id, date, geom in dets:
        licensed = False
        for i in tree.query(geom):
            right_id, status, granted, expires, rgeom = rights[i]
            if rgeom.intersects(geom):
                seen.add(right_id)
            active = status in ("active", "expired") and (granted or "") <= date and (not expires or date <= expires)
            if active and rgeom.covers(geom):
                licensed = True
        if not licensed:
            unlicensed.add(det_id)
        if any(a.intersects(geom) for _, a in areas):
            protected.add(det_id)
    # Large mines are mostly underground: producing without a surface scar is expected of them.
    producing = {r[0] for r in con.execute("SELECT DISTINCT right_id FROM production JOIN mining_rights "
                                           "USING (right_id) WHERE scale IS DISTINCT FROM 'large'").fetchall()}
    return unlicensed, protected, producing - seen


def displacement(con: duckdb.DuckDBPyConnection, km: float = 15.0, days: int = 730
                 ) -> dict[str, tuple[int, int]]:
    """Detections in a ring of `km` around each operation area, in the `days` before and after its start."""
    import datetime as dt
    ops = _geoms(con, "SELECT operation_id, start_date, geometry FROM operations")
    dets = _geoms(con, "SELECT detection_id, date, geometry FROM detections")
    out = {}
    for op_id, start, poly in ops:
        ring = poly.buffer(km / 111.0)
        s = dt.date.fromisoformat(start)
        before = after = 0
        for _, date, g in dets:
            c = g.centroid
            if not ring.contains(c) or poly.contains(c):
                continue
            delta = (dt.date.fromisoformat(date) - s).days
            before += -days <= delta < 0
            after += 0 < delta <= days
        out[op_id] = (before, after)
    return out


def route_deviations(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tracked assets with a position inside a protected area, territory or exclusion zone, except
    a lone fix reached at an impossible speed (over 200 km/h) from outside: a GPS glitch."""
    import math
    from shapely.geometry import Point
    areas = [g for _, g in _geoms(con, "SELECT area_id, geometry FROM areas WHERE kind IN "
                                       "('protected_area', 'indigenous_territory', 'exclusion_zone')")]
    tracks: dict[str, list] = {}
    for asset, t, lat, lon in con.execute("SELECT asset_id, CAST(time AS TIMESTAMP), lat::DOUBLE, lon::DOUBLE "
                                          "FROM movements ORDER BY asset_id, time").fetchall():
        tracks.setdefault(asset, []).append((t, lat, lon, any(a.contains(Point(lon, lat)) for a in areas)))

    def kmh(a, b) -> float:
        km = 6371 * math.hypot(math.radians(b[2] - a[2]) * math.cos(math.radians(a[1])), math.radians(b[1] - a[1]))
        return km / max((b[0] - a[0]).total_seconds() / 3600, 1e-6)

    hits = set()
    for asset, pts in tracks.items():
        for i, p in enumerate(pts):
            if not p[3]:
                continue
            lone = 0 < i < len(pts) - 1 and not pts[i - 1][3] and not pts[i + 1][3]
            if not (lone and kmh(pts[i - 1], p) > 200):
                hits.add(asset)
    return hits


# --- inputs and registry ------------------------------------------------------------------

INPUT_LIMIT = {"mercury": 10.0, "cyanide": 600.0, "explosives": 300.0, "diesel": 30_000.0}


def input_overuse(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """Actor-years buying an input beyond INPUT_LIMIT (kg or L per kg of declared gold), after unit conversion."""
    rows = con.execute("""
        WITH q AS (SELECT actor_id, substr(date, 1, 4) AS y, input,
                          sum(quantity::DOUBLE * CASE unit WHEN 'g' THEN 0.001 WHEN 't' THEN 1000 WHEN 'gal' THEN 3.785411784
                                              WHEN 'm3' THEN 1000 ELSE 1 END) AS q
                   FROM inputs GROUP BY ALL),
             p AS (SELECT actor_id, y, sum(kg) AS kg FROM (
                       SELECT r.holder_id AS actor_id, substr(period, 1, 4) AS y, fine_mass_kg::DOUBLE AS kg
                       FROM production JOIN mining_rights r USING (right_id) WHERE commodity = 'Au'
                       UNION ALL
                       SELECT producer_id, substr(period, 1, 4), fine_mass_kg::DOUBLE FROM production
                       WHERE commodity = 'Au' AND producer_id IS NOT NULL) GROUP BY ALL)
        SELECT q.actor_id, q.y, q.input, q.q / nullif(p.kg, 0) FROM q LEFT JOIN p USING (actor_id, y)""").fetchall()
    return {(a, y) for a, y, item, ratio in rows if ratio is None or ratio > INPUT_LIMIT[item]}


def registry_cases(con: duckdb.DuckDBPyConnection) -> tuple[set[str], set[str], set[str]]:
    """(opaque controlled actors, sanctioned actors, persons controlling 3+ actors that trade together)."""
    actors = {r[0]: r[1:] for r in con.execute(
        "SELECT actor_id, country, name, kind, coalesce(tax_id, ''), incorporation_date, coalesce(roles, '') "
        "FROM actors").fetchall()}
    links = con.execute("SELECT subject_id, owner_id, owner_name, share_pct::DOUBLE, control_kind, start_date "
                        "FROM ownership WHERE end_date IS NULL").fetchall()
    owners: dict[str, list[tuple]] = {}
    for s, o, name, share, kind, start in links:
        owners.setdefault(s, []).append((o, name, share, kind, start))
    secrecy = {"VG", "PA", "KY", "BZ", "SC", "BS"}

    def opaque(subject: str, depth: int = 0) -> bool:
        for o, name, share, kind, start in owners.get(subject, []):
            if kind == "nominee" or depth >= 2:
                return True
            if o:
                country, _, okind, _, inc, _ = actors[o]
                if country in secrecy:
                    return True
                if okind != "person" and inc and start and (_days(inc, start) < 180):
                    return True
                if opaque(o, depth + 1):
                    return True
        return False

    dealers = {a for a, v in actors.items() if v[5]}
    opaque_set = {a for a in dealers if opaque(a)}
    listed = con.execute("SELECT name, coalesce(tax_id, '') FROM sanctions").fetchall()
    names = {n for n, _ in listed}
    taxes = {t for _, t in listed if t}
    sanctioned = set()
    for a in dealers:
        _, name, _, tax, _, _ = actors[a]
        hit = name in names or tax in taxes
        for o, oname, *_ in owners.get(a, []):
            if o:
                hit |= actors[o][1] in names or actors[o][3] in taxes
            else:
                hit |= oname in names
        if hit:
            sanctioned.add(a)
    controls: dict[str, set[str]] = {}
    for s, o, _, share, kind, _ in links:
        if o and actors[o][2] == "person" and (kind in ("director", "beneficial") or (share or 0) >= 50):
            controls.setdefault(o, set()).add(s)
    pairs = {tuple(r) for r in con.execute("SELECT DISTINCT seller_id, buyer_id FROM trades").fetchall()}
    shared = set()
    for person, held in controls.items():
        held = {h for h in held if h in dealers}
        linked = {h for h in held for g in held if (h, g) in pairs or (g, h) in pairs}
        if len(held) >= 3 and len(linked) >= 3:
            shared.add(person)
    return opaque_set, sanctioned, shared


def _days(a: str, b: str) -> int:
    import datetime as dt
    return (dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days
