"""Table models over lists of service dataclasses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor

from lhn_desktop.localization import format_date, format_datetime, format_month

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2


_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
        SORT_ROLE,
        ROW_ROLE,
    }
)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
#: cells with more characters than this also show their whole text when the pointer rests on them
TOOLTIP_FROM = 16


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    align_right: bool = False
    #: The text colour of a cell (a colour name such as ``"#b00020"``), or None for the usual colour.
    colour: Callable[[Any], str | None] | None = None


class Month(date):
    """A calendar month in a table or a sentence: shown as "Mar 2027", sorted as a date."""

    @classmethod
    def of(cls, text: str) -> Month:
        """From the stored form "2027-03"."""
        year, month = text.split("-")
        return cls(int(year), int(month), 1)


def display_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Month):
        return format_month(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _sort_key(value: Any) -> Any:
    # None sorts first; dates and numbers by value; text case-insensitively.
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.casefold()
    return value


class RowsTableModel(QAbstractTableModel):
    """Read-only rows, one dataclass each, shown through a list of columns."""

    def __init__(self, columns: Sequence[Column], parent=None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Views ask for many roles per cell; answer the ones we do not use before touching the row.
        if role not in _ROLES or not index.isValid():
            return None
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if col.align_right else None
        if role == Qt.ItemDataRole.ForegroundRole and col.colour is None:
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = col.colour(row)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.DisplayRole:
            return display_text(col.value(row))
        if role == Qt.ItemDataRole.ToolTipRole:
            # the whole text when a narrow column may cut it off ("Patients growing satisfactorily (...)")
            text = display_text(col.value(row))
            return text if len(text) > TOOLTIP_FROM else None
        if role == SORT_ROLE:
            return _sort_key(col.value(row))
        return row  # ROW_ROLE

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].header
        return None


def sortable(model: RowsTableModel, parent=None) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterKeyColumn(-1)
    return proxy
