"""The main window: navigation on the left, one page per area, menus and a status line."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from lhn_desktop import APP_NAME, __version__
from lhn_desktop.gui.dialogs import CenterDialog, SignInDialog, TeamDialog
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.pages.commons import CommonsPage
from lhn_desktop.gui.pages.huddle import HuddlePage
from lhn_desktop.gui.pages.improvement import ImprovementPage
from lhn_desktop.gui.pages.lists import ListsPage
from lhn_desktop.gui.pages.measures import MeasuresPage
from lhn_desktop.gui.pages.patients import PatientsPage
from lhn_desktop.gui.pages.sync import SyncPage
from lhn_desktop.gui.tasks import TaskRunner

logger = logging.getLogger(__name__)

PAGE_CLASSES: tuple[type[Page], ...] = (
    HuddlePage,
    PatientsPage,
    ListsPage,
    ImprovementPage,
    MeasuresPage,
    CommonsPage,
    SyncPage,
)


class MainWindow(QMainWindow):
    #: Off for --smoke runs, so a headless check never changes the window size people see.
    remember_geometry = True

    def __init__(self, ctx, runner: TaskRunner, os_user: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.runner = runner
        self.os_user = os_user
        self.setWindowTitle(f"{APP_NAME} — {ctx.center().site_name}")
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.nav = QListWidget(central)
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(170)
        self.stack = QStackedWidget(central)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.pages: list[Page] = []
        self.status_user = QLabel("", self)
        self.statusBar().addPermanentWidget(self.status_user)
        self._build_menus()
        self.nav.currentRowChanged.connect(self._show_page)
        self._build_pages()
        self._restore_geometry()

    # -- pages -------------------------------------------------------------------------------------
    def _build_pages(self) -> None:
        """(Re)build the pages the signed-in person may see; partners get no patient-level pages."""
        self.nav.blockSignals(True)
        self.nav.clear()
        for page in self.pages:
            self.stack.removeWidget(page)
            page.deleteLater()
        self.pages = []
        for cls in PAGE_CLASSES:
            if cls.patient_data and not self.ctx.actor.sees_patient_data:
                continue
            page = cls(self.ctx, self.stack)
            page.adopt_shortcuts()
            page.open_patient.connect(self.open_patient)
            self.pages.append(page)
            self.stack.addWidget(page)
            self.nav.addItem(page.title)
        for i, page in enumerate(self.pages[:9]):
            page.setProperty("shortcut", f"Ctrl+{i + 1}")
            self.nav.item(i).setToolTip(f"{page.title} (Ctrl+{i + 1})")
        self.nav.blockSignals(False)
        self.export_action.setVisible(self.ctx.actor.sees_patient_data)  # the export is patient-level data
        self.import_action.setVisible(self.ctx.actor.sees_patient_data)
        role = self.ctx.actor.role.label if self.ctx.actor.role else "administrator"
        self.status_user.setText(f"Signed in as {self.ctx.actor.name} ({role})")
        self.nav.setCurrentRow(0)
        self._show_page(0)

    def _show_page(self, row: int) -> None:
        if not 0 <= row < len(self.pages):
            return
        page = self.pages[row]
        self.stack.setCurrentWidget(page)
        try:
            page.refresh()
        except Exception as exc:
            show_error(self, exc)
        if self.isVisible():
            page.focus_main()

    def _go_to_row(self, row: int) -> None:
        """Ctrl+number: that page, with the keyboard in its main list (also when it is the page already shown)."""
        if not 0 <= row < len(self.pages):
            return
        if self.nav.currentRow() == row:
            self.pages[row].focus_main()
        else:
            self.nav.setCurrentRow(row)

    def page(self, cls: type[Page]) -> Page | None:
        return next((p for p in self.pages if isinstance(p, cls)), None)

    def go_to(self, cls: type[Page]) -> Page | None:
        page = self.page(cls)
        if page is not None:
            self.nav.setCurrentRow(self.pages.index(page))
        return page

    def open_patient(self, patient_id: str) -> None:
        page = self.go_to(PatientsPage)
        if isinstance(page, PatientsPage):
            try:
                page.show_patient(patient_id)
            except Exception as exc:
                show_error(self, exc)

    # -- menus -------------------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.backup_action = self._action(file_menu, "&Back up now", self.back_up_now)
        self.import_action = self._action(file_menu, "&Import from the EHR…", self.import_from_ehr)
        self.export_action = self._action(file_menu, "&Export the center's data…", self.export_center_data)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        center = bar.addMenu("&Center")
        self._action(center, "&Team…", lambda: TeamDialog(self.ctx, self).exec())
        self._action(center, "Center &details…", lambda: CenterDialog(self.ctx, self).exec())
        self._action(center, "&Switch user…", self.switch_user, QKeySequence("Ctrl+Shift+U"))
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts…", self.show_shortcuts, QKeySequence("Ctrl+/"))
        self._action(help_menu, "&About LHN Desktop", self.about)
        for i in range(9):
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, activated=lambda i=i: self._go_to_row(i))

    def back_up_now(self) -> None:
        self.backup_action.setEnabled(False)

        def done(result) -> None:
            self.backup_action.setEnabled(True)
            self.statusBar().showMessage(f"Backup written: {result.path}", 10_000)

        def failed(exc: BaseException) -> None:
            self.backup_action.setEnabled(True)
            show_error(self, exc)

        self.runner.submit(
            lambda progress, cancel: self.ctx.maintenance.backup(progress=progress, cancel=cancel),
            on_success=done,
            on_error=failed,
            label="Backing up the center database…",
            cancellable=True,
        )

    def import_from_ehr(self) -> None:
        from lhn_desktop.gui.ehr_dialog import EhrImportDialog

        dialog = EhrImportDialog(self.ctx, self.runner, self)
        dialog.exec()
        if dialog.imported:  # every page reads the record again when shown; the current one now
            self._show_page(self.nav.currentRow())

    def export_center_data(self) -> None:
        from lhn_desktop.gui.export_dialog import ExportDialog

        ExportDialog(self.ctx, self.runner, self).exec()

    def switch_user(self) -> None:
        dialog = SignInDialog(self.ctx, self, preselect=self.ctx.actor.member_id)
        if dialog.exec() and dialog.member_id:
            try:
                self.ctx.sign_in(dialog.member_id, self.os_user)
            except Exception as exc:
                show_error(self, exc)
                return
            self._build_pages()

    def window_shortcuts(self) -> list[tuple[str, str]]:
        """The shortcuts that work on every page: the pages' own numbers and the menus'."""
        native = QKeySequence.SequenceFormat.NativeText
        out = [(f"Go to {page.title}", f"Ctrl+{i + 1}") for i, page in enumerate(self.pages[:9])]
        for menu in self.menuBar().findChildren(QMenu):
            for action in menu.actions():
                keys = action.shortcut().toString(native)
                if keys and action.isVisible():
                    out.append((action.text().replace("&", "").rstrip("…"), keys))
        return out

    def show_shortcuts(self) -> None:
        from lhn_desktop.gui.dialogs import ShortcutsDialog

        page = self.stack.currentWidget()
        own = page.shortcuts() if isinstance(page, Page) else []
        title = page.title if isinstance(page, Page) else ""
        ShortcutsDialog(title, own, self.window_shortcuts(), self).exec()

    def about(self) -> None:
        info = self.ctx.center()
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME} {__version__}</b><br>Offline pre-visit planning, shared goals, improvement work and run "
            f"charts for care-center teams.<br><br>Center: {info.site_name} ({info.site_code})<br>"
            f"Database: {info.db_path}",
        )

    # -- window state ------------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = QSettings().value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)

    def closeEvent(self, event) -> None:
        if self.remember_geometry:
            QSettings().setValue("main_window/geometry", self.saveGeometry())
        self.runner.shutdown()
        super().closeEvent(event)
