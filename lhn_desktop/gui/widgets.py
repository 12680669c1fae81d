"""Small shared widgets: page headers, notes, and a sortable, keyboard-friendly table."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHeaderView, QLabel, QTableView, QWidget

from lhn_desktop.gui.models import ROW_ROLE, Column, RowsTableModel, sortable

MAX_COLUMN_WIDTH = 320


def select_data(combo: QComboBox, value) -> None:
    """Show ``value`` in ``combo``; a stored value the list lacks is added, never silently replaced."""
    index = combo.findData(value)
    if index < 0 and isinstance(value, str):
        index = next((i for i in range(combo.count()) if str(combo.itemData(i)).lower() == value.lower()), -1)
    if index < 0 and value not in (None, ""):
        combo.addItem(str(value), value)
        index = combo.count() - 1
    combo.setCurrentIndex(max(0, index))


def heading(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("pageTitle")
    return label


def detail_pane(parent: QWidget | None = None) -> QLabel:
    """The shaded text panel beside a list that describes the selected item."""
    label = QLabel("", parent)
    label.setWordWrap(True)
    label.setObjectName("detailText")
    label.setMinimumWidth(220)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


def note(text: str, parent: QWidget | None = None) -> QLabel:
    """A plain explanation on a page: what it holds, or what is still to come."""
    label = QLabel(text, parent)
    label.setObjectName("pageNote")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class RecordsView(QTableView):
    """A read-only, sortable table of service dataclasses: arrows move, Enter opens (``activated_row``).

    The view owns its :class:`RowsTableModel` (``rows_model``) behind a sorting proxy.
    """

    activated_row = Signal(object)
    #: the columns were fitted to new rows (``fit_columns``)
    columns_fitted = Signal()

    def __init__(self, columns: Sequence[Column], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSortingEnabled(True)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setTabKeyNavigation(False)
        self.setWordWrap(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        # size columns from the first rows only: sizing reads every cell it looks at
        self.horizontalHeader().setResizeContentsPrecision(40)
        self.activated.connect(self._emit_row)
        self.rows_model = RowsTableModel(columns, self)
        self.setModel(sortable(self.rows_model, self))

    def setModel(self, model) -> None:
        super().setModel(model)
        if model is not None:
            model.modelReset.connect(self.fit_columns)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:  # View > Text size: rows as tall as the new text
            self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        super().changeEvent(event)

    def fit_columns(self) -> None:
        """Size columns to their contents (the first rows), within reason."""
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        for col in range(header.count() - 1):
            header.resizeSection(col, min(max(header.sectionSize(col), 60), MAX_COLUMN_WIDTH))
        self.columns_fitted.emit()

    def _emit_row(self, index) -> None:
        row = index.data(ROW_ROLE)
        if row is not None:
            self.activated_row.emit(row)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._emit_row(self.currentIndex())
            return
        super().keyPressEvent(event)

    def current_row(self):
        index = self.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def select_first(self) -> None:
        if self.model() is not None and self.model().rowCount() > 0:
            self.selectRow(0)


def page_actions(owner: QWidget, specs) -> tuple[dict, QWidget]:
    """A text tool bar of page actions from ``(key, text, shortcut or None, slot)``.

    Shortcuts work anywhere on ``owner`` (the page or tab), tool tips name them, and a narrow window
    folds what does not fit into the tool bar's » menu. Returns the actions by key and the tool bar.
    """
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QToolBar

    bar = QToolBar(owner)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    actions = {}
    for key, text, shortcut, slot in specs:
        action = QAction(text, owner)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"{text.rstrip('…')} ({shortcut})")
        action.triggered.connect(slot)
        owner.addAction(action)
        bar.addAction(action)
        actions[key] = action
    return actions, bar


class FirstColumnRoom(QObject):
    """The first column of a list (the names) takes the room the other columns leave, while that is at least
    ``chars`` characters wide; below that it keeps that width and the list scrolls sideways, so a name is never
    cut down to "…" at a large text size. The other columns keep the width of their contents, always in view.
    """

    def __init__(self, view: QAbstractItemView, header: QHeaderView, chars: int = 24) -> None:
        super().__init__(view)
        self.view, self.header, self.chars = view, header, chars
        self._fitting = False
        header.setStretchLastSection(False)
        for col in range(1, header.count()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        view.viewport().installEventFilter(self)
        header.sectionResized.connect(lambda col, _old, _new: col and self.fit())  # the first: a person's to drag
        fitted = getattr(view, "columns_fitted", None)  # a list fits its columns to new rows, the first one too:
        if fitted is not None:  # that widened it past the room left and pushed the others out of view
            fitted.connect(self.fit)
        self.fit()

    def minimum(self) -> int:
        return self.view.fontMetrics().averageCharWidth() * self.chars

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.fit()
        return False

    def fit(self) -> None:
        if self._fitting:
            return
        self._fitting = True
        try:
            header = self.header
            others = sum(header.sectionSize(c) for c in range(1, header.count()) if not header.isSectionHidden(c))
            if self.view.viewport().width() - others >= self.minimum():
                header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(0, self.minimum())
        finally:
            self._fitting = False
