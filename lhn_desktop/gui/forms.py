"""The base of the program's forms: an explanation, labelled rows of fields, OK and Cancel.

OK runs the form's ``save``; a value the services refuse shows its message through the one error presenter and
the form stays open with everything typed. The keyboard behaviour every form shares (first field, Tab order,
Escape asking before discarding) is installed once on the application by ``gui/keyboard.py``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.operations import Changed, announce
from lhn_desktop.gui.widgets import note

#: how many characters a choice box of a form asks room for (its open list is as wide as its longest choice)
FIELD_CHARS = 40


class FormDialog(QDialog):
    """A form whose OK runs ``save``; a refused value shows its message and keeps what was typed. Once saved, the
    form announces ``changes`` (gui/operations.py), so every page showing that data reloads itself."""

    changes = Changed.NOTHING

    def __init__(self, title: str, explanation: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        self.explanation = note(explanation, self)
        layout.addWidget(self.explanation)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def row(self, text: str, widget: QWidget) -> QWidget:
        if (
            isinstance(widget, QComboBox)
            and widget.sizeAdjustPolicy() == QComboBox.SizeAdjustPolicy.AdjustToContentsOnFirstShow
        ):
            # a list of the center's own titles asks for about 40 characters, not its longest title: sized to that,
            # it squeezed the labels beside it to a few letters ("Linke"); its open list shows the titles whole
            widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            widget.setMinimumContentsLength(FIELD_CHARS)
        label = QLabel(text, self)
        label.setBuddy(widget)
        self.form.addRow(label, widget)
        return widget

    def save(self) -> None:
        raise NotImplementedError

    def _accept(self) -> None:
        try:
            self.save()
        except LhnError as exc:
            show_error(self, exc)
            return
        self.accept()
        announce(self, self.changes)
