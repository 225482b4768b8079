"""Event materials: files and links for an event's or a course's participants

Revision ID: e3a91c5d7f20
Revises: 8a76801cb9e7
Create Date: 2026-12-03 21:45:00.000000

- event_material: a file (bytes in the table) or a link of an event or a series.
"""

from alembic import op
import sqlalchemy as sa

import kkp.db


# revision identifiers, used by Alembic.
revision = "e3a91c5d7f20"
down_revision = "8a76801cb9e7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_material",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", kkp.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(event_id IS NULL) <> (series_id IS NULL)",
            name=op.f("ck_event_material_ck_material_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_material_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["event_series.id"],
            name=op.f("fk_event_material_series_id_event_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_material")),
    )
    with op.batch_alter_table("event_material", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_material_owner", ["event_id", "series_id", "position"], unique=False
        )


def downgrade():
    with op.batch_alter_table("event_material", schema=None) as batch_op:
        batch_op.drop_index("ix_event_material_owner")

    op.drop_table("event_material")
