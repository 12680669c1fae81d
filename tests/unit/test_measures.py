"""The measure library (data, validated), counting from local records, entry by hand, and chart data."""

from __future__ import annotations

import json
from datetime import date

import pytest

from lhn_desktop.access import Actor
from lhn_desktop.errors import LhnError, NotFound, PermissionDenied, ValidationError
from lhn_desktop.localization import stored_month
from lhn_desktop.paths import content_dir
from lhn_desktop.services import measure_library as lib
from lhn_desktop.services.facts import PatientFacts, fill, inactive_from
from lhn_desktop.services.measures import MeasureService, complete_months, month_bounds
from lhn_desktop.services.team import TeamService
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY

SHIPPED = lib.load_library()


def _spec(code: str) -> lib.MeasureSpec:
    spec = SHIPPED.get(code)
    assert spec is not None
    return spec


# -- the library as data ----------------------------------------------------------------------------------------


def test_the_shipped_library_has_the_network_measures():
    codes = {m.code for m in SHIPPED.measures}
    assert codes == {
        "remission_pga",
        "no_prednisone",
        "visit_200d",
        "model_care",
        "previsit_planned",
        "collaborate_top_box",
        "remission_wpcdai",
        "remission_pucai",
        "steroid_free_remission",
        "sustained_remission",
        "satisfactory_growth",
        "satisfactory_nutrition",
        "tpmt_before_thiopurine",
        "cf_fev1_median",
        "cf_bmi_50th",
        "cf_four_visits",
        "cf_four_cultures",
        "cf_ogtt",
        "cf_mental_health_screening",
    }
    for m in SHIPPED.measures:
        assert m.version >= 1 and m.numerator_text and m.denominator_text and m.direction in ("up", "down")
        assert m.source, f"{m.code} says where its definition comes from"


def _library_with(**changes) -> str:
    data = json.loads((content_dir() / lib.LIBRARY_FILE).read_text(encoding="utf-8"))
    data["measures"][0].update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"chart": "pie"}, "remission_pga > chart"),
        ({"population": {"kind": "everyone"}}, "remission_pga > population"),
        ({"numerator": {"kind": "visit_recorded"}}, "visit_recorded"),
        ({"code": "no_prednisone"}, "repeated: no_prednisone"),
        ({"colour": "blue"}, "remission_pga > colour"),
        ({"target": 180}, "remission_pga > target"),
    ],
)
def test_a_broken_library_names_the_measure_and_the_field(change, words):
    with pytest.raises(LhnError) as caught:
        lib.parse_library(_library_with(**change))
    assert words in str(caught.value)
    assert "Reinstall" in str(caught.value)


def test_a_library_that_is_not_json_says_where():
    with pytest.raises(LhnError, match="not valid JSON"):
        lib.parse_library('{"library": ')


# -- counting -----------------------------------------------------------------------------------------------------


def _patient(pid: str, inactive: date | None, diagnosed: date, classification: str | None = "L3") -> PatientFacts:
    return PatientFacts(pid, date(2010, 1, 1), "Crohn disease", diagnosed, classification, inactive)


def _data() -> lib.ClinicalData:
    facts = fill(
        [
            _patient("a", None, date(2020, 1, 1)),
            _patient("b", None, date(2020, 1, 1), classification=None),
            _patient("c", date(2026, 2, 20), date(2020, 1, 1)),  # moved to adult care on 20 February
            _patient("d", None, date(2026, 2, 10)),  # diagnosed mid-February
        ],
        visits=[
            ("v1", "a", date(2026, 2, 5)),
            ("v2", "b", date(2026, 2, 20)),
            ("v3", "a", date(2025, 1, 31)),  # 395 days before 2026-02-28 is 2025-01-29: inside
            ("v4", "c", date(2026, 2, 3)),
        ],
        observations=[
            ("a", "v1", "PGA", "mild", date(2026, 2, 5)),
            ("a", "v3", "PGA", "quiescent", date(2025, 1, 31)),
            ("a", "v1", "WEIGHT", "40.1", date(2026, 2, 5)),
            ("a", "v1", "HEIGHT", "150.0", date(2026, 2, 5)),
            ("b", "v2", "PGA", "quiescent", date(2026, 2, 20)),
            ("b", "v2", "WEIGHT", "30.0", date(2026, 2, 20)),
            ("b", "v2", "HEIGHT", "130.0", date(2026, 2, 20)),
            ("c", "v4", "PGA", "quiescent", date(2026, 2, 3)),
        ],
        medications=[
            (
                "a",
                "prednisone",
                "corticosteroid",
                None,
                date(2026, 1, 1),
                date(2026, 2, 28),
            ),  # stops on the last day: not on it
            ("b", "prednisone", "corticosteroid", None, date(2026, 2, 1), None),
            ("c", "azathioprine", "thiopurine", None, date(2025, 1, 1), None),
        ],
    )
    return lib.build_clinical_data(facts)


FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))


def test_remission_uses_the_latest_pga_in_the_look_back_window():
    # a: latest PGA mild; b: quiescent; c (quiescent) left on 20 February, so it is out of February
    assert lib.count_month(_spec("remission_pga"), _data(), *FEBRUARY) == (1, 2)
    # in January only a (seen 2025-01-31) is in the window, and its latest PGA then was quiescent
    assert lib.count_month(_spec("remission_pga"), _data(), date(2026, 1, 1), date(2026, 1, 31)) == (1, 1)


def test_not_on_prednisone_on_the_last_day_of_the_month():
    assert lib.count_month(_spec("no_prednisone"), _data(), *FEBRUARY) == (1, 2)  # a stopped on the 28th; b is on it


def test_visit_within_200_days_counts_active_patients_diagnosed_by_month_end():
    # a, b and d are active and diagnosed by 28 February; a and b were seen; d was not
    assert lib.count_month(_spec("visit_200d"), _data(), *FEBRUARY) == (2, 3)
    # in January none had a visit in the 200 days before the 31st (a was last seen 2025-01-31); c still counted
    assert lib.count_month(_spec("visit_200d"), _data(), date(2026, 1, 1), date(2026, 1, 31)) == (0, 3)


def test_a_patient_leaves_every_denominator_from_their_status_date():
    data = _data()
    c = data.patients["c"]
    for code in ("remission_pga", "no_prednisone", "visit_200d"):
        february = lib.count_month(_spec(code), data, *FEBRUARY)
        c.inactive_from = date(2026, 3, 1)  # still followed on the last day of February
        assert lib.count_month(_spec(code), data, *FEBRUARY)[1] == february[1] + 1, code
        c.inactive_from = date.min  # an older record marked inactive with no date: out of every month
        assert lib.count_month(_spec(code), data, *FEBRUARY)[1] == february[1], code
        c.inactive_from = date(2026, 2, 20)
    assert inactive_from("active", None) is None
    assert inactive_from("adult_care", date(2026, 2, 20)) == date(2026, 2, 20)
    assert inactive_from("inactive", None) == date.min


def test_model_care_counts_visits_with_everything_recorded():
    # v1: classification, PGA, weight, height -> yes; v2: no classification; v4: no weight or height
    assert lib.count_month(_spec("model_care"), _data(), *FEBRUARY) == (1, 3)


def test_months_are_complete_months_before_today():
    months = complete_months(date(2026, 3, 2), 3)
    assert [m for m, _, _ in months] == ["2025-12", "2026-01", "2026-02"]
    assert months[-1][2] == date(2026, 2, 28)
    with pytest.raises(ValidationError, match="YYYY-MM"):
        month_bounds("2026-13")


# -- the service on the demo center --------------------------------------------------------------------------------


@pytest.fixture
def service(demo_db: Database) -> MeasureService:
    return MeasureService(demo_db, today=lambda: DEMO_TODAY)


def test_compute_reproduces_the_demo_values_and_keeps_entered_months(service: MeasureService, admin: Actor):
    report = service.compute(admin)
    # the CF measures count nobody at an IBD center: they are another network's, and not computed here
    measures = len([m for m in SHIPPED.measures if m.pack != "cf"])
    assert (report.first_month, report.last_month, report.measures) == ("2024-03", "2026-02", measures)
    assert report.written == 0 and report.unchanged == measures * 24  # the demo was counted by the same engine
    service.enter_value(admin, "model_care", "2026-02", 7, 9)
    again = service.compute(admin)
    assert again.kept_entered == 1 and again.written == 0
    assert service.values("model_care")[-1].source == "entered"
    assert service.values("model_care")[-1].numerator == 7


def test_compute_needs_patient_access(service: MeasureService, demo_db: Database):
    team = TeamService(demo_db)
    partner = next(m for m in team.list_members() if m.role == "parent_partner")
    with pytest.raises(PermissionDenied):
        service.compute(team.actor_for(partner.id))


@pytest.mark.parametrize(
    ("month", "numerator", "denominator", "words"),
    [
        ("2026-04", 1, 2, "^Apr 2026 has not started"),  # the month by its name
        ("26-02", 1, 2, "YYYY-MM"),
        ("2026-01", 5, 2, "larger than the denominator"),
        ("2026-01", -1, 2, "whole number"),
        ("2026-01", 1, None, "enter the denominator"),
    ],
)
def test_entering_a_month_refuses_what_cannot_be_right(service, admin, month, numerator, denominator, words):
    before = service.values("remission_pga")
    with pytest.raises(ValidationError, match=words):
        service.enter_value(admin, "remission_pga", month, numerator, denominator)
    assert service.values("remission_pga") == before


