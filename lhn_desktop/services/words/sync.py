"""The words of sync: what an imported bundle changed, what an export leaves behind, what the audit trail
says of a bundle sent, and how a conflict names its record and workstation.

``services/sync.py`` and ``services/sync_review.py`` count and decide; this module writes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lhn_desktop.services.words import counted


def import_summary(
    file: str, sender: str, *, already_imported: bool, changed: bool, records: int, kinds: Mapping[str, int],
    conflicts: int, hidden: int, attachments: int, complete: bool = True,
) -> str:  # fmt: skip
    """One sentence on what importing a bundle did, the most common kinds of record first (at most six); and,
    when a delta bundle built on changes this workstation has not had yet, what brings them."""
    if already_imported:
        return f"{file}: already imported; nothing changed."
    if not complete:
        return _changed(file, sender, changed, records, kinds, conflicts, hidden, attachments) + (
            " It was made for workstations that had earlier changes this one may not have yet: export a bundle "
            "from here for them, and their next bundle brings the rest (or ask them for a full bundle)."
        )
    return _changed(file, sender, changed, records, kinds, conflicts, hidden, attachments)


def _changed(file: str, sender: str, changed: bool, records: int, kinds: Mapping[str, int], conflicts: int,
             hidden: int, attachments: int) -> str:  # fmt: skip
    files = f"; {counted(attachments, 'attached file')} stored" if attachments else ""
    if not changed:
        if files:
            return f"{file} from {sender}: no record changed{files}."
        return f"{file} from {sender}: nothing new; this workstation already had everything in it."
    common = sorted(kinds.items(), key=lambda x: -x[1])[:6]
    text = f"{file} from {sender}: {records:,} {'record' if records == 1 else 'records'} changed "
    text += f"({', '.join(f'{n} {label}' for label, n in common)})"
    if conflicts:
        text += f"; {conflicts} with values to choose between (Conflicts tab)"
    if hidden:
        text += f"; {hidden} hidden because the record they belong to was deleted"
    return text + files + "."


def export_audit(scope: str, file: str, audience: str, attachments: int, attestation: str | None) -> str:
    """The audit trail's line for a bundle sent."""
    text = f"{scope} bundle {file} for {audience}"
    if attachments:
        text += f" with {counted(attachments, 'attached file')}"
    if attestation:
        text += f"; free-text check overridden: {attestation}"
    return text


def attachments_left_behind(titles: Sequence[str], megabytes: float, budget_megabytes: int) -> str:
    """Attached files too large for the bundle's budget; the first five are named."""
    named = ", ".join(f"\u201c{t}\u201d" for t in titles[:5]) + (" and more" if len(titles) > 5 else "")
    return (
        f"{counted(len(titles), 'attached file')} ({megabytes:.0f} MB) {'does' if len(titles) == 1 else 'do'} not "
        "fit in this bundle and stay on this computer: "
        f"{named}. A bundle carries at most {budget_megabytes} MB of attachments; link large files (a video, a "
        "slide deck) from the resource instead of attaching them."
    )


def small_denominator(month: str | None, denominator: int, minimum: int) -> str:
    return (
        f"{month or 'a month'}: denominator {denominator} is below {minimum}; the network will not show it to "
        "other centers."
    )


def small_value(month: str | None, patients: int, minimum: int) -> str:
    return (
        f"{month or 'a month'}: a median or mean from {counted(patients, 'patient')} is below {minimum}; the network "
        "will not show it to other centers."
    )


def month_record(month: object | None) -> str:
    """A monthly measure value as a conflict names it."""
    return f"month {month}" if month else "a month"


UNTITLED = "(untitled)"


def workstation(node_id: str, this_one: bool) -> str:
    return "this workstation" if this_one else f"workstation {node_id[:8]}"
