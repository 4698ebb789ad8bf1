"""Plausible Spanish, Quechua and Aymara names for people, firms and cooperatives.

Entity matching (sanctions, shared controllers, registries) is one of the things
the project must get right, so the demo needs names shaped like the registries'
own: surnames first in capitals ("QUISPE MAMANI JUAN CARLOS"), companies with
their legal form ("... S.A.C.", "C.I. ... S.A.S."), and unique names so that a
name collision is always a planted case, never an accident of the generator.
"""

from __future__ import annotations

import random

SURNAMES: dict[str, tuple[str, ...]] = {
    "PE": ("QUISPE", "MAMANI", "HUAMAN", "CONDORI", "FLORES", "RODRIGUEZ", "SANCHEZ", "GARCIA", "ROJAS",
           "CHAVEZ", "RAMOS", "TORRES", "VARGAS", "MENDOZA", "CASTILLO", "APAZA", "CCAHUANA", "HUANCA",
           "PUMA", "TICONA", "CUSI", "CHOQUE", "LAURA", "YUPANQUI", "PAUCAR", "ARIAS", "DIAZ", "VASQUEZ",
           "ESPINOZA", "LOPEZ", "PEREZ", "GUTIERREZ", "CRUZ", "SALAS", "CARDENAS", "HUILLCA", "CAHUANA",
           "PACCO", "CCORI", "HUAMANI", "ALVAREZ", "ZAPANA", "CALSIN", "COAQUIRA", "MAQUERA", "INCA",
           "CHURATA", "PARI", "SUCASAIRE", "ROMERO", "ZUÑIGA", "MEZA", "BACA", "NUÑEZ", "CACERES"),
    "BO": ("MAMANI", "CHOQUE", "QUISPE", "CONDORI", "LIMACHI", "COLQUE", "CALLISAYA", "TICONA", "POMA",
           "APAZA", "NINA", "HUANCA", "CRUZ", "FLORES", "GUTIERREZ", "VARGAS", "ROJAS", "MAYTA", "CHAMBI",
           "ALANOCA", "COPA", "YUJRA", "QUISBERT", "CHURA", "LAURA", "PATZI", "TARQUI", "MACHACA",
           "ALIAGA", "FERNANDEZ", "AÑEZ", "SUAREZ", "ROCA", "JUSTINIANO", "VACA", "AGUILERA", "ORTIZ",
           "PAREDES", "SIRPA", "HUARACHI", "ESPEJO", "CALLE", "QUENTA", "MENDOZA", "LOZA", "BLANCO"),
    "CO": ("RODRIGUEZ", "GOMEZ", "GONZALEZ", "MARTINEZ", "GARCIA", "LOPEZ", "HERNANDEZ", "SANCHEZ",
           "RAMIREZ", "PEREZ", "TORRES", "MOSQUERA", "PALACIOS", "RENTERIA", "CORDOBA", "MURILLO",
           "VALENCIA", "OSORIO", "CARDONA", "ZAPATA", "RESTREPO", "MONTOYA", "AGUDELO", "GIRALDO",
           "ARBOLEDA", "HURTADO", "PEREA", "ASPRILLA", "CUESTA", "MORENO", "RIVAS", "LEMOS", "BETANCUR",
           "JARAMILLO", "VELASQUEZ", "SALAZAR", "CASTAÑO", "OCHOA", "ARANGO", "QUINTERO", "DURANGO",
           "CAICEDO", "MENA", "ROMAÑA", "PANESSO", "BEDOYA", "ALZATE", "HIGUITA", "USUGA", "TUBERQUIA"),
    "EC": ("GUAMAN", "TENE", "SARANGO", "JARAMILLO", "CUENCA", "LOAIZA", "ORDOÑEZ", "CORDOVA", "CHAMBA",
           "CASTILLO", "ROMERO", "GONZALEZ", "ARMIJOS", "OCHOA", "TANDAZO", "GRANDA", "VEGA", "PINTA",
           "QUIZHPE", "AGUILAR", "ZHININ", "MOROCHO", "ESPINOZA", "VALAREZO", "SOTO", "CELI", "RIOFRIO",
           "ENCALADA", "MALDONADO", "JIMENEZ", "TAPIA", "ZAMBRANO", "CEDEÑO", "QUIÑONEZ", "CAICEDO",
           "CORTEZ", "NAZARENO", "ANGULO", "MINA", "VALENCIA", "PAQUI", "AÑAZCO", "LAPO", "SIGCHO"),
}

