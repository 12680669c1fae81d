"""Disease-pack rules: every IBD rule at its boundary dates and for patients it does not apply to; the CF pack."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from lhn_desktop.errors import LhnError
from lhn_desktop.paths import content_dir
from lhn_desktop.services.checklist import (
    Status,
    evaluate_rule,
    load_packs,
    pack_for,
    parse_pack,
)
from lhn_desktop.services.facts import MedicationFact, PatientFacts

IBD = pack_for("Crohn disease")
CF = pack_for("Cystic fibrosis")
DAY = date(2026, 3, 10)


def rule(pack, code: str):
    return next(r for r in pack.rules if r.code == code)


def patient(**kw) -> PatientFacts:
    """A Crohn patient's facts; ``visits`` may be given as completed visit dates."""
    if "visits" in kw:
        kw["visits"] = [(on, f"visit-{i}") for i, on in enumerate(sorted(kw["visits"]))]
    base = dict(
        id="patient",
        birth_date=date(2012, 5, 1),
        diagnosis="Crohn disease",
        diagnosis_date=date(2022, 1, 10),
        disease_classification="A1b L3 B1 G0",
    )
    base.update(kw)
    return PatientFacts(**base)


def status(code: str, p: PatientFacts, day: date = DAY, pack=None, visit_id=None):
    r = evaluate_rule(rule(pack or IBD, code), p, day, visit_id)
    return r.status, r.reason


def test_the_shipped_packs_load_and_cover_their_diagnoses():
    assert {p.pack for p in load_packs()} == {"ibd", "cf"}
    assert pack_for("Ulcerative colitis") is IBD and pack_for("IBD unclassified") is IBD
    assert pack_for("Asthma") is None
    assert len(IBD.rules) == 15 and len(CF.rules) == 6


# -- classification ---------------------------------------------------------------------------------------------


def test_classification_recorded_missing_and_overdue_after_90_days():
    assert status("classification", patient())[0] is Status.COMPLETED
    diagnosed = DAY - timedelta(days=90)
    assert status("classification", patient(disease_classification=None, diagnosis_date=diagnosed))[0] is Status.DUE
    late = DAY - timedelta(days=91)
    s, reason = status("classification", patient(disease_classification=None, diagnosis_date=late))
    assert s is Status.OVERDUE and reason == f"Disease classification not recorded; diagnosed {late.day} {late:%b %Y}."


# -- at every visit -----------------------------------------------------------------------------------------------


def test_pga_at_this_visit_with_the_last_value_as_reason():
    p = patient(observations={"PGA": [(date(2025, 11, 3), "mild", "v0")]})
    s, reason = status("pga", p, visit_id="v1")
    assert s is Status.DUE and reason == "Record PGA at this visit; last PGA mild on 3 Nov 2025."
    p.observations["PGA"].append((DAY, "quiescent", "v1"))
    assert status("pga", p, visit_id="v1")[0] is Status.COMPLETED


def test_activity_index_follows_the_diagnosis():
    crohn, colitis = patient(), patient(diagnosis="Ulcerative colitis")
    assert status("pcdai", crohn)[0] is Status.DUE and status("pucai", crohn)[0] is Status.NOT_APPLICABLE
    assert status("pucai", colitis)[0] is Status.DUE and status("pcdai", colitis)[0] is Status.NOT_APPLICABLE
    assert status("pucai", patient(diagnosis="IBD unclassified"))[0] is Status.DUE


def test_growth_names_what_is_missing():
    p = patient(observations={"WEIGHT": [(DAY, "41.2", None)]})
    s, reason = status("growth", p)
    assert s is Status.DUE and reason.startswith("Record height at this visit; no height yet")


# -- before a medication ------------------------------------------------------------------------------------------

AZA = MedicationFact("azathioprine", "thiopurine", "50 mg daily", date(2024, 3, 2), None)