def test_unknown_measure_lists_the_known_ones(service: MeasureService):
    with pytest.raises(NotFound, match="remission_pga"):
        service.values("remission")


def test_chart_has_a_default_baseline_of_twelve_months(service: MeasureService):
    chart = service.chart("remission_pga")
    assert len(chart.values) == 24 and chart.freeze == 12 and not chart.baseline_chosen
    assert chart.request.options.multiply == 100
    assert [p.baseline for p in chart.result.points].count(True) == 12
    first = chart.result.points[0]
    assert first.numerator == chart.values[0].numerator and first.n == chart.values[0].denominator


def test_baseline_can_be_changed_and_reset(service: MeasureService, admin: Actor):
    service.set_baseline(admin, "remission_pga", "2024-09")
    chart = service.chart("remission_pga")
    assert chart.baseline_chosen and chart.freeze == chart.months.index("2024-09") + 1
    with pytest.raises(ValidationError, match="no value"):
        service.set_baseline(admin, "remission_pga", "2019-01")
    service.set_baseline(admin, "remission_pga", None)
    assert service.chart("remission_pga").freeze == 12


def test_a_phase_needs_a_reason_and_starts_a_new_centre_line(service: MeasureService, admin: Actor):
    months = service.chart("model_care").months
    with pytest.raises(ValidationError, match="reason"):
        service.add_phase(admin, "model_care", months[12], "")
    with pytest.raises(ValidationError, match="after the first one"):
        service.add_phase(admin, "model_care", months[0], "Checklist adopted")
    pdsa = service.pdsa_choices()[0]
    service.add_phase(admin, "model_care", months[12], "Nurse checklist adopted after the PDSA ramp", pdsa.id)
    chart = service.chart("model_care")
    assert chart.freeze is None and chart.request.options.part == (12,)
    assert {p.part for p in chart.result.points} == {1, 2}
    assert chart.phases[0].reason.startswith("Nurse checklist") and chart.phases[0].pdsa_id == pdsa.id
    with pytest.raises(ValidationError, match=f"^A phase already starts in {stored_month(months[12])};"):
        service.add_phase(admin, "model_care", months[12], "Another reason")


def test_annotations_come_from_notes_and_linked_pdsa_cycles(service: MeasureService, admin: Actor):
    notes = service.chart("model_care").notes
    assert notes and all(a.kind in ("note", "pdsa") for a in notes)
    assert any(a.pdsa_id for a in notes)
    note = service.add_note(admin, "model_care", date(2025, 6, 1), "  New check-in   scales ")
    assert note.text == "New check-in scales"
    assert any(a.text == "New check-in scales" for a in service.chart("model_care").notes)
    with pytest.raises(ValidationError):
        service.add_note(admin, "model_care", date(2025, 6, 1), "   ")
    service.remove_annotation(admin, note.id)
    with pytest.raises(NotFound):
        service.remove_annotation(admin, note.id)


def test_previsit_planning_measure_counts_visits_with_a_done_plan():
    spec = _spec("previsit_planned")
    visits = [("v1", "a", date(2026, 2, 3)), ("v2", "a", date(2026, 2, 17)), ("v3", "a", date(2026, 3, 1))]
    data = lib.build_clinical_data(fill([_patient("a", None, date(2020, 1, 1))], visits=visits), ["v1", "v3"])
    assert lib.count_month(spec, data, *FEBRUARY) == (1, 2)


def test_collaborate_top_box_counts_complete_responses_and_hides_small_months(service: MeasureService):
    spec = _spec("collaborate_top_box")
    data = lib.build_clinical_data(
        {},
        collaborate=[(date(2026, 2, 3), (9, 9, 9)), (date(2026, 2, 9), (9, 8, 9)), (date(2026, 2, 10), (9, None, 9)),
                     (date(2026, 3, 1), (9, 9, 9))],
    )  # fmt: skip
    assert lib.count_month(spec, data, *FEBRUARY) == (1, 2)
    chart = service.chart("collaborate_top_box")
    assert chart.min_denominator == 25
    for value, point in zip(chart.values, chart.result.points, strict=True):
        if (value.denominator or 0) < 25:
            assert point.y is None and not chart.reported(value)
        else:
            assert point.y is not None
    assert any(not chart.reported(v) for v in chart.values)  # the 30-patient test center has small months


def test_a_chart_says_where_its_definition_and_threshold_come_from(service: MeasureService):
    assert "network's own" in (service.chart("satisfactory_growth").source or "")
    assert (service.chart("remission_pga").source or "").startswith("ImproveCareNow: remission by physician global")
