"""sanctioned_party: listed companies, listed owners at any depth; silent on homonyms and look-alikes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filon.demo import generate_region
from filon.detect._screening import compare_names, name_tokens, same_tax_id, tax_keys
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters, defaults
from filon.detect.sanctioned_party import detect
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace
from tests.detect.groundtruth import read_truth, score

SAN_HEADER = "entry_id,name,kind,country,tax_id,list_name,reason\n"
OWN_HEADER = "record_id,subject_id,owner_id,owner_name,share_pct,control_kind,start_date,end_date\n"


def run(package: Path, tmp_path: Path, params: Parameters | None = None):
    ingest_package(package, tmp_path / "ws")
    ctx = DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect()))
    return {a.subject_id: a for a in detect(ctx, params or defaults("sanctioned_party"))}


#: CO-A001 held by a holding 90 % owned by Jairo Alonso Osorio Restrepo, named without an id.
HELD_BY_OSORIO = {"ownership": ["O1,CO-A001,CO-H001,,100,shareholding,2019-01-01,",
                                "O2,CO-H001,,\"Osorio Restrepo, Jairo Alonso\",90,beneficial,2019-01-01,"],
                  "actors": ["CO-H001,CO,Inversiones Andinas S.A.S.,company,,,2018-01-01,,,"]}


def write(package: Path, sanctions: list[str], ownership: list[str] = (), actors: list[str] = ()) -> None:
    (package / "sanctions.csv").write_text(SAN_HEADER + "".join(s + "\n" for s in sanctions), encoding="utf-8")
    (package / "ownership.csv").write_text(OWN_HEADER + "".join(o + "\n" for o in ownership), encoding="utf-8")
    with (package / "actors.csv").open("a", encoding="utf-8") as fh:
        fh.writelines(a + "\n" for a in actors)


def test_fires_on_a_listed_company_by_tax_id_whatever_its_listed_spelling(package: Path, tmp_path: Path) -> None:
    write(package, ["S1,ORO ANDINO COMERCIALIZADORA,company,PE,20613456784,OFAC SDN,Gold laundering"])
    [alert] = run(package, tmp_path).values()
    assert (alert.subject_id, alert.country, alert.score) == ("PE-A003", "PE", 1.0)
    [m] = alert.evidence["matches"]
    assert m["basis"] == "tax_id" and m["depth"] == 0 and "tax_id" in m["agreed"]
    assert "20613456784" in alert.explanation and "OFAC SDN" in alert.explanation
    assert {s["table"] for s in alert.evidence["sources"]} == {"actors", "sanctions"}
    assert alert.value_at_risk_usd and alert.value_at_risk_usd > 0


def test_fires_on_a_person_listed_with_names_in_the_other_order(package: Path, tmp_path: Path) -> None:
    write(package, ["S1,\"QUISPE MAMANÍ, Juan\",person,PE,,PEP - Peru,Former mayor"])
    [alert] = run(package, tmp_path).values()
    m = alert.evidence["matches"][0]
    assert alert.subject_id == "PE-A002" and m["basis"] == "name" and m["name_similarity"] == 1.0
    assert set(m["agreed"]) >= {"kind", "country", "name"} and m["disagreed"] == []


def test_fires_on_the_owner_of_the_owner_through_a_cycle(package: Path, tmp_path: Path) -> None:
    write(package, ["S1,JAIRO ALONSO OSORIO RESTREPO,person,CO,,OFAC SDN,Finance of illegal mining"],
          ownership=["O1,CO-A001,CO-H001,,100,shareholding,2019-01-01,",
                     "O2,CO-H001,CO-H002,,100,nominee,2019-01-01,",
                     "O3,CO-H002,CO-H001,,10,shareholding,2019-01-01,",  # a cycle: must not loop
                     "O4,CO-H002,,\"Osorio Restrepo, Jairo Alonso\",90,beneficial,2019-01-01,"],
          actors=["CO-H001,CO,Inversiones Andinas S.A.S.,company,,,2018-01-01,,,",
                  "CO-H002,PA,Pacific Rim Holdings S.A.,company,,,2018-06-01,,,"])
    alerts = run(package, tmp_path)
    assert set(alerts) == {"CO-A001"}  # holdings without roles or flows are screened, not alerted on
    m = alerts["CO-A001"].evidence["matches"][0]
    assert m["depth"] == 3 and m["path"].startswith("Fundicion Pacifico S.A.S. <- Inversiones Andinas S.A.S.")
    assert "Osorio Restrepo, Jairo Alonso (90 % beneficial)" in m["path"]
    assert alerts["CO-A001"].score == pytest.approx(0.9 ** 3)
    assert {s["id"] for s in alerts["CO-A001"].evidence["sources"] if s["table"] == "ownership"} == {"O1", "O2", "O4"}
    row = alerts["CO-A001"].to_row()
    assert json.loads(row["evidence"])["best_path"] == m["path"] and row["period"] is None


def test_silent_on_a_link_that_ended_before_the_data(package: Path, tmp_path: Path) -> None:
    write(package, ["S1,JAIRO ALONSO OSORIO RESTREPO,person,CO,,OFAC SDN,x"],
          ownership=["O1,CO-A001,,OSORIO RESTREPO JAIRO ALONSO,100,shareholding,2015-01-01,2016-01-01"])
    assert run(package, tmp_path) == {}


def test_silent_on_resembling_names_and_on_different_tax_ids(package: Path, tmp_path: Path) -> None:
    write(package, [
        "S1,RIO TIPUANI GOLD TRADING FZE,company,AE,,OFAC SDN,front company",  # look-alike of BO-A001
        "S2,EXPORTADORA NAMBIJA S.A.,company,EC,1790012345001,UIF watch list,other firm",  # same name, other RUC
        "S3,QUISPE MAMANI WILBER,person,PE,,UIF watch list,homonym",  # PE-A002 is Juan, not Wilber
        "S4,MINERA AURORA,company,PE,,UIF watch list,one word short",  # a distinct firm 'MINERA AURORA'
        "S5,ALPINE PRECIOUS METALS AG,person,CH,,Interpol,a person cannot be a company",
    ])
    assert run(package, tmp_path) == {}


def test_a_name_just_under_the_bar_fires_when_the_bar_is_lowered(package: Path, tmp_path: Path) -> None:
    write(package, ["S4,MINERA AURORA,company,PE,,UIF watch list,x"])
    loose = defaults("sanctioned_party").replace(min_name_similarity=0.6)
    assert set(run(package, tmp_path, loose)) == {"PE-A001"}


def test_hostile_strings_neither_crash_nor_match(package: Path, tmp_path: Path) -> None:
    write(package, [
        "S1,\"Robert'); DROP TABLE actors; --\",person,,,x,y",
        "S2,S.A.C.,company,PE,,x,empty after legal forms",
        f"S3,{'A' * 5000},company,PE,,x,huge",
        "S4,\u202e\u0645\u0646\u062c\u0645 \U0001F4B0 %_*,company,PE,,x,rtl and emoji",
        "S5,\"Quispe\u0000Mamani\",person,PE,----,x,nul and junk tax id",
    ])
    assert run(package, tmp_path) == {}


def test_empty_list_is_silent(package: Path, tmp_path: Path) -> None:
    assert run(package, tmp_path) == {}


def test_matching_rules() -> None:
    assert name_tokens("C.I. METALES DORADO LTDA.") == name_tokens("Metales Dorado S.A.S.") == ("dorado", "metales")
    assert name_tokens("Minera X E.I.R.L.") == name_tokens("MINERA X S.A.C.")
    assert compare_names(name_tokens("CONDORI APAZA WILBER"), name_tokens("Walter Condori Apaza")).similarity < 0.7
    assert compare_names(name_tokens("Quispe Mamani Juan Carlos"), name_tokens("QUISPE MAMANI JUAN KARLOS")).similarity > 0.9
    assert same_tax_id(tax_keys("860.002.964-4"), tax_keys("860002964")) is True
    assert same_tax_id(tax_keys("PE 20613456784"), tax_keys("20613456784")) is True
    assert same_tax_id(tax_keys("20613456784"), tax_keys("20613456785")) is False
    assert same_tax_id(tax_keys(""), tax_keys("20613456784")) is None


@pytest.mark.parametrize("seed", [7, 11])
def test_demo_region_precision_and_recall(seed: int, tmp_path: Path) -> None:
    generate_region(tmp_path / "package", seed=seed, scale=0.3)
    alerts = run(tmp_path / "package", tmp_path)
    precision, recall, details = score(list(alerts.values()), read_truth(tmp_path / "package" / "ground_truth.csv"),
                                       "sanctioned_party")
    assert recall >= 0.95 and precision >= 0.9, details


def test_blocking_keeps_candidates_few_on_a_large_list() -> None:
    """30,000 entries of common Andean words: a name is compared with a small block, not the whole list."""
    import random
    import time

    from filon.demo.names import SURNAMES
    from filon.detect._screening import ListEntry, WatchList

    rng = random.Random(5)
    words = sorted({w for pool in SURNAMES.values() for w in pool})
    entries = [ListEntry(f"E{i}", " ".join(rng.sample(words, 3)), "person", "PE", None, "L", None)
               for i in range(30_000)]
    watch = WatchList(entries, max_block=defaults("sanctioned_party").max_block_size)
    start = time.perf_counter()
    sizes = [len(watch.candidates(name_tokens(" ".join(rng.sample(words, 3))), frozenset())) for _ in range(300)]
    assert max(sizes) <= 3 * defaults("sanctioned_party").max_block_size
    assert time.perf_counter() - start < 5


def test_a_scoped_run_reads_the_owners_above_its_subjects(package: Path, tmp_path: Path) -> None:
    """A scoped run reads only the actors it screens: its subjects and everyone above them, whose names
    make up the path; it alerts on its subjects alone, exactly as a full run does."""
    write(package, ["S1,JAIRO ALONSO OSORIO RESTREPO,person,CO,,OFAC SDN,x",
                    "S2,ORO ANDINO COMERCIALIZADORA,company,PE,20613456784,OFAC SDN,x"],
          **HELD_BY_OSORIO)
    ingest_package(package, tmp_path / "ws")
    full = DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect()))
    p = defaults("sanctioned_party")
    everyone = {a.subject_id: a for a in detect(full, p)}
    assert set(everyone) == {"CO-A001", "PE-A003"}
    scoped = DetectContext(full.engine, full=full, scope_keys=frozenset({"CO-A001"}))
    [alert] = detect(scoped, p)
    assert alert == everyone["CO-A001"]
    assert "Inversiones Andinas S.A.S." in alert.evidence["best_path"]


def test_kept_screening_gives_the_same_alerts_without_screening_again(package: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Every party is screened once and kept: the next analysis reads the matches back and screens
    nobody; a party the screening has not met (an id `actors` lacks) is screened when asked for."""
    from filon.detect import sanctioned_party
    from filon.detect.incremental import fingerprints
    from filon.detect.kept import KeptValues

    write(package, ["S1,JAIRO ALONSO OSORIO RESTREPO,person,CO,,OFAC SDN,x", "S2,XX GHOST,,,,OFAC SDN,x"],
          **HELD_BY_OSORIO)
    ingest_package(package, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    screened: list[str] = []
    real = sanctioned_party._screen
    monkeypatch.setattr(sanctioned_party, "_screen", lambda party, *a: screened.append(party.key) or real(party, *a))
    p = defaults("sanctioned_party")

    def context() -> DetectContext:
        return DetectContext(DuckDBEngine(ws.connect()), kept=KeptValues(tmp_path / "kept", fingerprints(ws), b"k" * 32))

    first = {a.subject_id: a for a in detect(context(), p)}
    assert set(first) == {"CO-A001"} and len(screened) >= 10 and "name:Osorio Restrepo, Jairo Alonso" in screened
    screened.clear()
    ctx = context()
    assert {a.subject_id: a for a in detect(ctx, p)} == first and screened == []
    watch = sanctioned_party._watch_list(ctx, p)
    found = sanctioned_party._screening(ctx, watch, p, ()).of({"XX-GHOST", "CO-H001"}, watch, p)
    assert screened == ["XX-GHOST"] and [m["entry_id"] for m in found["XX-GHOST"]] == ["S2"] and found["CO-H001"] == []
    # With nothing kept (no signing key), a scoped run screens the parties of its subjects' walks alone.
    screened.clear()
    whole = DetectContext(DuckDBEngine(ws.connect()))
    assert detect(DetectContext(whole.engine, full=whole, scope_keys=frozenset({"CO-A001"})), p) == [first["CO-A001"]]
    assert sorted(screened) == ["CO-A001", "CO-H001", "name:Osorio Restrepo, Jairo Alonso"]


@pytest.mark.parametrize("name", [
    "EXPORTADORA SEÑOR DE LOS MILAGROS S.A.C.", "Compañía Minera Ñañez  del Perú", "João Conceição Müller",
    "ØRSTED ÆBLE ŁÓDŹ Ǆemal", "Señor\u00a0Ñu", "Шевченко Ñu", "Ñu 李伟", "Ñu ®", "Ἱερά Ñu", "Ñu = <S.A.>", "",
    "".join(chr(c) for c in range(0xC0, 0x250)),
])
def test_transliteration_word_by_word_equals_rigour(name: str) -> None:
    """Latin names go through the word cache, anything else whole: both as rigour's ascii_text."""
    from rigour.text import ascii_text

    from filon.detect._screening import _ascii

    assert _ascii(name) == ascii_text(name)
    assert _ascii(" ".join(chr(c) for c in range(0xC0, 0x250))) == ascii_text(" ".join(chr(c) for c in range(0xC0, 0x250)))
