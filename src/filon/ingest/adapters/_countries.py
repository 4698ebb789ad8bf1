"""Country codes for adapters: ISO 3166-1 alpha-2 from ISO3, M49 numeric, English or Spanish names.

Embedded (not read from a data file) so it ships inside any wheel without package-data rules, and
so adapters do not depend on optional libraries. Built from Debian `iso-codes` 4.15 (ISO 3166-1
names and their Spanish translation), plus the UN Comtrade reporter codes that differ from ISO
numeric and the spellings Peruvian customs listings use. Codes for groups (World, "Areas, nes",
free zones, bunkers) are deliberately absent: callers skip them with a warning.
"""

from __future__ import annotations

import re
from functools import lru_cache

from filon.ingest.adapters._read import plain_key as _key

# ISO2|ISO3|ISO numeric|names (English official, common, Spanish), separated by ';'
_TABLE = """
AD|AND|020|Andorra;Principality of Andorra
AE|ARE|784|United Arab Emirates;Emiratos Árabes Unidos
AF|AFG|004|Afghanistan;Islamic Republic of Afghanistan;Afganistán
AG|ATG|028|Antigua and Barbuda;Antigua y Barbuda
AI|AIA|660|Anguilla;Anguila
AL|ALB|008|Albania;Republic of Albania
AM|ARM|051|Armenia;Republic of Armenia
AO|AGO|024|Angola;Republic of Angola
AQ|ATA|010|Antarctica;Antártida
AR|ARG|032|Argentina;Argentine Republic
AS|ASM|016|American Samoa;Samoa Estadounidense
AT|AUT|040|Austria;Republic of Austria
AU|AUS|036|Australia
AW|ABW|533|Aruba
AX|ALA|248|Åland Islands;Islas Äland
AZ|AZE|031|Azerbaijan;Republic of Azerbaijan;Azerbaiyán
BA|BIH|070|Bosnia and Herzegovina;Republic of Bosnia and Herzegovina;Bosnia y Herzegovina
BB|BRB|052|Barbados
BD|BGD|050|Bangladesh;People's Republic of Bangladesh;Bangladés
BE|BEL|056|Belgium;Kingdom of Belgium;Bélgica
BF|BFA|854|Burkina Faso;Burquina Faso
BG|BGR|100|Bulgaria;Republic of Bulgaria
BH|BHR|048|Bahrain;Kingdom of Bahrain;Baréin
BI|BDI|108|Burundi;Republic of Burundi
BJ|BEN|204|Benin;Republic of Benin;Benín
BL|BLM|652|Saint Barthélemy;San Bartolomé
BM|BMU|060|Bermuda;Islas Bermudas
BN|BRN|096|Brunei Darussalam
BO|BOL|068|Bolivia, Plurinational State of;Bolivia;Plurinational State of Bolivia;Bolivia, Estado plurinacional de
BQ|BES|535|Bonaire, Sint Eustatius and Saba;Islas BES (Caribe Neerlandés)
BR|BRA|076|Brazil;Federative Republic of Brazil;Brasil
BS|BHS|044|Bahamas;Commonwealth of the Bahamas
BT|BTN|064|Bhutan;Kingdom of Bhutan;Bután
BV|BVT|074|Bouvet Island;Isla Bouvet
BW|BWA|072|Botswana;Republic of Botswana;Botsuana
BY|BLR|112|Belarus;Republic of Belarus;Bielorrusia
BZ|BLZ|084|Belize;Belice
CA|CAN|124|Canada;Canadá
CC|CCK|166|Cocos (Keeling) Islands;Islas Cocos (Keeling)
CD|COD|180|Congo, The Democratic Republic of the;Congo, República Democrática del
CF|CAF|140|Central African Republic;República Centroafricana
CG|COG|178|Congo;Republic of the Congo
CH|CHE|756|Switzerland;Swiss Confederation;Suiza
CI|CIV|384|Côte d'Ivoire;Republic of Côte d'Ivoire;Costa de Marfíl
CK|COK|184|Cook Islands;Islas Cook
CL|CHL|152|Chile;Republic of Chile
CM|CMR|120|Cameroon;Republic of Cameroon;Camerún
CN|CHN|156|China;People's Republic of China
CO|COL|170|Colombia;Republic of Colombia
CR|CRI|188|Costa Rica;Republic of Costa Rica
CU|CUB|192|Cuba;Republic of Cuba
CV|CPV|132|Cabo Verde;Republic of Cabo Verde
CW|CUW|531|Curaçao;Curazao
CX|CXR|162|Christmas Island;Isla de Navidad
CY|CYP|196|Cyprus;Republic of Cyprus;Chipre
CZ|CZE|203|Czechia;Czech Republic;Chequia
DE|DEU|276|Germany;Federal Republic of Germany;Alemania
DJ|DJI|262|Djibouti;Republic of Djibouti;Yibuti
DK|DNK|208|Denmark;Kingdom of Denmark;Dinamarca
DM|DMA|212|Dominica;Commonwealth of Dominica
DO|DOM|214|Dominican Republic;República Dominicana
DZ|DZA|012|Algeria;People's Democratic Republic of Algeria
EC|ECU|218|Ecuador;Republic of Ecuador
EE|EST|233|Estonia;Republic of Estonia
EG|EGY|818|Egypt;Arab Republic of Egypt;Egipto
EH|ESH|732|Western Sahara;Sahara Occidental
ER|ERI|232|Eritrea;the State of Eritrea
ES|ESP|724|Spain;Kingdom of Spain;España
ET|ETH|231|Ethiopia;Federal Democratic Republic of Ethiopia;Etiopía
FI|FIN|246|Finland;Republic of Finland;Finlandia
FJ|FJI|242|Fiji;Republic of Fiji;Fiyi
FK|FLK|238|Falkland Islands (Malvinas);Islas Falkland (Malvinas)
FM|FSM|583|Micronesia, Federated States of;Federated States of Micronesia;Micronesia, Estados Federados de
FO|FRO|234|Faroe Islands;Islas Feroe
FR|FRA|250|France;French Republic;Francia
GA|GAB|266|Gabon;Gabonese Republic;Gabón
GB|GBR|826|United Kingdom;United Kingdom of Great Britain and Northern Ireland;Reino Unido
GD|GRD|308|Grenada;Granada
GE|GEO|268|Georgia
GF|GUF|254|French Guiana;Guayana Francesa
GG|GGY|831|Guernsey
GH|GHA|288|Ghana;Republic of Ghana
GI|GIB|292|Gibraltar
GL|GRL|304|Greenland;Groenlandia
GM|GMB|270|Gambia;Republic of the Gambia
GN|GIN|324|Guinea;Republic of Guinea
GP|GLP|312|Guadeloupe;Guadalupe
GQ|GNQ|226|Equatorial Guinea;Republic of Equatorial Guinea;Guinea Ecuatorial
GR|GRC|300|Greece;Hellenic Republic;Grecia
GS|SGS|239|South Georgia and the South Sandwich Islands;Islas Georgias del Sur y Sándwich del Sur
GT|GTM|320|Guatemala;Republic of Guatemala
GU|GUM|316|Guam
GW|GNB|624|Guinea-Bissau;Republic of Guinea-Bissau;Guinea-Bisáu
GY|GUY|328|Guyana;Republic of Guyana
HK|HKG|344|Hong Kong;Hong Kong Special Administrative Region of China
HM|HMD|334|Heard Island and McDonald Islands;Islas Heard y McDonald
HN|HND|340|Honduras;Republic of Honduras
HR|HRV|191|Croatia;Republic of Croatia;Croacia
HT|HTI|332|Haiti;Republic of Haiti;Haití
HU|HUN|348|Hungary;Hungría
ID|IDN|360|Indonesia;Republic of Indonesia
IE|IRL|372|Ireland;Irlanda
IL|ISR|376|Israel;State of Israel
IM|IMN|833|Isle of Man;Isla de Man
IN|IND|356|India;Republic of India
IO|IOT|086|British Indian Ocean Territory;Territorio Británico del Océano Índico
IQ|IRQ|368|Iraq;Republic of Iraq;Irak
IR|IRN|364|Iran, Islamic Republic of;Iran;Islamic Republic of Iran;Irán, República islámica de
IS|ISL|352|Iceland;Republic of Iceland;Islandia
IT|ITA|380|Italy;Italian Republic;Italia
JE|JEY|832|Jersey
JM|JAM|388|Jamaica
JO|JOR|400|Jordan;Hashemite Kingdom of Jordan;Jordania
JP|JPN|392|Japan;Japón
KE|KEN|404|Kenya;Republic of Kenya;Kenia
KG|KGZ|417|Kyrgyzstan;Kyrgyz Republic;Kirguistán
KH|KHM|116|Cambodia;Kingdom of Cambodia;Camboya
KI|KIR|296|Kiribati;Republic of Kiribati
KM|COM|174|Comoros;Union of the Comoros;Comores, Islas
KN|KNA|659|Saint Kitts and Nevis;San Cristóbal y Nieves
KP|PRK|408|Korea, Democratic People's Republic of;North Korea;Corea, República Democrática Popular de
KR|KOR|410|Korea, Republic of;South Korea;Corea, República de
KW|KWT|414|Kuwait;State of Kuwait
KY|CYM|136|Cayman Islands;Islas Caimán
KZ|KAZ|398|Kazakhstan;Republic of Kazakhstan;Kazajistán
LA|LAO|418|Lao People's Democratic Republic;Laos;República Democrática Popular de Lao
LB|LBN|422|Lebanon;Lebanese Republic;Líbano
LC|LCA|662|Saint Lucia;Santa Lucía
LI|LIE|438|Liechtenstein;Principality of Liechtenstein
LK|LKA|144|Sri Lanka;Democratic Socialist Republic of Sri Lanka
LR|LBR|430|Liberia;Republic of Liberia
LS|LSO|426|Lesotho;Kingdom of Lesotho;Lesoto
LT|LTU|440|Lithuania;Republic of Lithuania;Lituania
LU|LUX|442|Luxembourg;Grand Duchy of Luxembourg;Luxemburgo
LV|LVA|428|Latvia;Republic of Latvia;Letonia
LY|LBY|434|Libya;Libia
MA|MAR|504|Morocco;Kingdom of Morocco;Marruecos
MC|MCO|492|Monaco;Principality of Monaco;Mónaco
MD|MDA|498|Moldova, Republic of;Moldova;Republic of Moldova;Moldavia, República de;Moldavia
ME|MNE|499|Montenegro
MF|MAF|663|Saint Martin (French part);San Martín (zona francesa)
MG|MDG|450|Madagascar;Republic of Madagascar
MH|MHL|584|Marshall Islands;Republic of the Marshall Islands;Islas Marshall
MK|MKD|807|North Macedonia;Republic of North Macedonia;Macedonia del Norte
ML|MLI|466|Mali;Republic of Mali;Malí
MM|MMR|104|Myanmar;Republic of Myanmar;Birmania
MN|MNG|496|Mongolia
MO|MAC|446|Macao;Macao Special Administrative Region of China
MP|MNP|580|Northern Mariana Islands;Commonwealth of the Northern Mariana Islands;Islas Marianas del Norte
MQ|MTQ|474|Martinique;Martinica
MR|MRT|478|Mauritania;Islamic Republic of Mauritania
MS|MSR|500|Montserrat
MT|MLT|470|Malta;Republic of Malta
MU|MUS|480|Mauritius;Republic of Mauritius;Mauricio
MV|MDV|462|Maldives;Republic of Maldives;Islas Maldivas
MW|MWI|454|Malawi;Republic of Malawi;Malaui
MX|MEX|484|Mexico;United Mexican States;México
MY|MYS|458|Malaysia;Malasia
MZ|MOZ|508|Mozambique;Republic of Mozambique
NA|NAM|516|Namibia;Republic of Namibia
NC|NCL|540|New Caledonia;Nueva Caledonia
NE|NER|562|Niger;Republic of the Niger
NF|NFK|574|Norfolk Island;Isla Norfolk
NG|NGA|566|Nigeria;Federal Republic of Nigeria
NI|NIC|558|Nicaragua;Republic of Nicaragua
NL|NLD|528|Netherlands;Kingdom of the Netherlands;Países Bajos
NO|NOR|578|Norway;Kingdom of Norway;Noruega
NP|NPL|524|Nepal;Federal Democratic Republic of Nepal
NR|NRU|520|Nauru;Republic of Nauru
NU|NIU|570|Niue
NZ|NZL|554|New Zealand;Nueva Zelanda
OM|OMN|512|Oman;Sultanate of Oman;Omán
PA|PAN|591|Panama;Republic of Panama;Panamá
PE|PER|604|Peru;Republic of Peru;Perú
PF|PYF|258|French Polynesia;Polinesia Francesa
PG|PNG|598|Papua New Guinea;Independent State of Papua New Guinea;Papúa Nueva Guinea
PH|PHL|608|Philippines;Republic of the Philippines;Filipinas
PK|PAK|586|Pakistan;Islamic Republic of Pakistan;Pakistán
PL|POL|616|Poland;Republic of Poland;Polonia
PM|SPM|666|Saint Pierre and Miquelon;San Pedro y Miquelon
PN|PCN|612|Pitcairn
PR|PRI|630|Puerto Rico
PS|PSE|275|Palestine, State of;the State of Palestine;Palestina, Estado de
PT|PRT|620|Portugal;Portuguese Republic
PW|PLW|585|Palau;Republic of Palau;Palaos
PY|PRY|600|Paraguay;Republic of Paraguay
QA|QAT|634|Qatar;State of Qatar;Catar
RE|REU|638|Réunion;Reunión
RO|ROU|642|Romania;Rumanía
RS|SRB|688|Serbia;Republic of Serbia
RU|RUS|643|Russian Federation;Federación Rusa
RW|RWA|646|Rwanda;Rwandese Republic;Ruanda
SA|SAU|682|Saudi Arabia;Kingdom of Saudi Arabia;Arabia Saudí
SB|SLB|090|Solomon Islands;Islas Salomón
SC|SYC|690|Seychelles;Republic of Seychelles
SD|SDN|729|Sudan;Republic of the Sudan;Sudán
SE|SWE|752|Sweden;Kingdom of Sweden;Suecia
SG|SGP|702|Singapore;Republic of Singapore;Singapur
SH|SHN|654|Saint Helena, Ascension and Tristan da Cunha;Santa Elena, Ascensión y Tristán de Acuña
SI|SVN|705|Slovenia;Republic of Slovenia;Eslovenia
SJ|SJM|744|Svalbard and Jan Mayen;Svalbard y Jan Mayen
SK|SVK|703|Slovakia;Slovak Republic;Eslovaquia
SL|SLE|694|Sierra Leone;Republic of Sierra Leone;Sierra Leona
SM|SMR|674|San Marino;Republic of San Marino
SN|SEN|686|Senegal;Republic of Senegal
SO|SOM|706|Somalia;Federal Republic of Somalia
SR|SUR|740|Suriname;Republic of Suriname;Surinám
SS|SSD|728|South Sudan;Republic of South Sudan;Sudán del Sur
ST|STP|678|Sao Tome and Principe;Democratic Republic of Sao Tome and Principe;Santo Tomé y Príncipe
SV|SLV|222|El Salvador;Republic of El Salvador
SX|SXM|534|Sint Maarten (Dutch part);Isla de San Martín (zona holandsea)
SY|SYR|760|Syrian Arab Republic;Syria;República árabe de Siria
SZ|SWZ|748|Eswatini;Kingdom of Eswatini;Esuatini
TC|TCA|796|Turks and Caicos Islands;Islas Turcas y Caicos
TD|TCD|148|Chad;Republic of Chad
TF|ATF|260|French Southern Territories;Territorios Franceses del Sur
TG|TGO|768|Togo;Togolese Republic
TH|THA|764|Thailand;Kingdom of Thailand;Tailandia
TJ|TJK|762|Tajikistan;Republic of Tajikistan;Tayikistán
TK|TKL|772|Tokelau
TL|TLS|626|Timor-Leste;Democratic Republic of Timor-Leste;Timor Oriental
TM|TKM|795|Turkmenistan;Turkmenistán
TN|TUN|788|Tunisia;Republic of Tunisia;Tunez
TO|TON|776|Tonga;Kingdom of Tonga
TR|TUR|792|Türkiye;Republic of Türkiye
TT|TTO|780|Trinidad and Tobago;Republic of Trinidad and Tobago;Trinidad y Tobago
TV|TUV|798|Tuvalu
TW|TWN|158|Taiwan, Province of China;Taiwan;Taiwán, Provincia de China;Taiwán
TZ|TZA|834|Tanzania, United Republic of;Tanzania;United Republic of Tanzania;Tanzania, República unida de
UA|UKR|804|Ukraine;Ucrania
UG|UGA|800|Uganda;Republic of Uganda
UM|UMI|581|United States Minor Outlying Islands;Islas Ultramarinas Menores de Estados Unidos
US|USA|840|United States;United States of America;Estados Unidos
UY|URY|858|Uruguay;Eastern Republic of Uruguay
UZ|UZB|860|Uzbekistan;Republic of Uzbekistan;Uzbekistán
VA|VAT|336|Holy See (Vatican City State);Santa Sede (Ciudad Estado del Vaticano)
VC|VCT|670|Saint Vincent and the Grenadines;San Vicente y las Granadinas
VE|VEN|862|Venezuela, Bolivarian Republic of;Venezuela;Venezuela, República Bolivariana de
VG|VGB|092|Virgin Islands, British;British Virgin Islands;Islas Vírgenes, Británicas
VI|VIR|850|Virgin Islands, U.S.;Virgin Islands of the United States;Islas Vírgenes, de EEUU
VN|VNM|704|Viet Nam;Vietnam;Socialist Republic of Viet Nam
VU|VUT|548|Vanuatu;Republic of Vanuatu
WF|WLF|876|Wallis and Futuna;Wallis y Futuna
WS|WSM|882|Samoa;Independent State of Samoa
YE|YEM|887|Yemen;Republic of Yemen
YT|MYT|175|Mayotte
ZA|ZAF|710|South Africa;Republic of South Africa;Sudáfrica
ZM|ZMB|894|Zambia;Republic of Zambia
ZW|ZWE|716|Zimbabwe;Republic of Zimbabwe;Zimbabue
"""

