"""Mining regions, reference polygons and the geometry helpers of the demo.

The region boxes are real approximate lon/lat boxes inside the named districts
(PE UBIGEO, CO DIVIPOLA, EC INEC canton codes; Bolivia has no official polygons
at hand, so its boxes are hand-placed around the towns and named, not coded).
Protected areas, territories, corridors and operation areas are *invented*
polygons placed in those regions (never copied from WDPA or other registries),
so the demo can be shared freely while still looking like the real geography.

Rights are placed on a grid of 0.01-degree cells, one right per cell (medium
and large rights take 2x2 cells), so no two rights overlap and every planted
"outside any right" point can be guaranteed by picking a free cell.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from shapely.geometry import LineString, Polygon, box

EARTH_RADIUS_M = 6_371_008.8
CELL_DEG = 0.01


@dataclass(frozen=True)
class Region:
    """A mining district: where rights, miners and local traders live."""

    country: str
    department: str
    name: str
    admin_area: str
    bbox: tuple[float, float, float, float]  # minx, miny, maxx, maxy (lon/lat)
    style: str  # alluvial or hardrock: drives inputs (mercury/diesel vs explosives/cyanide) and product
    weight: float

    @property
    def key(self) -> str:
        return f"{self.country}:{self.name}"


REGIONS: tuple[Region, ...] = (
    # Peru: Madre de Dios (alluvial), Puno (glacial/vein), La Libertad and Arequipa (vein), Cusco (alluvial).
    Region("PE", "MADRE DE DIOS", "INAMBARI", "170102", (-70.182, -13.179, -69.763, -12.844), "alluvial", 3.0),
    Region("PE", "MADRE DE DIOS", "HUEPETUHE", "170204", (-70.609, -13.099, -70.42, -12.948), "alluvial", 2.0),
    Region("PE", "MADRE DE DIOS", "MADRE DE DIOS", "170203", (-70.786, -12.81, -70.286, -12.41), "alluvial", 2.0),
    Region("PE", "MADRE DE DIOS", "LABERINTO", "170104", (-69.725, -12.771, -69.534, -12.619), "alluvial", 1.5),
    Region("PE", "PUNO", "ANANEA", "211002", (-69.522, -14.758, -69.354, -14.623), "hardrock", 2.0),
    Region("PE", "PUNO", "CUYOCUYO", "211202", (-69.642, -14.587, -69.461, -14.442), "hardrock", 0.7),
    Region("PE", "PUNO", "LIMBANI", "211203", (-69.733, -13.832, -69.498, -13.644), "alluvial", 0.7),
    Region("PE", "PUNO", "QUIACA", "211206", (-69.439, -14.579, -69.332, -14.494), "hardrock", 0.4),
    Region("PE", "LA LIBERTAD", "PATAZ", "130809", (-77.656, -7.799, -77.508, -7.681), "hardrock", 1.5),
    Region("PE", "LA LIBERTAD", "PARCOY", "130808", (-77.494, -8.067, -77.416, -8.004), "hardrock", 0.8),
    Region("PE", "AREQUIPA", "CHALA", "040307", (-74.262, -15.823, -74.14, -15.726), "hardrock", 0.8),
    Region("PE", "CUSCO", "CAMANTI", "081203", (-70.81, -13.447, -70.456, -13.163), "alluvial", 0.7),
    # Colombia: Antioquia (veins and alluvial), Chocó (alluvial), sur de Bolívar (veins).
    Region("CO", "ANTIOQUIA", "SEGOVIA", "05736", (-74.828, 7.139, -74.646, 7.284), "hardrock", 2.0),
    Region("CO", "ANTIOQUIA", "REMEDIOS", "05604", (-74.645, 6.94, -74.396, 7.139), "hardrock", 1.5),
    Region("CO", "ANTIOQUIA", "ZARAGOZA", "05895", (-74.983, 7.398, -74.799, 7.545), "alluvial", 1.2),
    Region("CO", "ANTIOQUIA", "EL BAGRE", "05250", (-74.77, 7.696, -74.527, 7.891), "alluvial", 1.2),
    Region("CO", "ANTIOQUIA", "BURITICA", "05113", (-75.973, 6.75, -75.873, 6.83), "hardrock", 0.8),
    Region("CO", "CHOCO", "ISTMINA", "27361", (-76.969, 4.442, -76.788, 4.586), "alluvial", 1.0),
    Region("CO", "CHOCO", "TADO", "27787", (-76.362, 5.206, -76.201, 5.334), "alluvial", 0.8),
    Region("CO", "CHOCO", "CONDOTO", "27205", (-76.601, 5.012, -76.48, 5.109), "alluvial", 0.6),
    Region("CO", "CHOCO", "NOVITA", "27491", (-76.721, 4.752, -76.541, 4.896), "alluvial", 0.6),
    Region("CO", "BOLIVAR", "SANTA ROSA DEL SUR", "13688", (-74.438, 7.589, -74.221, 7.763), "hardrock", 1.0),
    Region("CO", "BOLIVAR", "MONTECRISTO", "13458", (-74.606, 8.023, -74.337, 8.237), "hardrock", 0.8),
    # Bolivia: the gold cooperatives of the Yungas of La Paz and the rivers of Beni.
    Region("BO", "LA PAZ", "TIPUANI", "LA PAZ/LARECAJA/TIPUANI", (-68.10, -15.62, -67.95, -15.50), "alluvial", 2.0),
    Region("BO", "LA PAZ", "GUANAY", "LA PAZ/LARECAJA/GUANAY", (-67.94, -15.58, -67.86, -15.44), "alluvial", 1.5),
    Region("BO", "LA PAZ", "TEOPONTE", "LA PAZ/LARECAJA/TEOPONTE", (-67.86, -15.58, -67.72, -15.44), "alluvial", 1.0),
    Region("BO", "LA PAZ", "MAPIRI", "LA PAZ/LARECAJA/MAPIRI", (-68.30, -15.36, -68.12, -15.20), "alluvial", 1.5),
    Region("BO", "BENI", "RIBERALTA", "BENI/VACA DIEZ/RIBERALTA", (-66.25, -11.15, -66.05, -10.95), "alluvial", 0.8),
    Region("BO", "BENI", "GUAYARAMERIN", "BENI/VACA DIEZ/GUAYARAMERIN", (-65.50, -10.95, -65.35, -10.82), "alluvial", 0.5),
    # Ecuador: Zamora Chinchipe (veins, Nambija), El Oro / Ponce Enríquez (veins), Esmeraldas (alluvial).
    Region("EC", "ZAMORA CHINCHIPE", "ZAMORA", "1901", (-79.118, -4.145, -78.84, -3.923), "hardrock", 1.0),
    Region("EC", "ZAMORA CHINCHIPE", "YANTZAZA", "1905", (-78.825, -3.833, -78.658, -3.699), "hardrock", 1.0),
    Region("EC", "ZAMORA CHINCHIPE", "NANGARITZA", "1903", (-78.921, -4.489, -78.655, -4.276), "hardrock", 0.8),
    Region("EC", "ZAMORA CHINCHIPE", "PAQUISHA", "1909", (-78.67, -3.968, -78.565, -3.884), "hardrock", 0.6),
    Region("EC", "EL ORO", "PORTOVELO", "0711", (-79.52, -3.788, -79.418, -3.706), "hardrock", 1.0),
    Region("EC", "EL ORO", "ZARUMA", "0713", (-79.626, -3.681, -79.508, -3.586), "hardrock", 1.0),
    Region("EC", "AZUAY", "CAMILO PONCE ENRIQUEZ", "0115", (-79.712, -3.098, -79.593, -3.002), "hardrock", 1.0),
    Region("EC", "ESMERALDAS", "ELOY ALFARO", "0802", (-79.191, 0.563, -78.815, 0.864), "alluvial", 0.8),
    Region("EC", "ESMERALDAS", "SAN LORENZO", "0805", (-78.808, 0.919, -78.549, 1.126), "alluvial", 0.5),
)

#: Where exporters and head offices sit (capital or hub): admin code, town, approximate point.
HUBS: dict[str, tuple[tuple[str, str, float, float], ...]] = {
    "PE": (("150131", "SAN ISIDRO, LIMA", -77.036, -12.097), ("150122", "MIRAFLORES, LIMA", -77.03, -12.12),
           ("170101", "PUERTO MALDONADO", -69.19, -12.593), ("210101", "PUNO", -70.02, -15.84)),
    "CO": (("05001", "MEDELLIN", -75.574, 6.244), ("11001", "BOGOTA D.C.", -74.07, 4.65)),
    "BO": (("LA PAZ/MURILLO/LA PAZ", "LA PAZ", -68.13, -16.5), ("LA PAZ/MURILLO/EL ALTO", "EL ALTO", -68.19, -16.51)),
    "EC": (("1701", "QUITO", -78.50, -0.20), ("0901", "GUAYAQUIL", -79.89, -2.19), ("0701", "MACHALA", -79.96, -3.26)),
}


def region_by_name(name: str) -> Region:
    for region in REGIONS:
        if region.name == name:
            return region
    raise KeyError(name)


# --- geometry helpers --------------------------------------------------------

def area_ha(coords: list[tuple[float, float]]) -> float:
    """Area in hectares on the sinusoidal (equal-area) projection; exact enough at mining-right size."""
    k = math.pi / 180.0 * EARTH_RADIUS_M
    pts = [(lon * k * math.cos(math.radians(lat)), lat * k) for lon, lat in coords]
    total = 0.0
    for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1]):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2.0 / 10_000.0


def m_to_deg(meters: float, lat: float) -> tuple[float, float]:
    """(dlon, dlat) in degrees for a distance in metres at latitude `lat`."""
    dlat = meters / (math.pi / 180.0 * EARTH_RADIUS_M)
    return dlat / max(math.cos(math.radians(lat)), 0.2), dlat


def rounded(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Round to 6 decimals (~0.1 m) before anything is computed from the ring, so WKT and area agree."""
    return [(round(x, 6), round(y, 6)) for x, y in coords]


