"""The error kinds of LHN Desktop.

Every error raised on purpose is an :class:`LhnError` whose message a clinic team can act on: what
went wrong and what to do. ``detail`` holds technical context for the log and the Details section
of the error dialog; it never holds patient data. The command line maps ``exit_code`` to its exit
status (1 error, 2 bad input).
"""

from __future__ import annotations


class LhnError(Exception):
    """Base class: a problem the user can understand and act on."""

    exit_code = 1

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class ValidationError(LhnError):
    """Input that cannot be accepted as it is.

    ``field`` names the input at fault (``mrn``, ``WEIGHT``, ...) so a form can put the cursor there and the
    command line can name the option; the message itself never repeats the value (it may be patient data).
    """

    exit_code = 2

    def __init__(self, message: str, *, detail: str = "", field: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.field = field


class NeedsConfirmation(ValidationError):
    """Input that may be right but looks wrong: the caller checks first, shows the warnings, and asks again."""


class NotFound(LhnError):
    """A record, file or database that does not exist."""

    exit_code = 2


class PermissionDenied(LhnError):
    """The person using the program may not see or do this."""


class DatabaseLocked(LhnError):
    """Another LHN Desktop window already has this center database open."""


class DatabaseError(LhnError):
    """The database cannot be used (corrupt, unreadable, on a network share, ...)."""


class KeyNotFound(DatabaseError):
    """An encrypted database whose key is neither known to this process nor kept on this workstation: the
    recovery key or the center passphrase unlocks it (lhn_desktop/store/custody.py)."""


class CorruptDatabase(DatabaseError):
    """The database file failed its integrity check."""

    def __init__(self, message: str, *, latest_backup: str | None = None, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.latest_backup = latest_backup


class NewerDatabase(DatabaseError):
    """The database was written by a newer version of the program."""


class NetworkShareRefused(DatabaseError):
    """The database path is on a network share, where SQLite's locking is not safe."""

    exit_code = 2


class ClockError(LhnError):
    """The sync clock cannot advance (counter overflow)."""


class SyncIntegrityError(LhnError):
    """Two field versions with the same dot disagree: forged or corrupt data."""


class Cancelled(Exception):
    """A long job was cancelled by the person who started it. Not an error: nothing is shown."""


#: what stands in for an unexpected exception's own words in a log or a crash report
WITHHELD = "(its message is left out: it may quote patient data)"


def safe_traceback(exc: BaseException) -> str:
    """A traceback for the log and the crash report, without the exceptions' own messages.

    The frames (file, line, function, source line) are the program's; an exception's message may quote the
    data it failed on (``invalid literal for int(): 'Ada'``, a key, a value from a file), so only an
    :class:`LhnError`'s message, written for people and free of patient data, is kept. Chained exceptions
    (``raise ... from``, or raised while handling another) are shown the same way, oldest first.
    """
    import traceback

    chain: list[BaseException] = []  # newest first
    links: list[str] = []  # links[i]: the words between chain[i + 1] and chain[i]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of the following exception:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception, another exception occurred:"
        else:
            break
        links.append(link)
    parts = []
    for index in range(len(chain) - 1, -1, -1):
        item = chain[index]
        kind = type(item)
        name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        words = item.message if isinstance(item, LhnError) else WITHHELD
        frames = "".join(traceback.format_list(traceback.extract_tb(item.__traceback__)))
        parts.append(("Traceback (most recent call last):\n" + frames if frames else "") + f"{name}: {words}\n")
        if index > 0:
            parts.append(f"\n{links[index - 1]}\n\n")
    return "".join(parts)