#: UN M49 codes used by Comtrade where they differ from ISO 3166 numeric (country incl. territories).
_M49_EXTRA = {"757": "CH", "699": "IN", "842": "US", "251": "FR", "579": "NO", "58": "BE"}

#: Spellings found in Andean customs and registry listings that the ISO names do not cover.
_ALIASES = {
    "EEUU": "US", "EE UU": "US", "USA": "US", "ESTADOS UNIDOS DE AMERICA": "US",
    "ESTADOS UNIDOS DE NORTEAMERICA": "US", "EMIRATOS ARABES": "AE", "EAU": "AE",
    "REINO UNIDO DE GRAN BRETANA": "GB", "GRAN BRETANA": "GB", "INGLATERRA": "GB",
    "HOLANDA": "NL", "PAISES BAJOS HOLANDA": "NL", "COREA DEL SUR": "KR", "COREA SUR": "KR",
    "COREA SUR REPUBLICA DE": "KR", "COREA DEL NORTE": "KP", "RUSIA": "RU", "TAIWAN": "TW",
    "HONG KONG": "HK", "HONG KONG CHINA": "HK", "CHINA REPUBLICA POPULAR": "CN", "TURQUIA": "TR",
    "IRAN": "IR", "VIETNAM": "VN", "BOLIVIA": "BO", "VENEZUELA": "VE", "LAOS": "LA", "SIRIA": "SY",
    "REPUBLICA CHECA": "CZ", "CHEQUIA": "CZ", "ESLOVAQUIA": "SK", "TANZANIA": "TZ", "MOLDAVIA": "MD",
    "SWITZERLAND LIECHTENSTEIN": "CH", "SUIZA LIECHTENSTEIN": "CH", "CURACAO": "CW",
}


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    heads: dict[str, set[str]] = {}
    for line in _TABLE.strip().splitlines():
        iso2, iso3, num, names = line.split("|")
        index.update({iso2: iso2, iso3: iso3 and iso2, str(int(num)): iso2})
        for name in names.split(";"):
            index.setdefault(_key(name), iso2)
            # "Bolivia, Estado plurinacional de" is also written "BOLIVIA": keep the head if unambiguous.
            heads.setdefault(_key(name.split(",")[0]), set()).add(iso2)
    for head, codes in heads.items():
        if len(codes) == 1:
            index.setdefault(head, next(iter(codes)))
    index.update(_M49_EXTRA)
    index.update(_ALIASES)
    return index


def to_iso2(value: str) -> str | None:
    """ISO2 for a code or name (ISO2, ISO3, M49 number, English or Spanish name); None if unknown.

    Accepts "CH - SUIZA" (code and name, as some listings print it) by trying the code first.
    """
    text = value.strip()
    if not text:
        return None
    index = _index()
    match = re.match(r"^([A-Za-z]{2,3}|\d{1,3})\s*[-–]\s*\S", text)
    if match and match.group(1).upper() in index:
        return index[match.group(1).upper()]
    if text.isdigit():
        return index.get(str(int(text)))
    if len(text) in (2, 3) and text.isalpha() and text.isupper():
        return index.get(text)
    return index.get(_key(text))
