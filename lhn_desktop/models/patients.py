"""Patients and their clinical record. Protected health information: never leaves the center."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhn_desktop.models.base import Base, Syncable, fk


class Patient(Syncable, Base):
    __tablename__ = "patient"
    __sync_entity__ = "patient"
    __table_args__ = (UniqueConstraint("owner_site_id", "mrn"),)

    mrn: Mapped[str] = mapped_column(String(40))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    sex: Mapped[str] = mapped_column(String(10))
    #: Crohn disease, ulcerative colitis, IBD unclassified, cystic fibrosis, ...
    diagnosis: Mapped[str | None] = mapped_column(String(80))
    diagnosis_date: Mapped[date | None]
    #: Disease classification as text (for IBD the Paris classification, e.g. "A1b L3 L4a B1p G0"), written by the
    #: registry from the structured choices below (the age group comes from the birth and diagnosis dates).
    disease_classification: Mapped[str | None] = mapped_column(String(120))
    #: Paris classification of Crohn disease: location L1-L3, upper GI L4a/L4b ("L4a L4b" for both; None: none),
    #: behaviour B1/B2/B3/B2B3, perianal disease (p), growth G0/G1.
    paris_location: Mapped[str | None] = mapped_column(String(4))
    paris_upper_gi: Mapped[str | None] = mapped_column(String(10))
    paris_behaviour: Mapped[str | None] = mapped_column(String(6))
    paris_perianal: Mapped[bool | None]
    paris_growth: Mapped[str | None] = mapped_column(String(4))
    #: Paris classification of ulcerative colitis and IBD unclassified: extent E1-E4, severity S0/S1.
    uc_extent: Mapped[str | None] = mapped_column(String(4))
    uc_severity: Mapped[str | None] = mapped_column(String(4))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    preferred_language: Mapped[str | None] = mapped_column(String(40))
    #: active, transferred, adult_care, deceased or inactive; ``active`` mirrors it for quick queries.
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    #: The date the status took effect: an inactive patient leaves the lists and the measures from this date.
    status_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)

    visits: Mapped[list[Visit]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    observations: Mapped[list[Observation]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    medications: Mapped[list[Medication]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    events: Mapped[list[ClinicalEvent]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    corrections: Mapped[list[Correction]] = relationship(back_populates="patient", cascade="all, delete-orphan")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Visit(Syncable, Base):
    """An appointment: scheduled, completed, cancelled or missed."""

    __tablename__ = "visit"
    __sync_entity__ = "visit"

    patient_id: Mapped[str] = mapped_column(fk("patient.id"), index=True)
    visit_date: Mapped[date] = mapped_column(index=True)
    #: Local clock time "HH:MM", as on the clinic schedule.
    visit_time: Mapped[str | None] = mapped_column(String(5))
    clinician: Mapped[str | None] = mapped_column(String(200))
    visit_type: Mapped[str] = mapped_column(String(60), default="Follow-up")
    status: Mapped[str] = mapped_column(String(20), default="scheduled")

    patient: Mapped[Patient] = relationship(back_populates="visits")


class Observation(Syncable, Base):
    """A measured or assessed value: PGA, PCDAI, PUCAI, weight, height, CRP, albumin, ...

    ``value`` is text: a category (PGA "quiescent") or a decimal number written exactly ("34.5").
    """

    __tablename__ = "observation"
    __sync_entity__ = "observation"

    patient_id: Mapped[str] = mapped_column(fk("patient.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(fk("visit.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    value: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str | None] = mapped_column(String(20))
    observed_on: Mapped[date]
    #: entered (at a visit), demo, outside (a total from another source, named in ``detail``), imported, ...
    source: Mapped[str] = mapped_column(String(40), default="entered")
    #: The value and unit as typed, when the program converted them to its own unit (mg/dL to mg/L, ...).
    original_value: Mapped[str | None] = mapped_column(String(80))
    original_unit: Mapped[str | None] = mapped_column(String(20))
    #: For an index (PUCAI, wPCDAI): the item levels it was computed from, as canonical JSON text; for a total
    #: from an outside source, that source in words.
    detail: Mapped[str | None] = mapped_column(Text)
    #: Marked "entered in error" (with a reason, in ``correction``): kept for the record, left out of everything.
    entered_in_error: Mapped[bool] = mapped_column(default=False, server_default="0")

    patient: Mapped[Patient] = relationship(back_populates="observations")


class Medication(Syncable, Base):
    __tablename__ = "medication"
    __sync_entity__ = "medication"

    patient_id: Mapped[str] = mapped_column(fk("patient.id"), index=True)
    drug: Mapped[str] = mapped_column(String(80))
    #: 5-ASA, thiopurine, methotrexate, anti-TNF, corticosteroid, ...
    drug_class: Mapped[str] = mapped_column(String(40))
    dose: Mapped[str | None] = mapped_column(String(80))
    start_date: Mapped[date]
    stop_date: Mapped[date | None]
    stop_reason: Mapped[str | None] = mapped_column(String(200))
    #: The visit at which it was started (None: started elsewhere or before the record began).
    visit_id: Mapped[str | None] = mapped_column(fk("visit.id"), index=True)
    #: A dose change ends one record and starts the next; the new one points at the one it replaced.
    changed_from_id: Mapped[str | None] = mapped_column(fk("medication.id"))
    entered_in_error: Mapped[bool] = mapped_column(default=False, server_default="0")

    patient: Mapped[Patient] = relationship(back_populates="medications")


class ClinicalEvent(Syncable, Base):
    """A screening or immunization: influenza vaccine, TB test, hepatitis B serology, ..."""

    __tablename__ = "clinical_event"
    __sync_entity__ = "clinical_event"

    patient_id: Mapped[str] = mapped_column(fk("patient.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "immunization" or "screening"
    code: Mapped[str] = mapped_column(String(60))
    event_date: Mapped[date]
    result: Mapped[str | None] = mapped_column(Text)
    visit_id: Mapped[str | None] = mapped_column(fk("visit.id"), index=True)
    entered_in_error: Mapped[bool] = mapped_column(default=False, server_default="0")

    patient: Mapped[Patient] = relationship(back_populates="events")


class Correction(Syncable, Base):
    """One change to a recorded value, with who made it, when and why: the value's history.

    Written in the same transaction as the change itself. ``action`` is ``corrected`` (a new value),
    ``entered_in_error`` (the value is kept but left out of everything), ``restored`` (an entry marked in error
    is counted again), ``edited`` (a registry field changed) or ``deleted`` (a visit removed). Values are
    stored as the text the patient page shows.
    """

    __tablename__ = "correction"
    __sync_entity__ = "correction"
    __table_args__ = (Index("ix_correction_entity_record", "entity", "record_id"),)

    patient_id: Mapped[str] = mapped_column(fk("patient.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    corrected_at: Mapped[datetime]
    corrected_by: Mapped[str] = mapped_column(String(200))
    corrected_by_member_id: Mapped[str | None] = mapped_column(String(36))

    patient: Mapped[Patient] = relationship(back_populates="corrections")
