"""The observation catalog and reading typed values: units, conversion, limits, warnings, change checks."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lhn_desktop.clinical import observations
from lhn_desktop.clinical.observations import (
    CATALOG_FILE,
    change_warning,
    get_spec,
    label,
    load_catalog,
    numeric,
    parse_catalog,
    read_value,
    short_label,
    split_value_unit,
)
from lhn_desktop.errors import LhnError, ValidationError
from lhn_desktop.paths import content_dir

SHIPPED_TEXT = (content_dir() / CATALOG_FILE).read_text(encoding="utf-8")
SHIPPED = json.loads(SHIPPED_TEXT)
LB = Decimal("0.45359237")
BEFORE = date(2026, 1, 15)
ADVICE = "Reinstall LHN Desktop or correct the file."


def _refused(code: str, text: str, unit: str | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read_value(code, text, unit)
    return caught.value


def _assert_not_echoed(message: str, typed: str) -> None:
    """Neither the typed text nor any number in it appears in the message as a whole token."""
    candidates = {typed.strip(), *re.findall(r"\d+(?:[.,]\d+)?", typed)}
    for candidate in candidates:
        if candidate:
            pattern = rf"(?<![\w.,]){re.escape(candidate)}(?![\w.,])"
            assert not re.search(pattern, message), f"{candidate!r} repeated in {message!r}"


def _entry(data: dict, code: str) -> dict:
    return next(o for o in data["observations"] if o["code"] == code)


def _mutated(change: Callable[[dict], None]) -> str:
    data = copy.deepcopy(SHIPPED)
    change(data)
    return json.dumps(data)


# -- the shipped catalog -------------------------------------------------------------------------------------------

TYPICAL = [
    ("WEIGHT", "32.5", "32.5", "kg"),
    ("HEIGHT", "140.2", "140.2", "cm"),
    ("CRP", "3.2", "3.2", "mg/L"),
    ("ESR", "12", "12", "mm/h"),
    ("ALB", "38", "38", "g/L"),
    ("HGB", "121", "121", "g/L"),
    ("VITD", "75", "75", "nmol/L"),
    ("FCP", "250", "250", "µg/g"),
    ("PHQ9", "7", "7", None),
    ("GAD7", "3", "3", None),
    ("FEV1", "88", "88", "%"),
    ("OGTT", "110", "110", "mg/dL"),
    ("PCDAI", "10", "10", None),
    ("WPCDAI", "12.5", "12.5", None),
    ("PUCAI", "20", "20", None),
    ("PGA", "mild", "mild", None),
    ("TPMT", "normal", "normal", None),
    ("RESP_CULTURE", "Pseudomonas aeruginosa", "Pseudomonas aeruginosa", None),
]


def test_shipped_catalog_loads_with_every_code():
    catalog = load_catalog()
    assert set(catalog) == {o["code"] for o in SHIPPED["observations"]}
    assert set(parse_catalog(SHIPPED_TEXT, CATALOG_FILE)) == set(catalog)


def test_typical_table_covers_the_whole_catalog():
    # a code added to the catalog must get a typical value here
    assert {code for code, *_ in TYPICAL} == set(load_catalog())


@pytest.mark.parametrize(("code", "text", "stored", "unit"), TYPICAL)
def test_typical_value_is_read_without_warnings(code, text, stored, unit):
    reading = read_value(code, text)
    assert reading.code == code
    assert reading.value == stored
    assert reading.unit == unit
    assert reading.warnings == ()
    assert reading.original_value is None
    assert reading.original_unit is None
    assert reading.comparator is None


@pytest.mark.parametrize(
    ("code", "text", "stored"),
    [
        ("WEIGHT", "32.50", "32.50"),
        ("WEIGHT", "032.5", "32.5"),
        ("WEIGHT", "+5", "5"),
        ("PHQ9", "+5", "5"),
        ("WEIGHT", "  32.5  ", "32.5"),
        ("WEIGHT", "32.555", "32.555"),  # not converted, so not rounded
        ("CRP", ".5", "0.5"),
        ("PCDAI", "-0", "0"),  # no negative zero
        ("HEIGHT", "140.", "140"),
    ],
)
def test_stored_text_is_the_typed_number_when_not_converted(code, text, stored):
    reading = read_value(code, text)
    assert reading.value == stored
    assert reading.number == Decimal(stored)
    assert reading.original_value is None


def test_numeric_reading_has_decimal_number_and_display():
    reading = read_value("WEIGHT", "32.5")
    assert reading.number == Decimal("32.5")
    assert isinstance(reading.number, Decimal)
    assert reading.display == "32.5 kg"
    assert read_value("PHQ9", "7").display == "7"


@pytest.mark.parametrize(
    ("code", "text", "stored"),
    [("PGA", "MILD", "mild"), ("PGA", " Quiescent ", "quiescent"), ("TPMT", "Intermediate", "intermediate")],
)
def test_choice_is_matched_without_case_and_stored_as_listed(code, text, stored):
    reading = read_value(code, text)
    assert reading.value == stored
    assert reading.unit is None
    assert reading.number is None
    assert reading.display == stored


def test_text_has_its_spaces_collapsed():
    assert read_value("RESP_CULTURE", "  Pseudomonas   aeruginosa\n").value == "Pseudomonas aeruginosa"


def test_text_of_80_characters_is_kept():
    text = "S" * 80
    assert read_value("RESP_CULTURE", text).value == text
    # spaces that collapse bring a longer typed text under the limit
    assert read_value("RESP_CULTURE", "a  " * 30).value == " ".join(["a"] * 30)


# -- conversions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "unit", "stored", "stored_unit", "original_value", "original_unit"),
    [
        ("WEIGHT", "71.5", "lb", "32.43", "kg", "71.5", "lb"),
        ("WEIGHT", "71.5 lb", None, "32.43", "kg", "71.5", "lb"),
        ("WEIGHT", "32500 g", None, "32.50", "kg", "32500", "g"),
        ("HEIGHT", "55.2", "in", "140.2", "cm", "55.2", "in"),
        ("HEIGHT", "1.402 m", None, "140.2", "cm", "1.402", "m"),
        ("HEIGHT", "1402 mm", None, "140.2", "cm", "1402", "mm"),
        ("CRP", "1.2", "mg/dL", "12.0", "mg/L", "1.2", "mg/dL"),
        ("CRP", "1.2 mg/dL", None, "12.0", "mg/L", "1.2", "mg/dL"),
        ("ALB", "3.5", "g/dL", "35", "g/L", "3.5", "g/dL"),
        ("HGB", "12.1", "g/dL", "121", "g/L", "12.1", "g/dL"),
        ("HGB", "7.5 mmol/L", None, "121", "g/L", "7.5", "mmol/L"),
        ("VITD", "30", "ng/mL", "75", "nmol/L", "30", "ng/mL"),
        ("VITD", "30 µg/L", None, "75", "nmol/L", "30", "µg/L"),
        ("OGTT", "7.8", "mmol/L", "141", "mg/dL", "7.8", "mmol/L"),
        ("OGTT", "6.1 mmol/L", None, "110", "mg/dL", "6.1", "mmol/L"),
    ],
)
def test_conversion_keeps_the_original(code, text, unit, stored, stored_unit, original_value, original_unit):
    reading = read_value(code, text, unit)
    assert reading.value == stored
    assert reading.number == Decimal(stored)
    assert reading.unit == stored_unit
    assert reading.original_value == original_value
    assert reading.original_unit == original_unit
    assert reading.warnings == ()


@pytest.mark.parametrize(
    ("code", "text", "stored", "stored_unit"),
    [
        ("WEIGHT", "32.5kg", "32.5", "kg"),
        ("WEIGHT", "32.5 KG", "32.5", "kg"),
        ("ESR", "15 mm/hr", "15", "mm/h"),
        ("ESR", "15 mm/h", "15", "mm/h"),
        ("FCP", "250 µg/g", "250", "µg/g"),
        ("FCP", "250 μg/g", "250", "µg/g"),  # Greek mu
        ("FCP", "250 ug/g", "250", "µg/g"),
        ("FCP", "250 mg/kg", "250", "µg/g"),
        ("FEV1", "88%", "88", "%"),
        ("FEV1", "88 %", "88", "%"),
    ],
)
def test_unit_in_the_text_equal_to_the_stored_unit_is_not_a_conversion(code, text, stored, stored_unit):
    reading = read_value(code, text)
    assert reading.value == stored
    assert reading.unit == stored_unit
    assert reading.original_value is None
    assert reading.original_unit is None
    assert reading.warnings == ()


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("1.2 MG/DL", None),
        ("1.2mg/dl", None),
        ("1.2 mg / dL", None),
        ("1.2", " MG/dl "),
        ("1.2", "mg / dl"),
        ("1.2 mg/dL", "MG/DL"),  # the same unit twice is one unit
    ],
)
def test_case_and_spacing_of_units_do_not_matter(text, unit):
    reading = read_value("CRP", text, unit)
    assert reading.value == "12.0"
    assert reading.original_value == "1.2"
    assert reading.original_unit is not None
    assert reading.original_unit.replace(" ", "").lower() == "mg/dl"


@pytest.mark.parametrize(
    ("code", "text", "stored"),
    [
        ("WEIGHT", "21 lb", "9.53"),  # 9.52543977: the third decimal 5 rounds up
        ("WEIGHT", "32125 g", "32.13"),  # exactly half: up, not to even
        ("WEIGHT", "32135 g", "32.14"),
        ("WEIGHT", "32124 g", "32.12"),
        ("CRP", "0.125 mg/dL", "1.3"),  # 1.25
        ("ALB", "3.45 g/dL", "35"),  # 34.5
        ("HGB", "12.25 g/dL", "123"),  # 122.5
        ("HGB", "12.24 g/dL", "122"),
    ],
)
def test_conversion_rounds_half_up_to_the_catalog_decimals(code, text, stored):
    assert read_value(code, text).value == stored


def test_limits_apply_to_the_converted_value():
    # 1000 lb is 453.59 kg, above the 400 kg limit; 800 lb (362.87 kg) is within it
    assert _refused("WEIGHT", "1000", "lb").field == "WEIGHT"
    assert read_value("WEIGHT", "800", "lb").value == "362.87"


# -- censored values -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "stored", "comparator", "number", "original_value", "original_unit"),
    [
        ("CRP", "<5", "<5", "<", "5", None, None),
        ("CRP", "< 5", "<5", "<", "5", None, None),
        ("CRP", "≤0.5 mg/dL", "<=5.0", "<=", "5.0", "<=0.5", "mg/dL"),
        ("CRP", "<=0.5 mg/dL", "<=5.0", "<=", "5.0", "<=0.5", "mg/dL"),
        ("CRP", "≥300", ">=300", ">=", "300", None, None),
        ("ESR", ">120", ">120", ">", "120", None, None),
        ("FCP", ">6000 ug/g", ">6000", ">", "6000", None, None),
        ("VITD", "<5 ng/mL", "<12", "<", "12", "<5", "ng/mL"),
    ],
)
def test_censored_value_keeps_its_comparator(code, text, stored, comparator, number, original_value, original_unit):
    reading = read_value(code, text)
    assert reading.value == stored
    assert reading.comparator == comparator
    assert reading.number == Decimal(number)
    assert reading.original_value == original_value
    assert reading.original_unit == original_unit
    assert reading.warnings == ()


def test_censored_value_gets_no_confusable_or_usual_range_warning():
    assert read_value("CRP", "<0.45").warnings == ()
    assert read_value("VITD", "<8").warnings == ()
    assert read_value("ESR", ">130").warnings == ()  # usual range ends at 130, but ">" says nothing about by how much


@pytest.mark.parametrize(("code", "text"), [("WEIGHT", "<5"), ("WEIGHT", ">300"), ("PCDAI", "≥30"), ("ALB", "<20")])
def test_comparator_refused_for_codes_that_are_not_censored(code, text):
    error = _refused(code, text)
    assert error.field == code
    assert "without < or >" in str(error)
    _assert_not_echoed(str(error), text)


def test_censored_value_still_has_limits():
    assert _refused("CRP", ">2000").field == "CRP"


# -- refusals ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "unit", "expected"),
    [
        ("WEIGHT", "heavy", None, "Weight must be a number in kg."),
        ("PHQ9", "seven", None, "PHQ-9 total must be a number."),
        ("WEIGHT", "1,5", None, "Use a point for decimals"),
        ("FCP", "1,500", None, "Use a point for decimals"),
        ("WEIGHT", "40 stone", None, "Weight is recorded in kg, lb, g; that unit is not one of them."),
        ("WEIGHT", "40", "stone", "recorded in kg, lb, g"),
        ("PHQ9", "7", "points", "recorded in no unit"),
        ("WEIGHT", "40 kg", "lb", "two different units"),
        ("CRP", "1.2 mg/dL", "mg/L", "two different units"),
        ("WEIGHT", "0", None, "between 0.2 and 400 kg"),
        ("WEIGHT", "0.1", None, "between 0.2 and 400 kg"),
        ("WEIGHT", "401.5", None, "between 0.2 and 400 kg"),
        ("WEIGHT", "-32.5", None, "between 0.2 and 400 kg"),
        ("CRP", "-1", None, "between 0 and 1000 mg/L"),
        ("PHQ9", "28", None, "between 0 and 27."),
        ("GAD7", "22", None, "between 0 and 21."),
        ("FEV1", "2", None, "between 5 and 200 %"),
        ("WEIGHT", "", None, "Enter a value for Weight"),
        ("WEIGHT", "   ", None, "Enter a value for Weight"),
        ("PGA", "", None, "Enter a value for Physician global assessment"),
        ("PGA", "great", None, "one of: quiescent, mild, moderate, severe"),
        ("TPMT", "high", None, "one of: normal, intermediate, low"),
        ("RESP_CULTURE", "Pseudomonas aeruginosa and " + "x" * 60, None, "under 80 characters"),
        ("RESP_CULTURE", "S" * 81, None, "under 80 characters"),
    ],
)
def test_refused_with_the_code_as_field_and_without_the_value(code, text, unit, expected):
    error = _refused(code, text, unit)
    assert error.field == code
    assert expected in str(error)
    _assert_not_echoed(str(error), text)


def test_limits_message_asks_to_check_the_unit():
    assert "Check the value and its unit." in str(_refused("WEIGHT", "0"))


def test_none_text_is_refused_as_empty():
    error = _refused("WEIGHT", None)  # type: ignore[arg-type]
    assert error.field == "WEIGHT"
    assert "Enter a value" in str(error)


def test_refusal_is_a_bad_input_error():
    assert _refused("WEIGHT", "heavy").exit_code == 2


def test_unknown_code_is_refused_listing_the_codes():
    with pytest.raises(ValidationError) as caught:
        get_spec("XYZ")
    assert caught.value.field == "XYZ"
    message = str(caught.value)
    assert "Codes: " in message
    for code in load_catalog():
        assert code in message
    with pytest.raises(ValidationError) as caught:
        read_value("XYZ", "5")
    assert caught.value.field == "XYZ"


def test_absurdly_long_number_in_another_unit_is_refused_not_crashed():
    error = _refused("WEIGHT", "1" + "0" * 30, "g")
    assert error.field == "WEIGHT"


def test_absurdly_long_number_in_the_stored_unit_is_refused():
    assert _refused("WEIGHT", "1" + "0" * 40).field == "WEIGHT"


# -- warnings ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("WEIGHT", "300", "Weight 300 kg is outside the usual range (8-150 kg)."),
        ("WEIGHT", "5", "Weight 5 kg is outside the usual range (8-150 kg)."),
        ("HEIGHT", "60", "Height 60 cm is outside the usual range (75-205 cm)."),
        ("FEV1", "160", "FEV1 % predicted 160 % is outside the usual range (20-150 %)."),
        ("ALB", "12", "Albumin 12 g/L is outside the usual range (15-55 g/L)."),
        ("ESR", "150", "ESR 150 mm/h is outside the usual range (0-130 mm/h)."),
    ],
)
def test_outside_the_usual_range_warns_but_keeps_the_value(code, text, expected):
    reading = read_value(code, text)
    assert reading.value == text
    assert reading.warnings == (expected,)


@pytest.mark.parametrize(("code", "text"), [("WEIGHT", "8"), ("WEIGHT", "150"), ("HEIGHT", "205"), ("ESR", "130")])
def test_the_usual_range_includes_its_ends(code, text):
    assert read_value(code, text).warnings == ()


def test_usual_range_warning_uses_the_converted_value():
    reading = read_value("WEIGHT", "700", "lb")  # 317.51 kg
    assert reading.warnings == ("Weight 317.51 kg is outside the usual range (8-150 kg).",)


@pytest.mark.parametrize(
    ("code", "text", "other_unit"),
    [
        ("CRP", "0.45", "mg/dL"),
        ("CRP", "0.450", "mg/dL"),
        ("CRP", "9.99", "mg/dL"),
        ("ALB", "3.5", "g/dL"),
        ("HGB", "11.5", "g/dL"),
        ("VITD", "8", "ng/mL"),
        ("OGTT", "15", "mmol/L"),
    ],
)
def test_value_that_looks_like_another_unit_warns_once(code, text, other_unit):
    reading = read_value(code, text)
    assert reading.value == text  # stored anyway
    assert len(reading.warnings) == 1
    (warning,) = reading.warnings
    assert f"looks like a value in {other_unit}" in warning
    assert f"If it is in {other_unit}, choose that unit." in warning
    assert "usual range" not in warning


def test_crp_warning_names_the_value_and_reason():
    assert read_value("CRP", "0.45").warnings == (
        "CRP 0.45 mg/L looks like a value in mg/dL: a CRP reported with two decimals below 10 is usually in mg/dL. "
        "If it is in mg/dL, choose that unit.",
    )


@pytest.mark.parametrize(
    ("code", "text", "unit"),
    [
        ("CRP", "0.4", None),  # one decimal: a mg/L value
        ("CRP", "0.5", None),
        ("CRP", "10.25", None),  # two decimals, but not below 10
        ("ALB", "10", None),
        ("HGB", "30", None),
        ("VITD", "10", None),
        ("ALB", "3.5 g/dL", None),  # typed in the other unit: nothing to suspect
        ("ALB", "3.5", "g/dL"),
        ("HGB", "1.15", "g/dL"),  # 12 g/L is below 30 but was typed in g/dL
        ("CRP", "0.45", "mg/dL"),
        ("VITD", "3.5 ng/mL", None),
        ("OGTT", "1.5 mmol/L", None),
    ],
)
def test_no_confusable_warning(code, text, unit):
    assert not any("looks like a value in" in w for w in read_value(code, text, unit).warnings)


def test_value_typed_in_the_stored_unit_explicitly_is_still_suspected():
    assert len(read_value("ALB", "3.5 g/L").warnings) == 1
    assert len(read_value("CRP", "0.45", "mg/L").warnings) == 1


def test_an_ogtt_typed_in_mmol_per_litre_is_warned_about_not_refused():
    # The limit (1 mg/dL) lets a value typed in mmol/L (7.8) through, so the form can say which unit it looks like.
    (warning,) = read_value("OGTT", "7.8").warnings
    assert "looks like a value in mmol/L" in warning
    error = _refused("OGTT", "0.5")
    assert error.field == "OGTT" and "Check the value and its unit." in str(error)
    _assert_not_echoed(str(error), "0.5")


# -- change since the previous value -------------------------------------------------------------------------------


def test_height_lower_than_before_warns():
    warning = change_warning("HEIGHT", Decimal("139.0"), (BEFORE, "140.0"), "cm")
    assert warning == "Height 139.0 cm is 1.0 cm lower than on 15 Jan 2026 (140.0 cm); check the height."


def test_change_warning_without_a_unit():
    warning = change_warning("HEIGHT", Decimal("139.0"), (BEFORE, "140.0"), None)
    assert warning == "Height 139.0 is 1.0 lower than on 15 Jan 2026 (140.0); check the height."


@pytest.mark.parametrize(
    ("code", "value", "previous", "expected"),
    [
        ("WEIGHT", "40", "32.5", "Weight 40 kg is 23% more than on 15 Jan 2026 (32.5 kg); check the weight."),
        ("WEIGHT", "25", "32.5", "Weight 25 kg is 23% less than on 15 Jan 2026 (32.5 kg); check the weight."),
        ("WEIGHT", "20", "32.5", "Weight 20 kg is 38% less than on 15 Jan 2026 (32.5 kg); check the weight."),
    ],
)
def test_weight_changed_by_more_than_a_fifth_warns(code, value, previous, expected):
    assert change_warning(code, Decimal(value), (BEFORE, previous), "kg") == expected


@pytest.mark.parametrize(
    ("code", "value", "previous"),
    [
        ("HEIGHT", "139.6", (BEFORE, "140.0")),  # within 0.5 cm
        ("HEIGHT", "139.5", (BEFORE, "140.0")),  # exactly 0.5 cm: not more than
        ("HEIGHT", "150.0", (BEFORE, "140.0")),  # growing
        ("WEIGHT", "38", (BEFORE, "32.5")),  # 17 % more
        ("WEIGHT", "27", (BEFORE, "32.5")),  # 17 % less
        ("WEIGHT", "39", (BEFORE, "32.5")),  # exactly 20 %: not more than
        ("WEIGHT", "26", (BEFORE, "32.5")),  # exactly 20 % less
        ("WEIGHT", "40", None),  # no previous value
        ("WEIGHT", "40", (BEFORE, "unknown")),  # previous value not numeric
        ("WEIGHT", "40", (BEFORE, "32.5 kg")),  # a stored value never has a unit in it
        ("WEIGHT", "40", (BEFORE, "0")),  # no relative change from zero
        ("CRP", "300", (BEFORE, "3")),  # no change rule
        ("PGA", "1", (BEFORE, "2")),
    ],
)
def test_no_change_warning(code, value, previous):
    assert change_warning(code, Decimal(value), previous, None) is None


def test_change_warning_for_an_unknown_code_is_refused():
    with pytest.raises(ValidationError) as caught:
        change_warning("XYZ", Decimal(1), (BEFORE, "2"), None)
    assert caught.value.field == "XYZ"


# -- helpers -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("34.5", Decimal("34.5")),
        ("34.50", Decimal("34.50")),
        (" 34.5 ", Decimal("34.5")),
        ("<5", Decimal(5)),
        ("<=5.0", Decimal("5.0")),
        (">120", Decimal(120)),
        ("-2", Decimal(-2)),
        ("quiescent", None),
        ("1.2 mg/dL", None),
        ("", None),
        (None, None),
    ],
)
def test_numeric(value, expected):
    result = numeric(value)
    assert result == expected
    if expected is not None:
        assert isinstance(result, Decimal)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("32.5kg", ("32.5", "kg")),
        ("32.5 kg", ("32.5", "kg")),
        ("  1.2 mg/dL ", ("1.2", "mg/dL")),
        ("≤0.5 mg/dL", ("≤0.5", "mg/dL")),
        ("< 5 mg/dL", ("< 5", "mg/dL")),
        ("88%", ("88", "%")),
        ("250 µg/g", ("250", "µg/g")),
        ("32.5", ("32.5", None)),
        ("<5", ("<5", None)),
        ("quiescent", ("quiescent", None)),
        (" no growth ", ("no growth", None)),
        ("1,5 mg/dL", ("1,5 mg/dL", None)),
    ],
)
def test_split_value_unit(text, expected):
    assert split_value_unit(text) == expected


@pytest.mark.parametrize(
    ("code", "expected_label", "expected_short"),
    [
        ("WEIGHT", "Weight", "weight"),
        ("VITD", "Vitamin D (25-OH)", "vitamin D"),
        ("PGA", "Physician global assessment", "PGA"),
        ("PHQ9", "PHQ-9 total", "PHQ-9"),
        ("XYZ", "XYZ", "XYZ"),
    ],
)
def test_label_and_short_label(code, expected_label, expected_short):
    assert label(code) == expected_label
    assert short_label(code) == expected_short


def test_short_label_falls_back_to_the_label(monkeypatch):
    catalog = parse_catalog(_mutated(lambda d: _entry(d, "WEIGHT").pop("short")), "test.json")
    monkeypatch.setattr(observations, "load_catalog", lambda: catalog)
    assert short_label("WEIGHT") == "Weight"
    assert short_label("HEIGHT") == "height"


def test_unit_choices_and_factor():
    weight = get_spec("WEIGHT")
    assert weight.unit_choices() == ("kg", "lb", "g")
    assert get_spec("PHQ9").unit_choices() == ()
    assert weight.factor(None) == 1
    assert weight.factor(" KG ") == 1
    assert weight.factor("LB") == LB
    assert weight.factor("stone") is None
    assert get_spec("ESR").factor("mm/hr") == 1
    assert get_spec("FCP").factor("ug/g") == 1


# -- catalog validation --------------------------------------------------------------------------------------------


def _set(code: str, field: str, value: object) -> Callable[[dict], None]:
    return lambda d: _entry(d, code).__setitem__(field, value)


def _set_unit(code: str, unit: str, factor: object) -> Callable[[dict], None]:
    return lambda d: _entry(d, code)["units"].__setitem__(unit, factor)


def _drop(code: str, field: str) -> Callable[[dict], None]:
    return lambda d: _entry(d, code).pop(field)


CATALOG_MISTAKES = [
    pytest.param(_set_unit("WEIGHT", "lb", 0.45359237), "WEIGHT", "write numbers as strings", id="float-factor"),
    pytest.param(_set_unit("WEIGHT", "lb", "abc"), "WEIGHT", "is not a number", id="text-factor"),
    pytest.param(_set_unit("WEIGHT", "lb", "NaN"), "WEIGHT", "is not a number", id="nan-factor"),
    pytest.param(_set_unit("WEIGHT", "g", "0"), "WEIGHT", "unit factors must be positive", id="zero-factor"),
    pytest.param(_set_unit("HEIGHT", "m", "-100"), "HEIGHT", "unit factors must be positive", id="negative-factor"),
    pytest.param(_set("HEIGHT", "limits", ["250", "20"]), "HEIGHT", "low end of a range", id="low-above-high"),
    pytest.param(_set("WEIGHT", "usual", ["150", "8"]), "WEIGHT", "low end of a range", id="usual-low-above-high"),
    pytest.param(_set("WEIGHT", "limits", [0.2, 400]), "WEIGHT", "write numbers as strings", id="float-limits"),
    pytest.param(_set("WEIGHT", "limits", ["0.2"]), "WEIGHT", "give a range as [low, high]", id="one-ended-range"),
    pytest.param(_drop("PGA", "choices"), "PGA", "a choice needs its choices", id="choice-without-choices"),
    pytest.param(_set("TPMT", "choices", []), "TPMT", "a choice needs its choices", id="choice-empty-choices"),
    pytest.param(_set("WEIGHT", "choices", ["light"]), "WEIGHT", "only a choice has choices", id="number-choices"),
    pytest.param(
        lambda d: _entry(d, "CRP")["confusable"][0].__setitem__("unit", "mg/100mL"),
        "CRP",
        "confusable unit 'mg/100mL' is not among the units",
        id="confusable-unknown-unit",
    ),
    pytest.param(
        lambda d: _entry(d, "ALB")["confusable"][0].__setitem__("below", 10),
        "ALB",
        "write numbers as strings",
        id="confusable-float",
    ),
    pytest.param(
        lambda d: _entry(d, "WEIGHT")["change"].__setitem__("relative_more_than", 0.2),
        "WEIGHT",
        "write numbers as strings",
        id="change-float",
    ),
    pytest.param(_drop("WEIGHT", "unit"), "WEIGHT", "other units need a stored unit", id="units-without-unit"),
    pytest.param(
        lambda d: d["observations"].append(copy.deepcopy(_entry(d, "WEIGHT"))),
        "WEIGHT",
        "observation codes must be unique; repeated: WEIGHT",
        id="duplicate-code",
    ),
    pytest.param(_set("WEIGHT", "kind", "measure"), "WEIGHT", "kind", id="unknown-kind"),
    pytest.param(_set("WEIGHT", "colour", "blue"), "WEIGHT", "colour", id="unknown-field"),
    pytest.param(_set("WEIGHT", "decimals", 7), "WEIGHT", "decimals", id="too-many-decimals"),
    pytest.param(_set("WEIGHT", "code", "weight"), "weight", "code", id="lowercase-code"),
    pytest.param(lambda d: d.__setitem__("observations", []), None, "observations", id="no-observations"),
    pytest.param(lambda d: d.__setitem__("version", 0), None, "version", id="version-zero"),
]


@pytest.mark.parametrize(("mutate", "code", "expected"), CATALOG_MISTAKES)
def test_broken_catalog_names_file_code_and_advice(mutate, code, expected):
    with pytest.raises(LhnError) as caught:
        parse_catalog(_mutated(mutate), "test.json")
    message = str(caught.value)
    assert not isinstance(caught.value, ValidationError)
    assert "The observation catalog test.json" in message
    if code is not None:
        assert code in message
    assert expected in message
    assert message.endswith(ADVICE)


def test_broken_catalog_points_at_the_field_by_code():
    with pytest.raises(LhnError) as caught:
        parse_catalog(_mutated(_set_unit("WEIGHT", "lb", 0.45359237)), "test.json")
    assert "at observations > WEIGHT > units:" in str(caught.value)


def test_unmodified_copy_of_the_catalog_parses():
    # the mutation helpers start from a copy that is valid as it is
    assert set(parse_catalog(_mutated(lambda d: None), "test.json")) == set(load_catalog())


@pytest.mark.parametrize("text", ["{", '{"catalog": "x",}', "", "not json"])
def test_invalid_json_names_the_file(text):
    with pytest.raises(LhnError) as caught:
        parse_catalog(text, "test.json")
    message = str(caught.value)
    assert "The observation catalog test.json is not valid JSON (line 1)" in message


def test_invalid_json_ends_with_the_advice():
    with pytest.raises(LhnError) as caught:
        parse_catalog("{", "test.json")
    assert str(caught.value).endswith(ADVICE)


def test_catalog_level_mistake_has_no_empty_location():
    with pytest.raises(LhnError) as caught:
        parse_catalog(_mutated(lambda d: d["observations"].append(copy.deepcopy(_entry(d, "WEIGHT")))), "test.json")
    assert " at :" not in str(caught.value)


# -- properties ----------------------------------------------------------------------------------------------------


@settings(max_examples=300)
@given(pounds=st.decimals(min_value=Decimal("1"), max_value=Decimal("850"), places=2))
def test_pounds_convert_half_up_and_read_back_unchanged(pounds):
    text = format(pounds, "f")
    reading = read_value("WEIGHT", text, "lb")
    expected = (pounds * LB).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert reading.number == expected
    assert reading.value == format(expected, "f")
    assert reading.unit == "kg"
    assert reading.original_value == text
    assert reading.original_unit == "lb"
    again = read_value("WEIGHT", reading.value, "kg")
    assert again.value == reading.value
    assert again.original_value is None