def wkt_polygon(coords: list[tuple[float, float]]) -> str:
    """WKT POLYGON, lon lat order, ring explicitly closed."""
    ring = list(coords) + [coords[0]]
    return "POLYGON ((" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in ring) + "))"


def wkt_linestring(coords: tuple[tuple[float, float], ...] | list[tuple[float, float]]) -> str:
    """WKT LINESTRING, lon lat order."""
    return "LINESTRING (" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in coords) + ")"


def rect_ring(rng: random.Random, minx: float, miny: float, maxx: float, maxy: float,
              jitter: float = 0.08) -> list[tuple[float, float]]:
    """A quadrilateral close to the box, corners moved inwards by up to `jitter` of the side (stays simple)."""
    w, h = maxx - minx, maxy - miny
    pts = [(minx + rng.uniform(0, jitter) * w, miny + rng.uniform(0, jitter) * h),
           (maxx - rng.uniform(0, jitter) * w, miny + rng.uniform(0, jitter) * h),
           (maxx - rng.uniform(0, jitter) * w, maxy - rng.uniform(0, jitter) * h),
           (minx + rng.uniform(0, jitter) * w, maxy - rng.uniform(0, jitter) * h)]
    return rounded(pts)


def blob_ring(rng: random.Random, cx: float, cy: float, radius_m: float, n: int = 10,
              irregularity: float = 0.35) -> list[tuple[float, float]]:
    """A star-shaped polygon (valid by construction): vertices at increasing angles, positive radii."""
    dlon, dlat = m_to_deg(radius_m, cy)
    pts = []
    for i in range(n):
        ang = 2 * math.pi * (i + rng.uniform(-0.3, 0.3)) / n
        r = 1.0 + rng.uniform(-irregularity, irregularity * 0.5)
        pts.append((cx + dlon * r * math.cos(ang), cy + dlat * r * math.sin(ang)))
    return rounded(pts)


