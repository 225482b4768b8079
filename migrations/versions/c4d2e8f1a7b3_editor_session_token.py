"""Editors' session token: logging out and a new password end every session

Revision ID: c4d2e8f1a7b3
Revises: c4d1e2f3a4b5
Create Date: 2026-12-03 08:00:00

Each editor gets a random token that every session cookie of the editor carries; a new
one ends them all. Sessions from before this migration end (their cookie has no token).
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "c4d2e8f1a7b3"
down_revision = "c4d1e2f3a4b5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("editor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    editor = sa.table("editor", sa.column("id", sa.Integer), sa.column("session_token"))
    connection = op.get_bind()
    for (editor_id,) in connection.execute(sa.select(editor.c.id)).all():
        connection.execute(
            editor.update()
            .where(editor.c.id == editor_id)
            .values(session_token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("editor", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table("editor", schema=None) as batch_op:
        batch_op.drop_column("session_token")
