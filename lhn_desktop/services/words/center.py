"""The words of the center and its workstations: a database found copied or put back, a PIN too weak, a
database check's findings, and the audit trail's line for an export of the center's data.

The services that guard, check and export decide; this module writes what the person at the workstation reads.
"""

from __future__ import annotations

from collections.abc import Mapping


def copied(elsewhere: bool) -> str:
    """After the guard gave a copied database its own workstation id and key."""
    where = "another computer" if elsewhere else "another database on this computer"
    return (
        f"This database is a copy of {where}, so this workstation now has its own workstation id and key. The "
        "center's other workstations and the coordinating center accept its bundles again once they have its new "
        "key card (Sync, Keys). Nothing in the record changed."
    )


PUT_BACK = (
    "This database is older than edits this workstation has already sent, so it now has a new workstation id. "
    "Nothing in the record changed."
)


def secret_too_short(minimum: int) -> str:
    return f"Choose a PIN or passphrase of at least {minimum} characters."


def secret_too_long(maximum: int) -> str:
    return f"A passphrase has at most {maximum} characters."


SECRET_TOO_EASY = "That PIN is too easy to guess (one character repeated, or a run like 123456); choose another."


def schema_mismatch(found: str | None, expected: str) -> str:
    return (
        f"the schema is at revision {found!r}, this program expects {expected!r} (run 'lhn-desktop db upgrade', or "
        "update the program if the database is newer)"
    )


def export_audit(counts: Mapping[str, int], folder: str, spreadsheet: bool) -> str:
    """The audit trail's line for an export of the center's data."""
    rows = ", ".join(f"{name} {n}" for name, n in counts.items())
    return f"{rows}; to {folder}; xlsx: {'yes' if spreadsheet else 'no'}"