# --- invented reference polygons ---------------------------------------------

@dataclass(frozen=True)
class AreaSpec:
    """An invented reference polygon: a star shape around a centre with a radius in metres."""

    area_id: str
    kind: str
    name: str
    country: str
    center: tuple[float, float]
    radius_m: float


AREA_SPECS: tuple[AreaSpec, ...] = (
    AreaSpec("AREA-PE-PA-01", "protected_area", "Reserva Nacional Malinowski Alto (demo)", "PE", (-69.89, -13.11), 7000),
    AreaSpec("AREA-PE-IT-01", "indigenous_territory", "Comunidad Nativa Yanamayo Alto (demo)", "PE", (-70.55, -12.55), 5000),
    AreaSpec("AREA-CO-PA-01", "protected_area", "Parque Natural Regional Serrania de San Juan (demo)", "CO", (-76.83, 4.55), 4000),
    AreaSpec("AREA-CO-IT-01", "indigenous_territory", "Resguardo Embera Rio Tamana (demo)", "CO", (-76.60, 4.80), 4000),
    AreaSpec("AREA-BO-PA-01", "protected_area", "Area Protegida Municipal Alto Tipuani (demo)", "BO", (-68.07, -15.59), 3000),
    AreaSpec("AREA-BO-IT-01", "indigenous_territory", "TCO Rio Mapiri Alto (demo)", "BO", (-68.25, -15.33), 3000),
    AreaSpec("AREA-EC-PA-01", "protected_area", "Refugio de Vida Silvestre Cordillera de Nanguipa (demo)", "EC", (-78.70, -4.33), 5000),
    AreaSpec("AREA-EC-EX-01", "exclusion_zone", "Zona de exclusion minera rio Cayapas (demo)", "EC", (-78.95, 0.80), 4000),
)

