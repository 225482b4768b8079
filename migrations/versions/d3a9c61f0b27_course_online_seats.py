"""A hybrid course's online seats

Revision ID: d3a9c61f0b27
Revises: f3edbac4c0de
Create Date: 2026-12-03 21:40:00

A whole course whose dates are hybrid counts its seats apart: `capacity` on site,
`capacity_online` online, each with its own waiting list.
"""

import sqlalchemy as sa
from alembic import op

revision = "d3a9c61f0b27"
down_revision = "f3edbac4c0de"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event_series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity_online", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("event_series", schema=None) as batch_op:
        batch_op.drop_column("capacity_online")
