"""The Improvement page: a goal, its driver diagram, a PDSA ramp, the progress score and the write-ups."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.improvement import ImprovementPage
from tests.gui.conftest import when_dialog_opens


def _page(window: MainWindow) -> ImprovementPage:
    page = window.go_to(ImprovementPage)
    assert isinstance(page, ImprovementPage)
    return page


def _shown(page: ImprovementPage) -> str:
    """The detail pane's words, as read."""
    document = QTextDocument()
    document.setHtml(page.detail.text())
    return document.toPlainText()


def test_goal_diagram_ramp_and_score(window: MainWindow, qtbot, monkeypatch, tmp_path: Path) -> None:
    page = _page(window)

    def goal(dialog) -> None:
        qtbot.keyClicks(dialog.title_, "Fewer missed visits")
        qtbot.keyClicks(dialog.aim, "Raise visits within 200 days from 88% to 95% by 30 June 2026")
        dialog.measure.setCurrentIndex(dialog.measure.findData("visit_200d"))
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    when_dialog_opens(goal)
    page.actions_["new_goal"].trigger()
    key = page.tree.currentItem().data(0, Qt.ItemDataRole.UserRole)
    assert key[0] == "goal"
    detail = page.goals[key[1]]
    assert detail.measure_codes == ("visit_200d",) and (detail.end_date - detail.start_date).days == 90

    for text in ("Raise visits within 200 days", "Families know the next date", "Booked before leaving",
                 "Front desk books the next visit"):  # fmt: skip

        def box(dialog, words=text) -> None:
            qtbot.keyClicks(dialog.text, words)
            dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

        when_dialog_opens(box)
        page.actions_["add_box"].trigger()
        newest = page.goals[key[1]].drivers[-1]
        page.tree.setCurrentItem(page._find(("box", newest.id)))
    kinds = [d.kind for d in page.goals[key[1]].drivers]
    assert kinds == ["aim", "primary", "secondary", "change_idea"]

    def worksheet(dialog) -> None:
        qtbot.keyClicks(dialog.title, "Book before leaving")
        qtbot.keyClicks(dialog.questions[0][0], "Will families accept a date?")
        qtbot.keyClicks(dialog.questions[0][1], "8 of 10")
        dialog.scale_n.setValue(1)
        dialog.save_button.click()

    when_dialog_opens(worksheet)
    page.actions_["new_cycle"].trigger()
    first_key = page.tree.currentItem().data(0, Qt.ItemDataRole.UserRole)
    assert first_key[0] == "cycle"
    first = window.ctx.improvement.cycle(first_key[1])
    assert first.change_idea_id == page.goals[key[1]].drivers[-1].id

    when_dialog_opens(lambda d: d.save_button.click())
    page.actions_["next_cycle"].trigger()
    cycles = page.goals[key[1]].cycles
    assert [c.seq for c in cycles] == [1, 2] and cycles[1].parent_cycle_id == first.id
    assert cycles[1].questions == first.questions

    when_dialog_opens(lambda d: d.buttons.button(d.buttons.StandardButton.Ok).click())
    page.actions_["progress"].trigger()
    assert page.goals[key[1]].progress[-1].suggested is not None

    seen = when_dialog_opens(lambda d: d.reject())
    page.actions_["diagram"].trigger()
    assert seen and len(seen[0].canvas.figure.axes) == 1
    target = tmp_path / "ramp.pdf"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), ""))
    page.tree.setCurrentItem(page._find(("cycle", cycles[0].id)))
    page.actions_["ramp_pdf"].trigger()
    assert target.read_bytes()[:4] == b"%PDF"
    diagram = window.ctx.improvement.export_diagram(key[1], tmp_path / "diagram.png")
    assert diagram.read_bytes()[:4] == b"\x89PNG"


def test_a_chosen_box_is_shown_whole_beside_the_tree(window: MainWindow, qtbot) -> None:
    """The tree's first column cuts long boxes short; choosing one (by keys too) shows it whole on the right, with
    the boxes above it, what sits under it and the PDSA cycles testing it."""
    page = _page(window)
    goal = next(g for g in page.goals.values() if g.cycles and any(c.change_idea_id for c in g.cycles))
    boxes = {d.id: d for d in goal.drivers}
    tested = next(boxes[c.change_idea_id] for c in goal.cycles if c.change_idea_id in boxes)
    page.tree.setFocus()
    page.tree.setCurrentItem(page._find(("box", tested.id)))
    shown = _shown(page)
    assert f"Change idea: {tested.text}" in shown
    parent = boxes[tested.parent_id]
    assert f"{parent.text}" in shown and shown.index(parent.text) < shown.index(tested.text)  # from the aim down
    aim = next(d for d in goal.drivers if d.kind == "aim")
    assert aim.text in shown
    for cycle in goal.cycles:
        if cycle.change_idea_id == tested.id:
            assert f"PDSA {cycle.seq}: {cycle.title} ({cycle.status}" in shown  # where each stands: "(done, adapt)"
    assert goal.title in shown  # the goal's own summary follows

    primary = next(d for d in goal.drivers if d.kind == "primary" and any(x.parent_id == d.id for x in goal.drivers))
    page.tree.setCurrentItem(page._find(("box", primary.id)))
    shown = _shown(page)
    assert "Under it" in shown
    assert all(x.text in shown for x in goal.drivers if x.parent_id == primary.id)

    untested = next((d for d in goal.drivers if d.kind == "change_idea"
                     and not any(c.change_idea_id == d.id for c in goal.cycles)), None)  # fmt: skip
    if untested is not None:
        page.tree.setCurrentItem(page._find(("box", untested.id)))
        assert "No PDSA cycle tests this change idea yet" in _shown(page)

    cycle = next(c for c in goal.cycles if c.change_idea_id == tested.id)
    page.tree.setCurrentItem(page._find(("cycle", cycle.id)))
    assert f"Tests the change idea: {tested.text}" in _shown(page)