def test_tpmt_before_thiopurine():
    assert status("tpmt_before_thiopurine", patient())[0] is Status.NOT_APPLICABLE
    s, reason = status("tpmt_before_thiopurine", patient(medications=[AZA]))
    assert s is Status.OVERDUE and reason == "TPMT not recorded; azathioprine started 2 Mar 2024."
    before = patient(medications=[AZA], observations={"TPMT": [(date(2024, 3, 2), "normal", None)]})
    s, reason = status("tpmt_before_thiopurine", before)
    assert s is Status.COMPLETED and reason == "TPMT normal on 2 Mar 2024, before azathioprine (2 Mar 2024)."
    after = patient(medications=[AZA], observations={"TPMT": [(date(2024, 3, 3), "normal", None)]})
    s, reason = status("tpmt_before_thiopurine", after)
    assert s is Status.COMPLETED and "after azathioprine started 2 Mar 2024" in reason
    planned = MedicationFact("azathioprine", "thiopurine", "50 mg daily", DAY + timedelta(days=7), None)
    s, reason = status("tpmt_before_thiopurine", patient(medications=[planned]))
    assert s is Status.DUE and "starts" in reason
    stopped = MedicationFact("azathioprine", "thiopurine", "50 mg daily", date(2023, 1, 1), date(2023, 6, 1))
    assert status("tpmt_before_thiopurine", patient(medications=[stopped]))[0] is Status.OVERDUE  # ever had it


@pytest.mark.parametrize(
    ("tpmt", "dose", "kg", "expected"),
    [
        ("normal", "100 mg daily", "40.0", Status.COMPLETED),  # 2.5 mg/kg: at the limit
        ("normal", "125 mg daily", "40.0", Status.OVERDUE),  # 3.1 mg/kg
        ("intermediate", "50 mg daily", "40.0", Status.COMPLETED),  # 1.25: at the halved limit
        ("intermediate", "75 mg daily", "40.0", Status.OVERDUE),
        ("low", "25 mg daily", "40.0", Status.OVERDUE),  # avoid
        (None, "50 mg daily", "40.0", Status.DUE),  # no TPMT: check by hand
        ("normal", "50 mg twice weekly", "40.0", Status.DUE),  # not a daily mg dose
    ],
)
def test_thiopurine_dose_for_tpmt_status(tpmt, dose, kg, expected):
    med = MedicationFact("azathioprine", "thiopurine", dose, date(2024, 3, 2), None)
    observations = {"WEIGHT": [(date(2026, 1, 5), kg, None)]}
    if tpmt:
        observations["TPMT"] = [(date(2024, 2, 1), tpmt, None)]
    s, reason = status("thiopurine_dose", patient(medications=[med], observations=observations))
    assert s is expected, reason
    assert status("thiopurine_dose", patient())[0] is Status.NOT_APPLICABLE


IFX = MedicationFact("infliximab", "anti-TNF", "5 mg/kg IV every 8 weeks", date(2025, 6, 1), None)


@pytest.mark.parametrize(("code", "event"), [("tb_before_biologic", "TB test"),
                                             ("hbv_before_biologic", "Hepatitis B serology"),
                                             ("vzv_before_biologic", "Varicella IgG")])  # fmt: skip
def test_screening_before_a_biologic(code, event):
    assert status(code, patient())[0] is Status.NOT_APPLICABLE
    assert status(code, patient(medications=[IFX]))[0] is Status.OVERDUE
    done = patient(medications=[IFX], events=[(event, date(2025, 5, 20), "negative")])
    s, reason = status(code, done)
    assert s is Status.COMPLETED and "before infliximab (1 Jun 2025)" in reason


# -- repeating items ------------------------------------------------------------------------------------------------

FLU = "Influenza (inactivated)"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 8, 31), Status.NOT_DUE),  # 31 days before it is due
        (date(2026, 9, 1), Status.DUE_SOON),  # 30 days before
        (date(2026, 9, 30), Status.DUE_SOON),  # one day before
        (date(2026, 10, 1), Status.DUE),  # the due date
        (date(2026, 10, 2), Status.OVERDUE),  # the day after
        (date(2025, 10, 1), Status.COMPLETED),  # given that day
    ],
)
def test_influenza_vaccine_at_its_boundaries(day, expected):
    p = patient(events=[(FLU, date(2025, 10, 1), "given")])
    s, reason = status("influenza_vaccine", p, day)
    assert s is expected, reason


def test_a_repeating_item_never_done_is_overdue_from_when_it_applied():
    s, reason = status("vitamin_d", patient())
    assert s is Status.OVERDUE and reason == "No vitamin D recorded; due since 10 Jan 2022."
    s, _ = status("vitamin_d", patient(observations={"VITD": [(date(2025, 6, 1), "72", None)]}))
    assert s is Status.NOT_DUE


def test_a_repeating_item_is_read_in_clinicians_words_never_by_its_code():
    p = patient(observations={"VITD": [(date(2024, 6, 1), "72", None)]})
    s, reason = status("vitamin_d", p)
    assert s is Status.OVERDUE and reason == "Last vitamin D 72 nmol/L on 1 Jun 2024; was due 1 Jun 2025."
    assert "VITD" not in reason


