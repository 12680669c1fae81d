"""Where documents are saved: one Save dialog for every PDF, chart and list the program writes.

It starts in the folder last used for that kind of document, or in the person's Documents folder,
with a name that says what the document is and for which day ("Huddle sheet 2026-03-02.pdf"); the
date is written year first so the files sort by date whatever the locale. Names never hold a
patient's name: a file name shows in folders, recent-file lists and backups.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

_KEY = "files/last_folder/"


def documents_folder() -> Path:
    """The person's Documents folder (the home folder where the system names none)."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found and Path(found).is_dir() else Path.home()


def suggested_name(what: str, when: date | None = None, suffix: str = ".pdf") -> str:
    """``"Huddle sheet 2026-03-02.pdf"``: what the document is, and the day it is for (today by default)."""
    day = (when or date.today()).isoformat()
    safe = " ".join("".join(c for c in what if c not in '<>:"/\\|?*').split()) or "Document"
    return f"{safe} {day}{suffix}"


def start_folder(kind: str) -> Path:
    """The folder the last document of this kind went to, while it exists; else Documents."""
    last = QSettings().value(_KEY + kind)
    if isinstance(last, str) and last and Path(last).is_dir():
        return Path(last)
    return documents_folder()


def remember_folder(kind: str, path: str | Path) -> None:
    QSettings().setValue(_KEY + kind, str(Path(path).parent))


PATIENT_DATA_WARNING = " (it holds patient data: keep it within the center)"


def ask_save_path(
    parent: QWidget, title: str, kind: str, name: str, filters: list[str], *, patient_data: bool = False
) -> Path | None:
    """Ask where to save; ``filters`` like ``"PDF (*.pdf)"``, the first is the default. The chosen filter's
    suffix is added when the name typed has none. ``None`` when the person cancels. A document with
    ``patient_data`` says so in the dialog's title: once saved, it is outside the encrypted database."""
    if patient_data:
        title += PATIENT_DATA_WARNING
    chosen_path, chosen_filter = QFileDialog.getSaveFileName(
        parent, title, str(start_folder(kind) / name), ";;".join(filters)
    )
    if not chosen_path:
        return None
    path = Path(chosen_path)
    if not path.suffix:
        pattern = chosen_filter or filters[0]
        path = path.with_name(path.name + pattern[pattern.index("*") + 1 : pattern.index(")")].split()[0])
    remember_folder(kind, path)
    return path


CHART_FILTERS = ["PNG picture (*.png)", "SVG drawing (*.svg)", "PDF document (*.pdf)"]
CSV_FILTER = "CSV data for a spreadsheet (*.csv)"


def ask_chart_path(parent: QWidget, title: str, on: date, *, csv: bool = True) -> str | None:
    """Where to export a chart: the Documents folder (or the last one used), named by its title and the day; as a
    picture, a PDF or (with ``csv``) its numbers."""
    filters = CHART_FILTERS + ([CSV_FILTER] if csv else [])
    path = ask_save_path(parent, "Export the chart", "chart", suggested_name(title, on, ".png"), filters)
    return str(path) if path is not None else None
