"""An encrypted center database (SQLCipher): nothing of a patient readable in the file, its write-ahead log or its
backups; a missing or wrong key refused in words; backups and restore under the database's own key."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from lhn_desktop.access import Actor
from lhn_desktop.app import AppContext
from lhn_desktop.cli import main
from lhn_desktop.errors import DatabaseError
from lhn_desktop.services.center import init_center_database
from lhn_desktop.services.commons import attachments_folder
from lhn_desktop.services.demo_center import create_demo_database
from lhn_desktop.services.maintenance import restore_backup
from lhn_desktop.store import cipher, custody
from lhn_desktop.store.backup import integrity_problems


@pytest.fixture(autouse=True)
def own_keys(monkeypatch) -> None:
    """Each test starts with no key known to the process and no key file named (both restored afterwards)."""
    monkeypatch.setattr(cipher, "_known", {})
    monkeypatch.setenv(cipher.KEY_ENV, "")


@pytest.fixture
def encrypted(lhn_home: Path) -> Path:
    path = lhn_home / "data" / "center.sqlite3"
    create_demo_database(path, lhn_home / "data" / "backups", patients=12, encrypt=True)
    return path


def identifiers(path: Path) -> set[bytes]:
    """The demo patients' names, MRNs and birth dates, as the program reads them."""
    ctx = AppContext.open(str(path))
    try:
        found: set[bytes] = set()
        for p in ctx.patients.search(Actor.workstation(), ""):
            family = p.name.split(",")[0]
            found |= {family.encode(), p.mrn.encode(), p.birth_date.isoformat().encode()}
        return found
    finally:
        ctx.close()


def test_no_name_mrn_or_birth_date_is_in_the_file_its_log_its_backups_or_its_attachments(encrypted, lhn_home):
    secrets = identifiers(encrypted)
    assert len(secrets) >= 30
    ctx = AppContext.open(str(encrypted))
    try:
        ctx.set_clinic_phone("(614) 555-0100")  # a write while open: the write-ahead log has pages
        wal = encrypted.with_name(encrypted.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0
        files = [encrypted.read_bytes(), wal.read_bytes()]
        # an attached file that, against advice, names patients: the store keeps it sealed
        careless = lhn_home / "clinic list.txt"
        careless.write_bytes(b"\n".join(sorted(secrets)))
        rid = ctx.commons.add_resource(ctx.actor, title="Clinic list", kind="tool", summary="A list",
                                       attachment=careless)  # fmt: skip
        careless.unlink()
        assert ctx.commons.attachment(rid)[1] == b"\n".join(sorted(secrets))  # read back, hash-checked
        stored = list(attachments_folder(encrypted).iterdir())
        assert len(stored) == 1
        files.append(stored[0].read_bytes())
        assert ctx.commons.search("Clinic")  # the words of the attachment are searchable (inside the database)
    finally:
        ctx.close()
    ctx = AppContext.open(str(encrypted))
    try:
        backup = Path(ctx.maintenance.backup().path)
    finally:
        ctx.close()
    files.append(backup.read_bytes())
    for content in files:
        assert not content.startswith(cipher.PLAIN_HEADER)
        leaked = [s for s in secrets if s in content]
        assert not leaked, f"{len(leaked)} identifiers readable"
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(encrypted).execute("SELECT count(*) FROM sqlite_master").fetchone()
    assert integrity_problems(backup) == []  # the backup opens under the database's key


def test_the_key_is_kept_apart_owner_only_and_a_missing_or_wrong_key_is_refused_in_words(encrypted: Path, monkeypatch):
    key_file = custody.default_key_file(encrypted)
    assert key_file.exists() and encrypted.parent not in key_file.parents  # not in the data folder
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    key_file.rename(key_file.with_name("aside.key"))
    monkeypatch.setattr(cipher, "_known", {})
    with pytest.raises(DatabaseError) as missing:
        AppContext.open(str(encrypted))
    assert "encrypted" in missing.value.message and "db unlock" in missing.value.message
    wrong = key_file.with_name("wrong.key")
    wrong.write_text("00" * 32)
    monkeypatch.setenv(cipher.KEY_ENV, str(wrong))
    with pytest.raises(DatabaseError, match="could not be opened with its key"):
        AppContext.open(str(encrypted))
    monkeypatch.setenv(cipher.KEY_ENV, str(key_file.with_name("aside.key")))  # --key-file names the right one
    AppContext.open(str(encrypted)).close()
    (key_file.parent / "junk.key").write_text("not a key")
    monkeypatch.setenv(cipher.KEY_ENV, str(key_file.parent / "junk.key"))
    monkeypatch.setattr(cipher, "_known", {})
    with pytest.raises(DatabaseError, match="not a database key file"):
        AppContext.open(str(encrypted))


def test_a_damaged_encrypted_database_is_restored_from_its_encrypted_backup(encrypted: Path, lhn_home: Path):
    ctx = AppContext.open(str(encrypted))
    try:
        backup = Path(ctx.maintenance.backup().path)
    finally:
        ctx.close()
    data = bytearray(encrypted.read_bytes())
    for offset in range(4096, 4096 * 4):
        data[offset] ^= 0x5A
    encrypted.write_bytes(bytes(data))
    cipher._known.clear()  # as in a fresh process: only the key file
    result = restore_backup(encrypted, lhn_home / "data" / "backups")
    assert result.restored_from == str(backup)
    assert integrity_problems(encrypted) == [] and cipher.is_encrypted(encrypted)
    AppContext.open(str(encrypted)).close()


def test_init_encrypts_unless_told_plain_on_the_command_line(lhn_home: Path, capsys) -> None:
    path = lhn_home / "data" / "riverside.sqlite3"
    code = main(["init", "--site", "ctr-042", "--name", "Riverside", "--db", str(path), "--json"])
    info = json.loads(capsys.readouterr().out)
    assert code == 0 and info["encrypted"] is True and str(custody.default_key_file(path)) in info["key_kept_in"]
    assert cipher.is_encrypted(path)
    code = main(
        ["init", "--site", "ctr-043", "--name", "Plain", "--plain", "--db", str(lhn_home / "p.sqlite3"), "--json"]
    )
    plain = json.loads(capsys.readouterr().out)
    assert code == 0 and plain["encrypted"] is False and plain["key_kept_in"] is None and not plain["recovery_key"]
    assert (lhn_home / "p.sqlite3").read_bytes().startswith(cipher.PLAIN_HEADER)


def test_a_key_file_is_never_written_over(lhn_home: Path, tmp_path: Path, monkeypatch) -> None:
    named = tmp_path / "center.key"
    named.write_text("ab" * 32)
    monkeypatch.setenv(cipher.KEY_ENV, str(named))
    with pytest.raises(DatabaseError, match="already exists"):
        init_center_database(tmp_path / "new.sqlite3", tmp_path / "backups", "ctr-042", "New", network=None,
                             actor=Actor.workstation())  # fmt: skip
    assert named.read_text() == "ab" * 32
    assert not (tmp_path / "new.sqlite3").exists() and not custody.wraps_file(tmp_path / "new.sqlite3").exists()
