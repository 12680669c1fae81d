"""Disease-activity indices (PUCAI, wPCDAI): the shipped tables, scoring, cut-offs, lab derivations, errors."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lhn_desktop.clinical.indices import (
    IndexDefinition,
    IndexScore,
    get_index,
    load_indices,
    parse_indices,
    parse_score_text,
    score,
    score_text,
)
from lhn_desktop.errors import LhnError
from lhn_desktop.paths import content_dir

D = Decimal

# -- the published tables, restated here so that a change in the data file must be deliberate --------------------
#
# PUCAI: Turner et al., Gastroenterology 2007;133:423-432, as reprinted in
#   https://adc.bmj.com/highwire/markup/194630/expansion (Arch Dis Child, Table 1) and
#   https://mail.medilib.ir/uptodate/show/69607 (UpToDate graphic 69607, "reproduced with permission" from the paper).
# wPCDAI: Turner et al., Inflamm Bowel Dis 2012;18:55-62, as reprinted in
#   https://adc.bmj.com/highwire/markup/194587/expansion (Arch Dis Child, Table 1).

PUCAI_TABLE: dict[str, list[str]] = {
    "abdominal_pain": ["0", "5", "10"],
    "rectal_bleeding": ["0", "10", "20", "30"],
    "stool_consistency": ["0", "5", "10"],
    "stools_per_24h": ["0", "5", "10", "15"],
    "nocturnal_stools": ["0", "10"],
    "activity_level": ["0", "5", "10"],
}
PUCAI_CATEGORIES = [("remission", "below", "10"), ("mild", "below", "35"), ("moderate", "below", "65"), ("severe",)]

WPCDAI_TABLE: dict[str, list[str]] = {
    "abdominal_pain": ["0", "10", "20"],
    "well_being": ["0", "10", "20"],
    "stools_per_day": ["0", "7.5", "15"],
    "esr": ["0", "7.5", "15"],
    "albumin": ["0", "10", "20"],
    "weight": ["0", "5", "10"],
    "perianal_disease": ["0", "7.5", "15"],
    "extraintestinal": ["0", "10"],
}
WPCDAI_CATEGORIES = [
    ("remission", "below", "12.5"),
    ("mild", "at_most", "40"),
    ("moderate", "at_most", "57.5"),
    ("severe",),
]


@pytest.fixture(scope="module")
def pucai() -> IndexDefinition:
    return get_index("PUCAI")


@pytest.fixture(scope="module")
def wpcdai() -> IndexDefinition:
    return get_index("WPCDAI")


def _answers(index: IndexDefinition, **chosen: int) -> dict[str, int]:
    """Every item at level 0 except the ones given."""
    unknown = set(chosen) - {item.key for item in index.items}
    assert not unknown, unknown
    return {item.key: chosen.get(item.key, 0) for item in index.items}


def _shipped_data() -> list[dict[str, Any]]:
    return json.loads((content_dir() / "indices.json").read_text(encoding="utf-8"))


def _categories(index: IndexDefinition) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for c in index.categories:
        if c.below is not None:
            rows.append((c.label, "below", str(c.below)))
        elif c.at_most is not None:
            rows.append((c.label, "at_most", str(c.at_most)))
        else:
            rows.append((c.label,))
    return rows


# -- the shipped file -------------------------------------------------------------------------------------------


def test_shipped_file_loads_both_indices_once() -> None:
    indices = load_indices()
    assert list(indices) == ["PUCAI", "WPCDAI"]
    assert load_indices() is indices
    assert get_index("PUCAI") is indices["PUCAI"]


def test_shipped_pucai_table_equals_the_published_table(pucai: IndexDefinition) -> None:
    assert pucai.short == "PUCAI"
    assert pucai.title == "Pediatric Ulcerative Colitis Activity Index"
    assert "Gastroenterology 2007;133:423-432" in pucai.source
    assert "2 days" in pucai.recall
    assert pucai.max == D(85)
    assert {item.key: [str(level.points) for level in item.levels] for item in pucai.items} == PUCAI_TABLE
    assert [item.key for item in pucai.items] == list(PUCAI_TABLE)  # the paper's order
    assert _categories(pucai) == PUCAI_CATEGORIES
    assert all(item.from_observation is None for item in pucai.items)


def test_shipped_wpcdai_table_equals_the_published_table(wpcdai: IndexDefinition) -> None:
    assert wpcdai.short == "wPCDAI"
    assert wpcdai.title == "Weighted Pediatric Crohn's Disease Activity Index"
    assert "Inflamm Bowel Dis 2012;18:55-62" in wpcdai.source
    assert "week" in wpcdai.recall
    assert wpcdai.max == D(125)
    assert {item.key: [str(level.points) for level in item.levels] for item in wpcdai.items} == WPCDAI_TABLE
    assert [item.key for item in wpcdai.items] == list(WPCDAI_TABLE)
    assert _categories(wpcdai) == WPCDAI_CATEGORIES
    esr, albumin = wpcdai.item("esr").from_observation, wpcdai.item("albumin").from_observation
    assert esr is not None and (esr.code, esr.unit) == ("ESR", "mm/h")
    assert [(c.level, c.below, c.at_most) for c in esr.cuts] == [(0, D(20), None), (1, None, D(50)), (2, None, None)]
    assert albumin is not None and (albumin.code, albumin.unit) == ("ALB", "g/L")
    assert [(c.level, c.below, c.at_most) for c in albumin.cuts] == [
        (2, None, D(30)),
        (1, D(35), None),
        (0, None, None),
    ]
    others = [item.key for item in wpcdai.items if item.from_observation is not None]
    assert others == ["esr", "albumin"]
    assert "below 20 scores 0, 20 to 50 scores 7.5, above 50 scores 15" in wpcdai.notes
    assert "between 3.0 and 3.1 g/dL scores 10" in wpcdai.notes


def test_level_labels_are_in_the_papers_words(pucai: IndexDefinition, wpcdai: IndexDefinition) -> None:
    assert [lv.label for lv in pucai.item("rectal_bleeding").levels] == [
        "None",
        "Small amount only, in less than 50% of stools",
        "Small amount with most stools",
        "Large amount (>50% of the stool content)",
    ]
    assert [lv.label for lv in pucai.item("stools_per_24h").levels] == ["0-2", "3-5", "6-8", ">8"]
    assert pucai.item("nocturnal_stools").label == "Nocturnal stools (any episode causing wakening)"
    assert [lv.label for lv in wpcdai.item("perianal_disease").levels] == [
        "None, asymptomatic tags",
        "1-2 indolent fistula, scant drainage, no tenderness",
        "Active fistula, drainage, tenderness or abscess",
    ]
    assert "pyoderma gangrenosum" in wpcdai.item("extraintestinal").help


# -- the papers' own statements (no published item-level worked example with a total was found) -------------------


def test_maximum_is_85_for_pucai_and_125_for_wpcdai(pucai: IndexDefinition, wpcdai: IndexDefinition) -> None:
    # "PUCAI total (0-85)": https://adc.bmj.com/highwire/markup/194630/expansion
    worst = score(pucai, {item.key: len(item.levels) - 1 for item in pucai.items})
    assert (worst.total, worst.total_text, worst.category) == (D(85), "85", "severe")
    # "Total score (0-125)": https://adc.bmj.com/highwire/markup/194587/expansion
    worst = score(wpcdai, {item.key: len(item.levels) - 1 for item in wpcdai.items})
    assert (worst.total, worst.total_text, worst.category) == (D(125), "125", "severe")


def test_all_items_at_their_mildest_level_score_zero_and_remission(
    pucai: IndexDefinition, wpcdai: IndexDefinition
) -> None:
    for index in (pucai, wpcdai):
        result = score(index, _answers(index))
        assert (result.total, result.total_text, result.category) == (D(0), "0", "remission")


def test_published_severe_colitis_description_scores_severe(pucai: IndexDefinition) -> None:
    # The PUCAI paper's severe band is 65-85 (https://mail.medilib.ir/uptodate/show/69607). A child with pain that
    # cannot be ignored, a large amount of blood, completely unformed stools, more than 8 stools a day, waking at night
    # and severely restricted activity has every item at its worst level: 10 + 30 + 10 + 15 + 10 + 10 = 85.
    answers = _answers(
        pucai,
        abdominal_pain=2,
        rectal_bleeding=3,
        stool_consistency=2,
        stools_per_24h=3,
        nocturnal_stools=1,
        activity_level=2,
    )
    assert score(pucai, answers).total == D(85)


def test_score_keeps_the_levels_in_item_order(wpcdai: IndexDefinition) -> None:
    answers = dict(reversed(list(_answers(wpcdai, esr=2, weight=1).items())))
    result = score(wpcdai, MappingProxyType(answers))
    assert isinstance(result, IndexScore)
    assert list(result.levels) == list(WPCDAI_TABLE)
    assert result.levels["esr"] == 2 and result.levels["weight"] == 1
    assert result.code == "WPCDAI"


# -- totals are exact decimals ----------------------------------------------------------------------------------


def test_half_points_add_up_exactly(wpcdai: IndexDefinition) -> None:
    result = score(wpcdai, _answers(wpcdai, stools_per_day=1, esr=1, perianal_disease=1))
    assert result.total == D("22.5")
    assert result.total_text == "22.5"
    assert result.category == "mild"
    assert isinstance(result.total, Decimal)


@pytest.mark.parametrize(
    ("total", "text"),
    [(D("47.5"), "47.5"), (D("35"), "35"), (D("35.0"), "35"), (D("0"), "0"), (D("0.0"), "0"), (D("100"), "100")],
)
def test_total_text_has_no_trailing_zero(total: Decimal, text: str) -> None:
    assert IndexScore(code="X", total=total, category="mild", levels={}).total_text == text


# -- every category cut-off, through real item combinations ---------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "total", "category"),
    [
        ({"abdominal_pain": 1}, "5", "remission"),
        ({"abdominal_pain": 2}, "10", "mild"),
        ({"rectal_bleeding": 1}, "10", "mild"),
        ({"rectal_bleeding": 3}, "30", "mild"),
        ({"rectal_bleeding": 3, "abdominal_pain": 1}, "35", "moderate"),
        ({"rectal_bleeding": 1, "stools_per_24h": 3, "nocturnal_stools": 1}, "35", "moderate"),
        ({"rectal_bleeding": 3, "abdominal_pain": 2, "stool_consistency": 2, "stools_per_24h": 2}, "60", "moderate"),
        (
            {
                "rectal_bleeding": 3,
                "abdominal_pain": 2,
                "stool_consistency": 2,
                "stools_per_24h": 2,
                "activity_level": 1,
            },
            "65",
            "severe",
        ),
    ],
)
def test_pucai_cutoffs_through_items(pucai: IndexDefinition, chosen: dict[str, int], total: str, category: str) -> None:
    result = score(pucai, _answers(pucai, **chosen))
    assert result.total == D(total)
    assert result.category == category


@pytest.mark.parametrize(
    ("chosen", "total", "category"),
    [
        ({"esr": 1}, "7.5", "remission"),
        ({"abdominal_pain": 1}, "10", "remission"),
        ({"weight": 1, "stools_per_day": 1}, "12.5", "mild"),
        ({"abdominal_pain": 2, "well_being": 2}, "40", "mild"),
        ({"abdominal_pain": 2, "well_being": 1, "stools_per_day": 1, "weight": 1}, "42.5", "moderate"),
        ({"abdominal_pain": 2, "well_being": 2, "stools_per_day": 1, "albumin": 1}, "57.5", "moderate"),
        ({"abdominal_pain": 2, "well_being": 2, "albumin": 2}, "60", "severe"),
    ],
)
def test_wpcdai_cutoffs_through_items(
    wpcdai: IndexDefinition, chosen: dict[str, int], total: str, category: str
) -> None:
    result = score(wpcdai, _answers(wpcdai, **chosen))
    assert result.total == D(total)
    assert result.category == category


@pytest.mark.parametrize(
    ("total", "category"),
    [
        ("0", "remission"),
        ("9", "remission"),
        ("9.99", "remission"),
        ("10", "mild"),
        ("34", "mild"),
        ("34.9", "mild"),
        ("35", "moderate"),
        ("64", "moderate"),
        ("64.9", "moderate"),
        ("65", "severe"),
        ("85", "severe"),
    ],
)
def test_pucai_category_at_each_bound(pucai: IndexDefinition, total: str, category: str) -> None:
    assert pucai.category(D(total)) == category


@pytest.mark.parametrize(
    ("total", "category"),
    [
        ("0", "remission"),
        ("10", "remission"),
        ("12.4", "remission"),
        ("12.5", "mild"),
        ("40", "mild"),
        ("40.1", "moderate"),
        ("42.5", "moderate"),
        ("57.5", "moderate"),
        ("57.6", "severe"),
        ("60", "severe"),
        ("125", "severe"),
    ],
)
def test_wpcdai_category_at_each_bound(wpcdai: IndexDefinition, total: str, category: str) -> None:
    assert wpcdai.category(D(total)) == category


@pytest.mark.parametrize("total", [D("-0.5"), D("85.5"), D("NaN"), 1.5, True, "10"])
def test_category_refuses_impossible_totals(pucai: IndexDefinition, total: Any) -> None:
    with pytest.raises(ValueError, match="PUCAI total"):
        pucai.category(total)


# -- ESR and albumin from laboratory values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level"),
    [("0", 0), ("19.9", 0), ("20", 1), ("35", 1), ("50", 1), ("50.1", 2), ("120", 2)],
)
def test_esr_level_at_each_boundary(wpcdai: IndexDefinition, value: str, level: int) -> None:
    assert wpcdai.item("esr").level_for_value(D(value)) == level


@pytest.mark.parametrize(
    ("value", "level"),
    [("20", 2), ("29.9", 2), ("30", 2), ("30.5", 1), ("31", 1), ("34.9", 1), ("35", 0), ("35.1", 0), ("45", 0)],
)
def test_albumin_level_at_each_boundary_in_grams_per_litre(wpcdai: IndexDefinition, value: str, level: int) -> None:
    assert wpcdai.item("albumin").level_for_value(D(value)) == level


def test_lab_levels_feed_the_score(wpcdai: IndexDefinition) -> None:
    esr = wpcdai.item("esr").level_for_value(D("50.1"))
    albumin = wpcdai.item("albumin").level_for_value(D("30.5"))
    result = score(wpcdai, _answers(wpcdai, esr=esr, albumin=albumin))
    assert result.total == D(25)  # 15 + 10
    assert result.category == "mild"


def test_whole_number_lab_values_are_accepted(wpcdai: IndexDefinition) -> None:
    assert wpcdai.item("esr").level_for_value(20) == 1  # type: ignore[arg-type]


def test_level_for_value_needs_a_lab_item_and_a_number(pucai: IndexDefinition, wpcdai: IndexDefinition) -> None:
    with pytest.raises(ValueError, match="not derived from a laboratory value"):
        pucai.item("abdominal_pain").level_for_value(D(5))
    with pytest.raises(ValueError, match="not derived from a laboratory value"):
        wpcdai.item("weight").level_for_value(D(5))
    for bad in (D("NaN"), D("Infinity"), 20.5, "20", True):
        with pytest.raises(ValueError, match="ESR"):
            wpcdai.item("esr").level_for_value(bad)


# -- what a clinician is told when answers are wrong ------------------------------------------------------------


def test_missing_item_is_named_with_its_allowed_answers(pucai: IndexDefinition) -> None:
    answers = _answers(pucai)
    del answers["rectal_bleeding"]
    with pytest.raises(ValueError, match='"Rectal bleeding" has no answer') as caught:
        score(pucai, answers)
    assert "0 = None (0)" in str(caught.value)
    assert "3 = Large amount (>50% of the stool content) (30)" in str(caught.value)


def test_unknown_item_is_refused_naming_the_real_items(pucai: IndexDefinition) -> None:
    answers = _answers(pucai) | {"weight": 0}
    with pytest.raises(ValueError, match="no item 'weight'") as caught:
        score(pucai, answers)
    assert '"Abdominal pain"' in str(caught.value)


@pytest.mark.parametrize("level", [3, -1, 1.0, True, "1", None])
def test_level_out_of_range_is_refused(pucai: IndexDefinition, level: Any) -> None:
    answers: dict[str, Any] = _answers(pucai) | {"abdominal_pain": level}
    with pytest.raises(ValueError, match='"Abdominal pain" does not exist') as caught:
        score(pucai, answers)
    assert "2 = Pain cannot be ignored (10)" in str(caught.value)


def test_nocturnal_stools_has_only_two_answers(pucai: IndexDefinition) -> None:
    with pytest.raises(ValueError, match="Nocturnal stools"):
        score(pucai, _answers(pucai, nocturnal_stools=2))


def test_unknown_index_code_lists_the_known_ones() -> None:
    with pytest.raises(LhnError, match="PUCAI, WPCDAI"):
        get_index("PCDAI")
    assert get_index("WPCDAI").code == "WPCDAI"


def test_item_lookup(wpcdai: IndexDefinition) -> None:
    assert wpcdai.item("weight").label == "Weight"
    with pytest.raises(KeyError):
        wpcdai.item("height")


# -- a broken index file ----------------------------------------------------------------------------------------


def _broken(mutate: Any) -> str:
    data = copy.deepcopy(_shipped_data())
    mutate(data)
    return json.dumps(data)


def _item(data: list[dict[str, Any]], code: str, key: str) -> dict[str, Any]:
    index = next(i for i in data if i["code"] == code)
    return next(item for item in index["items"] if item["key"] == key)


def _set_top_esr_points(data: list[dict[str, Any]]) -> None:
    _item(data, "WPCDAI", "esr")["levels"][2]["points"] = "20"


def _float_points(data: list[dict[str, Any]]) -> None:
    _item(data, "WPCDAI", "stools_per_day")["levels"][1]["points"] = 7.5


def _unordered_categories(data: list[dict[str, Any]]) -> None:
    cats = data[0]["categories"]
    cats[0], cats[1] = cats[1], cats[0]


def _shrinking_bounds(data: list[dict[str, Any]]) -> None:
    data[1]["categories"][2]["at_most"] = "30"


def _bounded_last_category(data: list[dict[str, Any]]) -> None:
    data[0]["categories"][-1]["below"] = "86"


def _duplicate_key(data: list[dict[str, Any]]) -> None:
    data[1]["items"][1]["key"] = "abdominal_pain"


def _decreasing_points(data: list[dict[str, Any]]) -> None:
    _item(data, "PUCAI", "activity_level")["levels"].reverse()


def _missing_cut_level(data: list[dict[str, Any]]) -> None:
    _item(data, "WPCDAI", "albumin")["from_observation"]["cuts"][0]["level"] = 3


def _unordered_cuts(data: list[dict[str, Any]]) -> None:
    cuts = _item(data, "WPCDAI", "esr")["from_observation"]["cuts"]
    cuts[0], cuts[1] = cuts[1], cuts[0]


def _float_max(data: list[dict[str, Any]]) -> None:
    data[0]["max"] = 85.0


def _unknown_field(data: list[dict[str, Any]]) -> None:
    data[1]["total"] = "125"


def _unknown_category(data: list[dict[str, Any]]) -> None:
    data[0]["categories"][1]["label"] = "active"


@pytest.mark.parametrize(
    ("mutate", "where", "what"),
    [
        (_set_top_esr_points, "WPCDAI > items", "add up to 130, but max is 125"),
        (
            _float_points,
            "WPCDAI > items > stools_per_day > levels > 1 > points",
            'as text in quotes, for example "7.5"',
        ),
        (_unordered_categories, "PUCAI > categories", "must be in the order remission, mild"),
        (_shrinking_bounds, "WPCDAI > categories", "must be in increasing order"),
        (_bounded_last_category, "PUCAI > categories", "the last category must have no bound"),
        (_duplicate_key, "WPCDAI > items", "repeated: abdominal_pain"),
        (_decreasing_points, "PUCAI > items > activity_level > levels", "must not decrease"),
        (_missing_cut_level, "WPCDAI > items > albumin > from_observation", "gives level 3"),
        (_unordered_cuts, "WPCDAI > items > esr > from_observation > cuts", "increasing order"),
        (_float_max, "PUCAI > max", "as text in quotes"),
        (_unknown_field, "WPCDAI > total", "Extra inputs are not permitted"),
        (_unknown_category, "PUCAI > categories > 1 > label", "remission"),
    ],
)
def test_broken_file_names_file_index_and_field(mutate: Any, where: str, what: str) -> None:
    with pytest.raises(LhnError) as caught:
        parse_indices(_broken(mutate), "indices.json")
    message = str(caught.value)
    assert message.startswith("The index file indices.json has a mistake at ")
    assert f" at {where}: " in message
    assert what in message
    assert message.endswith("Reinstall LHN Desktop or correct the file.")


def test_duplicate_index_code_is_named() -> None:
    text = _broken(lambda data: data[1].update(code="PUCAI"))
    with pytest.raises(LhnError, match="index codes must be unique; repeated: PUCAI") as caught:
        parse_indices(text, "indices.json")
    assert "indices.json" in str(caught.value)


def test_file_that_is_not_json_is_refused() -> None:
    with pytest.raises(LhnError, match=r"indices\.json is not valid JSON \(line 1\).*Reinstall LHN Desktop"):
        parse_indices("[{", "indices.json")


def test_unchanged_copy_parses_to_the_same_tables() -> None:
    assert parse_indices(json.dumps(_shipped_data()), "copy.json") == load_indices()


# -- stored answers ---------------------------------------------------------------------------------------------


def test_score_text_is_canonical(wpcdai: IndexDefinition) -> None:
    answers = _answers(wpcdai, esr=2, abdominal_pain=1)
    text = score_text(answers)
    assert text == (
        '{"abdominal_pain":1,"albumin":0,"esr":2,"extraintestinal":0,'
        '"perianal_disease":0,"stools_per_day":0,"weight":0,"well_being":0}'
    )
    assert parse_score_text(text) == answers
    assert score_text(dict(reversed(list(answers.items())))) == text


_keys = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)


@given(st.dictionaries(_keys, st.integers(min_value=0, max_value=1000), max_size=12))
def test_score_text_round_trip(levels: dict[str, int]) -> None:
    text = score_text(levels)
    assert " " not in text
    assert parse_score_text(text) == levels
    assert score_text(parse_score_text(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[1,2]",
        '"abc"',
        "1",
        "null",
        '{"b":1,"a":2}',  # keys not sorted
        '{"a": 1}',  # spaces
        '{"a":1.0}',
        '{"a":-1}',
        '{"a":true}',
        '{"a":"1"}',
        '{"a":NaN}',
        '{"A":1}',
        '{"a":1,"a":2}',
        '{"a":{"b":1}}',
    ],
)
def test_parse_score_text_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="Stored index answers"):
        parse_score_text(text)


@pytest.mark.parametrize("levels", [{"a": -1}, {"a": True}, {"a": 1.0}, {"A": 1}, {1: 1}, {"a": "1"}])
def test_score_text_refuses_bad_levels(levels: dict[Any, Any]) -> None:
    with pytest.raises(ValueError, match="level|item key"):
        score_text(levels)