GIVEN_MALE = ("JUAN CARLOS", "JOSE LUIS", "LUIS ALBERTO", "CARLOS", "JORGE", "MIGUEL ANGEL", "JULIO CESAR",
              "VICTOR HUGO", "WILBER", "EDGAR", "FREDY", "ROLANDO", "FELIX", "HUGO", "MARIO", "RAUL",
              "EDWIN", "ALEX", "WILFREDO", "JHON JAIRO", "LUIS FERNANDO", "JAIRO", "ALBEIRO", "HERNAN",
              "SEGUNDO", "MANUEL", "PEDRO PABLO", "NESTOR", "RICHARD", "ELMER", "ISAIAS", "TEODORO",
              "DAVID", "ROGER", "ANTONIO", "FRANKLIN", "WASHINGTON", "BYRON", "DIEGO", "ANDRES")
GIVEN_FEMALE = ("MARIA", "ROSA", "LUZ MARINA", "ANA MARIA", "CARMEN", "JUANA", "NANCY", "SONIA", "GLADYS",
                "YOLANDA", "MARTHA", "LIDIA", "ELIZABETH", "DORIS", "LUZ DARY", "MARIA ELENA", "BEATRIZ",
                "FLOR DE MARIA", "NORMA", "SANDRA", "PATRICIA", "GLORIA", "MERCEDES", "VIRGINIA")

WORDS = ("DORADO", "AURUM", "INCA", "ANDINO", "AMAZONICO", "LOS ANDES", "SOL DE ORO", "RIO DORADO",
         "NUEVA ESPERANZA", "CERRO RICO", "ILLIMANI", "HUAYNA", "INTI", "QORI", "CHOQUE", "KORI", "PACHA",
         "TAHUANTINSUYO", "ORO VERDE", "VETA MADRE", "EL PORVENIR", "LA ESTRELLA", "EL CONDOR", "PUMA",
         "AMARU", "CORDILLERA", "SELVA", "RIO ALTO", "LAS LOMAS", "EL TESORO", "LA FORTUNA", "EL PROGRESO",
         "BRILLANTE", "METALICA", "AURIFERA DEL SUR", "ORIENTE", "NORANDINA", "PACIFICO",
         "SANTA BARBARA", "SAN JUAN", "SANTA ROSA", "VIRGEN DEL CARMEN", "SAN MARTIN", "SANTO DOMINGO",
         "SEÑOR DE LOS MILAGROS", "SAN ANTONIO", "LA MERCED", "SAN FRANCISCO", "SAN PEDRO", "MILAGROS",
         "TRES ESTRELLAS", "CUATRO HERMANOS", "LOS PINOS", "EL MIRADOR", "LA UNION", "VISTA ALEGRE",
         "MONTE SINAI", "NUEVO AMANECER", "EL ROBLE", "LOS ALAMOS", "ESMERALDA", "CRISTAL", "DIAMANTE")

LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "PE": ("S.A.C.", "S.A.C.", "E.I.R.L.", "S.R.L.", "S.A."),
    "CO": ("S.A.S.", "S.A.S.", "S.A.S.", "LTDA.", "S.A."),
    "BO": ("S.R.L.", "S.R.L.", "S.A.", "LTDA."),
    "EC": ("CIA. LTDA.", "CIA. LTDA.", "S.A."),
}

PREFIXES: dict[str, tuple[str, ...]] = {
    "miner": ("MINERA", "COMPAÑIA MINERA", "CORPORACION MINERA", "MINERA AURIFERA", "EMPRESA MINERA",
              "MINERA METALURGICA", "SOCIEDAD MINERA"),
    "trader": ("COMERCIALIZADORA", "COMERCIALIZADORA DE MINERALES", "INVERSIONES", "NEGOCIACIONES",
               "COMPRA VENTA DE ORO", "METALES"),
    "processor": ("PLANTA DE BENEFICIO", "PROCESADORA DE MINERALES", "METALURGICA", "BENEFICIO MINERO"),
    "exporter": ("EXPORTADORA", "GOLD TRADING", "METALES PRECIOSOS", "INTERNACIONAL DE METALES",
                 "COMERCIO EXTERIOR"),
    "holding": ("INVERSIONES", "GRUPO", "CORPORACION", "HOLDING", "INMOBILIARIA E INVERSIONES"),
    "refiner": ("REFINERIA", "FUNDICION Y REFINERIA", "JOYERIA Y REFINERIA"),
    "transporter": ("TRANSPORTES", "LOGISTICA", "SERVICIOS DE TRANSPORTE"),
}


