"""Which computer this is: a one-way digest of the system's own identity, for telling a database copy.

The system's id is read where it keeps one (Linux and BSD ``/etc/machine-id``, Windows ``MachineGuid``,
macOS ``IOPlatformUUID``); only its digest is ever stored, so the database never holds the raw id.
Where there is none, a random id is kept in the user's settings folder instead (then another user of
the same computer counts as another computer; the program is set up per user).
"""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import sys
import uuid
from functools import cache
from pathlib import Path

from lhn_desktop.store.location import create_private_file

logger = logging.getLogger(__name__)

TAG = b"lhn-desktop machine v1\0"
FALLBACK_FILE = "machine-id"
_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id", "/var/db/dbus/machine-id")


def machine_digest(config_dir: Path) -> str:
    """64 hex characters naming this computer (the same on every call, for every user where the system has an id)."""
    raw = _system_id() or _fallback_id(config_dir)
    return hashlib.sha256(TAG + raw.encode()).hexdigest()


@cache
def _system_id() -> str | None:
    try:
        if sys.platform == "win32":
            return _windows_id()
        if sys.platform == "darwin":
            return _mac_id()
        for name in _MACHINE_ID_FILES:
            text = Path(name).read_text(encoding="ascii", errors="replace").strip() if Path(name).is_file() else ""
            if text:
                return text
    except (OSError, ValueError, subprocess.SubprocessError):
        logger.info("The system's computer id could not be read; using this user's own")
    return None


def _windows_id() -> str | None:
    if sys.platform != "win32":  # called only there; mypy checks what follows for Windows alone
        raise NotImplementedError("Windows only")
    import winreg

    flags = winreg.KEY_READ | getattr(winreg, "KEY_WOW64_64KEY", 0)
    with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography", 0, flags) as key:
        value, _kind = winreg.QueryValueEx(key, "MachineGuid")
    return str(value) or None


def _mac_id() -> str | None:
    out = subprocess.run(["/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice"], capture_output=True,
                         text=True, timeout=5, check=False).stdout  # fmt: skip
    found = re.search(r'"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]+)"', out)
    return found.group(1) if found else None


def _fallback_id(config_dir: Path) -> str:
    path = config_dir / FALLBACK_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
        if text:
            return text
    except (OSError, UnicodeDecodeError):
        pass
    value = str(uuid.uuid4())
    config_dir.mkdir(parents=True, exist_ok=True)
    try:
        create_private_file(path)
        path.write_text(value, encoding="ascii")
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip() or value
    return value