def test_psychosocial_screening_starts_at_twelve():
    twelfth = date(2024, 5, 1)
    p = patient(birth_date=date(2012, 5, 1), diagnosis_date=date(2020, 1, 1))
    assert status("psychosocial", p, twelfth - timedelta(days=1))[0] is Status.NOT_APPLICABLE
    assert status("psychosocial", p, twelfth)[0] is Status.DUE
    assert status("psychosocial", p, twelfth + timedelta(days=1))[0] is Status.OVERDUE


def test_no_live_vaccines_while_immunosuppressed():
    assert status("no_live_vaccines", patient())[0] is Status.NOT_APPLICABLE
    before = patient(medications=[AZA], events=[("MMR", date(2024, 1, 5), "given")])
    assert status("no_live_vaccines", before)[0] is Status.COMPLETED
    during = patient(medications=[AZA], events=[("MMR", date(2025, 1, 5), "given")])
    s, reason = status("no_live_vaccines", during)
    assert s is Status.OVERDUE and reason.startswith("MMR (live vaccine) given 5 Jan 2025 while taking azathioprine")


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-31, Status.NOT_DUE), (-30, Status.DUE_SOON), (-1, Status.DUE_SOON), (0, Status.DUE), (1, Status.OVERDUE)],
)
def test_visit_within_200_days_at_its_boundaries(offset, expected):
    last = date(2026, 1, 1)
    due = last + timedelta(days=200)
    s, reason = status("visit_200_days", patient(visits=[last]), due + timedelta(days=offset))
    assert s is expected, reason
    assert "Last completed visit 1 Jan 2026" in reason


# -- cystic fibrosis ----------------------------------------------------------------------------------------------


def cf_patient(**kw) -> PatientFacts:
    return patient(diagnosis="Cystic fibrosis", disease_classification=None, **kw)


def test_cf_four_visits_a_year_and_culture_each_visit():
    visits = [DAY - timedelta(days=d) for d in (300, 200, 100)]
    assert status("four_visits", cf_patient(visits=visits), pack=CF)[0] is Status.DUE
    assert status("four_visits", cf_patient(visits=[*visits, DAY]), pack=CF)[0] is Status.COMPLETED
    assert status("four_visits", cf_patient(visits=[DAY - timedelta(days=365), *visits]), pack=CF)[0] is Status.DUE
    assert status("respiratory_culture", cf_patient(), pack=CF)[0] is Status.DUE


def test_cf_lung_function_twice_a_year_and_ogtt_from_ten():
    spirometry = cf_patient(observations={"FEV1": [(DAY - timedelta(days=182), "88", None)]})
    assert status("lung_function", spirometry, pack=CF)[0] is Status.DUE
    young = cf_patient(birth_date=date(2017, 1, 1))
    assert status("ogtt", young, pack=CF)[0] is Status.NOT_APPLICABLE
    assert status("phq9", young, pack=CF)[0] is Status.NOT_APPLICABLE
    assert status("ogtt", cf_patient(), pack=CF)[0] is Status.OVERDUE


# -- a broken pack --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"check": {"kind": "sometimes"}}, "rules > classification > check"),
        ({"check": {"kind": "recurring", "interval_days": 365, "what": "flu"}}, "observation codes or event codes"),
        ({"code": "pga"}, "repeated: pga"),
        ({"applies_if": {"min_age_years": -1}}, "min_age_years"),
    ],
)
def test_a_broken_pack_names_the_rule_and_field(change, words):
    data = json.loads((content_dir() / "packs" / "ibd.json").read_text())
    data["rules"][0].update(change)
    with pytest.raises(LhnError) as caught:
        parse_pack(json.dumps(data), "ibd.json")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("code", "done"),
    [
        ("influenza_vaccine", {"events": [(FLU, date(2025, 10, 1), "given")]}),
        ("vitamin_d", {"observations": {"VITD": [(date(2025, 10, 1), "64", None)]}}),
        ("psychosocial", {"events": [("PHQ-9", date(2025, 10, 1), "score 3")]}),
        ("psychosocial", {"observations": {"GAD7": [(date(2025, 10, 1), "4", None)]}}),
    ],
)
@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-31, Status.NOT_DUE), (-30, Status.DUE_SOON), (-1, Status.DUE_SOON), (0, Status.DUE), (1, Status.OVERDUE)],
)
def test_every_yearly_ibd_item_at_its_boundaries(code, done, offset, expected):
    due = date(2026, 10, 1)
    s, reason = status(code, patient(**done), due + timedelta(days=offset))
    assert s is expected, reason
