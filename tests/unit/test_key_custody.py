"""Where an encrypted database's key is kept and how it is found again (decision 37): the credential store, key
files, the recovery key and the center passphrase; a new key (rekey) and encryption turned on for a plain
database, each keeping every row and leaving no plain copy, and no copy under a retired key, behind."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from lhn_desktop.access import Actor
from lhn_desktop.app import AppContext
from lhn_desktop.cli import main
from lhn_desktop.errors import DatabaseError, DatabaseLocked, ValidationError
from lhn_desktop.services.center import init_center_database
from lhn_desktop.services.commons import attachments_folder
from lhn_desktop.services.demo_center import create_demo_database
from lhn_desktop.store import cipher, custody
from lhn_desktop.store.attachments import SEALED
from lhn_desktop.store.backup import list_backups
from lhn_desktop.store.rekey import change_key, table_digests, unlock

PASSPHRASE = "harbour lantern quietly"


class MemoryKeyring(KeyringBackend):
    """A credential store in memory, as Windows Credential Manager or the Keychain would keep the key."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def own_keys(monkeypatch) -> None:
    monkeypatch.setattr(cipher, "_known", {})
    monkeypatch.setenv(cipher.KEY_ENV, "")


@pytest.fixture
def keyring_store() -> MemoryKeyring:
    backend = MemoryKeyring()
    custody.use_credential_store(custody.KeyringStore(backend, "the test keyring"))
    return backend


def forget_process_keys() -> None:
    """As a new process would start: no key known, only what the workstation keeps."""
    cipher._known.clear()


def rows(path: Path, key: bytes | None) -> dict[str, tuple[int, str]]:
    conn = cipher.connect(path, read_only=True, key=key) if key else sqlite3.connect(path)
    try:
        return table_digests(conn)
    finally:
        conn.close()


def identifiers(path: Path) -> set[bytes]:
    ctx = AppContext.open(str(path))
    try:
        found: set[bytes] = set()
        for p in ctx.patients.search(Actor.workstation(), ""):
            found |= {p.name.split(",")[0].encode(), p.mrn.encode(), p.birth_date.isoformat().encode()}
        return found
    finally:
        ctx.close()


