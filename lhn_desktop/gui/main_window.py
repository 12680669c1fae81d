"""The main window: navigation on the left, one page per area, menus and a status line."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QWidget,
)

from lhn_desktop import APP_NAME
from lhn_desktop.gui.dialogs import CenterDialog, SignInDialog, TeamDialog
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.help import GETTING_STARTED
from lhn_desktop.gui.operations import ChangeBus, Changed
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.pages.commons import CommonsPage
from lhn_desktop.gui.pages.huddle import HuddlePage
from lhn_desktop.gui.pages.improvement import ImprovementPage
from lhn_desktop.gui.pages.lists import ListsPage
from lhn_desktop.gui.pages.measures import MeasuresPage
from lhn_desktop.gui.pages.patients import PatientsPage
from lhn_desktop.gui.pages.sync import SyncPage
from lhn_desktop.gui.tasks import TaskRunner
from lhn_desktop.gui.text_size import apply_text_size, current_text_size, next_text_size
from lhn_desktop.settings import TEXT_SIZE_NAMES, TEXT_SIZES

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
#: The navigation list's width at the normal text size (it grows with View > Text size), and the room its items
#: need beside their text (the style sheet's item padding, the list's margins and a scroll bar).
NAV_WIDTH = 170
NAV_PADDING = 60


def _keys(first: str, standard: QKeySequence.StandardKey) -> list[QKeySequence]:
    """``first``, then the platform's own keys for the same thing when they differ (menus show the first)."""
    keys = [QKeySequence(first)]
    for key in QKeySequence.keyBindings(standard):
        if key not in keys:
            keys.append(key)
    return keys


