"""An import waits for the editor's column mapping and choice for known people

Revision ID: a7f3c9e2d148
Revises: 4e0d2b7c91a5
Create Date: 2026-12-03 14:20:00

The upload is stored first ("uploaded"); the editor then maps the columns and says
what happens to people already subscribed, and only then the job is queued.
"""

import sqlalchemy as sa
from alembic import op

revision = "a7f3c9e2d148"
down_revision = "4e0d2b7c91a5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("column_fields", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("existing", sa.String(20), nullable=False, server_default="add_lists")
        )


def downgrade():
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.drop_column("existing")
        batch_op.drop_column("column_fields")
