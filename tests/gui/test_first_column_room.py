"""A list's first column (names, titles) takes the room its other columns leave, never less than its minimum, and
the other columns stay in view: new rows fitted to their contents must not push them out."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QHeaderView

from lhn_desktop.gui.models import Column
from lhn_desktop.gui.widgets import FirstColumnRoom, RecordsView


@dataclass
class Measure:
    title: str
    latest: str
    goal: str


LONG = "Patients growing satisfactorily (height z-score -1 or more) at their latest visit"


def _view(qtbot, width: int) -> tuple[RecordsView, FirstColumnRoom]:
    view = RecordsView([Column("Measure", lambda m: m.title), Column("Latest", lambda m: m.latest),
                        Column("Goal", lambda m: m.goal)])  # fmt: skip
    qtbot.addWidget(view)
    room = FirstColumnRoom(view, view.horizontalHeader(), chars=28)
    view.resize(width, 300)
    view.show()
    qtbot.waitExposed(view)
    return view, room


def test_new_rows_fitted_to_their_contents_leave_the_other_columns_in_view_when_narrow(qtbot) -> None:
    view, room = _view(qtbot, 280)
    view.rows_model.set_rows([Measure(LONG, "85%", "90%"), Measure("Model care at the visit", "86%", "80%")])
    header = view.horizontalHeader()
    assert header.sectionResizeMode(0) == QHeaderView.ResizeMode.Interactive
    assert header.sectionSize(0) == room.minimum()  # not the long title's width (it pushed the numbers away)
    assert header.sectionSize(1) > 0 and header.sectionViewportPosition(1) < view.viewport().width()


def test_with_room_the_first_column_stretches_and_every_column_is_in_view(qtbot) -> None:
    view, _room = _view(qtbot, 900)
    view.rows_model.set_rows([Measure(LONG, "85%", "90%")])
    header = view.horizontalHeader()
    assert header.sectionResizeMode(0) == QHeaderView.ResizeMode.Stretch
    last = header.count() - 1
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= view.viewport().width()


def test_a_person_may_still_drag_the_first_column_wider_when_the_list_is_narrow(qtbot) -> None:
    view, room = _view(qtbot, 280)
    view.rows_model.set_rows([Measure(LONG, "85%", "90%")])
    header = view.horizontalHeader()
    header.resizeSection(0, room.minimum() + 120)  # as a drag of the header's edge does
    assert header.sectionSize(0) == room.minimum() + 120
