"""The Sync page's Send tab: what a bundle will carry, reviewed before it is written; and the center key."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import ValidationError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.models import Column
from lhn_desktop.gui.operations import Changed, run_op, run_query
from lhn_desktop.gui.widgets import RecordsView
from lhn_desktop.localization import counted
from lhn_desktop.services.sync import EVERY_CENTER, key_from_passphrase, read_key_file

if TYPE_CHECKING:
    from lhn_desktop.gui.pages.sync import SyncPage
    from lhn_desktop.services.sync import ExportPreview, TextItem

RED = "#b00020"
AMBER = "#8a5300"
GREEN = "#1b6e20"
#: The service asks for at least this much attestation.
ATTESTATION_MIN = 20
PARTNER_CENTER_TIP = (
    "Center bundles carry patient data, so patient and parent partners cannot send them. You can send the "
    "network bundle."
)


class CenterKey(QObject):
    """The center key for this session only: kept in memory once given, never written anywhere."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key: bytes | None = None

    def remember(self, key: bytes) -> None:
        self.key = key
        self.changed.emit()

    def forget(self) -> None:
        self.key = None
        self.changed.emit()


class CenterKeyBox(QGroupBox):
    """Asks for the center key (passphrase or key file) until it is known for this session."""

    def __init__(self, holder: CenterKey, site_code: str, parent: QWidget | None = None) -> None:
        super().__init__("Center key", parent)
        self.holder, self.site_code = holder, site_code
        layout = QVBoxLayout(self)
        self.asking = QWidget(self)
        form = QFormLayout(self.asking)
        form.setContentsMargins(0, 0, 0, 0)
        self.passphrase = QLineEdit(self.asking)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("the passphrase your team set up (the same on every workstation)")
        label = QLabel("Center &passphrase:", self.asking)
        label.setBuddy(self.passphrase)
        form.addRow(label, self.passphrase)
        file_row = QHBoxLayout()
        self.key_file = QLineEdit(self.asking)
        self.key_file.setPlaceholderText("or the center key file")
        choose = QPushButton("Choose key fi&le…", self.asking)
        choose.clicked.connect(self.choose_file)
        file_row.addWidget(self.key_file, 1)
        file_row.addWidget(choose)
        form.addRow("Or key file:", file_row)
        self.known = QWidget(self)
        known_row = QHBoxLayout(self.known)
        known_row.setContentsMargins(0, 0, 0, 0)
        known_row.addWidget(QLabel("The center key is ready for this session. It is never saved.", self.known), 1)
        forget = QPushButton("Forget the key", self.known)
        forget.clicked.connect(holder.forget)
        known_row.addWidget(forget)
        layout.addWidget(self.asking)
        layout.addWidget(self.known)
        holder.changed.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.asking.setVisible(self.holder.key is None)
        self.known.setVisible(self.holder.key is not None)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "The center key file")
        if path:
            self.key_file.setText(path)

    def key_maker(self) -> Callable[[], bytes] | None:
        """A function giving the key (run off the window's thread: stretching a passphrase takes a moment)."""
        if self.holder.key is not None:
            key = self.holder.key
            return lambda: key
        passphrase, path, site = self.passphrase.text(), self.key_file.text().strip(), self.site_code
        if path:
            return lambda: read_key_file(path)
        if passphrase:
            return lambda: key_from_passphrase(passphrase, site)
        return None

    def require(self) -> Callable[[], bytes] | None:
        """``key_maker``, or a message saying what to give when nothing was given."""
        make = self.key_maker()
        if make is None:
            show_error(self, ValidationError(
                "Center bundles are sealed with the center key. Type the center passphrase or choose the center "
                "key file first."))  # fmt: skip
            self.passphrase.setFocus()
        return make

    def remember(self, key: bytes) -> None:
        self.passphrase.clear()
        self.key_file.clear()
        self.holder.remember(key)


def _text_order(t: TextItem) -> tuple[int, int]:
    return (0 if t.findings else 1, 0 if t.new else 1)


def _found(t: TextItem) -> str:
    """What the free-text check found, in short: "a phone number; a full date"."""
    return "; ".join(dict.fromkeys(f.split(":", 1)[0] for f in t.findings))


