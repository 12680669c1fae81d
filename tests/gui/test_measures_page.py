"""The Measures page: chart, point details under the mouse, phases, notes, baseline, entry, export, all charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog

from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.measures import MeasuresPage
from lhn_desktop.localization import stored_month as month_text
from tests.gui.conftest import make_window, screenshot, when_dialog_opens


@pytest.fixture
def page(window: MainWindow, qtbot) -> MeasuresPage:
    window.go_to(MeasuresPage)  # page shortcuts are tested in test_main_window
    page = window.stack.currentWidget()
    assert isinstance(page, MeasuresPage)
    return page


def _select(page: MeasuresPage, code: str) -> None:
    row = next(k for k, m in enumerate(page.model.rows) if m.code == code)
    page.table.selectRow(row)
    assert page.chart is not None and page.chart.measure.code == code


def test_the_chart_shows_and_pointing_at_a_month_gives_its_counts(page: MeasuresPage, qtbot) -> None:
    _select(page, "remission_pga")
    chart = page.chart
    assert len(chart.values) == 24 and chart.freeze == 12
    view = page.chart_view
    view.canvas.draw()
    ax = view.figure.axes[0]
    point = chart.result.points[5]
    x, y = ax.transData.transform((5, point.y))
    ratio = view.canvas.device_pixel_ratio
    qtbot.mouseMove(view.canvas, QPoint(int(x / ratio), int(view.canvas.height() - y / ratio)))
    shown = month_text(chart.values[5].month)  # "Jun 2024", as people read a month
    qtbot.waitUntil(lambda: shown in page.point_info.text())
    value = chart.values[5]
    assert f"{value.numerator} of {value.denominator}" in page.point_info.text()
    assert page.months.currentIndex().row() == 5
    assert "non-random variation" in page.reading.text() or "no runs signal" in page.reading.text()


def test_a_new_phase_by_keyboard_recomputes_the_centre_line(page: MeasuresPage, qtbot) -> None:
    _select(page, "model_care")
    month = page.chart.months[12]

    def fill(dialog: QDialog) -> None:
        dialog.month.setFocus()
        dialog.month.setCurrentIndex(dialog.month.findData(month))
        qtbot.keyClick(dialog.month, Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.reason, "Nurse checklist adopted for every clinic")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Tab)
        qtbot.keyClick(dialog.pdsa, Qt.Key.Key_Down)
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    seen = when_dialog_opens(fill)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    assert seen
    chart = page.chart
    assert chart.request.options.part == (12,)
    assert chart.phases[0].reason == "Nurse checklist adopted for every clinic" and chart.phases[0].pdsa_id
    assert {p.part for p in chart.result.points} == {1, 2}
    assert "Phases: from" in page.reading.text()


def test_a_phase_without_a_reason_is_refused_and_nothing_changes(page: MeasuresPage, qtbot, presented) -> None:
    _select(page, "model_care")
    shown = presented  # what the one error presenter would show

    def fill(dialog: QDialog) -> None:
        qtbot.keyClick(dialog, Qt.Key.Key_Return)  # no reason typed
        assert dialog.isVisible()
        dialog.reject()

    when_dialog_opens(fill)
    page.buttons["phase"].click()
    assert shown and "reason" in str(shown[0])
    assert page.chart.phases == []


def test_note_baseline_and_a_month_entered_by_hand(page: MeasuresPage, qtbot) -> None:
    _select(page, "no_prednisone")

    def note(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.text, "New steroid-sparing pathway")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    when_dialog_opens(note)
    page.buttons["note"].click()
    assert any(a.text == "New steroid-sparing pathway" for a in page.ctx.measures.annotations("no_prednisone"))

    def baseline(dialog: QDialog) -> None:
        dialog.last.setCurrentIndex(dialog.last.findData(page.chart.months[8]))
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    when_dialog_opens(baseline)
    page.buttons["baseline"].click()
    assert page.chart.baseline_chosen and page.chart.freeze == 9

    def enter(dialog: QDialog) -> None:
        assert dialog.month.currentText() == "February 2026"  # the last complete month, by its name
        assert dialog.month.itemText(0) == "March 2026"  # this month too, as the service takes it
        dialog.month.setCurrentIndex(dialog.month.findData("2026-02"))
        dialog.numerator.setValue(40)
        dialog.denominator.setValue(50)
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    when_dialog_opens(enter)
    page.buttons["enter"].click()
    last = page.chart.values[-1]
    assert (last.month, last.numerator, last.denominator, last.source) == ("2026-02", 40, 50, "entered")


def test_export_png_svg_pdf_and_csv(page: MeasuresPage, qtbot, monkeypatch, tmp_path: Path) -> None:
    _select(page, "visit_200d")
    page.table.setFocus()
    for name in ("chart.png", "chart.svg", "chart.pdf", "chart.csv"):
        target = tmp_path / name
        monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, t=target: (str(t), ""))
        qtbot.keyClick(page.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        assert target.stat().st_size > 500, name
    assert (tmp_path / "chart.csv").read_text().startswith("month,numerator,denominator")


def test_all_measures_page_and_compute(page: MeasuresPage, qtbot, tmp_path: Path) -> None:
    with_data = len(page.ctx.measures.page_charts())
    shown: list[int] = []

    def look(dialog: QDialog) -> None:
        shown.append(len(dialog.canvas.figure.axes))  # asserted after the dialog closes, so a miss cannot hang
        dialog.grab().save(str(tmp_path / "all.png"))
        dialog.reject()

    seen = when_dialog_opens(look)
    page.buttons["all"].click()
    assert seen and shown == [with_data] and with_data >= 6
    page.buttons["compute"].click()
    assert "unchanged" in page.point_info.text()


def test_partners_see_charts_but_do_not_compute(qtbot, ctx) -> None:
    partner = next(m for m in ctx.team.list_members() if m.role in ("parent_partner", "patient_partner"))
    ctx.sign_in(partner.id, "tester")
    window = make_window(qtbot, ctx)
    page = next(p for p in window.pages if isinstance(p, MeasuresPage))
    window.stack.setCurrentWidget(page)
    page.refresh()
    assert page.chart is not None
    assert not page.buttons["compute"].isEnabled()


def test_a_long_title_cut_off_in_the_list_shows_whole_when_pointed_at(page: MeasuresPage) -> None:
    model = page.table.model()
    titles = {model.index(r, 0).data(): model.index(r, 0).data(Qt.ItemDataRole.ToolTipRole)
              for r in range(model.rowCount())}  # fmt: skip
    long = "Patients growing satisfactorily (height z-score -1 or more)"
    assert titles[long] == long
    assert model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole) is None  # "76%" is never cut off


def test_a_center_sets_its_own_threshold_by_keyboard_and_the_chart_says_so(page: MeasuresPage, qtbot) -> None:
    _select(page, "remission_pga")
    assert not page.actions_["thresholds"].isEnabled()  # the network's own definition
    _select(page, "satisfactory_growth")
    assert page.actions_["thresholds"].isEnabled()
    labels: list[str] = []

    def fill(dialog: QDialog) -> None:
        labels.append(dialog.windowTitle())
        screenshot(dialog, "measures_thresholds")
        box = dialog.boxes[0]
        box.selectAll()
        qtbot.keyClicks(box, "-1.5")
        qtbot.keyClicks(dialog.reason, "the network's definition as sent to us")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    seen = when_dialog_opens(fill)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    assert seen and labels == ["This center's thresholds: " + page.chart.measure.title]
    (own,) = page.ctx.measures.thresholds("satisfactory_growth")
    assert (own.value, own.reason) == (-1.5, "the network's definition as sent to us")
    assert "This center counts with its own threshold" in page.reading.text()
    assert "-1.5 (the library's default is -1)" in page.reading.text()


def test_a_threshold_without_a_reason_is_refused_and_nothing_changes(page: MeasuresPage, qtbot, presented) -> None:
    _select(page, "sustained_remission")

    def fill(dialog: QDialog) -> None:
        dialog.boxes[1].setValue(2)
        qtbot.keyClick(dialog, Qt.Key.Key_Return)  # no reason: the presenter says why and the dialog stays
        dialog.reject()

    when_dialog_opens(fill)
    page.buttons["thresholds"].click()
    assert presented and "Say why" in str(presented[0])
    assert all(t.value is None for t in page.ctx.measures.thresholds("sustained_remission"))


def test_a_continuous_measure_is_entered_and_charted_in_its_unit(qtbot, empty_measures_ctx) -> None:
    window = make_window(qtbot, empty_measures_ctx)
    window.go_to(MeasuresPage)
    page = window.stack.currentWidget()
    assert isinstance(page, MeasuresPage)
    _choose(page, "cf_fev1_median")
    for month, value, patients in (("2026-01", 91.5, 6), ("2026-02", 93.25, 7)):

        def enter(dialog: QDialog, month=month, value=value, patients=patients) -> None:
            dialog.month.setCurrentIndex(dialog.month.findData(month))
            dialog.value.setValue(value)
            dialog.numerator.setValue(patients)
            dialog.denominator.setValue(9)
            qtbot.keyClick(dialog, Qt.Key.Key_Return)

        when_dialog_opens(enter)
        page.buttons["enter"].click()
    chart = page.chart
    assert chart is not None and [p.y for p in chart.result.points] == [91.5, 93.25]
    headers = [page.months_model.headerData(k, Qt.Orientation.Horizontal) for k in range(5)]
    assert headers == ["Month", "Value", "With a reading", "Patients", "Source"]
    assert page.months_model.data(page.months_model.index(1, 1)) == "93.25"
    assert "among" in page.reading.text()
    row = next(k for k, m in enumerate(page.model.rows) if m.code == "cf_fev1_median")
    assert page.model.rows[row].latest == "93.25"
    page.show_point(1)
    assert "FEV1 % predicted from 7 of 9 patients with a reading = 93.25" in page.point_info.text()
    screenshot(window, "measures_continuous")


def _choose(page: MeasuresPage, code: str) -> None:
    row = next(k for k, m in enumerate(page.model.rows) if m.code == code)
    page.table.selectRow(row)


@pytest.fixture
def empty_measures_ctx(lhn_home: Path):
    """A center with no patients yet whose measures were computed once: every measure listed, none with data."""
    from lhn_desktop.access import Actor
    from lhn_desktop.app import AppContext
    from lhn_desktop.services.center import init_center_database
    from lhn_desktop.services.team import TeamService
    from tests.conftest import DEMO_TODAY

    path = lhn_home / "data" / "center.sqlite3"
    init_center_database(path, lhn_home / "data" / "backups", "ctr-cf", "Lakeside CF", network="CF Learning Network",
                         actor=Actor.workstation())  # fmt: skip
    ctx = AppContext.open(str(path), exclusive=True, today=lambda: DEMO_TODAY)
    ctx.measures.compute(ctx.actor, months=2)
    member = TeamService(ctx.db).add_member(ctx.actor, "Dr. Robin Sample", "physician")
    ctx.sign_in(member.id, "tester")
    yield ctx
    ctx.close()


def test_a_new_center_is_told_the_key_that_counts_its_measures(qtbot, lhn_home: Path) -> None:
    """A center just made has no measures counted: the page names the key that counts them (its button may be past
    the tool bar's end), and that key fills the list."""
    from lhn_desktop.access import Actor
    from lhn_desktop.app import AppContext
    from lhn_desktop.services.center import init_center_database
    from lhn_desktop.services.team import TeamService
    from tests.conftest import DEMO_TODAY

    path = lhn_home / "data" / "center.sqlite3"
    init_center_database(path, lhn_home / "data" / "backups", "ctr-new", "Lakeside Pediatric GI",
                         network="ImproveCareNow", actor=Actor.workstation())  # fmt: skip
    ctx = AppContext.open(str(path), exclusive=True, today=lambda: DEMO_TODAY)
    try:
        member = TeamService(ctx.db).add_member(ctx.actor, "Dr. Ana Ruiz", "physician")
        ctx.sign_in(member.id, "tester")
        window = make_window(qtbot, ctx)
        window.go_to(MeasuresPage)
        page = window.stack.currentWidget()
        assert isinstance(page, MeasuresPage) and not page.model.rows
        said = page.chart_view.figure.texts[0].get_text()
        assert "F5" in said and "Compute now" in said
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
        page.table.setFocus()
        qtbot.keyClick(page.table, Qt.Key.Key_F5)
        qtbot.waitUntil(lambda: bool(page.model.rows), timeout=10_000)
        assert page.point_info.text().startswith("Computed Mar 2024 to Feb 2026:")  # months in words, not 2024-03
        assert not any("No measures yet" in t.get_text() for t in page.chart_view.figure.texts)
    finally:
        ctx.close()


def test_a_long_pdsa_title_does_not_squeeze_the_forms_labels(page: MeasuresPage, qtbot) -> None:
    """The PDSA box of the note and phase forms asks for a sensible width: sized to its longest title it cut the
    labels beside it to "Linke"; the title is whole in its list and tool tip."""
    from PySide6.QtWidgets import QLabel

    from lhn_desktop.services.improvement_rules import Cycle

    ctx = page.ctx
    goal = ctx.improvement.save_goal(ctx.actor, None, title="Checklist", aim="Raise model care to 85% by June 2026")
    long_title = "Pre-visit checklist completed the afternoon before clinic by the nurse with the family's agenda " * 2
    ctx.improvement.save_cycle(ctx.actor, Cycle(id=None, seq=1, title=long_title.strip(), goal_id=goal))
    page.refresh()
    _select(page, "model_care")
    widths: list[tuple[str, int, int]] = []

    def look(dialog: QDialog) -> None:
        qtbot.waitExposed(dialog)
        widths.extend((lab.text(), lab.width(), lab.sizeHint().width()) for lab in dialog.findChildren(QLabel)
                      if lab.buddy() is not None)  # fmt: skip
        combo = dialog.pdsa
        texts = [combo.itemText(k) for k in range(combo.count())]
        assert any(long_title.strip() in t for t in texts)
        dialog.reject()

    for action in ("note", "phase"):
        when_dialog_opens(look)
        page.actions_[action].trigger()
    assert widths and all(shown >= wanted for _text, shown, wanted in widths), widths


def test_the_months_offered_for_a_month_by_hand_cross_the_new_year(page: MeasuresPage, qtbot) -> None:
    from lhn_desktop.gui.measure_dialogs import EnterMonthDialog

    dialog = EnterMonthDialog(page.ctx, page.ctx.measures.get("model_care"), "2026-02", page)  # today: 2 Mar 2026
    qtbot.addWidget(dialog)
    months = [dialog.month.itemData(k) for k in range(dialog.month.count())]
    assert months[:4] == ["2026-03", "2026-02", "2026-01", "2025-12"] and dialog.month.currentData() == "2026-02"
    assert len(months) == 61 and months[-1] == "2021-03"  # this month and the 60 complete ones before it
