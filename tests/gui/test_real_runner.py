"""The window's long work through the real thread pool (not the tests' inline runner): the EHR import, the
center's data export, the page of every measure's chart and the backup run off the window thread and report
back on it; a job that fails reaches the one error presenter. (Bundle export and import through the real pool:
tests/gui/test_sync_page.py; the demo built at first start: tests/gui/test_startup.py.)"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.ehr_dialog import EhrImportDialog
from lhn_desktop.gui.export_dialog import ExportDialog
from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.tasks import TaskRunner
from tests.gui.test_ehr_dialog import UNMAPPED, hospital_file


@pytest.fixture
def runner(qtbot):
    pool = TaskRunner(None)
    yield pool
    pool.shutdown()


def test_the_ehr_import_previews_and_imports_on_the_thread_pool(qtbot, ctx, runner, tmp_path: Path) -> None:
    threads: set[str] = set()
    real = ctx.ehr.import_files

    def spy(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return real(*args, **kwargs)

    ctx.ehr.import_files = spy
    dialog = EhrImportDialog(ctx, runner)
    qtbot.addWidget(dialog)
    dialog.show()
    before = len(ctx.patients.search(ctx.actor))
    dialog.paths.setText(str(hospital_file(tmp_path, [UNMAPPED])))
    dialog.preview()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20_000)
    assert not dialog.report.applied and dialog.import_button.isEnabled()
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.report.applied, timeout=20_000)
    assert len(ctx.patients.search(ctx.actor)) == before + 1
    assert threads and threading.main_thread().name not in threads  # read and written off the window thread


def test_the_center_export_writes_its_folder_from_the_thread_pool(qtbot, ctx, runner, tmp_path: Path) -> None:
    dialog = ExportDialog(ctx, runner)
    qtbot.addWidget(dialog)
    target = tmp_path / "exports"
    target.mkdir()
    dialog.folder.setText(str(target))
    dialog.confirm.setChecked(True)
    dialog.export()
    qtbot.waitUntil(lambda: dialog.exported is not None, timeout=30_000)
    assert (dialog.exported.folder / "patients.csv").exists() and "Exported to" in dialog.status.text()


def test_a_backup_that_fails_on_the_pool_reaches_the_error_presenter(qtbot, ctx, runner, presented,
                                                                     monkeypatch) -> None:  # fmt: skip
    window = MainWindow(ctx, runner, "tester")
    qtbot.addWidget(window)
    window.show()

    def full_disk(**_options):
        raise LhnError("The backup could not be written: the disk is full. Free some space and back up again.")

    real = ctx.maintenance.backup
    monkeypatch.setattr(ctx.maintenance, "backup", full_disk)
    window.backup_action.trigger()
    assert not window.backup_action.isEnabled()  # while it runs
    qtbot.waitUntil(lambda: bool(presented), timeout=20_000)
    assert presented == ["The backup could not be written: the disk is full. Free some space and back up again."]
    assert window.backup_action.isEnabled()

    monkeypatch.setattr(ctx.maintenance, "backup", real)
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: "Backup written" in window.statusBar().currentMessage(), timeout=30_000)
    window.close()


def test_every_measure_chart_is_read_and_laid_out_on_the_thread_pool(qtbot, ctx, runner) -> None:
    from lhn_desktop.gui.pages.measures import MeasuresPage
    from tests.gui.conftest import when_dialog_opens

    threads: set[str] = set()
    real = ctx.measures.page_charts

    def spy(**kwargs):
        threads.add(threading.current_thread().name)
        return real(**kwargs)

    ctx.measures.page_charts = spy
    window = MainWindow(ctx, runner, "tester")
    qtbot.addWidget(window)
    window.show()
    page = window.go_to(MeasuresPage)
    shown: list[int] = []
    when_dialog_opens(lambda box: (shown.append(len(box.canvas.figure.axes)), box.reject()))  # AllChartsDialog
    page.show_all()
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    assert isinstance(page, MeasuresPage) and shown[0] >= 6  # one small chart per measure with data
    assert threads and threading.main_thread().name not in threads
    qtbot.waitUntil(lambda: page.actions_["all"].isEnabled(), timeout=5_000)
    window.close()
