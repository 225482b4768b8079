"""Certificates keep what they printed when issued

Revision ID: 338d5693d2c0
Revises: b7c4e2a9d051
Create Date: 2026-12-04 00:40:00

A certificate's summary, signer (name and role) and the office's letterhead (name and
postal address) were read from the series and the settings at each download, so a
later change altered certificates issued before. They are kept on the certificate
now. Existing certificates get them from their series (else their event) and the
office's settings as they are now: what their PDF showed until today.
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "338d5693d2c0"
down_revision = "b7c4e2a9d051"
branch_labels = None
depends_on = None

COLUMNS = (
    ("summary", sa.Text()),
    ("signer_name", sa.String(length=200)),
    ("signer_role", sa.String(length=200)),
    ("office_name", sa.Text()),
    ("office_address", sa.Text()),
)

#: each column from the series, else the single event (as the PDF chose before)
BACKFILL = sa.text(
    """
    UPDATE certificate SET
      summary = COALESCE(
        (SELECT s.certificate_summary FROM event_series s WHERE s.id = certificate.series_id),
        (SELECT e.summary FROM event e WHERE e.id = certificate.event_id), ''),
      signer_name = COALESCE(
        (SELECT s.signer_name FROM event_series s WHERE s.id = certificate.series_id),
        (SELECT e.organizer_name FROM event e WHERE e.id = certificate.event_id), ''),
      signer_role = COALESCE(
        (SELECT s.signer_role FROM event_series s WHERE s.id = certificate.series_id), ''),
      office_name = :office_name,
      office_address = :office_address
    """
)


def _office(conn) -> dict:
    """The letterhead as the PDF showed it: the editors' name, else the configured one;
    the address's lines stripped, empty ones left out."""
    stored = dict(
        conn.execute(
            sa.text(
                "SELECT key, value FROM office_setting"
                " WHERE key IN ('office_name', 'postal_address')"
            )
        ).all()
    )
    name = (stored.get("office_name") or "").strip()
    if not name:
        name = current_app.config["KKP_OFFICE_NAME"] if current_app else ""
    lines = (stored.get("postal_address") or "").splitlines()
    return {
        "office_name": name,
        "office_address": "\n".join(line.strip() for line in lines if line.strip()),
    }


def upgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=False, server_default=""))
    conn = op.get_bind()
    conn.execute(BACKFILL, _office(conn))


def downgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        for name, _kind in reversed(COLUMNS):
            batch_op.drop_column(name)
