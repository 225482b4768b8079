"""Bounces: the returned mails that concerned a delivery

Revision ID: b7c4e2a9d051
Revises: d3a9c61f0b27
Create Date: 2026-12-04 00:00:00

Hard and soft bounces and complaints, each once (by its Message-ID's hash), the
address only as its hash; the suppression list gets the reason "complained".
"""

import sqlalchemy as sa
from alembic import op

import kkp.db

revision = "b7c4e2a9d051"
down_revision = "d3a9c61f0b27"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bounce",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("diagnostic", sa.String(length=500), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", kkp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscriber.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_key"),
    )
    op.create_index("ix_bounce_email_hash_received", "bounce", ["email_hash", "received_at"])
    op.create_index("ix_bounce_delivery_id", "bounce", ["delivery_id"])
    op.create_index("ix_bounce_subscriber_id", "bounce", ["subscriber_id"])


def downgrade():
    op.drop_index("ix_bounce_subscriber_id", table_name="bounce")
    op.drop_index("ix_bounce_delivery_id", table_name="bounce")
    op.drop_index("ix_bounce_email_hash_received", table_name="bounce")
    op.drop_table("bounce")
