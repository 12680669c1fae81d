"""Checks on where a database file lives: a local, writable folder, never a network share.

SQLite's WAL mode "does not work over a network filesystem" and broken locks on shares corrupt
databases (https://www.sqlite.org/wal.html), so a path on a share is refused with an explanation;
bundles are what travel over shares.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from lhn_desktop.errors import DatabaseError, NetworkShareRefused, NotFound, ValidationError

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "afpfs",
        "webdav",
        "davfs",
        "fuse.sshfs",
        "sshfs",
        "fuse.davfs2",
        "fuse.glusterfs",
        "fuse.rclone",
        "fuse.s3fs",
        "fuse.cephfs",
    }
)

_SHARE_MESSAGE = (
    "The database {path} is on a network share ({what}). LHN Desktop keeps its database on this computer's "
    "own disk, because databases on shared drives can be damaged when two computers use them. Choose a "
    "folder on this computer (the default needs no --db), and use sync bundles to move data over the share."
)


def is_unc_path(text: str) -> bool:
    return text.startswith(("\\\\", "//"))


def _linux_mounts() -> list[tuple[str, str]]:
    mounts = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            for line in fh:
                left, _, right = line.partition(" - ")
                parts = left.split()
                fstype = right.split()[0] if right else ""
                if len(parts) >= 5:
                    mount_point = parts[4].replace("\\040", " ")
                    mounts.append((mount_point, fstype))
    except OSError:
        return []
    return mounts


def filesystem_type(path: Path, mounts: Iterable[tuple[str, str]] | None = None) -> str | None:
    """The filesystem type of the mount holding ``path`` (Linux), or ``None`` if unknown."""
    table = list(mounts) if mounts is not None else _linux_mounts()
    best, best_type = "", None
    text = str(path)
    for mount_point, fstype in table:
        prefix = mount_point.rstrip("/") + "/"
        if (text == mount_point or text.startswith(prefix) or mount_point == "/") and len(mount_point) > len(best):
            best, best_type = mount_point, fstype
    return best_type


def _windows_drive_is_remote(path: Path) -> bool:  # pragma: no cover - Windows only
    if sys.platform != "win32":  # called only there; mypy checks what follows for Windows alone
        raise NotImplementedError("Windows only")
    import ctypes

    drive = path.drive
    if not drive:
        return False
    drive_remote = 4
    return ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == drive_remote


def check_not_network_share(path: Path, *, raw: str | None = None, mounts: Iterable[tuple[str, str]] | None = None):
    text = raw if raw is not None else str(path)
    if is_unc_path(text):
        raise NetworkShareRefused(_SHARE_MESSAGE.format(path=text, what="a \\\\server\\share path"))
    if sys.platform == "win32":  # pragma: no cover - Windows only
        if _windows_drive_is_remote(path):
            raise NetworkShareRefused(_SHARE_MESSAGE.format(path=text, what=f"mapped network drive {path.drive}"))
        return
    fstype = filesystem_type(path, mounts)
    if fstype and fstype.lower() in NETWORK_FILESYSTEMS:
        raise NetworkShareRefused(_SHARE_MESSAGE.format(path=text, what=f"a {fstype} file system"))


def check_database_path(raw: str | os.PathLike[str], *, must_exist: bool) -> Path:
    """Resolve and check a database path; raises an error that says what is wrong and what to do."""
    text = os.fspath(raw)
    if not text.strip():
        raise ValidationError("No database path was given. Pass a file path with --db, or leave --db out.")
    check_not_network_share(Path(text), raw=text)
    path = Path(text).expanduser().absolute()
    check_not_network_share(path.resolve() if path.exists() else path.parent.resolve() / path.name, raw=text)
    if path.is_dir():
        raise ValidationError(
            f"{path} is a folder, not a database file. Give the path of a file, for example {path / 'center.sqlite3'}."
        )
    parent = path.parent
    if must_exist and not parent.is_dir():
        raise NotFound(f"The folder {parent} does not exist. Check the --db path.")
    if must_exist and not path.exists():
        raise NotFound(
            f"There is no center database at {path}. Check the --db path, or create a database with "
            "'lhn-desktop init --site CODE --name NAME' or 'lhn-desktop demo'."
        )
    if parent.exists() and not os.access(parent, os.W_OK | os.X_OK):
        raise DatabaseError(
            f"LHN Desktop cannot write in the folder {parent}. Choose a folder you can write to (pass --db), "
            "or ask your IT team to give you write access to it.",
        )
    if path.is_file() and not os.access(path, os.W_OK):  # SQLite would open it read-only and fail at the first save
        raise DatabaseError(
            f"The database {path} is read-only (its file permissions, or a read-only drive or share), so nothing "
            "could be saved in it. Copy it to a folder you can write to and open the copy, or ask your IT team "
            "to make it writable.",
        )
    return path


def ensure_writable_dir(folder: Path, purpose: str) -> Path:
    """Create ``folder`` if needed and check that files can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".lhn-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise DatabaseError(
            f"LHN Desktop cannot write its {purpose} in {folder} ({exc.strerror or exc}). "
            "Ask your IT team for write access to that folder, or set LHN_DESKTOP_HOME to a folder you can write to.",
        ) from exc
    return folder


def create_private_file(path: Path) -> None:
    """Create an empty file only its owner may read or write (0600 on POSIX), unless it exists already.

    The center database, its backups and the center key hold patient data or what protects it; other
    local users of the computer must not read them. SQLite gives the database's log files the same
    permissions as the database file.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)
