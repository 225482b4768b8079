"""A sent issue keeps its web version

Revision ID: 4e0d2b7c91a5
Revises: b5c94201d826
Create Date: 2026-12-01 10:00:00

The archive page and the feeds read the HTML rendered when sending started instead
of rendering every article's Markdown on every request. Issues sent before get
theirs at their first view.
"""

import sqlalchemy as sa
from alembic import op

revision = "4e0d2b7c91a5"
down_revision = "b5c94201d826"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("web_version", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_column("web_version")
