"""The Sync page's Trusted keys tab: whose bundles this workstation accepts, added by comparing fingerprints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.gui.forms import FormDialog
from lhn_desktop.gui.models import Column
from lhn_desktop.gui.operations import Changed, reported, run_op
from lhn_desktop.gui.pages.sync_send import RED
from lhn_desktop.gui.widgets import RecordsView, note

if TYPE_CHECKING:
    from lhn_desktop.gui.pages.sync import SyncPage
    from lhn_desktop.services.trust import KeyCard

ROLE_NAMES = {"node": "a workstation", "ncc": "the network coordinating center"}
PARTNER_TIP = "Only team members who see patient data decide whose bundles this center accepts."


def _fingerprint_font() -> QFont:
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(font.pointSizeF() * 1.2)
    font.setBold(True)
    return font


class AddKeyDialog(FormDialog):
    """Trust a key card once the fingerprint read on the other workstation's screen is typed here."""

    changes = Changed.SYNC

    def __init__(self, ctx, card: KeyCard, parent: QWidget | None = None) -> None:
        super().__init__(
            "Add a trusted key",
            "Ask the person at the other workstation to open Sync › This workstation and read its key fingerprint "
            "to you (in person or by phone). Type what you hear below; do not copy it from this window. If it "
            "differs from the card's, someone may have changed the card: do not trust it.",
            parent,
        )
        self.ctx, self.card = ctx, card
        self.setMinimumWidth(660)
        self.row("Center:", QLabel(card.site_id, self))
        self.row("Workstation:", QLabel(card.node_id, self))
        self.row("Key:", QLabel(card.key_id, self))
        shown = QLabel(card.fingerprint, self)
        shown.setFont(_fingerprint_font())
        self.row("On the card:", shown)
        self.typed = self.row("&Fingerprint you heard:", QLineEdit(self))
        self.typed.setPlaceholderText("32 letters and digits, spaces optional")
        self.typed.setFont(_fingerprint_font())
        self.role = self.row("&This key belongs to:", QComboBox(self))
        for key, label in ROLE_NAMES.items():
            self.role.addItem(label, key)
        if card.site_id == "ncc":
            self.role.setCurrentIndex(self.role.findData("ncc"))
        self.added = None

    def save(self) -> None:
        self.added = self.ctx.trust.add(self.ctx.actor, self.card, self.typed.text(), self.role.currentData())


class TrustTab(QWidget):
    """The keys whose bundles this workstation accepts; add one from its key card, or revoke one."""

    def __init__(self, page: SyncPage) -> None:
        super().__init__(page)
        self.page = page
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "This workstation accepts bundles only from keys it trusts. Add another workstation's key from its "
                "key card after comparing fingerprints; revoke a key when a workstation is retired, lost or stolen.",
                self,
            )
        )
        self.list = RecordsView(
            [
                Column("Center", lambda k: k.site_id),
                Column("Belongs to", lambda k: ROLE_NAMES.get(k.role, k.role)),
                Column("Key", lambda k: k.key_id),
                Column("Fingerprint", lambda k: k.fingerprint),
                Column("Added", lambda k: k.valid_from.date() if k.valid_from else None),
                Column("Added by", lambda k: k.added_by or ""),
                Column(
                    "Revoked",
                    lambda k: k.revoked_at.date() if k.revoked_at else None,
                    colour=lambda k: RED if k.revoked_at else None,
                ),
            ],
            self,
        )
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("&Add a key…", self)
        self.add_button.clicked.connect(self.add)
        self.revoke_button = QPushButton("Re&voke…", self)
        self.revoke_button.clicked.connect(self.revoke)
        row.addWidget(self.add_button)
        row.addWidget(self.revoke_button)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        row.addWidget(self.status, 1)
        layout.addLayout(row)
        if not page.ctx.actor.sees_patient_data:
            for button in (self.add_button, self.revoke_button):
                button.setEnabled(False)
                button.setToolTip(PARTNER_TIP)
        self.list.selectionModel().currentRowChanged.connect(lambda _c, _p: self._update())

    def refresh(self) -> None:
        self.show_rows(self.page.ctx.trust.list())

    def show_rows(self, keys: list) -> None:
        self.list.rows_model.set_rows(keys)
        self.list.select_first()
        self._update()

    def _update(self) -> None:
        key = self.list.current_row()
        allowed = self.page.ctx.actor.sees_patient_data
        self.revoke_button.setEnabled(allowed and key is not None and key.revoked_at is None)

    def add(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "The other workstation's key card", "", "Key cards (*.json)")
        if not path:
            return
        card = None
        with reported(self):
            card = self.page.ctx.trust.read_card(path)
        if card is None:
            return
        dialog = AddKeyDialog(self.page.ctx, card, self)  # saved, it announces the new key: the page reloads
        if dialog.exec() and dialog.added is not None:
            self.status.setText(f"Trusted: the key of {card.site_id}, workstation {card.node_id[:8]}.")

    def revoke(self) -> None:
        key = self.list.current_row()
        if key is None or key.revoked_at is not None:
            return
        answer = QMessageBox.question(
            self,
            "Revoke this key?",
            f"Bundles signed with the key {key.key_id} ({key.site_id}) will no longer be accepted here. Revoke it?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        run_op(self, lambda: self.page.ctx.trust.revoke(self.page.ctx.actor, key.key_id), changes=Changed.SYNC,
               done=lambda _r: self.status.setText(f"Revoked the key {key.key_id} ({key.site_id})."))  # fmt: skip
