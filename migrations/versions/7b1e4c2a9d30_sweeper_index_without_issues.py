"""The sweeper's index leaves issue deliveries out

Revision ID: 7b1e4c2a9d30
Revises: 53d8362a3603
Create Date: 2026-11-21 07:55:00

An issue's deliveries have their own sweeper; leaving them out of this index spares
each of them two index updates while it is sent.
"""

import sqlalchemy as sa
from alembic import op

revision = "7b1e4c2a9d30"
down_revision = "53d8362a3603"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_status_updated")
        batch_op.create_index(
            "ix_delivery_status_updated",
            ["status", "updated_at"],
            unique=False,
            postgresql_where=sa.text("issue_id IS NULL"),
            sqlite_where=sa.text("issue_id IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_status_updated")
        batch_op.create_index("ix_delivery_status_updated", ["status", "updated_at"], unique=False)