class NameFactory:
    """Draws unique actor names; uniqueness is global so that only planted cases collide."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make) -> str:  # type: ignore[no-untyped-def]
        for _ in range(200):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        # Big regions (scale 10 and more) run out of combinations: number them as registries do.
        base = make()
        for k in range(2, 100_000):
            if f"{base} {k}" not in self.used:
                self.used.add(f"{base} {k}")
                return f"{base} {k}"
        raise RuntimeError("name space exhausted")  # pragma: no cover

    def reserve(self, name: str) -> str:
        """Register a hand-written name (planted cases) so random names never reuse it."""
        self.used.add(name)
        return name

    def person(self, country: str) -> str:
        """`SURNAME1 SURNAME2 GIVEN` as registries print it (paternal, maternal, given names)."""
        r = self.rng
        pool = SURNAMES.get(country, SURNAMES["PE"])

        def make() -> str:
            given = r.choice(GIVEN_MALE if r.random() < 0.78 else GIVEN_FEMALE)
            return f"{r.choice(pool)} {r.choice(pool)} {given}"
        return self._unique(make)

    def company(self, country: str, role: str, place: str = "") -> str:
        """A firm name with a role-typical prefix and the country's legal form."""
        r = self.rng

        def make() -> str:
            prefix = r.choice(PREFIXES[role])
            if country == "CO" and role in ("exporter", "trader") and r.random() < 0.7:
                prefix = "C.I. " + (r.choice(("METALES", "GOLD", "MINERALES", "COMERCIALIZADORA"))
                                    if r.random() < 0.6 else "")
            word = r.choice(WORDS)
            if place and r.random() < 0.35:
                word = f"{word} DE {place}" if r.random() < 0.5 else place
            return f"{prefix.strip()} {word} {r.choice(LEGAL_FORMS[country])}"
        return self._unique(make)

    def cooperative(self, country: str, place: str) -> str:
        """Cooperatives carry their place name, as in the Bolivian and Peruvian registries."""
        r = self.rng

        months = ("ENERO", "FEBRERO", "MARZO", "ABRIL", "MAYO", "JUNIO", "JULIO", "AGOSTO", "SEPTIEMBRE",
                  "OCTUBRE", "NOVIEMBRE", "DICIEMBRE")

        def make() -> str:
            # Bolivian and Peruvian cooperatives are often named after a founding date ("16 DE JULIO").
            word = r.choice(WORDS) if r.random() < 0.5 else f"{r.randint(1, 28)} DE {r.choice(months)}"
            if country == "EC":
                return f"ASOCIACION DE MINEROS AUTONOMOS {word} DE {place}"
            if country == "CO":
                return f"COOPERATIVA DE MINEROS {word} DE {place}"
            kind = r.choice(("COOPERATIVA MINERA AURIFERA", "COOPERATIVA MINERA", "COOPERATIVA AURIFERA"))
            return f"{kind} {word} DE {place} LTDA." if r.random() < 0.5 else f"{kind} {word} LTDA."
        return self._unique(make)

    def foreign_company(self, country: str) -> str:
        """Names for foreign parents and consignees (invented, with the jurisdiction's legal form)."""
        r = self.rng
        forms = {"VG": "LTD.", "PA": "S.A.", "KY": "LTD.", "BZ": "LTD.", "CA": "INC.", "US": "LLC",
                 "CH": "SA", "AE": "DMCC", "IN": "PVT LTD", "IT": "S.P.A.", "GB": "LTD"}
        stems = ("ANDES", "GOLDCREST", "SILVERLINE", "CONDOR", "AMAZONIA", "PACIFIC RIM", "SUMMIT",
                 "NORTHSTAR", "MERIDIAN", "HORIZON", "ATLAS", "ORION", "VALLEY", "HELVETIA", "SUNRISE",
                 "EMERALD", "CARDINAL", "APEX", "BLUE RIVER", "IRONWOOD")
        kinds = ("HOLDINGS", "MINING", "RESOURCES", "INVESTMENTS", "BULLION", "METALS", "CAPITAL", "TRADING")

        def make() -> str:
            return f"{r.choice(stems)} {r.choice(kinds)} {forms.get(country, 'LTD.')}"
        return self._unique(make)
