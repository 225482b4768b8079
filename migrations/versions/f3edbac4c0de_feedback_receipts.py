"""Anonymous feedback: who was asked and who answered, never what

Revision ID: f3edbac4c0de
Revises: e3a91c5d7f20
Create Date: 2026-12-03 21:50:00

- feedback_receipt: per registration or course booking, when the invitation went and
  the day the feedback came.
- registration_answer.created_at may be NULL: feedback answers carry no time.
"""

from alembic import op
import sqlalchemy as sa

import kkp.db


# revision identifiers, used by Alembic.
revision = "f3edbac4c0de"
down_revision = "e3a91c5d7f20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", kkp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("given_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(registration_id IS NULL) <> (booking_id IS NULL)",
            name=op.f("ck_feedback_receipt_ck_feedback_receipt_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["course_booking.id"],
            name=op.f("fk_feedback_receipt_booking_id_course_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_feedback_receipt_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_receipt")),
        sa.UniqueConstraint("booking_id", name="uq_feedback_receipt_booking"),
        sa.UniqueConstraint("registration_id", name="uq_feedback_receipt_registration"),
    )
    with op.batch_alter_table("registration_answer", schema=None) as batch_op:
        batch_op.alter_column(
            "created_at", existing_type=kkp.db.UTCDateTime(timezone=True), nullable=True
        )


def downgrade():
    op.execute("DELETE FROM registration_answer WHERE created_at IS NULL")
    with op.batch_alter_table("registration_answer", schema=None) as batch_op:
        batch_op.alter_column(
            "created_at", existing_type=kkp.db.UTCDateTime(timezone=True), nullable=False
        )
    op.drop_table("feedback_receipt")