#: The Interoceanic highway between Puerto Maldonado and Mazuko (approximate), and an Ecuadorian road.
ROUTES: dict[str, tuple[tuple[float, float], ...]] = {
    "RT-PE-IOS-01": ((-69.19, -12.60), (-69.55, -12.72), (-69.80, -12.86), (-69.98, -12.96),
                     (-70.20, -13.03), (-70.37, -13.09)),
    "RT-EC-ZYP-01": ((-78.955, -4.07), (-78.85, -3.95), (-78.76, -3.83), (-78.67, -3.92)),
}
ROUTE_NAMES: dict[str, str] = {"RT-PE-IOS-01": "Carretera Interoceanica Puerto Maldonado - Mazuko (demo)",
                               "RT-EC-ZYP-01": "Via Zamora - Yantzaza (demo)"}

#: Enforcement operations: id, country, start, end, name, kind, centre, radius, seized USD, arrests.
OPERATION_SPECS: tuple[tuple, ...] = (
    ("OP-PE-2019-001", "PE", "2019-02-19", "2019-05-31", "Operacion Mercurio 2019 - La Pampa (demo)",
     "interdiction", (-69.98, -12.965), 5000, 2_350_000.0, 52),
    ("OP-CO-2020-001", "CO", "2020-09-07", "2020-09-25", "Operacion Atrato Medio (demo)",
     "interdiction", (-76.50, 5.81), 3000, 640_000.0, 17),
)


def area_polygon(spec: AreaSpec) -> list[tuple[float, float]]:
    """Shape depends only on the area id, so the map is the same whatever the seed."""
    return blob_ring(random.Random(spec.area_id), spec.center[0], spec.center[1], spec.radius_m, n=18,
                     irregularity=0.25)


def operation_polygon(op_id: str, center: tuple[float, float], radius_m: float) -> list[tuple[float, float]]:
    return blob_ring(random.Random(op_id), center[0], center[1], radius_m, n=14, irregularity=0.2)


