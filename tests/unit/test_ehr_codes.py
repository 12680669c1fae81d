"""The shipped standard-code map (content/ehr_codes.json): it loads, means only what this program records, and
looks codes up the way an EHR import and a FHIR export need."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from lhn_desktop.clinical.codes import (
    LHN_SYSTEM,
    MAP_FILE,
    SYSTEMS,
    load_code_map,
    parse_code_map,
    shipped_map,
)
from lhn_desktop.clinical.observations import load_catalog
from lhn_desktop.errors import LhnError
from lhn_desktop.paths import content_dir
from lhn_desktop.services.checklist import load_packs

SNOMED = SYSTEMS["snomed"]
ICD = SYSTEMS["icd10cm"]
LOINC = SYSTEMS["loinc"]
RXNORM = SYSTEMS["rxnorm"]
CVX = SYSTEMS["cvx"]

#: screenings the importer may record although no checklist rule names them as events
SCREENINGS = {"TB test", "Hepatitis B serology", "Varicella IgG", "PHQ-9"}


def _shipped_entries() -> list[dict]:
    return json.loads((content_dir() / MAP_FILE).read_text(encoding="utf-8"))["codes"]


def _pack_event_names() -> set[str]:
    names: set[str] = set()
    for pack in load_packs():
        for rule in pack.rules:
            names.update(getattr(rule.check, "events", ()) or ())
        names.update(pack.visit_form.immunizations)
        names.update(pack.visit_form.screenings)
    return names


def _catalog_units() -> set[str]:
    units: set[str] = set()
    for spec in load_catalog().values():
        if getattr(spec, "unit", None):
            units.add(spec.unit)
        units.update(getattr(spec, "units", None) or {})
    return units


def _valid_file(**changes) -> dict:
    entry = {
        "system": "loinc",
        "code": "1988-5",
        "prefix": False,
        "kind": "observation",
        "means": "CRP",
        "display": "C reactive protein [Mass/volume] in Serum or Plasma",
    }
    entry.update(changes)
    return {"source": "a test file of codes", "codes": [entry]}


# -- the shipped file ---------------------------------------------------------------------------------------------


def test_shipped_map_loads() -> None:
    code_map = shipped_map()
    assert code_map.exact
    assert code_map.prefixes
    assert code_map.units


def test_no_code_is_listed_twice() -> None:
    counts = Counter((e["system"], e["code"]) for e in _shipped_entries())
    assert [key for key, n in counts.items() if n > 1] == []


def test_diagnoses_are_diagnoses_of_a_pack() -> None:
    diagnoses = {d for pack in load_packs() for d in pack.diagnoses}
    meant = {e["means"] for e in _shipped_entries() if e["kind"] == "diagnosis"}
    assert meant
    assert meant <= diagnoses, meant - diagnoses


def test_observations_are_catalog_codes() -> None:
    catalog = set(load_catalog())
    meant = {e["means"] for e in _shipped_entries() if e["kind"] == "observation"}
    assert meant
    assert meant <= catalog, meant - catalog


def test_medications_are_on_a_pack_drug_list() -> None:
    drugs = {d.name for pack in load_packs() for d in pack.drugs}
    meant = {e["means"] for e in _shipped_entries() if e["kind"] == "medication"}
    assert meant
    assert meant <= drugs, meant - drugs


def test_events_are_names_the_packs_use() -> None:
    known = _pack_event_names() | SCREENINGS
    meant = {e["means"] for e in _shipped_entries() if e["kind"] == "event"}
    assert meant
    assert meant <= known, meant - known


def test_unit_texts_are_catalog_units() -> None:
    known = _catalog_units()
    assert set(shipped_map().units.values()) <= known, set(shipped_map().units.values()) - known


def test_bmi_and_generic_ibd_are_not_mapped() -> None:
    code_map = shipped_map()
    assert ("loinc", "39156-5") not in code_map.exact  # BMI: computed here, never stored
    assert code_map.meaning(SNOMED, "24526004", "diagnosis") is None  # "inflammatory bowel disease": which one?


def test_plain_tobramycin_ingredient_is_not_inhaled_tobramycin() -> None:
    inhaled = [e for e in _shipped_entries() if e["means"] == "tobramycin (inhaled)"]
    assert inhaled
    assert all("inhal" in e["display"].lower() for e in inhaled)


# -- lookups ------------------------------------------------------------------------------------------------------


def test_snomed_diagnosis() -> None:
    assert shipped_map().meaning(SNOMED, "34000006", "diagnosis") == "Crohn disease"
    assert shipped_map().meaning(SNOMED, "190905008", "diagnosis") == "Cystic fibrosis"


@pytest.mark.parametrize(
    ("code", "means"),
    [
        ("K50.011", "Crohn disease"),
        ("K5090", "Crohn disease"),
        ("K50", "Crohn disease"),
        ("K51.90", "Ulcerative colitis"),
        ("E84.0", "Cystic fibrosis"),
        ("K52.3", "IBD unclassified"),
        (" K52.3 ", "IBD unclassified"),
    ],
)
def test_icd10cm_diagnosis(code: str, means: str) -> None:
    assert shipped_map().meaning(ICD, code, "diagnosis") == means


def test_icd10cm_code_outside_the_categories_is_unknown() -> None:
    assert shipped_map().meaning(ICD, "K52.9", "diagnosis") is None
    assert shipped_map().meaning(ICD, "K5", "diagnosis") is None


def test_observation_codes() -> None:
    code_map = shipped_map()
    assert code_map.meaning(LOINC, "1988-5", "observation") == "CRP"
    assert code_map.meaning(LOINC, "30522-7", "observation") == "CRP"
    assert code_map.meaning(LOINC, "29463-7", "observation") == "WEIGHT"
    assert code_map.meaning(LOINC, "8302-2", "observation") == "HEIGHT"


def test_a_code_asked_for_with_the_wrong_kind_means_nothing() -> None:
    code_map = shipped_map()
    assert code_map.meaning(LOINC, "1988-5", "diagnosis") is None
    assert code_map.meaning(SNOMED, "34000006", "observation") is None
    assert code_map.meaning(CVX, "03", "medication") is None


def test_unknown_system_or_missing_parts_mean_nothing() -> None:
    code_map = shipped_map()
    assert code_map.meaning("http://example.org/codes", "1988-5", "observation") is None
    assert code_map.meaning(None, "1988-5", "observation") is None
    assert code_map.meaning(LOINC, None, "observation") is None
    assert code_map.meaning(LOINC, "", "observation") is None


def test_own_system_means_its_code() -> None:
    code_map = shipped_map()
    assert code_map.meaning(f"{LHN_SYSTEM}/observation", "CRP", "observation") == "CRP"
    assert code_map.meaning(f"{LHN_SYSTEM}/observation", "CRP", "diagnosis") is None


def test_display_text_is_never_used() -> None:
    code_map = shipped_map()
    assert code_map.meaning(LOINC, "C reactive protein [Mass/volume] in Serum or Plasma", "observation") is None
    assert code_map.meaning(SNOMED, "Crohn's disease (disorder)", "diagnosis") is None


def test_medications_and_vaccines() -> None:
    code_map = shipped_map()
    assert code_map.meaning(RXNORM, "312617", "medication") == "prednisone"
    assert code_map.meaning(RXNORM, "1256", "medication") == "azathioprine"
    assert code_map.meaning(CVX, "03", "event") == "MMR"
    assert code_map.meaning(CVX, "149", "event") == "Live attenuated influenza"
    assert code_map.meaning(CVX, "150", "event") == "Influenza (inactivated)"
    assert code_map.meaning(CVX, "88", "event") is None  # influenza, unspecified formulation: live or not?


def test_standard_gives_the_first_code_of_a_meaning() -> None:
    entry = shipped_map().standard("observation", "CRP")
    assert entry is not None
    assert (entry.system, entry.code) == ("loinc", "1988-5")
    prefix = shipped_map().standard("diagnosis", "IBD unclassified")
    assert prefix is not None
    assert (prefix.system, prefix.code) == ("icd10cm", "K52.3")
    assert shipped_map().standard("observation", "PGA") is None


def test_units_both_ways() -> None:
    code_map = shipped_map()
    assert code_map.unit("[lb_av]") == "lb"
    assert code_map.ucum("lb") == "[lb_av]"
    assert code_map.unit("ug/L") == "µg/L"
    assert code_map.ucum("µg/g") == "ug/g"
    assert code_map.unit("kg") == "kg"
    assert code_map.unit("furlong") == "furlong"
    assert code_map.unit(None) is None
    assert code_map.ucum(None) is None


# -- broken files are refused, naming the entry ---------------------------------------------------------------------


def test_bad_json_is_refused() -> None:
    with pytest.raises(LhnError, match=r"own\.json is not valid JSON \(line 1\)"):
        parse_code_map('{"codes": [', "own.json")


def test_unknown_system_is_refused() -> None:
    with pytest.raises(LhnError, match=r"own\.json has a problem at codes\.0\.system"):
        parse_code_map(json.dumps(_valid_file(system="read2")), "own.json")


def test_prefix_on_a_code_outside_icd10cm_is_refused() -> None:
    with pytest.raises(LhnError, match=r"own\.json has a problem at codes\.0: .*only ICD-10-CM"):
        parse_code_map(json.dumps(_valid_file(prefix=True)), "own.json")


def test_missing_display_is_refused() -> None:
    data = _valid_file()
    del data["codes"][0]["display"]
    with pytest.raises(LhnError, match=r"own\.json has a problem at codes\.0\.display"):
        parse_code_map(json.dumps(data), "own.json")


def test_a_valid_file_parses() -> None:
    parsed = parse_code_map(json.dumps(_valid_file()), "own.json")
    assert parsed.codes[0].means == "CRP"


# -- a center's own codes -----------------------------------------------------------------------------------------


def test_center_file_adds_and_overrides(tmp_path: Path) -> None:
    own = tmp_path / "center_codes.json"
    own.write_text(
        json.dumps(
            {
                "source": "St Example's laboratory codes",
                "codes": [
                    {
                        "system": "loinc",
                        "code": "1988-5",
                        "kind": "observation",
                        "means": "ESR",
                        "display": "deliberately overridden for this test",
                    },
                    {
                        "system": "snomed",
                        "code": "999999999",
                        "kind": "diagnosis",
                        "means": "Ulcerative colitis",
                        "display": "a local code",
                    },
                ],
                "units": {"mm/h": "mm/hr"},
            }
        ),
        encoding="utf-8",
    )
    code_map = load_code_map(own)
    assert code_map.meaning(LOINC, "1988-5", "observation") == "ESR"
    assert code_map.meaning(SNOMED, "999999999", "diagnosis") == "Ulcerative colitis"
    assert code_map.meaning(SNOMED, "34000006", "diagnosis") == "Crohn disease"  # shipped codes stay
    assert code_map.unit("mm/h") == "mm/hr"
    assert shipped_map().meaning(LOINC, "1988-5", "observation") == "CRP"  # the shipped map is untouched


def test_center_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(LhnError, match="cannot be read"):
        load_code_map(tmp_path / "missing.json")


def test_no_extra_file_is_the_shipped_map() -> None:
    assert load_code_map() is shipped_map()
