"""Dialogs: who is using the program, the first start, and the team list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError, ValidationError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.models import Column
from lhn_desktop.gui.operations import Changed, announce
from lhn_desktop.gui.widgets import RecordsView, note
from lhn_desktop.services.team import ROLE_CHOICES, secret_problem


class AddMemberForm(QWidget):
    """Name and role of a new team member."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. Dr. Sam Rivera")
        self.role = QComboBox(self)
        for value, label in ROLE_CHOICES:
            self.role.addItem(label, value)
        name_label = QLabel("&Name:", self)
        name_label.setBuddy(self.name)
        role_label = QLabel("&Role:", self)
        role_label.setBuddy(self.role)
        form.addRow(name_label, self.name)
        form.addRow(role_label, self.role)


class SignInDialog(QDialog):
    """Asks who is using LHN Desktop and for their PIN or passphrase, then signs them in.

    A team member who sees patient data and has no PIN yet chooses one here before going on, so that no one
    else can act as them later; for patient and parent partners it is offered, not required. A wrong PIN
    keeps the dialog open with the name still chosen. The choice of name is remembered for this computer
    login; the PIN is asked every time.
    """

    def __init__(self, ctx, parent: QWidget | None = None, *, preselect: str | None = None,
                 os_user: str | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.ctx = ctx
        self.os_user = os_user if os_user is not None else current_os_user()
        self.member_id: str | None = None
        self.setWindowTitle("Who is using LHN Desktop?")
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "Choose your name and type your PIN. LHN Desktop records who made each change, and shows patient "
                "and parent partners no patient-level information.",
                self,
            )
        )
        self.members = QListWidget(self)
        layout.addWidget(self.members, 1)
        secret_form = QFormLayout()
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("then press Enter")
        self.secret_label = QLabel("Your &PIN or passphrase:", self)
        self.secret_label.setBuddy(self.secret)
        secret_form.addRow(self.secret_label, self.secret)
        self.choose = QLineEdit(self)
        self.choose.setEchoMode(QLineEdit.EchoMode.Password)
        self.choose_label = QLabel("Choose a &PIN:", self)
        self.choose_label.setBuddy(self.choose)
        secret_form.addRow(self.choose_label, self.choose)
        self.again = QLineEdit(self)
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again_label = QLabel("Type it a&gain:", self)
        self.again_label.setBuddy(self.again)
        secret_form.addRow(self.again_label, self.again)
        layout.addLayout(secret_form)
        self.choose_note = note("", self)
        layout.addWidget(self.choose_note)
        layout.addWidget(QLabel("Not on the list? Add yourself to the team:", self))
        self.add_form = AddMemberForm(self)
        layout.addWidget(self.add_form)
        self.add_button = QPushButton("&Add me to the team", self)
        layout.addWidget(self.add_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Continue")
        layout.addWidget(buttons)
        buttons.accepted.connect(self._accept_selected)
        buttons.rejected.connect(self.reject)
        self.add_button.clicked.connect(self._add_member)
        # Enter on a name (the list passes the key on to Continue as well): on to the PIN field it needs
        self.members.itemActivated.connect(lambda _i: self._accept_selected())
        self.members.currentItemChanged.connect(lambda *_a: self._show_secret_fields())
        for field in (self.secret, self.choose, self.again):
            field.returnPressed.connect(self._accept_selected)
        self._load(preselect)
        self.resize(460, 600)

    def _member(self):
        item = self.members.currentItem()
        return None if item is None else self._known.get(item.data(Qt.ItemDataRole.UserRole))

    def _load(self, select_id: str | None) -> None:
        self.members.clear()
        self._known = {}
        for m in self.ctx.team.list_members():
            self._known[m.id] = m
            item = QListWidgetItem(f"{m.display_name} ({m.role_label})")
            item.setData(Qt.ItemDataRole.UserRole, m.id)
            self.members.addItem(item)
            if m.id == select_id:
                self.members.setCurrentItem(item)
        if self.members.currentItem() is None and self.members.count():
            self.members.setCurrentRow(0)
        self._show_secret_fields()
        if self.members.count():
            self.members.setFocus()
        else:
            self.add_form.name.setFocus()

    def _show_secret_fields(self) -> None:
        m = self._member()
        has = bool(m and m.has_secret)
        choose = bool(m and not m.has_secret)
        for widget in (self.secret_label, self.secret):
            widget.setVisible(has)
        for widget in (self.choose_label, self.choose, self.again_label, self.again, self.choose_note):
            widget.setVisible(choose)
        if choose:
            self.choose_note.setText(
                "Choose a PIN or passphrase of at least 6 characters, so that no one else can sign in as you. You "
                "will type it each time." if m.sees_patient_data else
                "A PIN is optional for partners; choose one if you like, or leave these empty."
            )  # fmt: skip
        for field in (self.secret, self.choose, self.again):
            field.clear()

    def _add_member(self) -> bool:
        try:
            m = self.ctx.team.add_member(self.ctx.actor, self.add_form.name.text(), self.add_form.role.currentData())
        except LhnError as exc:
            show_error(self, exc)
            return False
        self.add_form.name.clear()
        self._load(m.id)
        (self.choose if self.choose.isVisible() else self.members).setFocus()
        return True

    def _accept_selected(self) -> None:
        # A name typed in "add yourself" and Continue (or Enter): add the person, then their PIN.
        if self.add_form.name.text().strip():
            self._add_member()
            return
        m = self._member()
        if m is None:
            show_error(self, LhnError("Choose your name in the list, or add yourself to the team first."))
            return
        if m.has_secret and not self.secret.text():
            self.secret.setFocus()  # the PIN is the next thing to type
            return
        new = self.choose.text()
        if not m.has_secret and m.sees_patient_data and not new:
            self.choose.setFocus()
            return
        if not m.has_secret and (m.sees_patient_data or new or self.again.text()):
            problem = secret_problem(new)
            if problem is None and new != self.again.text():
                problem = "The two PINs are not the same; type it again in both fields."
            if problem is not None:
                show_error(self, ValidationError(problem, field="secret"))
                self.choose.setFocus()
                return
        try:
            self.ctx.sign_in(m.id, self.os_user, self.secret.text() if m.has_secret else None)
            if not m.has_secret and new:
                self.ctx.team.set_secret(self.ctx.actor, m.id, new)
        except LhnError as exc:
            show_error(self, exc)
            self.secret.clear()
            (self.secret if m.has_secret else self.choose).setFocus()
            return
        self.member_id = m.id
        self.accept()


def current_os_user() -> str:
    """The computer login's name, under which the last team member chosen is remembered."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this account (a container, a service)
        return "unknown"


class FirstRunDialog(QDialog):
    """No center database yet: open the demo center, or set up a new, empty center."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to LHN Desktop")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "There is no center database on this workstation yet. You can explore the demo "
                "center, filled with synthetic patients, or set up your own center.",
                self,
            )
        )
        self.demo = QRadioButton("Explore the &demo center (300 synthetic patients; nothing real)", self)
        self.new = QRadioButton("Set up a &new, empty center", self)
        self.demo.setChecked(True)
        layout.addWidget(self.demo)
        layout.addWidget(self.new)
        form = QFormLayout()
        self.site = QLineEdit(self)
        self.site.setPlaceholderText("as your network assigned it, e.g. ctr-042")
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. Riverside Children's IBD Center")
        self.network = QLineEdit(self)
        self.network.setPlaceholderText("e.g. ImproveCareNow")
        self.passphrase = QLineEdit(self)
        self.passphrase.setPlaceholderText("optional: it opens the data on a new workstation")
        self.repeat = QLineEdit(self)
        for secret in (self.passphrase, self.repeat):
            secret.setEchoMode(QLineEdit.EchoMode.Password)
        for label, w in (("&Site code:", self.site), ("Center &name:", self.name), ("Ne&twork:", self.network),
                         ("Center &passphrase:", self.passphrase), ("&Repeat it:", self.repeat)):  # fmt: skip
            lab = QLabel(label, self)
            lab.setBuddy(w)
            form.addRow(lab, w)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Start")
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.new.toggled.connect(self._toggle)
        self._toggle(False)

    def _toggle(self, new: bool) -> None:
        for w in (self.site, self.name, self.network, self.passphrase, self.repeat):
            w.setEnabled(new)
        if new:
            self.site.setFocus()

    @property
    def wants_demo(self) -> bool:
        return self.demo.isChecked()

    def center_passphrase(self) -> str | None:
        """The center passphrase typed twice, or ``None`` when none was typed; two that differ are refused."""
        if not self.passphrase.text() and not self.repeat.text():
            return None
        if self.passphrase.text() != self.repeat.text():
            self.repeat.clear()
            raise ValidationError("The two passphrases differ. Type it again in the second box, or leave both empty.",
                                  field="passphrase")  # fmt: skip
        return self.passphrase.text()


