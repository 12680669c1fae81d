"""the clinical record: registry fields, corrections, entered in error

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 22:00:00

Patients get the structured Paris classification, a preferred language and a status with its date;
observations keep the value and unit as typed, the index items they were computed from, and an
"entered in error" mark; medications a stop reason, the visit that started them and the record a
dose change replaced; screenings and immunizations their visit. ``correction`` holds the history of
every changed value. Patients already marked inactive become "inactive" with no date, so they stay
out of the lists and measures as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "correction",
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrected_at", sa.DateTime(), nullable=False),
        sa.Column("corrected_by", sa.String(length=200), nullable=False),
        sa.Column("corrected_by_member_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_site_id", sa.String(length=40), nullable=False),
        sa.Column("has_conflict", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_correction_patient_id_patient"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction")),
    )
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.create_index("ix_correction_entity_record", ["entity", "record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_owner_site_id"), ["owner_site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_patient_id"), ["patient_id"], unique=False)

    with op.batch_alter_table("clinical_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visit_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("entered_in_error", sa.Boolean(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_clinical_event_visit_id"), ["visit_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_clinical_event_visit_id_visit"),
            "visit",
            ["visit_id"],
            ["id"],
            initially="DEFERRED",
            deferrable=True,
        )

    with op.batch_alter_table("medication", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stop_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("visit_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("changed_from_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("entered_in_error", sa.Boolean(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_medication_visit_id"), ["visit_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_medication_changed_from_id_medication"),
            "medication",
            ["changed_from_id"],
            ["id"],
            initially="DEFERRED",
            deferrable=True,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_medication_visit_id_visit"),
            "visit",
            ["visit_id"],
            ["id"],
            initially="DEFERRED",
            deferrable=True,
        )

    # Only new columns: SQLite adds them in place, so the large observation table is not copied.
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_value", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("original_unit", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("detail", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("entered_in_error", sa.Boolean(), server_default="0", nullable=False))

    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paris_location", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("paris_upper_gi", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("paris_behaviour", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("paris_perianal", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("paris_growth", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("uc_extent", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("uc_severity", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("preferred_language", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=20), server_default="active", nullable=False))
        batch_op.add_column(sa.Column("status_date", sa.Date(), nullable=True))
    # a bound false: 0 under SQLite, false under PostgreSQL, whose booleans are not integers
    op.execute(sa.text("UPDATE patient SET status = 'inactive' WHERE active = :no").bindparams(no=False))


def downgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        for name in ("status_date", "status", "preferred_language", "uc_severity", "uc_extent", "paris_growth",
                     "paris_perianal", "paris_behaviour", "paris_upper_gi", "paris_location"):  # fmt: skip
            batch_op.drop_column(name)
    with op.batch_alter_table("observation", schema=None) as batch_op:
        for name in ("entered_in_error", "detail", "original_unit", "original_value"):
            batch_op.drop_column(name)
    with op.batch_alter_table("medication", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_medication_visit_id_visit"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_medication_changed_from_id_medication"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_medication_visit_id"))
        for name in ("entered_in_error", "changed_from_id", "visit_id", "stop_reason"):
            batch_op.drop_column(name)
    with op.batch_alter_table("clinical_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_clinical_event_visit_id_visit"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_clinical_event_visit_id"))
        for name in ("entered_in_error", "visit_id"):
            batch_op.drop_column(name)
    op.drop_table("correction")
