"""The services write sentences for people only in ``services/words``: a tool checks it, and the words read right.

A sentence built in a service (an f-string whose fixed text has words) must come from the area's words module,
so a translation never reaches into a service's logic. Allowed where they are: exception messages (raised, or
built as an exception), log lines, the demo center's fictional records, and a line marked "not a sentence".
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from lhn_desktop.services.words import center, checklist, counted, ehr, either, improvement, listed, measures, planning
from lhn_desktop.services.words import sync as sync_words

SERVICES = Path(__file__).resolve().parents[2] / "lhn_desktop" / "services"
EXCEPTIONS = {"ValidationError", "NotFound", "PermissionDenied", "LhnError", "ValueError", "Cancelled"}


def _exempt_nodes(tree: ast.AST) -> set[int]:
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise):
            exempt |= {id(n) for n in ast.walk(node)}
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            if name.endswith("Error") or name in EXCEPTIONS or owner in ("log", "logger"):
                exempt |= {id(n) for n in ast.walk(node)}
    return exempt


def sentences_built(source: str) -> list[tuple[int, str]]:
    """(line, text) of each f-string outside the allowed places whose fixed text has a word and a space."""
    tree = ast.parse(source)
    lines = source.splitlines()
    exempt = _exempt_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr) or id(node) in exempt:
            continue
        fixed = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        if " " in fixed and any(c.isalpha() for c in fixed) and "not a sentence" not in lines[node.lineno - 1]:
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_checker_finds_a_sentence_and_lets_errors_and_logs_be():
    source = """
def summary(n):
    logger.info(f"{n} rows read")
    if n < 0:
        raise ValidationError(f"{n} is not a count")
    problem = ValueError(f"bad count {n}")
    key = f"plan/{n}"
    return f"{n} patients scheduled"
"""
    assert [line for line, _ in sentences_built(source)] == [8]


@pytest.mark.parametrize(
    "module",
    sorted(p for p in SERVICES.rglob("*.py") if "words" not in p.parts and "demo" not in p.parts),
    ids=lambda p: str(p.relative_to(SERVICES)),
)
def test_services_build_no_sentence_outside_their_words(module: Path):
    found = sentences_built(module.read_text(encoding="utf-8"))
    assert not found, f"move these sentences into services/words: {found}"


def test_lists_counts_and_dates_read_as_sentences():
    assert listed([]) == "" and listed(["weight"]) == "weight"
    assert listed(["PGA", "weight", "height"]) == "PGA, weight and height"
    assert listed(["A", "B"], last="or") == "A or B"
    assert either(["thiopurine", "anti-TNF"]) == "thiopurine or anti-TNF"
    assert (counted(1, "patient"), counted(3, "patient"), counted(2, "child", "children")) == (
        "1 patient", "3 patients", "2 children",
    )  # fmt: skip


def test_each_area_says_what_its_service_decided():
    assert checklist.field_missing("disease_classification", None) == "Disease classification not recorded."
    assert checklist.visits_in_window(2, 4, 365) == "2 of 4 visits in the last 365 days."
    assert checklist.visits_in_window(4, None, 365) == "4 visits in the last 365 days."
    assert planning.summary(1, not_in_remission=0, overdue_items=0, overdue_tasks=0, agenda=0, planned=1) == (
        "1 patient · 1 planned"
    )
    assert planning.summary(0, not_in_remission=0, overdue_items=0, overdue_tasks=0, agenda=0, planned=0) == (
        "No patients scheduled."
    )
    flags = planning.flags(latest_pga="mild", in_remission=False, wants_pga=True, overdue_items=2, overdue_tasks=1,
                           open_tasks=3, new_agenda=2, goals_due=1)  # fmt: skip
    assert flags == ("not in remission (PGA mild)", "2 overdue", "1 overdue task", "2 agenda items", "goal review due")
    assert planning.task_line("Diary", "family", date(2026, 3, 1), date(2026, 3, 2)).endswith(", overdue)")
    assert improvement.sustained(7, outstanding=True) == "Outstanding: target sustained for 7 months."
    assert improvement.progress_evidence(["Aim set."], "  ") == "Aim set."
    assert measures.collaborate(10, 25, 80.0, 8.5).startswith("fewer than 25, not reported")
    assert (
        sync_words.export_audit("network", "b.lhnbundle", "network", 0, None)
        == "network bundle b.lhnbundle for network"
    )
    assert "3 attached files stored" in sync_words.import_summary(
        "b", "x", already_imported=False, changed=False, records=0, kinds={}, conflicts=0, hidden=0, attachments=3
    )
    assert ehr.import_audit(["a.csv"], {"patients": (2, 1)}) == "a.csv: patients: 2 new, 1 changed"
    assert center.export_audit({"patients": 3}, "out", spreadsheet=True) == "patients 3; to out; xlsx: yes"
    # dates in a sentence as the program writes them everywhere (they read 2026-03-02 and 02 Mar 2026)
    assert ehr.removed_by_hand(date(2026, 3, 2), "Casey") == "removed by hand on 2 Mar 2026 by Casey; not added again"
    assert ehr.corrected_by_hand(date(2026, 3, 2), "Casey", ["value"]).startswith("corrected by hand on 2 Mar 2026 ")
    assert measures.chart_note(date(2026, 3, 2), "New scales") == "2 Mar 2026: New scales"
    # counts said in the singular and the plural, never "cycle(s)"
    assert improvement.cycles_tested(1) == "1 PDSA cycle tested."
    assert improvement.measures_charted(2) == "2 measures charted."
    assert sync_words.small_value("2026-01", 1, 11).startswith("2026-01: a median or mean from 1 patient is below 11")
    assert "with 1 attached file;" in sync_words.export_audit("center", "b", "center", 1, "a reason")
    assert ehr.import_patients_first(1).startswith("1 record names a patient who is not in LHN Desktop")


def test_counts_are_said_by_one_helper_below_every_layer():
    """Charts and reports may not import the services' words, so the count helper lives with the dates in
    ``localization`` (and the words module says it from there): every layer says "1 point", "3 centers" alike."""
    from lhn_desktop import localization
    from lhn_desktop.services import words

    assert words.counted is localization.counted
    assert localization.counted(1, "point") == "1 point" and localization.counted(3, "center") == "3 centers"
    assert localization.counted(2, "medicine started", "medicines started") == "2 medicines started"
