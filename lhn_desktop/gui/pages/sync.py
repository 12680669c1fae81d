"""Sync: this workstation, sending and receiving bundles, conflicts, deleted records, trusted keys, history."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.models import Column, display_text
from lhn_desktop.gui.operations import Changed, run_query
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.pages.sync_conflicts import ConflictsTab, DeletedTab
from lhn_desktop.gui.pages.sync_keys import TrustTab
from lhn_desktop.gui.pages.sync_receive import ReceiveTab
from lhn_desktop.gui.pages.sync_send import CenterKey, SendTab
from lhn_desktop.gui.widgets import RecordsView, note

SCOPES = {"center": "This center's workstations", "network": "The network"}


def local_time(value: datetime | None) -> datetime | None:
    """A stored UTC time as the workstation's local time (the table shows it to the minute, in the locale's way)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone()


class WorkstationTab(QWidget):
    """Who this workstation is, its key fingerprint and key card, and what it tracks for sync."""

    def __init__(self, page: SyncPage) -> None:
        super().__init__(page)
        self.page = page
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)  # at a large text size the tab scrolls rather than squeezing its notes
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget(scroll)
        scroll.setWidget(inner)
        outer.addWidget(scroll)
        layout = QVBoxLayout(inner)
        self.values: dict[str, QLabel] = {}
        for title, keys in (
            (
                "This workstation",
                [
                    ("center", "Center"),
                    ("site", "Site code"),
                    ("network", "Network"),
                    ("node", "Workstation id"),
                    ("key", "Key id"),
                    ("fingerprint", "Key fingerprint"),
                    ("db", "Database file"),
                    ("encryption", "Encrypted at rest"),
                ],
            ),
            (
                "Tracked for sync",
                [
                    ("records", "Records"),
                    ("versions", "Field versions"),
                    ("audit", "Audit log entries"),
                    ("last_audit", "Last change"),
                    ("imports", "Bundles received"),
                    ("trusted", "Trusted keys"),
                ],
            ),
        ):
            box = QGroupBox(title, inner)
            form = QFormLayout(box)
            for key, label in keys:
                value = QLabel("", box)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setWordWrap(key in ("db", "encryption"))  # a long path must not widen the window
                self.values[key] = value
                form.addRow(f"{label}:", value)
            layout.addWidget(box)
            if title == "This workstation":
                big = QFont("monospace")
                big.setStyleHint(QFont.StyleHint.Monospace)
                big.setPointSizeF(big.pointSizeF() * 1.15)
                big.setBold(True)
                self.values["fingerprint"].setFont(big)
                row = QHBoxLayout()
                self.export_card = QPushButton("&Export key card…", box)
                self.export_card.setToolTip("Save this workstation's key card, for another workstation to trust")
                self.export_card.clicked.connect(self.save_card)
                row.addWidget(self.export_card)
                row.addStretch(1)
                form.addRow(row)
                form.addRow(
                    note(
                        "To let another workstation accept bundles from this one, give it the key card (USB drive "
                        "or shared folder), then read the fingerprint aloud to the person adding it, who types it "
                        "there. A card alone proves nothing.",
                        box,
                    )
                )
        self.card_written = QLabel("", inner)
        self.card_written.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.card_written)
        layout.addStretch(1)

    def refresh(self) -> None:
        self.show(self.page.ctx.center(), self.page.ctx.overview.sync())

    def show(self, info, stats) -> None:
        """Show the workstation and its counts (read off the window thread by the page)."""
        shown = {
            "center": info.site_name,
            "site": info.site_code,
            "network": info.network or "not set",
            "node": info.node_id,
            "key": info.key_id,
            "fingerprint": info.fingerprint,
            "db": info.db_path,
            "encryption": f"yes; its key is kept in {info.key_kept_in}" if info.encrypted else "no",
            "records": f"{stats.records:,}",
            "versions": f"{stats.field_versions:,}",
            "audit": f"{stats.audit_events:,}",
            "last_audit": display_text(datetime.fromisoformat(stats.last_audit)) if stats.last_audit else "none yet",
            "imports": str(stats.imports),
            "trusted": str(stats.trusted_keys),
        }
        for key, text in shown.items():
            self.values[key].setText(text)

    def save_card(self) -> None:
        from lhn_desktop.gui.files import start_folder

        info = self.page.ctx.center()
        name = f"{info.site_code}-{info.node_id[:8]}-key-card.json"
        offered = str(start_folder("keys") / name)
        path, _ = QFileDialog.getSaveFileName(self, "Save this workstation's key card", offered, "Key cards (*.json)")
        if not path:
            return
        try:
            written = self.page.ctx.trust.export_card(path)
        except (LhnError, OSError) as exc:
            show_error(self, exc)
            return
        self.card_written.setText(
            f"Key card saved: {written}. Read the fingerprint ({info.fingerprint}) to the person adding it."
        )


