"""Optional event consents record how they were given and withdrawn

Revision ID: 9baa64d1ea6b
Revises: 338d5693d2c0
Create Date: 2026-12-04 14:10:00

Like the newsletter's consent history, an event consent record keeps through what it
was given (`source`: the public form, the API, an editor) and the client address
(`ip`, only when KKP_RECORD_IP=1), and the same two for its withdrawal. Records from
before were all given on the public form as far as anyone can tell: they get `form`
through the server default, and no address; a withdrawal from before stays without
its source.
"""

import sqlalchemy as sa
from alembic import op

revision = "9baa64d1ea6b"
down_revision = "338d5693d2c0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event_consent_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=20), nullable=False, server_default="form")
        )
        batch_op.add_column(sa.Column("ip", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_source", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_ip", sa.String(length=45), nullable=True))


def downgrade():
    with op.batch_alter_table("event_consent_record", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_ip")
        batch_op.drop_column("withdrawn_source")
        batch_op.drop_column("ip")
        batch_op.drop_column("source")
