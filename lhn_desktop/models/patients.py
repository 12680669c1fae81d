"""Patients and their clinical record. Protected health information: never leaves the center."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, Text, UniqueConstraint
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
    #: Disease classification (for IBD the Paris classification, e.g. "A1b L3 L4a B1 G0").
    disease_classification: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    visits: Mapped[list[Visit]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    observations: Mapped[list[Observation]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    medications: Mapped[list[Medication]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    events: Mapped[list[ClinicalEvent]] = relationship(back_populates="patient", cascade="all, delete-orphan")

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
    source: Mapped[str] = mapped_column(String(40), default="entered")

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

    patient: Mapped[Patient] = relationship(back_populates="events")
