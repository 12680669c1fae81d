"""each stored record says, when one workstation wrote every version of it, which one and its newest dot

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 03:10:00

A delta bundle carries the versions its receiver has not seen (beyond the version vector it acknowledged). With the
versions packed one row per record (0013), finding them meant reading every record and looking at the numbers of
its versions: about 1 s at 2,000 patients for a day's few hundred records. Most records were written by one
workstation; for them ``sole_writer`` (its number in ``sync_name``) and ``sole_dot`` (its newest dot) answer in the
query whether anything is beyond the receiver's vector, and only the others (``sole_writer`` NULL: written by more
than one) are looked into (decision 58). The values are worked out here from the packed numbers (the first
version's dot, then six items a version: field, workstation, dot less the first's, ...; as 0013 packs them).
"""

from __future__ import annotations

import msgpack
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_BATCH = 5000  # records updated at a time
_A_VERSION = 6  # items a version in the packed array (0013)


def sole_writer(packed: bytes) -> tuple[int | None, int | None]:
    """The one workstation number that wrote every version of a packed record and its newest dot, or (None, None)."""
    flat = msgpack.unpackb(packed, raw=True, use_list=False)
    base_dot = flat[0]
    writers = set(flat[3::_A_VERSION])
    if len(writers) != 1:
        return None, None
    return writers.pop(), base_dot + max(flat[4::_A_VERSION])


def upgrade() -> None:
    op.add_column("sync_record", sa.Column("sole_writer", sa.Integer(), nullable=True))
    op.add_column("sync_record", sa.Column("sole_dot", sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    # a page of records at a time (the key's range: an index seek), each read whole before it is written, so that
    # the table is not changed under an open read
    page = sa.text(
        "SELECT entity, record_id, packed FROM sync_record WHERE (entity, record_id) > (:e, :r) "
        "ORDER BY entity, record_id LIMIT :n"
    )
    update = sa.text("UPDATE sync_record SET sole_writer = :w, sole_dot = :d WHERE entity = :e AND record_id = :r")
    after = {"e": "", "r": ""}
    while rows := conn.execute(page, {**after, "n": _BATCH}).all():
        batch = []
        for entity, record_id, packed in rows:
            writer, dot = sole_writer(packed)
            if writer is not None:
                batch.append({"w": writer, "d": dot, "e": entity, "r": record_id})
        if batch:
            conn.execute(update, batch)
        after = {"e": rows[-1][0], "r": rows[-1][1]}


def downgrade() -> None:
    with op.batch_alter_table("sync_record") as batch:
        batch.drop_column("sole_dot")
        batch.drop_column("sole_writer")
