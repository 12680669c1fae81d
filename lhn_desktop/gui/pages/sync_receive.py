"""The Sync page's Receive tab: import bundles with progress, then a report of what each one changed."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import PermissionDenied
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.operations import Changed, run_op
from lhn_desktop.gui.pages.sync_send import GREEN, RED, CenterKeyBox
from lhn_desktop.gui.widgets import note
from lhn_desktop.services.sync import SUFFIX, ImportReport

if TYPE_CHECKING:
    from lhn_desktop.gui.pages.sync import SyncPage


class ReceiveTab(QWidget):
    """Choose bundle files (or a folder of them), import them, and read what changed."""

    def __init__(self, page: SyncPage) -> None:
        super().__init__(page)
        self.page = page
        self.paths: list[str] = []
        self.last_folder = ""
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "Bundles from this center's other workstations, or from the network. Each bundle is checked "
                "(signature, trusted sender, damage) before anything changes; a bundle that fails changes nothing "
                "and the report says why. Importing the same bundle twice does no harm.",
                self,
            )
        )
        row = QHBoxLayout()
        files = QPushButton("Choose &bundle files…", self)
        files.clicked.connect(self.choose_files)
        folder = QPushButton("Choose a folder &with bundles…", self)
        folder.clicked.connect(self.choose_folder)
        self.chosen_label = QLabel("No bundle chosen yet.", self)
        row.addWidget(files)
        row.addWidget(folder)
        row.addWidget(self.chosen_label, 1)
        layout.addLayout(row)
        self.chosen = QListWidget(self)
        self.chosen.setMaximumHeight(96)
        layout.addWidget(self.chosen)
        self.key_box = CenterKeyBox(page.center_key, page.ctx.center().site_code, self)
        self.key_box.hide()
        layout.addWidget(self.key_box)
        import_row = QHBoxLayout()
        self.import_button = QPushButton("&Import", self)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.import_chosen)
        import_row.addWidget(self.import_button)
        import_row.addStretch(1)
        layout.addLayout(import_row)
        layout.addWidget(QLabel("<b>What the import changed</b>", self))
        self.report = QTextBrowser(self)
        self.report.setOpenLinks(False)
        self.report.anchorClicked.connect(self._link)
        self.report.setPlaceholderText("The report of each bundle appears here after the import.")
        layout.addWidget(self.report, 1)
        links = QHBoxLayout()
        self.to_conflicts = QPushButton("", self)
        self.to_conflicts.clicked.connect(lambda: page.show_tab(page.conflicts))
        self.to_deleted = QPushButton("", self)
        self.to_deleted.clicked.connect(lambda: page.show_tab(page.deleted))
        links.addWidget(self.to_conflicts)
        links.addWidget(self.to_deleted)
        links.addStretch(1)
        layout.addLayout(links)
        self.to_conflicts.hide()
        self.to_deleted.hide()
        self.results: list = []

    # -- choosing -------------------------------------------------------------------------------------------------
    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Bundles to import", self.last_folder, f"LHN Desktop bundles (*{SUFFIX});;All files (*)"
        )
        if paths:
            self.last_folder = str(Path(paths[0]).parent)
            self.set_paths(paths)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder with bundles", self.last_folder)
        if not folder:
            return
        self.last_folder = folder
        paths = [str(p) for p in self.page.sync.bundles_in(folder)]
        if not paths:
            self.set_paths([])
            self.chosen_label.setText(f"There is no complete bundle in {folder}.")
            return
        self.set_paths(paths)

    def set_paths(self, paths: list[str]) -> None:
        self.paths = list(paths)
        self.chosen.clear()
        self.chosen.addItems([Path(p).name for p in self.paths])
        n = len(self.paths)
        self.chosen_label.setText(f"{n} bundle{'s' if n != 1 else ''} chosen." if n else "No bundle chosen yet.")
        self.key_box.setVisible(any(self.page.sync.bundle_scope(p) != "network" for p in self.paths))
        self.import_button.setEnabled(bool(self.paths))
        if self.paths:
            self.import_button.setFocus()

    # -- importing ------------------------------------------------------------------------------------------------
    def import_chosen(self) -> None:
        paths = list(self.paths)
        if not paths:
            return
        needs_key = any(self.page.sync.bundle_scope(p) == "center" for p in paths)
        actor = self.page.ctx.actor
        if needs_key and not actor.sees_patient_data:
            show_error(self, PermissionDenied(
                "Some of these bundles come from this center's workstations and carry patient data, so patient "
                "and parent partners cannot import them. Choose only network bundles."))  # fmt: skip
            return
        make = self.key_box.require() if needs_key else None
        if needs_key and make is None:
            return
        sync = self.page.sync

        def job(progress, cancel):
            key = make() if make else None

            def step(done: int, total: int, name: str) -> None:
                progress(done, total, f"Importing {name} ({done + 1} of {total})…" if name else "Finishing…")

            return key, sync.import_many(actor, paths, key, progress=step, cancelled=lambda: cancel.cancelled)

        self.import_button.setEnabled(False)
        run_op(self, job=job, changes=Changed.EVERYTHING, done=lambda result: self._imported(paths, result),
               failed=lambda _exc: self.import_button.setEnabled(True), label="Importing bundles…",
               cancellable=True)  # fmt: skip

    def _imported(self, paths: list[str], result) -> None:
        key, results = result
        if key is not None and any(isinstance(r, ImportReport) for r in results):
            self.key_box.remember(key)
        self.results = results
        self.import_button.setEnabled(bool(self.paths))
        self.show_report(results, len(paths))

    def show_report(self, results: list, total: int) -> None:
        imported = [r for r in results if isinstance(r, ImportReport)]
        rejected = len(results) - len(imported)
        head = f"{len(imported)} of {total} bundle{'s' if total != 1 else ''} imported"
        if rejected:
            head += f", <span style='color:{RED}'>{rejected} not imported</span>"
        if len(results) < total:
            head += f"; stopped when asked, {total - len(results)} not looked at"
        parts = [f"<p><b>{head}.</b></p>"]
        for r in results:
            if isinstance(r, ImportReport):
                link = " <a href='conflicts'>Open the conflicts</a>" if r.conflicts else ""
                parts.append(f"<p><span style='color:{GREEN}'>✔</span> {escape(r.summary)}{link}</p>")
            else:
                parts.append(f"<p style='color:{RED}'>✘ {escape(str(r))}</p>")
        self.report.setHtml("".join(parts))
        conflicts, deleted = len(self.page.conflicts.rows), len(self.page.deleted.rows)
        self.to_conflicts.setText(f"Go to the conflicts ({conflicts})")
        self.to_conflicts.setVisible(bool(conflicts))
        self.to_deleted.setText(f"Go to the records deleted while edited ({deleted})")
        self.to_deleted.setVisible(bool(deleted))

    def _link(self, url) -> None:
        if url.toString() == "conflicts":
            self.page.show_tab(self.page.conflicts)
