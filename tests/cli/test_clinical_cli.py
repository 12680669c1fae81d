"""The clinical record from the command line: a new center's first patient and visit, end to end, and bad input."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.cli.test_cli import run

MRN = "0042-17"


def last_month_day() -> date:
    """A weekday in the previous month: measures count complete months, so the visit must be in one."""
    day = date.today().replace(day=1) - timedelta(days=20)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


@pytest.fixture
def center(capsys, lhn_home: Path) -> Path:
    code, _, _ = run(capsys, "init", "--site", "ctr-042", "--name", "Riverside IBD")
    assert code == 0
    return lhn_home


def add_crohn(capsys, mrn: str = MRN, *extra: str) -> tuple[int, str, str]:
    return run(
        capsys,
        "patient",
        "add",
        "--mrn",
        mrn,
        "--given",
        "Ada",
        "--family",
        "Testwood",
        "--birth-date",
        "2012-06-01",
        "--sex",
        "female",
        "--diagnosis",
        "Crohn disease",
        "--diagnosis-date",
        "2023-09-14",
        "--paris-location",
        "L3",
        "--paris-behaviour",
        "B1",
        "--paris-growth",
        "G0",
        "--no-perianal",
        *extra,
    )


def checklist(capsys, day: date) -> dict[str, str]:
    code, out, _ = run(capsys, "huddle", "--date", day.isoformat(), "--json")
    assert code == 0
    (row,) = json.loads(out)["patients"]
    return {i["code"]: i["status"] for i in row["checklist"]}


def test_a_new_center_registers_records_and_counts_a_patient_in_remission(capsys, center):
    day = last_month_day()
    code, out, _ = add_crohn(capsys, MRN, "--json")
    assert code == 0 and json.loads(out)["classification"] == "A1b L3 B1 G0"
    code, _, _ = run(capsys, "visit", "schedule", "--mrn", MRN, "--date", day.isoformat(), "--time", "09:30")
    assert code == 0
    before = checklist(capsys, day)
    assert before["pga"] == before["pcdai"] == before["growth"] == "Due"
    assert "tpmt_before_thiopurine" in before

    visit = ["visit", "record", "--mrn", MRN, "--date", day.isoformat(), "--set", "PGA=quiescent",
             "--set", "WEIGHT=41.3kg", "--set", "HEIGHT=152.4", "--set", "CRP=0.2mg/dL", "--set", "ALB=4.1g/dL",
             "--set", "ESR=8", "--set", "TPMT=normal", "--start", "azathioprine:100 mg daily"]  # fmt: skip
    for key in ("abdominal_pain", "well_being", "stools_per_day", "weight", "perianal_disease", "extraintestinal"):
        visit += ["--set", f"WPCDAI.{key}=0"]
    code, out, _ = run(capsys, *visit, "--check", "--json")
    checked = json.loads(out)
    assert code == 0 and checked["saved"] is False
    assert checked["index"]["total"] == "0" and checked["index"]["category"] == "remission"
    assert {v["code"]: v["value"] for v in checked["values"]}["ALB"] == "41"
    assert checked["growth"]["bmi"] == "17.8"
    code, out, _ = run(capsys, *visit)
    assert code == 0 and "Recorded the visit" in out

    after = checklist(capsys, day)
    assert after["pga"] == after["pcdai"] == after["growth"] == after["tpmt_before_thiopurine"] == "Completed"
    code, out, _ = run(capsys, "measures", "compute", "--months", "2")
    assert code == 0 and re.search(r"measures for [A-Z][a-z]{2} \d{4} to [A-Z][a-z]{2} \d{4}:", out), (
        out
    )  # months in words
    code, out, _ = run(capsys, "measures", "list", "--json")
    remission = next(m for m in json.loads(out) if m["measure"]["code"] == "remission_pga")
    month = next(v for v in remission["values"] if v["month"] == f"{day:%Y-%m}")
    assert (month["numerator"], month["denominator"]) == (1, 1)

    code, out, _ = run(capsys, "patient", "show", MRN)
    assert code == 0 and "Ada" in out and "azathioprine 100 mg daily" in out and "wPCDAI 0" in out
    assert "Weight 41.3 kg" in out and "WEIGHT" not in out  # the team's words, not the stored codes


def test_patient_list_edit_and_show_json(capsys, center):
    add_crohn(capsys)
    code, out, _ = run(capsys, "patient", "list", "--json")
    assert code == 0 and [p["mrn"] for p in json.loads(out)] == [MRN]
    code, out, _ = run(capsys, "patient", "edit", MRN, "--status", "adult_care", "--status-date",
                       date.today().isoformat(), "--reason", "Transition clinic", "--json")  # fmt: skip
    assert code == 0 and set(json.loads(out)["changed"]) == {"status", "status date"}
    code, out, _ = run(capsys, "patient", "show", MRN, "--json")
    assert json.loads(out)["status"] == "adult_care"  # the JSON keeps the stored value; people read its name
    code, out, _ = run(capsys, "patient", "show", MRN)
    assert "Status: Moved to adult care since " in out and "adult_care" not in out
    code, out, _ = run(capsys, "patient", "list")
    assert "(moved to adult care)" in out and "adult_care" not in out
    code, out, _ = run(capsys, "patient", "edit", MRN, "--phone", "555-0101")
    assert code == 0 and "Changed phone" in out
    code, out, _ = run(capsys, "patient", "list", "--search", "nobody")
    assert "No patient matches" in out


#: a valid registration as options, changed one option at a time below
NEW_PATIENT = {"--mrn": "A1", "--given": "X", "--family": "Y", "--birth-date": "2012-01-01", "--sex": "male",
               "--diagnosis": "Crohn disease"}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "option"),
    [
        ({"--mrn": "A 1"}, "--mrn"),
        ({"--birth-date": "2099-01-01"}, "--birth-date"),
        ({"--birth-date": "12/01/2012"}, "--birth-date"),
        ({"--diagnosis": "Asthma"}, "--diagnosis"),
        ({"--diagnosis": "Ulcerative colitis", "--paris-location": "L2"}, "--paris-location"),
    ],
)
def test_bad_patient_input_exits_2_naming_the_option(capsys, center, changes, option):
    argv = [part for item in {**NEW_PATIENT, **changes}.items() for part in item]
    code, out, err = run(capsys, "patient", "add", *argv, "--json")
    assert code == 2
    assert err.startswith(f"lhn-desktop: {option}: ")
    assert json.loads(out)["exit_code"] == 2


def test_a_duplicate_mrn_and_a_same_name_patient(capsys, center):
    add_crohn(capsys)
    code, _, err = add_crohn(capsys)
    assert code == 2 and "--mrn: Another patient already has this MRN" in err and MRN not in err
    code, _, err = add_crohn(capsys, "0042-18")
    assert code == 2 and "same name and birth date" in err and "--allow-same-name" in err
    assert "check: Testwood, Ada (MRN 0042-17)" in err  # the warning names the other patient for the user
    code, _, _ = add_crohn(capsys, "0042-18", "--allow-same-name")
    assert code == 0


@pytest.mark.parametrize(
    ("values", "option", "words"),
    [
        (["--set", "WEIGHT=heavy"], "--set WEIGHT", "must be a number"),
        (["--set", "WEIGHT=40stone"], "--set WEIGHT", "kg, lb, g"),
        (["--set", "WPCDAI.abdominal_pain=7"], "--set WPCDAI", "0, 10, 20 points"),
        (["--set", "WPCDAI.mood=0"], "--set WPCDAI", "no item 'mood'"),
        (["--set", "WEIGHT"], "--set", "lhn-desktop visit record --help"),
        (["--stop", "prednisone:finished"], "--stop", "not among this patient's current medicines"),
        (["--start", "unobtainium:5 mg"], "--start", "give its class"),
    ],
)
def test_bad_visit_input_exits_2_naming_the_option(capsys, center, values, option, words):
    add_crohn(capsys)
    code, _, err = run(capsys, "visit", "record", "--mrn", MRN, "--date", last_month_day().isoformat(), *values)
    assert code == 2 and err.startswith(f"lhn-desktop: {option}: ") and words in err, err


def test_values_that_deserve_a_second_look_need_accept_warnings(capsys, center):
    add_crohn(capsys)
    day = last_month_day().isoformat()
    code, _, err = run(capsys, "visit", "record", "--mrn", MRN, "--date", day, "--set", "ALB=3.9")
    assert code == 2 and "check: Albumin 3.9 g/L looks like a value in g/dL" in err and "--accept-warnings" in err
    code, out, _ = run(capsys, "patient", "show", MRN, "--json")
    assert json.loads(out)["observations"] == []
    code, _, _ = run(capsys, "visit", "record", "--mrn", MRN, "--date", day, "--set", "ALB=3.9", "--accept-warnings")
    assert code == 0


def test_a_visit_from_a_json_file_and_a_missed_visit(capsys, center, tmp_path: Path):
    add_crohn(capsys)
    day = last_month_day()
    visit = {
        "values": {"PGA": "mild", "WEIGHT": "40 kg", "ESR": "25", "ALB": "33"},
        "index": {"WPCDAI": {"abdominal_pain": 10, "well_being": 10, "stools_per_day": 0, "weight": 0,
                             "perianal_disease": 0, "extraintestinal": 0}},
        "start": [{"drug": "prednisone", "dose": "40 mg daily, tapering"}],
        "immunizations": ["Influenza (inactivated)"],
        "screenings": [{"name": "TB test", "result": "negative"}],
        "clinician": "Dr. Robin Sample",
    }  # fmt: skip
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(visit), encoding="utf-8")
    code, out, _ = run(capsys, "visit", "record", "--mrn", MRN, "--date", day.isoformat(), "--from", str(path),
                       "--json")  # fmt: skip
    result = json.loads(out)
    assert code == 0 and result["saved"] and result["index"]["total"] == "37.5"  # 10 + 10 + 7.5 + 10
    assert result["visit"]["medications_started"] == 1 and result["visit"]["events"] == 2
    path.write_text("{not json", encoding="utf-8")
    code, _, err = run(capsys, "visit", "record", "--mrn", MRN, "--date", day.isoformat(), "--from", str(path))
    assert code == 2 and "--from: The file" in err and "not valid JSON" in err

    later = day + timedelta(days=7)
    run(capsys, "visit", "schedule", "--mrn", MRN, "--date", later.isoformat())
    code, out, _ = run(capsys, "visit", "missed", "--mrn", MRN, "--date", later.isoformat())
    assert code == 0 and "missed" in out
    code, out, _ = run(capsys, "patient", "show", MRN, "--json")
    statuses = {v["visit_date"]: v["status"] for v in json.loads(out)["visits"]}
    assert statuses[later.isoformat()] == "no_show" and statuses[day.isoformat()] == "completed"
    code, _, err = run(capsys, "visit", "missed", "--mrn", MRN, "--date", (later + timedelta(days=1)).isoformat())
    assert code == 2 and "--date: There is no visit" in err


def test_an_unknown_mrn_says_what_to_do(capsys, center):
    code, _, err = run(capsys, "visit", "record", "--mrn", "nobody", "--date", "2026-01-05", "--set", "PGA=mild")
    assert code == 2 and "No patient in this center has that MRN" in err and "nobody" not in err