class TeamDialog(QDialog):
    """The center's team, and adding a member."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Team")
        layout = QVBoxLayout(self)
        self.table = RecordsView(
            [
                Column("Name", lambda m: m.display_name),
                Column("Role", lambda m: m.role_label),
                Column("Sees patient data", lambda m: m.sees_patient_data),
                Column("About", lambda m: m.profile),
            ],
            self,
        )
        self.model = self.table.rows_model
        layout.addWidget(self.table, 1)
        self.form = AddMemberForm(self)
        layout.addWidget(self.form)
        add = QPushButton("&Add to the team", self)
        add.clicked.connect(self._add)
        layout.addWidget(add)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.refresh()
        self.resize(760, 480)

    def refresh(self) -> None:
        self.model.set_rows(self.ctx.team.list_members(include_inactive=True))

    def _add(self) -> None:
        try:
            self.ctx.team.add_member(self.ctx.actor, self.form.name.text(), self.form.role.currentData())
        except LhnError as exc:  # the dialog stays open with what was typed
            show_error(self, exc)
            return
        announce(self, Changed.TEAM)
        self.form.name.clear()
        self.refresh()


class CenterDialog(QDialog):
    """The center's details; the clinic's phone number for families is the one a team changes here."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Center details")
        info = ctx.center()
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Center:", QLabel(f"{info.site_name} ({info.site_code})", self))
        form.addRow("Network:", QLabel(info.network or "none", self))
        self.phone = QLineEdit(info.clinic_phone or "", self)
        self.phone.setPlaceholderText("e.g. (614) 555-0100 ext 2")
        self.phone.setMaxLength(40)
        label = QLabel("Clinic &phone for families:", self)
        label.setBuddy(self.phone)
        form.addRow(label, self.phone)
        layout.addLayout(form)
        layout.addWidget(note("Printed on every visit summary, so families know whom to call between visits. It "
                              "stays at this center: network bundles never carry it.", self))  # fmt: skip
        self.named = QCheckBox("Show our &name to the other centers in network comparisons", self)
        self.named.setChecked(info.named_in_network)
        layout.addWidget(self.named)
        layout.addWidget(
            note(
                "Otherwise the other centers see this center under a code, such as \u201cCenter 17\u201d. The choice "
                "reaches the coordinating center with the next network bundle.",
                self,
            )
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   parent=self)  # fmt: skip
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _save(self) -> None:
        try:
            self.ctx.set_clinic_phone(self.phone.text())
            if self.named.isChecked() != self.ctx.center().named_in_network:
                self.ctx.set_named_in_network(self.named.isChecked())
        except LhnError as exc:  # the dialog stays open with what was typed
            show_error(self, exc)
            self.phone.setFocus()
            return
        self.accept()
        announce(self, Changed.TEAM)


class ShortcutsDialog(QDialog):
    """Every shortcut of the page in front, then those that work everywhere (Help → Keyboard shortcuts, Ctrl+/)."""

    def __init__(self, page_title: str, page: list[tuple[str, str]], everywhere: list[tuple[str, str]],
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 520)
        layout = QVBoxLayout(self)
        layout.addWidget(note("Alt with an underlined letter presses that button or chooses that field; Escape "
                              "closes a form (it asks first if you typed something).", self))  # fmt: skip
        rows = [(f"On {page_title}" if page_title else "On this page", what, keys) for what, keys in page]
        rows += [("Everywhere", what, keys) for what, keys in everywhere]
        self.table = RecordsView(
            [Column("Where", lambda r: r[0]), Column("What", lambda r: r[1]), Column("Keys", lambda r: r[2])], self
        )
        self.table.rows_model.set_rows(rows)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
