"""An issue's sent deliveries tallied per chunk; indexes for recent failures

Revision ID: 5c1d7e9a2b40
Revises: 9baa64d1ea6b
Create Date: 2026-12-04 14:45:00

The progress of a send (page, JSON, dashboard, the issues' table) counted the issue's
deliveries by status: at a million, half a second for every look while the send
changed them. The chunks now add what they sent to `issue_tally`, a row per chunk; the
deliveries sent before are tallied here (chunk 0). Two partial indexes find an issue's
deliveries with an error, and the last week's failures, without reading the rest; an
index on the subscribers' confirmation time serves the dashboard's week.
"""

import sqlalchemy as sa
from alembic import op

revision = "5c1d7e9a2b40"
down_revision = "9baa64d1ea6b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "issue_tally",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("chunk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
            name=op.f("fk_issue_tally_issue_id_issue"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_id", "chunk", name=op.f("pk_issue_tally")),
    )
    op.execute(
        "INSERT INTO issue_tally (issue_id, chunk, sent) "
        "SELECT issue_id, 0, count(*) FROM delivery "
        "WHERE issue_id IS NOT NULL AND status = 'sent' GROUP BY issue_id"
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_issue_error",
            ["issue_id", "updated_at"],
            unique=False,
            postgresql_where=sa.text("last_error IS NOT NULL"),
            sqlite_where=sa.text("last_error IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_delivery_failed_updated",
            ["updated_at"],
            unique=False,
            postgresql_where=sa.text("status = 'failed'"),
            sqlite_where=sa.text("status = 'failed'"),
        )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriber_confirmed_at"), ["confirmed_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriber_confirmed_at"))
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_failed_updated")
        batch_op.drop_index("ix_delivery_issue_error")
    op.drop_table("issue_tally")