class HistoryTab(QWidget):
    """Bundles received and sent by this workstation, newest first."""

    def __init__(self, page: SyncPage) -> None:
        super().__init__(page)
        self.page = page
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical, self)
        top = QWidget(split)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(QLabel("<b>Bundles received</b>", top))
        self.imports = RecordsView(
            [
                Column("Received", lambda r: local_time(r.imported_at)),
                Column("From", lambda r: r.site_id),
                Column("Made on", lambda r: local_time(r.created_at)),
                Column("What changed", _import_counts),
                Column("Signed with key", lambda r: r.signer_key_id),
            ],
            top,
        )
        top_layout.addWidget(self.imports)
        self.no_imports = note("No bundle received yet: the Receive tab imports one from another workstation or the "
                               "network.", top)  # fmt: skip
        top_layout.addWidget(self.no_imports)
        bottom = QWidget(split)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(QLabel("<b>Bundles sent</b>", bottom))
        self.exports = RecordsView(
            [
                Column("Written", lambda r: local_time(r.exported_at)),
                Column("For", _export_for),
                Column("By", lambda r: r.exported_by or ""),
                Column("What", lambda r: f"{r.values:,} values of {r.kinds} kinds"),
                Column("File", lambda r: r.file_name),
                Column("Free-text check overridden because", lambda r: r.attestation or ""),
            ],
            bottom,
        )
        bottom_layout.addWidget(self.exports)
        self.no_exports = note("No bundle sent yet: the Send tab reviews what would leave and writes one.", bottom)
        bottom_layout.addWidget(self.no_exports)
        split.addWidget(top)
        split.addWidget(bottom)
        layout.addWidget(split)

    def refresh(self) -> None:
        self.show_rows(*self.page.sync.history())

    def show_rows(self, imports: list, exports: list) -> None:
        """The bundles received and sent, newest first (named so as not to hide QWidget.show)."""
        self.imports.rows_model.set_rows(imports)
        self.exports.rows_model.set_rows(exports)
        self.no_imports.setVisible(not imports)
        self.no_exports.setVisible(not exports)


def _export_for(r) -> str:
    return SCOPES[r.scope] if r.scope == "center" else f"{SCOPES.get(r.scope, r.scope)} ({r.audience})"


def _import_counts(r) -> str:
    if not r.added:
        return "nothing new"
    noun = "record" if r.records == 1 else "records"
    return f"{r.records:,} {noun} changed" + (f", {r.conflicts} with a conflict" if r.conflicts else "")


class SyncPage(Page):
    title = "Sync"
    explanation = (
        "Move data by file: send a bundle to this center's other workstations or to the network, receive "
        "bundles from them, and decide what sync cannot decide alone. Nothing leaves without a review."
    )
    shows = Changed.SYNC | Changed.TEAM

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        self.sync = ctx.sync
        self.review = ctx.sync_review
        self.center_key = CenterKey(self)
        self.tabs = QTabWidget(self)
        self.workstation = WorkstationTab(self)
        self.send = SendTab(self)
        self.receive = ReceiveTab(self)
        self.conflicts = ConflictsTab(self)
        self.deleted = DeletedTab(self)
        self.trust = TrustTab(self)
        self.history = HistoryTab(self)
        for tab, text in (
            (self.workstation, "&This workstation"),
            (self.send, "&Send"),
            (self.receive, "&Receive"),
            (self.conflicts, "C&onflicts"),
            (self.deleted, "&Deleted while edited"),
            (self.trust, "Trusted &keys"),
            (self.history, "Histor&y"),
        ):
            self.tabs.addTab(tab, text)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.layout_.addWidget(self.tabs, 1)
        self._asked = 0

    # -- shared by the tabs --------------------------------------------------------------------------------------
    def show_tab(self, tab: QWidget) -> None:
        self.tabs.setCurrentWidget(tab)

    def data_changed(self, changes: Changed = Changed.SYNC) -> None:
        """After an import, export or decision: counts, lists and tab titles again; the send review is stale."""
        self.send.mark_stale()
        self.refresh()

    # -- page ------------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read what every tab shows off the window thread (a progress dialog if it takes a while), then show it;
        the answer to a reload asked for since is the one shown."""
        ctx, actor, review = self.ctx, self.ctx.actor, self.review
        self._asked += 1
        asked = self._asked

        def read() -> tuple:
            return (ctx.center(), ctx.overview.sync(), review.summaries(actor), ctx.trust.list(),
                    self.sync.history())  # fmt: skip

        def shown(data: tuple) -> None:
            if asked != self._asked:
                return
            info, stats, (conflicts, deleted), keys, (imports, exports) = data
            self.workstation.show(info, stats)
            self.conflicts.show_rows(conflicts)
            self.deleted.show_rows(deleted)
            self.trust.show_rows(keys)
            self.history.show_rows(imports, exports)
            self._titles()
            self._tab_shown(self.tabs.currentIndex())

        run_query(self, read, done=shown, label="Reading what sync has to show…")

    def _titles(self) -> None:
        for tab, text, count in (
            (self.conflicts, "C&onflicts", len(self.conflicts.rows)),
            (self.deleted, "&Deleted while edited", len(self.deleted.rows)),
        ):
            self.tabs.setTabText(self.tabs.indexOf(tab), f"{text} ({count})" if count else text)

    def _tab_shown(self, index: int) -> None:
        if self.tabs.widget(index) is self.send and self.isVisible():
            self.send.review_if_stale()
