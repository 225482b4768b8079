"""Registrations held until their owner confirms; consent texts per purpose; mails per address

Revision ID: 3c58ea4d90bd
Revises: c4d2e8f1a7b3
Create Date: 2026-11-24 10:00:00

- registration.hold_until: an unconfirmed registration ("pending", "pending_waiting")
  lapses then; indexed for the scheduler's tick.
- consent_text.purpose: the newsletter's consent text and the privacy notice for event
  registration are versioned apart; every existing text is the newsletter's.
- delivery (recipient, created_at) without issue deliveries: the limit of mails per
  address and hour from the public event forms.
"""

import sqlalchemy as sa
from alembic import op

import kkp.db

revision = "3c58ea4d90bd"
down_revision = "c4d2e8f1a7b3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_until", kkp.db.UTCDateTime(timezone=True)))
        batch_op.create_index("ix_registration_hold_until", ["hold_until"], unique=False)
    with op.batch_alter_table("consent_text", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=30), nullable=False, server_default="newsletter")
        )
        batch_op.create_index(
            "ix_consent_text_purpose_version", ["purpose", "version"], unique=False
        )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_recipient_created",
            ["recipient", "created_at"],
            unique=False,
            postgresql_where=sa.text("issue_id IS NULL"),
            sqlite_where=sa.text("issue_id IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_recipient_created")
    with op.batch_alter_table("consent_text", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_text_purpose_version")
        batch_op.drop_column("purpose")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_hold_until")
        batch_op.drop_column("hold_until")