def corridor_polygon() -> list[tuple[float, float]]:
    """The Madre de Dios mining corridor (invented): a band north of the highway, clear of the reserve."""
    line = LineString([(-70.55, -13.02), (-70.20, -12.98), (-69.98, -12.90), (-69.60, -12.72)])
    poly = line.buffer(0.07, quad_segs=3).simplify(0.005)
    return rounded(list(poly.exterior.coords)[:-1])


# --- grid of cells for placing rights -------------------------------------------

@dataclass
class Grid:
    """Free cells (0.01 degree at scale 1, finer for bigger regions) of one region box; cells under
    excluded polygons are never handed out."""

    region: Region
    excluded: list[Polygon]
    used: set[tuple[int, int]] = field(default_factory=set)
    cell: float = CELL_DEG

    def __post_init__(self) -> None:
        minx, miny, maxx, maxy = self.region.bbox
        self.nx = max(int((maxx - minx) / self.cell), 1)
        self.ny = max(int((maxy - miny) / self.cell), 1)
        self._order: list[tuple[int, int]] | None = None
        for poly in self.excluded:
            # Only the cells under the polygon's bounding box can touch it.
            px0, py0, px1, py1 = poly.bounds
            ix0, ix1 = max(int((px0 - minx) / self.cell) - 1, 0), min(int((px1 - minx) / self.cell) + 1, self.nx - 1)
            iy0, iy1 = max(int((py0 - miny) / self.cell) - 1, 0), min(int((py1 - miny) / self.cell) + 1, self.ny - 1)
            for ix in range(ix0, ix1 + 1):
                for iy in range(iy0, iy1 + 1):
                    if (ix, iy) not in self.used and box(*self.cell_bounds(ix, iy)).buffer(0.004).intersects(poly):
                        self.used.add((ix, iy))

    @property
    def capacity(self) -> int:
        return self.nx * self.ny - len(self.used)

    def cell_bounds(self, ix: int, iy: int, size: int = 1) -> tuple[float, float, float, float]:
        minx, miny = self.region.bbox[0], self.region.bbox[1]
        return (minx + ix * self.cell, miny + iy * self.cell, minx + (ix + size) * self.cell,
                miny + (iy + size) * self.cell)

    def take(self, rng: random.Random, size: int = 1,
             near: tuple[float, float, float, float] | None = None) -> tuple[float, float, float, float] | None:
        """Reserve a free size x size block (optionally inside a lon/lat window); None when full."""
        if self._order is None:
            self._order = [(ix, iy) for ix in range(self.nx) for iy in range(self.ny)]
            rng.shuffle(self._order)
        for ix, iy in self._order:
            if (ix, iy) in self.used or ix + size > self.nx or iy + size > self.ny:
                continue
            block = [(ix + a, iy + b) for a in range(size) for b in range(size)]
            if any(c in self.used for c in block):
                continue
            bounds = self.cell_bounds(ix, iy, size)
            if near is not None and not (near[0] <= bounds[0] and bounds[2] <= near[2]
                                         and near[1] <= bounds[1] and bounds[3] <= near[3]):
                continue
            self.used.update(block)
            return bounds
        return None

    def take_nearest(self, target: Polygon, min_deg: float = 0.0) -> tuple[float, float, float, float] | None:
        """Reserve the free cell closest to `target` (but at least `min_deg` away); deterministic."""
        best: tuple[float, int, int] | None = None
        for ix in range(self.nx):
            for iy in range(self.ny):
                if (ix, iy) in self.used:
                    continue
                d = box(*self.cell_bounds(ix, iy)).distance(target)
                if d >= min_deg and (best is None or d < best[0]):
                    best = (d, ix, iy)
        if best is None:
            return None
        self.used.add((best[1], best[2]))
        return self.cell_bounds(best[1], best[2])

    def free_point(self, rng: random.Random) -> tuple[float, float]:
        """Centre of a free cell (no right there), for planted disturbance outside any right."""
        bounds = self.take(rng)
        if bounds is None:
            raise RuntimeError(f"no free cell left in {self.region.name}")
        return ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)