class SendTab(QWidget):
    """Choose who the bundle is for, review exactly what leaves, then write it to a folder."""

    def __init__(self, page: SyncPage) -> None:
        super().__init__(page)
        self.page = page
        ctx = page.ctx
        self.site_code = ctx.center().site_code
        self.preview: ExportPreview | None = None
        self.stale = True
        self.last_folder = ""
        layout = QVBoxLayout(self)

        scope_box = QHBoxLayout()
        self.center_choice = QRadioButton("This center's &workstations: patient data too, sealed with the center key",
                                          self)  # fmt: skip
        self.network_choice = QRadioButton("The &network: no patient data", self)
        self.scope_group = QButtonGroup(self)
        self.scope_group.addButton(self.center_choice)
        self.scope_group.addButton(self.network_choice)
        self.audience = QComboBox(self)
        self.audience.setEditable(True)
        self.audience.setToolTip(
            "The center this network bundle is for (its site code), or every center: one bundle for each, read and "
            "reviewed once"
        )
        self.audience.setVisible(self.site_code == "ncc")
        self.audience.setMinimumContentsLength(14)  # "every center" and a site code show whole
        self.audience.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.full = QCheckBox("E&verything, not only what they lack", self)
        self.full.setToolTip(
            "A bundle normally carries only what its receivers do not have yet (from what their own bundles said). "
            "Send everything for a new workstation, or when a receiver asks for a full bundle."
        )
        network_row = QHBoxLayout()
        network_row.addWidget(self.network_choice)
        network_row.addWidget(self.audience)
        network_row.addStretch(1)
        choices = QVBoxLayout()
        choices.addWidget(self.center_choice)
        choices.addLayout(network_row)
        choices.addWidget(self.full)
        scope_box.addWidget(QLabel("Send to:", self), 0, Qt.AlignmentFlag.AlignTop)
        scope_box.addLayout(choices)
        scope_box.addStretch(1)
        layout.addLayout(scope_box)
        if ctx.actor.sees_patient_data:
            self.center_choice.setChecked(True)
        else:
            self.center_choice.setEnabled(False)
            self.center_choice.setToolTip(PARTNER_CENTER_TIP)
            self.network_choice.setChecked(True)

        self.key_box = CenterKeyBox(page.center_key, self.site_code, self)
        layout.addWidget(self.key_box)

        summary_row = QHBoxLayout()
        self.summary = QLabel("", self)
        self.summary.setObjectName("summaryLine")
        self.summary.setWordWrap(True)
        again = QPushButton("Review a&gain", self)
        again.setToolTip("Look again at what would leave (F5)")
        again.clicked.connect(self.review)
        QShortcut(QKeySequence("F5"), self, activated=self.review)
        summary_row.addWidget(self.summary, 1)
        summary_row.addWidget(again)
        layout.addLayout(summary_row)

        split = QSplitter(self)
        left = QSplitter(Qt.Orientation.Vertical, split)
        self.counts = RecordsView(
            [
                Column("Kind", lambda c: c.label),
                Column("Records", lambda c: c.records, True),
                Column("Changes", lambda c: c.versions, True),
            ],
            left,
        )
        self.notes = QWidget(left)
        notes_layout = QVBoxLayout(self.notes)
        notes_layout.setContentsMargins(0, 0, 0, 0)
        self.notes_label = QLabel("", self.notes)
        self.notes_label.setWordWrap(True)
        self.warnings = QListWidget(self.notes)
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(f"color: {AMBER};")
        notes_layout.addWidget(self.notes_label)
        notes_layout.addWidget(self.warnings, 1)
        header = self.counts.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        left.addWidget(self.counts)
        left.addWidget(self.notes)
        right = QWidget(split)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.texts_label = QLabel("", right)
        self.texts_label.setWordWrap(True)
        right_layout.addWidget(self.texts_label)
        text_split = QSplitter(Qt.Orientation.Vertical, right)
        self.texts = RecordsView(
            [
                Column("Check found", _found, colour=lambda t: RED if t.findings else None),
                Column("New", lambda t: "new" if t.new else ""),
                Column("Text", lambda t: " ".join(t.text.split())[:160]),
                Column("Where", lambda t: f"{t.kind} “{t.record}”, {t.field}"),
            ],
            text_split,
        )
        self.texts.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # flagged texts first
        self.text_view = QTextBrowser(text_split)
        self.text_view.setPlaceholderText("Choose a text above to read all of it.")
        text_split.addWidget(self.texts)
        text_split.addWidget(self.text_view)
        text_split.setSizes([220, 130])
        right_layout.addWidget(text_split, 1)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([360, 740])
        layout.addWidget(split, 1)
        self.texts.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show_text())

        self.gate = QGroupBox("The free-text check found what may identify a patient", self)
        self.gate.setStyleSheet(f"QGroupBox {{ color: {RED}; font-weight: 600; }}")
        gate_layout = QVBoxLayout(self.gate)
        self.gate_note = QLabel("", self.gate)
        self.gate_note.setWordWrap(True)
        self.gate_note.setStyleSheet("color: palette(text); font-weight: normal;")
        gate_layout.addWidget(self.gate_note)
        attest_row = QHBoxLayout()
        self.checked = QCheckBox("&I have checked these texts; they identify no patient.", self.gate)
        self.checked.setStyleSheet("font-weight: normal;")
        self.attestation = QLineEdit(self.gate)
        self.attestation.setPlaceholderText("why, in a full sentence (kept with your name)")
        attest_label = QLabel("&Attestation:", self.gate)
        attest_label.setStyleSheet("font-weight: normal; color: palette(text);")
        attest_label.setBuddy(self.attestation)
        attest_row.addWidget(self.checked)
        attest_row.addWidget(attest_label)
        attest_row.addWidget(self.attestation, 1)
        gate_layout.addLayout(attest_row)
        if not ctx.actor.sees_patient_data:
            tip = "Only team members who see patient data may send texts the free-text check flagged."
            for widget in (self.checked, self.attestation):
                widget.setEnabled(False)
                widget.setToolTip(tip)
        layout.addWidget(self.gate)

        bottom = QHBoxLayout()
        self.export_button = QPushButton("&Export bundle…", self)
        self.export_button.clicked.connect(self.export)
        self.written = QLabel("", self)
        self.written.setWordWrap(True)
        self.written.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.written, 1)
        layout.addLayout(bottom)

        self.scope_group.buttonToggled.connect(self._scope_changed)
        self.audience.currentTextChanged.connect(lambda _t: self._scope_changed())
        self.full.toggled.connect(lambda _b: self._scope_changed())
        self.checked.toggled.connect(lambda _b: self._update_export())
        self.attestation.textChanged.connect(lambda _t: self._update_export())
        self._scope_changed()

    # -- choosing -------------------------------------------------------------------------------------------------
    def scope(self) -> str:
        return "center" if self.center_choice.isChecked() else "network"

    def audience_code(self) -> str | None:
        return (self.audience.currentText().strip() or None) if self.site_code == "ncc" else None

    def _scope_changed(self, *_args) -> None:
        self.key_box.setVisible(self.scope() == "center")
        self.mark_stale()
        self._clear()
        if self.isVisible():
            self.review()

    def mark_stale(self) -> None:
        self.stale = True

    def review_if_stale(self) -> None:
        if self.site_code == "ncc" and self.audience.count() == 0:
            sites = sorted({k.site_id for k in self.page.ctx.trust.list() if k.site_id != "ncc"})
            self.audience.addItems([EVERY_CENTER, *sites] if len(sites) > 1 else sites)
        if self.stale:
            self.review()

    # -- the review -----------------------------------------------------------------------------------------------
    def _clear(self) -> None:
        self.preview = None
        self.counts.rows_model.set_rows([])
        self.texts.rows_model.set_rows([])
        self.text_view.clear()
        self.warnings.clear()
        self.notes.hide()
        self.gate.hide()
        self.summary.setText("")
        self.texts_label.setText("")
        self._update_export()

    def review(self) -> None:
        scope, audience, actor, sync = self.scope(), self.audience_code(), self.page.ctx.actor, self.page.sync
        full = self.full.isChecked()
        if scope == "network" and self.site_code == "ncc" and not audience:
            self.summary.setText("Choose the center this network bundle is for.")
            return
        self.stale = False
        self.summary.setText("Looking at what would leave…")

        def failed(_exc: BaseException) -> None:
            self._clear()
            self.summary.setText("The review could not be made, so nothing can be sent yet.")

        def query() -> ExportPreview:
            if scope == "network" and audience == EVERY_CENTER:
                return sync.preview_every_center(actor, full=full)
            return sync.preview(actor, scope, audience, full=full)

        run_query(self, query, done=self.show_review, failed=failed, label="Looking at what would leave…")

    def show_review(self, preview: ExportPreview) -> None:
        if preview.scope != self.scope():
            return  # the choice changed while the review was made; a new one is on its way
        self.preview = preview
        self.counts.rows_model.set_rows(preview.counts)
        texts = sorted(preview.texts, key=_text_order)
        self.texts.rows_model.set_rows(texts)
        records = sum(c.records for c in preview.counts)
        changes = sum(c.versions for c in preview.counts)
        whom = "this center's workstations" if preview.scope == "center" else (
            "the network" if preview.audience == "ncc" else f"{preview.audience} (from the network)")  # fmt: skip
        since = (f"The last bundle for {whom} was made on {preview.last_export}." if preview.last_export
                 else f"No bundle has been made for {whom} yet.")  # fmt: skip
        what = "what they do not have yet: " if preview.delta else ""
        carried = (f"{records:,} record{'s' if records != 1 else ''} of {len(preview.counts)} "
                   f"kind{'s' if len(preview.counts) != 1 else ''} ({changes:,} changes)")  # fmt: skip
        if preview.audience == EVERY_CENTER:
            self.summary.setText(
                f"One bundle for each center; between them they carry {what}{carried}. Each center's bundle starts "
                "from what that center's last bundle said it has."
            )
        else:
            self.summary.setText(f"A bundle for {whom} will carry {what}{carried}. {since}")
        new = sum(1 for t in texts if t.new)
        flagged = sum(1 for t in texts if t.findings)
        if preview.scope == "center":
            self.texts_label.setText(
                f"<b>Free text new or changed since the last bundle: {len(texts):,}.</b> Every text goes to this "
                "center's workstations only."
            )
        else:
            found = f"<span style='color:{RED}'><b>{flagged} flagged by the free-text check</b></span>" if flagged \
                else "none flagged by the free-text check"  # fmt: skip
            self.texts_label.setText(
                f"<b>Every free text that leaves: {len(texts):,}</b> ({new:,} new or changed); {found}."
            )
        self.warnings.clear()
        self.warnings.addItems(preview.warnings)
        self.notes_label.setText(
            f"<b>Notes ({len(preview.warnings)})</b>: small numbers, which the network does not show to other centers."
        )
        self.notes.setVisible(bool(preview.warnings))
        self.gate.setVisible(preview.blocked)
        if preview.blocked:
            them, they, they_do = (
                ("it", "it was", "it identifies") if flagged == 1 else ("them", "they were", "they identify")
            )
            self.gate_note.setText(
                f"{counted(flagged, 'text')} flagged in red above. Edit {them} where {they} written (Where says "
                f"which), then Review again. If you are sure {they_do} no patient, tick the box and say why."
            )
        if texts:
            self.texts.selectRow(0)
        self._update_export()

    def _show_text(self) -> None:
        item = self.texts.current_row()
        if item is None:
            self.text_view.clear()
            return
        body = escape(item.text).replace("\n", "<br>")
        head = f"<b>{escape(item.kind)} “{escape(item.record)}”, {escape(item.field)}</b>"
        found = "".join(f"<li>{escape(f)}</li>" for f in item.findings)
        checked = f"<p style='color:{RED}'><b>The free-text check found:</b></p><ul style='color:{RED}'>{found}</ul>"
        self.text_view.setHtml(f"<p>{head}</p>" + (checked if item.findings else "") + f"<p>{body}</p>")

    def _update_export(self) -> None:
        preview, reason = self.preview, ""
        if preview is None:
            reason = "Review what will leave first."
        elif preview.blocked:
            if not self.page.ctx.actor.sees_patient_data:
                reason = "The free-text check flagged texts: they must be edited before the network bundle is sent."
            elif not self.checked.isChecked() or len(self.attestation.text().strip()) < ATTESTATION_MIN:
                reason = "Edit the flagged texts, or tick the box and write why they identify no patient."
        self.export_button.setEnabled(not reason)
        self.export_button.setToolTip(reason or "Choose a folder (shared folder or USB drive) and write the bundle")

    # -- export ---------------------------------------------------------------------------------------------------
    def export(self) -> None:
        preview = self.preview
        if preview is None or not self.export_button.isEnabled():
            return
        make = self.key_box.require() if preview.scope == "center" else None
        if preview.scope == "center" and make is None:
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Where to write the bundle", self.last_folder or str(Path.home())
        )
        if not folder:
            return
        self.last_folder = folder
        actor, sync, full = self.page.ctx.actor, self.page.sync, self.full.isChecked()
        if preview.scope == "center":

            def job(_progress, _cancel):
                key = make()
                return key, sync.export_center(actor, folder, key, full=full)

            label = "Writing the bundle for this center's workstations…"
        else:
            attestation = self.attestation.text().strip() if preview.blocked and self.checked.isChecked() else None
            audience = preview.audience if self.site_code == "ncc" else None

            def job(_progress, _cancel):
                if audience == EVERY_CENTER:
                    return None, sync.export_network_to_centers(actor, folder, attestation=attestation, full=full)
                return None, sync.export_network(actor, folder, audience=audience, attestation=attestation, full=full)

            label = "Writing a network bundle for every center…" if audience == EVERY_CENTER else (
                "Writing the network bundle…")  # fmt: skip
        self.written.setText("")
        run_op(self, job=job, changes=Changed.SYNC, done=self._exported, label=label)

    def _exported(self, result) -> None:
        key, path = result
        if key is not None:
            self.key_box.remember(key)
        if isinstance(path, list):  # one bundle for each center
            where = f"{len(path)} bundles, one for each center, in {path[0].parent}" if path else ""
            self.written.setText(f"<span style='color:{GREEN}'><b>Written:</b></span> {escape(where)}")
        else:
            self.written.setText(f"<span style='color:{GREEN}'><b>Written:</b></span> {escape(str(path))}")
        self.checked.setChecked(False)
        self.attestation.clear()
        self.full.setChecked(False)  # a full bundle is the exception, asked for each time
