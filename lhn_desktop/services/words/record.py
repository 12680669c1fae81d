"""The words of the patient record: a possible duplicate at registration, the audit trail's line for a
correction, an index total from outside, and the names of a visit's fields in its messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from lhn_desktop.services.words import day


def patient_name(family: str, given: str) -> str:
    """As a clinic list shows a patient: "Sampleton, Ada"."""
    return f"{family}, {given}"


def same_name_and_birth(name: str, mrn: str, born: date) -> str:
    return (
        f"{name} (MRN {mrn}), born {day(born)}, has the same name and birth date. Make sure this is not the same "
        "person before you save."
    )


def correction_audit(fields: Iterable[str], reason: str) -> str:
    return f"{', '.join(fields)}; reason: {reason}"


def index_total_from(source: str) -> str:
    """A disease-activity index whose total came from elsewhere ("total from the referring hospital")."""
    return f"total from {source}"


def event_name(kind: str) -> str:
    """An immunization's or a screening's name, as a message about the field says it."""
    return f"{kind}'s name"
