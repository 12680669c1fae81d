"""The database key in the window: the recovery key shown once when a center is set up, unlocking a database
whose key this workstation no longer keeps (a new workstation, a lost credential store; decision 37), and the
database's protection with its center passphrase."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError, ValidationError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.forms import FormDialog
from lhn_desktop.gui.printing import choose_printer
from lhn_desktop.gui.widgets import note
from lhn_desktop.services.maintenance import PASSPHRASE_MIN


class RecoveryKeyDialog(QDialog):
    """The new center's recovery key, shown once: print it or write it down before going on."""

    def __init__(self, recovery_key: str, center: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recovery_key = recovery_key
        self.center = center
        self.setWindowTitle("Your center's recovery key")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "The center's database is encrypted; this computer keeps its key. If this computer is replaced, or "
                "its stored key is lost, this recovery key is the only way to open the data again. It is shown "
                "only now: print it or write it down, and keep it locked away from this computer.",
                self,
            )
        )
        self.key_label = QLabel(recovery_key, self)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setWeight(QFont.Weight.Bold)
        self.key_label.setFont(font)
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)  # not copied by accident
        layout.addWidget(self.key_label)
        self.print_button = QPushButton("&Print…", self)
        self.print_button.clicked.connect(self.print_key)
        layout.addWidget(self.print_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.kept = QCheckBox("I have &printed or written down the recovery key", self)
        layout.addWidget(self.kept)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("&Continue")
        self.ok.setEnabled(False)
        self.kept.toggled.connect(self.ok.setEnabled)
        self.buttons.accepted.connect(self.accept)
        layout.addWidget(self.buttons)

    def reject(self) -> None:
        """Escape does not skip it: the key is shown only now."""
        if self.kept.isChecked():
            self.accept()

    def document(self) -> QTextDocument:
        page = QTextDocument(self)
        page.setHtml(
            f"<h2>LHN Desktop recovery key</h2><p>Center: {html.escape(self.center)}</p>"
            f"<p style='font-family: monospace; font-size: 18pt'><b>{self.recovery_key}</b></p>"
            "<p>Keep this page locked away from the computer. With it, a team member opens the center's data on a "
            "new workstation, or after the workstation's stored key is lost: in LHN Desktop's Unlock window, or "
            "with 'lhn-desktop db unlock'.</p>"
        )
        return page

    def print_key(self) -> None:
        printer = choose_printer(self, "Print the recovery key", None)
        if printer is not None:
            self.document().print_(printer)
            self.kept.setChecked(True)


class UnlockDialog(FormDialog):
    """An encrypted database whose key this workstation does not keep: the recovery key or the center passphrase
    opens it, and the workstation keeps the key again."""

    def __init__(self, path: str, unlock: Callable[..., str], parent: QWidget | None = None) -> None:
        super().__init__(
            "Unlock the center's data",
            "This center's database is encrypted, and this computer does not keep its key: it may be a new "
            "workstation, or its stored key was lost. Type the recovery key printed when the center was set up, or "
            "the center passphrase if your center set one.",
            parent,
        )
        self.path = path
        self.unlock = unlock
        self.kept_in: str | None = None
        self.recovery = self.row("Recovery &key:", QLineEdit(self))
        self.recovery.setPlaceholderText("8 groups of 4 letters and digits, e.g. ABCD-EFGH-…")
        self.passphrase = self.row("or the center pass&phrase:", QLineEdit(self))
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Unlock")

    def save(self) -> None:
        if self.recovery.text().strip():
            self.kept_in = self.unlock(self.path, recovery_key=self.recovery.text())
        elif self.passphrase.text():
            self.kept_in = self.unlock(self.path, passphrase=self.passphrase.text())
        else:
            raise ValidationError("Type the recovery key, or the center passphrase.", field="recovery_key")


def protection_words(protection) -> str:
    """How the open database is protected at rest (``MaintenanceService.protection()``), in a clinic team's words."""
    if not protection.encrypted:
        return (
            "This center's database is <b>not encrypted</b>: anyone who copies the file or one of its backups can "
            "read every patient. Ask your workstation administrator to turn encryption on with "
            "<i>lhn-desktop db encrypt</i> while LHN Desktop is closed."
        )
    lines = [
        "This center's database, its backups and its attached documents are <b>encrypted</b>. This computer "
        f"keeps the key in {html.escape(protection.kept_in or 'its credential store')}."
    ]
    if protection.recovery_key:
        lines.append("The recovery key printed when the center was set up (or given its last new key) opens it too.")
    else:
        lines.append("No recovery key can open it: keep a center passphrase, or this computer's key, safe.")
    if protection.passphrase:
        lines.append("The <b>center passphrase</b> is set: on a new workstation it opens the data as well.")
    else:
        lines.append(
            "No center passphrase is set. One lets a team member open the data on a new workstation without the "
            "printed recovery key."
        )
    return "<br><br>".join(lines)


class ProtectionDialog(FormDialog):
    """Center > Database protection: whether the database is encrypted, where its key is kept, what else opens
    it, and setting, changing or removing the center passphrase."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        self.ctx = ctx
        self.protection = ctx.maintenance.protection()
        super().__init__("Database protection", protection_words(self.protection), parent)
        self.passphrase = self.row("New center &passphrase:", QLineEdit(self))
        self.repeat = self.row("&Repeat it:", QLineEdit(self))
        for field in (self.passphrase, self.repeat):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.setMinimumWidth(560)
        self.passphrase.setPlaceholderText(f"at least {PASSPHRASE_MIN} characters: a few words are easiest")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("&Change the passphrase" if self.protection.passphrase else "&Set the passphrase")
        self.remove = self.buttons.addButton("&Remove the passphrase", QDialogButtonBox.ButtonRole.ActionRole)
        self.remove.setVisible(self.protection.passphrase and ctx.actor.sees_patient_data)
        self.remove.clicked.connect(self.remove_passphrase)
        # nothing to set on a plain file (no key to wrap), nor for a partner (the passphrase opens every record)
        if not self.protection.encrypted or not ctx.actor.sees_patient_data:
            for field in (self.passphrase, self.repeat):
                field.setVisible(False)
                self.form.labelForField(field).setVisible(False)
            ok.setVisible(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("&Close")

    def save(self) -> None:
        if not self.passphrase.text():
            raise ValidationError("Type the new center passphrase, then type it again below.", field="passphrase")
        if self.passphrase.text() != self.repeat.text():
            self.repeat.clear()
            raise ValidationError("The two passphrases differ. Type it again in the second box.", field="passphrase")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # stretching the passphrase takes a moment
        try:
            self.protection = self.ctx.maintenance.set_passphrase(self.ctx.actor, self.passphrase.text())
        finally:
            QApplication.restoreOverrideCursor()
        QMessageBox.information(
            self,
            "Database protection",
            "The center passphrase is set. Tell it only to the team members who may open the center's data, and "
            "keep it away from this computer.",
        )

    def remove_passphrase(self) -> None:
        answer = QMessageBox.question(
            self,
            "Remove the center passphrase",
            "After this only this computer's key and the printed recovery key open the center's data. Remove the "
            "center passphrase?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.protection = self.ctx.maintenance.set_passphrase(self.ctx.actor, None)
        except LhnError as exc:
            show_error(self, exc)
            return
        self.accept()
