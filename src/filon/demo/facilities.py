"""Plants, trading posts, refineries, customs offices, ports and airstrips.

Facilities give the analyst places to anchor actors on the map (where a plant
sits relative to the rights that supply it); they carry no planted case.
"""

from __future__ import annotations

from filon.demo.model import Ctx

#: Fixed public facilities: country, kind, name, lon, lat (approximate locations).
PUBLIC_FACILITIES: tuple[tuple[str, str, str, float, float], ...] = (
    ("PE", "customs_office", "INTENDENCIA DE ADUANA AEREA Y POSTAL (235)", -77.114, -12.022),
    ("PE", "customs_office", "INTENDENCIA DE ADUANA MARITIMA DEL CALLAO (118)", -77.141, -12.053),
    ("PE", "port", "TERMINAL PORTUARIO DEL CALLAO", -77.150, -12.047),
    ("PE", "airstrip", "AERODROMO DE HUEPETUHE", -70.530, -12.995),
    ("CO", "customs_office", "DIRECCION SECCIONAL DE ADUANAS DE BOGOTA - EL DORADO", -74.146, 4.701),
    ("CO", "customs_office", "DIRECCION SECCIONAL DE ADUANAS DE MEDELLIN - RIONEGRO", -75.423, 6.167),
    ("BO", "customs_office", "ADUANA AEROPUERTO INTERNACIONAL EL ALTO", -68.192, -16.513),
    ("BO", "airstrip", "PISTA DE ATERRIZAJE TIPUANI", -68.010, -15.540),
    ("EC", "customs_office", "DISTRITO DE ADUANA GUAYAQUIL AEREO (028)", -79.884, -2.157),
    ("EC", "customs_office", "DISTRITO DE ADUANA PUERTO BOLIVAR (073)", -80.002, -3.269),
    ("EC", "port", "PUERTO BOLIVAR", -80.005, -3.266),
)


def build_facilities(ctx: Ctx) -> None:
    rng = ctx.rng("facilities")
    rows = ctx.rows["facilities"]

    def add(country: str, kind: str, name: str, operator: str, lon: float, lat: float, cap: float | None = None
            ) -> None:
        rows.append({"facility_id": ctx.next_id(f"FAC-{country}", 4), "country": country, "kind": kind,
                     "name": name, "operator_id": operator, "capacity_tpd": cap, "lat": round(lat, 5),
                     "lon": round(lon, 5)})

    for country, kind, name, lon, lat in PUBLIC_FACILITIES:
        operator = str(ctx.notes.get(f"customs_body:{country}", "")) if kind == "customs_office" else ""
        add(country, kind, name, operator, lon, lat)
    for actor in list(ctx.actors.values()):
        if "processor" in actor.roles:
            add(actor.country, "plant", f"PLANTA {actor.name}", actor.actor_id, actor.lon, actor.lat,
                float(rng.choice((50, 80, 100, 150, 200, 300, 350, 500))))
        elif "refiner" in actor.roles:
            add(actor.country, "refinery", f"REFINERIA {actor.name}", actor.actor_id, actor.lon, actor.lat,
                float(rng.choice((1, 2, 5))))
        elif actor.tier == 1 and "trader" in actor.roles and actor.region is not None and rng.random() < 0.4:
            add(actor.country, "trading_post", f"PUNTO DE ACOPIO {actor.name}", actor.actor_id, actor.lon, actor.lat)
