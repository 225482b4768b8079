"""An import's report counts the people it left as they were

Revision ID: b5c94201d826
Revises: 3c58ea4d90bd
Create Date: 2026-12-01 09:00:00

An import no longer changes a subscriber who is there already (her name,
organisation, and the lists she left herself); the report says how many, and why.
"""

import sqlalchemy as sa
from alembic import op

revision = "b5c94201d826"
down_revision = "3c58ea4d90bd"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skipped", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.drop_column("skipped")