def every_file(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_a_new_center_is_encrypted_by_default_its_key_in_the_credential_store(lhn_home, keyring_store, capsys):
    path = lhn_home / "data" / "riverside.sqlite3"
    assert main(["init", "--site", "ctr-042", "--name", "Riverside", "--db", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["encrypted"] is True and info["key_kept_in"] == "the test keyring"
    assert len(info["recovery_key"].split("-")) == 8
    assert cipher.is_encrypted(path)
    [(service, account)] = keyring_store.items
    assert service == custody.SERVICE and account == custody.database_id(path)
    assert not custody.default_key_file(path).exists()  # one place only
    wraps = custody.wraps_file(path)
    assert stat.S_IMODE(wraps.stat().st_mode) == 0o600
    assert keyring_store.items[(service, account)] not in wraps.read_text()  # only wrapped, never the key itself
    forget_process_keys()
    AppContext.open(str(path)).close()  # found in the credential store


def test_without_a_credential_store_the_key_goes_to_an_owner_only_key_file(lhn_home, capsys):
    path = lhn_home / "data" / "riverside.sqlite3"
    assert custody.system_credential_store() is None  # the test session says "none", as a server would
    assert main(["init", "--site", "ctr-042", "--name", "Riverside", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    key_file = custody.default_key_file(path)
    assert f"keeps its key in the key file {key_file}" in out and "Recovery key:" in out
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert path.parent not in key_file.parents


def test_plain_is_still_possible_and_says_how_to_encrypt_later(lhn_home, capsys):
    path = lhn_home / "plain.sqlite3"
    assert main(["init", "--site", "ctr-043", "--name", "Plain", "--plain", "--db", str(path)]) == 0
    assert "lhn-desktop db encrypt" in capsys.readouterr().out
    assert path.read_bytes().startswith(cipher.PLAIN_HEADER) and not custody.wraps_file(path).exists()


def test_the_recovery_key_opens_a_database_whose_credential_store_entry_is_gone(lhn_home, keyring_store, capsys):
    path = lhn_home / "data" / "riverside.sqlite3"
    info = init_center_database(path, lhn_home / "backups", "ctr-042", "Riverside", network=None,
                                actor=Actor.workstation())  # fmt: skip
    before = rows(path, cipher.key_for(path))
    keyring_store.items.clear()  # a new workstation, or a credential store wiped
    forget_process_keys()
    with pytest.raises(DatabaseError) as refused:
        AppContext.open(str(path))
    assert "lhn-desktop db unlock" in refused.value.message and "damaged" not in refused.value.message
    assert main(["db", "unlock", "--db", str(path), "--recovery-key", "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"]) == 2
    assert "does not open this database" in capsys.readouterr().err
    typed = info.recovery_key.lower().replace("-", " ")  # as someone might type it from paper
    assert main(["db", "unlock", "--db", str(path), "--recovery-key", typed]) == 0
    assert "the test keyring" in capsys.readouterr().out
    forget_process_keys()
    assert rows(path, cipher.key_for(path)) == before  # kept again, and every row is there


def test_the_center_passphrase_unlocks_too_and_a_wrong_one_is_refused(lhn_home, monkeypatch, capsys):
    path = lhn_home / "data" / "riverside.sqlite3"
    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", PASSPHRASE)
    assert main(["init", "--site", "ctr-042", "--name", "Riverside", "--passphrase", "--db", str(path)]) == 0
    custody.default_key_file(path).unlink()
    forget_process_keys()
    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", "not the passphrase")
    assert main(["db", "unlock", "--passphrase", "--db", str(path)]) == 2
    assert "passphrase does not open" in capsys.readouterr().err
    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", PASSPHRASE)
    assert main(["db", "unlock", "--passphrase", "--db", str(path)]) == 0
    forget_process_keys()
    AppContext.open(str(path)).close()
    assert main(["db", "passphrase", "--remove", "--db", str(path)]) == 0
    with pytest.raises(ValidationError, match="No center passphrase"):
        custody.recover(path, passphrase=PASSPHRASE)


def test_a_short_passphrase_is_refused_before_anything_is_made(lhn_home, monkeypatch, capsys):
    path = lhn_home / "data" / "riverside.sqlite3"
    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", "short")
    assert main(["init", "--site", "ctr-042", "--name", "Riverside", "--passphrase", "--db", str(path)]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert not path.exists() and not custody.wraps_file(path).exists()


def test_rekey_keeps_every_row_and_leaves_nothing_under_the_old_key(lhn_home, keyring_store, capsys):
    path = lhn_home / "data" / "demo.sqlite3"
    backups = lhn_home / "data" / "backups"
    first = create_demo_database(path, backups, patients=8, seed=3)
    ctx = AppContext.open(str(path))
    ctx.maintenance.backup()
    ctx.close()
    old_key = cipher.key_for(path)
    before = rows(path, old_key)
    assert main(["db", "rekey", "--db", str(path), "--json"]) == 0
    change = json.loads(capsys.readouterr().out)
    assert change["rows"] == sum(n for n, _ in before.values()) and change["backups"] == 1
    forget_process_keys()
    new_key = cipher.key_for(path)
    assert new_key != old_key and rows(path, new_key) == before
    [backup] = list_backups(backups, path)
    for file in (path, backup):
        with pytest.raises(DatabaseError, match="could not be opened with its key"):
            cipher.connect(file, read_only=True, key=old_key)
        cipher.connect(file, read_only=True, key=new_key).close()
    with pytest.raises(ValidationError, match="does not open"):
        custody.recover(path, recovery_key=first.recovery_key)  # the old recovery key is retired with the old key
    assert custody.recover(backup, recovery_key=change["recovery_key"]) == new_key  # backups carry the new wraps
    assert not [p for p in every_file(lhn_home) if p.name.endswith((".part", ".replaced", "-wal"))]


def test_encrypting_a_plain_database_keeps_every_row_and_leaves_no_plain_copy(lhn_home, capsys):
    path = lhn_home / "data" / "demo.sqlite3"
    backups = lhn_home / "data" / "backups"
    create_demo_database(path, backups, patients=8, seed=3, encrypt=False)
    ctx = AppContext.open(str(path))
    ctx.set_clinic_phone("(614) 555-0100")
    ctx.maintenance.backup()
    form = lhn_home / "growth form.txt"
    form.write_text("Height and weight at every visit, plotted on the growth chart.")
    rid = ctx.commons.add_resource(ctx.actor, title="Growth form", kind="tool", summary="Form", attachment=form)
    ctx.close()
    [attached] = attachments_folder(path).iterdir()
    assert attached.read_bytes() == form.read_bytes()  # plain beside a plain database
    secrets = identifiers(path)
    before = rows(path, None)
    assert main(["db", "encrypt", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rows compared with the original, all the same" in out and "Recovery key" in out
    assert "1 backup was brought under the new key" in out  # one, said in the singular
    forget_process_keys()
    assert rows(path, cipher.key_for(path)) == before
    for file in every_file(lhn_home / "data"):
        content = file.read_bytes()
        assert not content.startswith(cipher.PLAIN_HEADER), file.name
        assert not [s for s in secrets if s in content], f"identifiers readable in {file.name}"
    assert identifiers(path) == secrets  # the program reads it as before
    assert attached.read_bytes().startswith(SEALED)  # the attachment is sealed under the database's key now
    ctx = AppContext.open(str(path))
    try:
        assert ctx.commons.attachment(rid)[1] == form.read_bytes()
    finally:
        ctx.close()
    assert main(["db", "encrypt", "--db", str(path)]) == 2
    assert "already encrypted" in capsys.readouterr().err


def test_a_database_the_window_holds_is_not_rekeyed(lhn_home):
    path = lhn_home / "data" / "demo.sqlite3"
    create_demo_database(path, lhn_home / "backups", patients=4, seed=3)
    ctx = AppContext.open(str(path), exclusive=True)
    try:
        with pytest.raises(DatabaseLocked, match="close it and try again"):
            change_key(path, lhn_home / "backups", require_plain=False)
    finally:
        ctx.close()
    forget_process_keys()
    AppContext.open(str(path)).close()  # its key is unchanged


def test_unlock_refuses_a_plain_file_and_a_file_without_wraps(lhn_home, tmp_path):
    path = lhn_home / "data" / "demo.sqlite3"
    create_demo_database(path, lhn_home / "backups", patients=4, seed=3)
    moved = tmp_path / "moved.sqlite3"
    moved.write_bytes(path.read_bytes())  # copied without its wraps file
    with pytest.raises(DatabaseError, match="no key wraps file"):
        unlock(moved, recovery_key="ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567")
    plain = tmp_path / "plain.sqlite3"
    create_demo_database(plain, lhn_home / "backups", patients=4, seed=3, encrypt=False)
    with pytest.raises(ValidationError, match="not encrypted"):
        unlock(plain, recovery_key="ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567")


def test_an_encrypted_database_keeps_its_temporary_work_in_memory(lhn_home):
    path = lhn_home / "data" / "demo.sqlite3"
    create_demo_database(path, lhn_home / "backups", patients=4, seed=3)
    ctx = AppContext.open(str(path))
    try:
        with ctx.db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
    finally:
        ctx.close()
    conn = cipher.connect(path, read_only=True)
    try:
        assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2
    finally:
        conn.close()
