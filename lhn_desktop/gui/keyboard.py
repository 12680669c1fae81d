"""One keyboard behaviour for every form the program opens, installed once on the application.

When one of the program's dialogs is shown:

- the cursor is in its first field (never on OK, where a space press or what is typed straight away
  would be lost);
- Tab walks the fields in reading order (top to bottom, left to right) and reaches the dialog's
  buttons last;
- once a person has changed a field, Escape asks before the changes are discarded. Cancel (and the
  window's close button) are explicit choices and do not ask.

A dialog opts out of the question with the property ``NO_DISCARD_QUESTION`` (a dialog whose only field
is a file path, or that shows a report). Message boxes and the system's file dialogs are not the
program's and are left alone.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QRadioButton,
    QTableView,
    QTextEdit,
    QWidget,
)

NO_DISCARD_QUESTION = "lhnNoDiscardQuestion"
_EDITED = "lhnEdited"
_SET_UP = "lhnKeyboardSetUp"
FIELDS = (QLineEdit, QTextEdit, QPlainTextEdit, QComboBox, QAbstractSpinBox, QCheckBox, QRadioButton, QListWidget,
          QTableView)  # fmt: skip
DISCARD_QUESTION = "Discard the changes you made in this form?"


def is_ours(dialog: QWidget) -> bool:
    return isinstance(dialog, QDialog) and type(dialog).__module__.startswith("lhn_desktop.")


def fields_in_reading_order(dialog: QWidget) -> list[QWidget]:
    """The dialog's visible, enabled fields that take the keyboard, top to bottom and left to right."""
    found = []
    for widget in dialog.findChildren(QWidget):
        if not isinstance(widget, FIELDS) or not widget.isVisibleTo(dialog) or not widget.isEnabled():
            continue
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or _inside_a_field(widget, dialog):
            continue
        if isinstance(widget, QTextEdit | QPlainTextEdit | QTableView) and _read_only(widget):
            continue
        found.append(widget)
    return sorted(found, key=lambda w: _place(w, dialog))


def buttons_of(dialog: QWidget) -> list[QAbstractButton]:
    out: list[QAbstractButton] = []
    for box in dialog.findChildren(QDialogButtonBox):
        out.extend(b for b in box.buttons() if b.isVisibleTo(dialog))
    return out


def _read_only(widget: QWidget) -> bool:
    read_only = getattr(widget, "isReadOnly", None)
    if read_only is not None:
        return bool(read_only())
    triggers = getattr(widget, "editTriggers", None)
    return triggers is not None and triggers() == QTableView.EditTrigger.NoEditTriggers


def _inside_a_field(widget: QWidget, dialog: QWidget) -> bool:
    """A line edit inside a combo box or spin box is part of that field."""
    parent = widget.parentWidget()
    while parent is not None and parent is not dialog:
        if isinstance(parent, QComboBox | QAbstractSpinBox):
            return True
        parent = parent.parentWidget()
    return False


def _place(widget: QWidget, dialog: QWidget) -> tuple[int, int]:
    at = widget.mapTo(dialog, widget.rect().topLeft())
    return (at.y() // 8, at.x())  # rows a few pixels apart are the same row of the form


def set_up(dialog: QDialog) -> None:
    """First field focused, Tab in reading order with the buttons last, and edits watched (once per dialog)."""
    if dialog.property(_SET_UP):
        return
    dialog.setProperty(_SET_UP, True)
    fields = fields_in_reading_order(dialog)
    chain: list[QWidget] = [*fields, *buttons_of(dialog)]
    for first, second in itertools.pairwise(chain):
        QWidget.setTabOrder(first, second)
    focus = dialog.focusWidget()
    if fields and (focus is None or isinstance(focus, QAbstractButton) or focus not in fields):
        fields[0].setFocus(Qt.FocusReason.TabFocusReason)
    for widget in fields:
        _watch(dialog, widget)


def _watch(dialog: QDialog, widget: QWidget) -> None:
    def edited(*_args) -> None:
        dialog.setProperty(_EDITED, True)

    if isinstance(widget, QLineEdit):
        widget.textEdited.connect(edited)
    elif isinstance(widget, QTextEdit | QPlainTextEdit):
        widget.textChanged.connect(edited)
    elif isinstance(widget, QComboBox):
        widget.activated.connect(edited)
        if widget.isEditable() and widget.lineEdit() is not None:
            widget.lineEdit().textEdited.connect(edited)
    elif isinstance(widget, QDateEdit):
        widget.dateChanged.connect(edited)
    elif isinstance(widget, QAbstractSpinBox):
        getattr(widget, "valueChanged", widget.editingFinished).connect(edited)
    elif isinstance(widget, QCheckBox | QRadioButton):
        widget.clicked.connect(edited)


def was_edited(dialog: QWidget) -> bool:
    return bool(dialog.property(_EDITED))


def may_discard(dialog: QDialog) -> bool:
    """True when the dialog may close now: nothing was changed, or the person says to discard it."""
    if not was_edited(dialog) or dialog.property(NO_DISCARD_QUESTION):
        return True
    answer = QMessageBox.question(
        dialog,
        dialog.windowTitle() or "LHN Desktop",
        DISCARD_QUESTION,
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    if answer == QMessageBox.StandardButton.Discard:
        dialog.setProperty(_EDITED, False)
        return True
    return False


class DialogKeyboard(QObject):
    """The application's event filter that gives every dialog of the program the behaviour above."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Show and is_ours(watched):
            set_up(watched)  # type: ignore[arg-type]
        elif kind == QEvent.Type.KeyPress and _plain_escape(event):
            dialog = watched if is_ours(watched) else _dialog_of(watched)
            if dialog is not None and not _popup_open() and not _in_a_cell(watched):
                if may_discard(dialog):  # type: ignore[arg-type]
                    dialog.reject()  # type: ignore[attr-defined]
                return True
        return False


def _plain_escape(event: QEvent) -> bool:
    return event.key() == Qt.Key.Key_Escape and not event.modifiers()  # type: ignore[attr-defined]


def _dialog_of(widget: QObject) -> QDialog | None:
    if not isinstance(widget, QWidget):
        return None
    window = widget.window()
    return window if is_ours(window) else None  # type: ignore[return-value]


def _popup_open() -> bool:
    """Escape in an open combo box list closes the list, not the form."""
    return QApplication.activePopupWidget() is not None


def _in_a_cell(widget: QObject) -> bool:
    """Escape while editing a table's cell ends that edit, not the form."""
    parent = widget.parent() if isinstance(widget, QWidget) else None
    while parent is not None:
        if isinstance(parent, QAbstractItemView):
            return True
        parent = parent.parent()
    return False


_installed: DialogKeyboard | None = None


def install(app: QApplication) -> DialogKeyboard:
    """Install the behaviour once on the application (the window does it; tests do it for lone dialogs)."""
    global _installed
    if _installed is None:
        _installed = DialogKeyboard(app)
        app.installEventFilter(_installed)
    return _installed
