"""Starting the window: open the database safely, ask who is using it, show the main window.

Every problem on the way (no database yet, a second window, a damaged or newer database, an
unwritable folder) ends in a message that says what to do; in ``--smoke`` runs it is printed
instead and the process exits non-zero, so a headless run can never hang on a dialog.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from lhn_desktop import APP_NAME, __version__
from lhn_desktop.access import Actor
from lhn_desktop.app import AppContext, resolve_db_path
from lhn_desktop.errors import Cancelled, CorruptDatabase, KeyNotFound, LhnError
from lhn_desktop.gui import errors as gui_errors
from lhn_desktop.gui.dialogs import FirstRunDialog, SignInDialog
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.tasks import TaskRunner
from lhn_desktop.paths import app_dirs, is_frozen, resource_path
from lhn_desktop.settings import load_settings

logger = logging.getLogger(__name__)


class StartupAborted(Exception):
    """The person closed a start-up dialog, or start-up cannot continue (already explained)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _os_user() -> str:
    from lhn_desktop.gui.dialogs import current_os_user

    return current_os_user()


class Launcher:
    #: Size of the demo center built on first start.
    demo_patients = 300

    def __init__(self, app: QApplication, db_arg: str | None, smoke: bool) -> None:
        self.app = app
        self.db_arg = db_arg
        self.smoke = smoke
        self.dirs = app_dirs()
        self.runner = TaskRunner(None, on_error=lambda exc: show_error(None, exc))
        #: Set when the person chose, after the background check, to restore the latest backup.
        self.restore_on_exit = False

    # -- messages ----------------------------------------------------------------------------------
    def fail(self, exc: BaseException) -> StartupAborted:
        code = exc.exit_code if isinstance(exc, LhnError) else 1
        if self.smoke:
            print(f"lhn-desktop: {exc}", file=sys.stderr)  # noqa: T201
        else:
            show_error(None, exc)
        return StartupAborted(code)

    # -- the database ------------------------------------------------------------------------------
    def database_path(self) -> Path | None:
        """The database to open, creating one on first start; ``None`` if the person cancelled."""
        settings = load_settings(self.dirs.config)
        path = resolve_db_path(self.db_arg, self.dirs, settings)
        if path.exists() or self.db_arg is not None:
            return path
        if self.smoke:
            raise self.fail(
                LhnError(
                    "There is no center database yet. Create one with 'lhn-desktop demo' or "
                    "'lhn-desktop init', or pass --db."
                )
            )
        dialog = FirstRunDialog()
        while dialog.exec():
            try:
                return self.create_first_database(dialog)
            except Cancelled:
                continue  # the demo build was cancelled: nothing was kept; choose again
            except LhnError as exc:
                show_error(dialog, exc)
        return None

    def create_first_database(self, dialog: FirstRunDialog) -> Path:
        from lhn_desktop.services.demo_center import DEMO_FILENAME

        if dialog.wants_demo:
            return self.build_demo(self.dirs.data / DEMO_FILENAME)
        from lhn_desktop.gui.key_dialogs import RecoveryKeyDialog
        from lhn_desktop.services.center import init_center_database

        info = init_center_database(
            self.dirs.default_db,
            self.dirs.backups,
            dialog.site.text(),
            dialog.name.text(),
            network=dialog.network.text().strip() or None,
            actor=Actor.workstation(),
            passphrase=dialog.center_passphrase(),
        )
        if info.recovery_key:  # shown once, before anything else
            RecoveryKeyDialog(info.recovery_key, info.site_name).exec()
        return Path(info.db_path)

    def build_demo(self, path: Path) -> Path:
        """Generate the demo center on a worker thread with a progress dialog and Cancel."""
        from lhn_desktop.services.demo_center import create_demo_database

        loop = QEventLoop()
        outcome: dict[str, object] = {}

        def done(result) -> None:
            outcome["path"] = Path(result.path)
            loop.quit()

        def failed(exc: BaseException) -> None:
            outcome["error"] = exc
            loop.quit()

        self.runner.submit(
            lambda progress, cancel: create_demo_database(
                path, self.dirs.backups, patients=self.demo_patients, replace=True, progress=progress, cancel=cancel
            ),
            on_success=done,
            on_error=failed,
            on_cancelled=loop.quit,
            label="Creating the demo center…",
            cancellable=True,
        )
        loop.exec()
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        if "path" not in outcome:
            raise Cancelled()
        return outcome["path"]  # type: ignore[return-value]

    def open_context(self, path: Path) -> AppContext:
        try:
            # The whole-file check runs in the background once the window shows (check_in_background).
            return AppContext.open(str(path), dirs=self.dirs, exclusive=True, full_check=False)
        except KeyNotFound as exc:
            if self.smoke:
                raise self.fail(exc) from exc
            return self.unlock(path)
        except CorruptDatabase as exc:
            if self.smoke or not exc.latest_backup:
                raise self.fail(exc) from exc
            return self.offer_restore(path, exc)
        except LhnError as exc:
            raise self.fail(exc) from exc

    def offer_restore(self, path: Path, exc: CorruptDatabase) -> AppContext:
        box = gui_errors.error_box(None, exc)
        restore = box.addButton("&Restore the latest backup", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("&Quit", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is not restore:
            raise StartupAborted(1)
        self.restore(path)
        try:
            return AppContext.open(str(path), dirs=self.dirs, exclusive=True)
        except LhnError as err:
            raise self.fail(err) from err

    def unlock(self, path: Path) -> AppContext:
        """The database's key is not kept here: the recovery key or the center passphrase opens it."""
        from lhn_desktop.gui.key_dialogs import UnlockDialog
        from lhn_desktop.services.maintenance import unlock

        if not UnlockDialog(str(path), unlock).exec():
            raise StartupAborted(1)
        return self.open_context(path)

    def restore(self, path: Path) -> None:
        from lhn_desktop.services.maintenance import restore_backup

        try:
            result = restore_backup(path, self.dirs.backups)
            QMessageBox.information(
                None,
                APP_NAME,
                f"The backup {Path(result.restored_from).name} was restored. "
                f"The damaged file was kept as {result.damaged_kept_as}.",
            )
        except LhnError as err:
            raise self.fail(err) from err

    # -- who is using it ---------------------------------------------------------------------------
    def sign_in(self, ctx: AppContext) -> None:
        """Who is using the program, with their PIN, every start: the person last chosen at this computer login
        is offered first, never signed in without asking (a shared login may be someone else now)."""
        user = _os_user()
        if self.smoke:
            clinical = [m for m in ctx.team.list_members() if m.sees_patient_data]
            if clinical:
                ctx.actor = ctx.team.actor_for(clinical[0].id)
            return
        dialog = SignInDialog(ctx, preselect=ctx.remembered_member(user), os_user=user)
        if not dialog.exec() or not dialog.member_id:
            raise StartupAborted(0)

    def check_in_background(self, ctx: AppContext, window) -> None:
        """Check the whole database file off the GUI thread; offer the latest backup if it is damaged."""
        self.runner.submit(
            lambda progress, cancel: ctx.maintenance.damage(),
            on_success=lambda damage: self.offer_restore_later(window, damage) if damage else None,
            on_error=lambda exc: logger.warning("Database check failed to run: %s", exc),
            writes=False,
        )

    def offer_restore_later(self, window, damage: CorruptDatabase) -> None:
        box = gui_errors.error_box(window, damage)
        restore = (
            box.addButton("&Restore the latest backup", QMessageBox.ButtonRole.AcceptRole)
            if (damage.latest_backup)
            else None
        )
        box.addButton("&Close", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if restore is not None and box.clickedButton() is restore:
            self.restore_on_exit = True
            window.close()

    def daily_backup(self, ctx: AppContext, window) -> None:
        age = ctx.maintenance.newest_backup_age_hours()
        if age is not None and age < ctx.settings.backup_every_hours:
            return
        self.runner.submit(
            lambda progress, cancel: ctx.maintenance.backup(cancel=cancel),
            on_success=lambda r: window.statusBar().showMessage(f"Daily backup written: {Path(r.path).name}", 8000),
            on_error=lambda exc: logger.warning("Daily backup failed: %s", exc),
        )


def _install_excepthooks(smoke: bool) -> None:
    def hook(exc_type, exc, tb) -> None:
        logger.critical("Unhandled error", exc_info=(exc_type, exc, tb))
        if smoke:
            import traceback

            traceback.print_exception(exc_type, exc, tb)
            QApplication.exit(1)
            return
        show_error(None, exc)

    sys.excepthook = hook
    threading.excepthook = lambda args: logger.critical(
        "Unhandled error in a worker thread", exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
    )


def make_application() -> QApplication:
    # Window state lives beside the settings file (so LHN_DESKTOP_HOME moves it too), as an INI file.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(app_dirs().config))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from lhn_desktop.gui.clinical_widgets import use_system_locale

    use_system_locale()  # dates and paper in the system's locale (lhn_desktop/localization.py)
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    icon = resource_path("icons", "lhn-desktop.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    style = resource_path("style.qss")
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    from lhn_desktop.gui.keyboard import install

    install(app)  # every form: first field focused, Tab in reading order, Escape asks before discarding edits
    from lhn_desktop.gui.text_size import apply_text_size

    apply_text_size(load_settings(app_dirs().config).text_size, app)  # View > Text size, as chosen last time
    return app  # type: ignore[return-value]


def import_first_page() -> None:
    """Import the main window and the first page of the navigation (the Huddle), as the start's other imports are:
    the command line calls this inside ``startup.imports_without_collection``."""
    from lhn_desktop.gui.main_window import PAGES

    PAGES[0].load()


def run(
    db_arg: str | None = None, *, smoke: bool = False, screenshots: str | None = None, first_page_ready: bool = False
) -> int:
    """Open the window. ``smoke``: visit every page and exit; ``first_page_ready`` (bench/startup.py): sign in as the
    smoke run does, say when the first page is ready for keys, and exit."""
    from lhn_desktop.gui.platform_check import display_problem

    problem = display_problem()  # said in words before Qt stops with its own terse line
    if problem is not None:
        print(problem, file=sys.stderr)  # noqa: T201  (no window to show it in)
        return 1
    app = make_application()
    _install_excepthooks(smoke)
    dirs = app_dirs()
    gui_errors.log_file_hint = str(dirs.logs)
    launcher = Launcher(app, db_arg, smoke or first_page_ready)  # both run without a person: no dialogs
    try:
        path = launcher.database_path()
        if path is None:
            return 0
    except StartupAborted as stop:
        return stop.code
    while True:
        try:
            ctx = launcher.open_context(path)
            launcher.sign_in(ctx)
        except StartupAborted as stop:
            return stop.code
        code = _show_main_window(app, launcher, ctx, screenshots, first_page_ready)
        ctx.close()
        if not launcher.restore_on_exit:
            return code
        launcher.restore_on_exit = False
        try:
            launcher.restore(path)
        except StartupAborted as stop:
            return stop.code


def _show_main_window(
    app: QApplication, launcher: Launcher, ctx: AppContext, screenshots: str | None, first_page_ready: bool = False
) -> int:
    """Show the main window until it closes; the exit code of the event loop."""
    from lhn_desktop.gui.main_window import MainWindow

    window = MainWindow(ctx, launcher.runner, _os_user())
    window.remember_geometry = not launcher.smoke
    window.show()
    if first_page_ready:
        QTimer.singleShot(0, lambda: _first_page_ready(window))
    elif launcher.smoke:
        QTimer.singleShot(0, lambda: _smoke(window, ctx, screenshots))
    else:
        if ctx.identity_notice:
            notice = ctx.identity_notice
            QTimer.singleShot(0, lambda: QMessageBox.information(window, APP_NAME, notice))
        window.lock_when_idle(app)
        QTimer.singleShot(300, lambda: launcher.check_in_background(ctx, window))
        QTimer.singleShot(1500, lambda: launcher.daily_backup(ctx, window))
    return app.exec()


def _first_page_ready(window) -> None:
    """The first page is on screen with its list filled: once the event loop has nothing left to do, paint the window
    (as bench/bare_window.py does), print the moment (seconds since the epoch, which bench/startup.py compares with
    the moment it started the process), what the page holds and where the keyboard is, then exit."""
    import time

    from lhn_desktop.gui.widgets import RecordsView

    app = QApplication.instance()
    app.processEvents()
    window.grab()
    stamp = time.time()
    page = window.stack.currentWidget()
    table = next((v for v in page.findChildren(RecordsView) if v.isVisibleTo(page)), None)
    rows = table.model().rowCount() if table is not None else -1
    focus = QApplication.focusWidget()
    focused = "list" if focus is not None and focus is table else type(focus).__name__ if focus else "none"
    print(f"FIRST PAGE READY t={stamp:.6f} page={getattr(page, 'title', '?')} rows={rows} focus={focused}", flush=True)  # noqa: T201
    window.close()
    QApplication.exit(0)


def _settle(window, timeout_s: float = 30.0) -> None:
    """Let the work the window runs off its thread finish and be shown (at most ``timeout_s``)."""
    import time

    app = QApplication.instance()
    deadline = time.monotonic() + timeout_s
    app.processEvents()
    while window.runner.active() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    app.processEvents()


def _smoke(window, ctx: AppContext, screenshots: str | None) -> None:
    """Visit every page (and open a patient), optionally saving a PNG of each, check the file, then exit."""
    from lhn_desktop.gui.pages.patients import PatientsPage

    app = QApplication.instance()
    shots = Path(screenshots) if screenshots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    try:
        for row in range(len(window.specs)):
            window.nav.setCurrentRow(row)  # built here, the first time it is shown, as a person's visit builds it
            app.processEvents()
            page = window.page_at(row)
            if window.stack.currentWidget() is not page:
                raise LhnError(f"The {page.title} page did not come to the front.")
            if isinstance(page, PatientsPage):
                page.table.select_first()
                app.processEvents()
            _settle(window)  # what a page reads off the window thread, shown before it is looked at
            if shots:
                window.grab().save(str(shots / f"{row + 1:02d}-{page.title.lower()}.png"))
        damage = ctx.maintenance.damage()
        if damage is not None:
            raise damage
        exposed = window.windowHandle() is not None and window.windowHandle().isExposed()
        print(f"SMOKE OK pages={len(window.built_pages())} exposed={exposed} frozen={is_frozen()}")  # noqa: T201
        code = 0
    except LhnError as exc:
        print(f"lhn-desktop: {exc}", file=sys.stderr)  # noqa: T201
        code = 1
    except Exception:
        import traceback

        traceback.print_exc()
        code = 1
    window.close()
    QApplication.exit(code)