class MainWindow(QMainWindow):
    #: Off for --smoke runs, so a headless check never changes the window size people see.
    remember_geometry = True

    def __init__(self, ctx, runner: TaskRunner, os_user: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.runner = runner
        self.changes = ChangeBus(self)  # what operations changed: the page on screen reloads what it shows
        self.os_user = os_user
        self.setWindowTitle(f"{APP_NAME} — {ctx.center().site_name}")
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.nav = QListWidget(central)
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(NAV_WIDTH)
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
        self._action(center, "Database &protection…", self.show_protection)
        self._action(center, "&Switch user…", self.switch_user, QKeySequence("Ctrl+Shift+U"))
        self._action(center, "&Lock now", lambda: self.lock("Locked."), QKeySequence("Ctrl+L"))
        self._action(center, "Lock &after…", self.choose_lock_minutes)
        self._build_view_menu(bar.addMenu("&View"))
        help_menu = bar.addMenu("&Help")
        page_help = self._action(help_menu, "&Help for this page", lambda: self.show_help())
        page_help.setShortcuts(_keys("F1", QKeySequence.StandardKey.HelpContents))  # F1; the Mac's own key too
        self._action(help_menu, "&Getting started", lambda: self.show_help(GETTING_STARTED))
        self._action(help_menu, "&Keyboard shortcuts…", self.show_shortcuts, QKeySequence("Ctrl+/"))
        help_menu.addSeparator()
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
            self.changes.changed.emit(Changed.PATIENTS | Changed.VISITS | Changed.PLANS)

    def export_center_data(self) -> None:
        from lhn_desktop.gui.export_dialog import ExportDialog

        ExportDialog(self.ctx, self.runner, self).exec()

    def show_protection(self) -> None:
        from lhn_desktop.gui.key_dialogs import ProtectionDialog

        ProtectionDialog(self.ctx, self).exec()

    def switch_user(self) -> bool:
        """Another team member takes over: their name and their PIN (the dialog signs them in)."""
        dialog = SignInDialog(self.ctx, self, preselect=self.ctx.actor.member_id, os_user=self.os_user)
        if dialog.exec() and dialog.member_id:
            self._build_pages()
            return True
        return False

    def lock(self, reason: str = "Locked after a while without use.") -> None:
        """Hide everything until the signed-in person's PIN is typed (or someone else signs in)."""
        from lhn_desktop.gui.lock import lock_window

        if getattr(self, "_locked", False):
            return
        self._locked = True
        try:
            lock_window(self, self.ctx, reason, self.switch_user)
        finally:
            self._locked = False

    def lock_when_idle(self, app) -> None:
        """Lock after the minutes this workstation chose (Center > Lock after…) without a key press or a click."""
        from lhn_desktop.gui.lock import IdleWatch

        def idle() -> None:
            self.lock(f"Locked after {self.ctx.settings.lock_after_minutes} minutes without use.")

        self.idle_watch = IdleWatch(app, self.ctx.settings.lock_after_minutes, idle)

    def choose_lock_minutes(self) -> None:
        """How many quiet minutes before the window locks, for this workstation (1 to 60; 10 unless changed)."""
        from PySide6.QtWidgets import QInputDialog

        from lhn_desktop.settings import LOCK_MINUTES

        minutes, ok = QInputDialog.getInt(
            self, "Lock after", "Lock the window after this many minutes without use:",
            self.ctx.settings.lock_after_minutes, LOCK_MINUTES[0], LOCK_MINUTES[1],
        )  # fmt: skip
        if not ok:
            return
        self.ctx.settings.lock_after_minutes = minutes
        self.ctx.save_settings()
        watch = getattr(self, "idle_watch", None)
        if watch is not None:
            watch.set_minutes(minutes)
        self.statusBar().showMessage(f"The window now locks after {minutes} minutes without use.", 5000)

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
        """The program's and its parts' versions, the center and the database file (Copy: for support)."""
        from lhn_desktop.gui.help import AboutDialog

        AboutDialog(self.ctx, self).exec()

    # -- help and text size ------------------------------------------------------------------------------------
    def page_shortcuts(self, topic: str) -> list[tuple[str, str]] | None:
        """The shortcuts of the page whose help topic is ``topic``, as the page has them now (None: not shown)."""
        from lhn_desktop.gui.help import topic_for_page

        page = next((p for p in self.pages if topic_for_page(p) == topic), None)
        return page.shortcuts() if page is not None else None

    def show_help(self, topic: str | None = None) -> None:
        """F1: the help of the page in front (or ``topic``), in a window that can stay open beside it."""
        from lhn_desktop.gui.help import show_help, topic_for_page

        if topic is None:
            topic = topic_for_page(self.stack.currentWidget())
        show_help(self, topic, self.page_shortcuts)

    def _build_view_menu(self, view) -> None:
        sizes = view.addMenu("&Text size")
        self.text_size_group = QActionGroup(self)
        self.text_size_actions: dict[int, QAction] = {}
        for percent in TEXT_SIZES:
            text = f"{TEXT_SIZE_NAMES[percent]} ({percent} %)"
            action = self._action(sizes, text, lambda _c=False, p=percent: self.set_text_size(p))
            action.setCheckable(True)
            self.text_size_group.addAction(action)
            self.text_size_actions[percent] = action
        sizes.addSeparator()
        bigger = self._action(sizes, "&Larger text", lambda: self.step_text_size(1))
        bigger.setShortcuts(_keys("Ctrl+=", QKeySequence.StandardKey.ZoomIn))  # Ctrl+= needs no Shift for the +
        smaller = self._action(sizes, "&Smaller text", lambda: self.step_text_size(-1))
        smaller.setShortcuts(_keys("Ctrl+-", QKeySequence.StandardKey.ZoomOut))
        self._action(sizes, "&Normal text size", lambda: self.set_text_size(100), QKeySequence("Ctrl+0"))
        self._show_text_size(current_text_size())

    def set_text_size(self, percent: int) -> None:
        """Text of the whole program at ``percent`` of the system's size, now and at every start."""
        percent = apply_text_size(percent)
        self._show_text_size(percent)
        if self.ctx.settings.text_size != percent:
            self.ctx.settings.text_size = percent
            self.ctx.save_settings()
        self.statusBar().showMessage(f"Text size: {TEXT_SIZE_NAMES[percent].lower()} ({percent} %)", 4000)

    def step_text_size(self, step: int) -> None:
        self.set_text_size(next_text_size(current_text_size(), step))

    def _show_text_size(self, percent: int) -> None:
        action = self.text_size_actions.get(percent)
        if action is not None:
            action.setChecked(True)
        self._fit_navigation()

    def _fit_navigation(self) -> None:
        """The navigation list as wide as its longest page name needs at this text size (never narrower than usual)."""
        self.nav.ensurePolished()  # the style sheet's font for the list, at the text size now
        metrics = self.nav.fontMetrics()
        widest = max(metrics.horizontalAdvance(cls.title) for cls in PAGE_CLASSES)
        self.nav.setFixedWidth(max(NAV_WIDTH, widest + NAV_PADDING))

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
