"""The main window: navigation on the left, one page per area, menus and a status line.

Pages are built the first time they are shown (start-up builds and fills only the first one): the navigation
list and Ctrl+1..Ctrl+9 come from :data:`PAGES`, which names each page's module without importing it. A page
not built yet has missed no change: it reads everything afresh when it is first shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

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
from lhn_desktop.gui.tasks import TaskRunner
from lhn_desktop.gui.text_size import apply_text_size, current_text_size, next_text_size
from lhn_desktop.settings import TEXT_SIZE_NAMES, TEXT_SIZES

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageSpec:
    """A page of the navigation, known without importing it: its title and whether it holds patient-level data
    (both as its class says; tests/gui/test_lazy_pages.py checks they agree), and where its class lives."""

    title: str
    module: str
    name: str
    patient_data: bool

    def load(self) -> type[Page]:
        return getattr(__import__(self.module, fromlist=[self.name]), self.name)  # (seen by -X importtime)

    def is_for(self, cls: type) -> bool:
        return cls.__module__ == self.module and cls.__name__ == self.name


PAGES: tuple[PageSpec, ...] = (
    PageSpec("Huddle", "lhn_desktop.gui.pages.huddle", "HuddlePage", True),
    PageSpec("Patients", "lhn_desktop.gui.pages.patients", "PatientsPage", True),
    PageSpec("Patient lists", "lhn_desktop.gui.pages.lists", "ListsPage", True),
    PageSpec("Improvement", "lhn_desktop.gui.pages.improvement", "ImprovementPage", False),
    PageSpec("Measures", "lhn_desktop.gui.pages.measures", "MeasuresPage", False),
    PageSpec("Commons", "lhn_desktop.gui.pages.commons", "CommonsPage", False),
    PageSpec("Sync", "lhn_desktop.gui.pages.sync", "SyncPage", False),
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
        #: the pages the signed-in person may see, in navigation order; ``_built`` holds those shown so far
        self.specs: list[PageSpec] = []
        self._built: dict[int, Page] = {}
        self._shown_before = False
        self.status_user = QLabel("", self)
        self.statusBar().addPermanentWidget(self.status_user)
        self._build_menus()
        self.nav.currentRowChanged.connect(self._show_page)
        self._build_pages()
        self._restore_geometry()

    # -- pages -------------------------------------------------------------------------------------
    def _build_pages(self) -> None:
        """(Re)list the pages the signed-in person may see (partners get no patient-level pages) and show the first;
        the others are built when first shown."""
        self.nav.blockSignals(True)
        self.nav.clear()
        for page in self._built.values():
            self.stack.removeWidget(page)
            page.deleteLater()
        self._built = {}
        self.specs = [spec for spec in PAGES if self.ctx.actor.sees_patient_data or not spec.patient_data]
        for i, spec in enumerate(self.specs):
            self.nav.addItem(spec.title)
            if i < 9:
                self.nav.item(i).setToolTip(f"{spec.title} (Ctrl+{i + 1})")
        self.nav.setCurrentRow(0)
        self.nav.blockSignals(False)
        self.export_action.setVisible(self.ctx.actor.sees_patient_data)  # the export is patient-level data
        self.import_action.setVisible(self.ctx.actor.sees_patient_data)
        role = self.ctx.actor.role.label if self.ctx.actor.role else "administrator"
        self.status_user.setText(f"Signed in as {self.ctx.actor.name} ({role})")
        self._show_page(0)  # once: the signal was blocked above

    def page_at(self, row: int) -> Page:
        """The page in row ``row`` of the navigation, built now if it has not been shown yet (not yet filled: it
        reads its data in ``refresh`` when shown)."""
        page = self._built.get(row)
        if page is None:
            spec = self.specs[row]
            page = spec.load()(self.ctx, self.stack)
            page.adopt_shortcuts()
            page.open_patient.connect(self.open_patient)
            if row < 9:
                page.setProperty("shortcut", f"Ctrl+{row + 1}")
            self.stack.addWidget(page)
            self._built[row] = page
        return page

    @property
    def pages(self) -> list[Page]:
        """Every page the signed-in person may see, each built now if it was not yet (the smoke run visits them
        all; the window itself never asks for them all)."""
        return [self.page_at(row) for row in range(len(self.specs))]

    def built_pages(self) -> list[Page]:
        """The pages shown (or asked for) so far, in navigation order."""
        return [self._built[row] for row in sorted(self._built)]

    def _show_page(self, row: int) -> None:
        if not 0 <= row < len(self.specs):
            return
        try:
            page = self.page_at(row)
            self.stack.setCurrentWidget(page)
            page.refresh()
        except Exception as exc:
            show_error(self, exc)
            return
        if self.isVisible():
            page.focus_main()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        page = self.stack.currentWidget()
        if not self._shown_before and isinstance(page, Page):
            page.focus_main()  # ready for keys: the arrows move through the first page's list at once
        self._shown_before = True

    def _go_to_row(self, row: int) -> None:
        """Ctrl+number: that page, with the keyboard in its main list (also when it is the page already shown)."""
        if not 0 <= row < len(self.specs):
            return
        if self.nav.currentRow() == row:
            self.page_at(row).focus_main()
        else:
            self.nav.setCurrentRow(row)

    def _row_of(self, cls: type[Page]) -> int | None:
        return next((row for row, spec in enumerate(self.specs) if spec.is_for(cls)), None)

    def page(self, cls: type[Page]) -> Page | None:
        """The page of class ``cls`` (built now if it was not yet); None when the signed-in person has no such page."""
        row = self._row_of(cls)
        return self.page_at(row) if row is not None else None

    def go_to(self, cls: type[Page]) -> Page | None:
        row = self._row_of(cls)
        if row is None:
            return None
        self.nav.setCurrentRow(row)
        return self.page_at(row)

    def open_patient(self, patient_id: str) -> None:
        from lhn_desktop.gui.pages.patients import PatientsPage

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
        out = [(f"Go to {spec.title}", f"Ctrl+{i + 1}") for i, spec in enumerate(self.specs[:9])]
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
        """The shortcuts of the page whose help topic is ``topic``, as the page has them now (None: no such page for
        the signed-in person). A page not shown yet is built to ask it."""
        from lhn_desktop.gui.help import PAGE_TOPICS

        row = next((r for r, spec in enumerate(self.specs) if PAGE_TOPICS.get(spec.name) == topic), None)
        return self.page_at(row).shortcuts() if row is not None else None

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
        widest = max(metrics.horizontalAdvance(spec.title) for spec in PAGES)
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
