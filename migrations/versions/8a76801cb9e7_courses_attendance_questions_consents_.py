"""Courses, attendance, questions, consents, certificates, retention

Revision ID: 8a76801cb9e7
Revises: a7f3c9e2d148
Create Date: 2026-12-03 20:23:27.135337

- event_series: how its dates are registered for (per date, the whole course, one of
  them), the course's seats and deadline, what its certificates say and require, and
  its retention period.
- course_booking: one person for a whole course; registration.booking_id ties each
  date's registration to it.
- registration: on site or online (hybrid), attendance per date, anonymised_at;
  event: online seats apart, retention period, anonymised_at.
- registration_question, registration_answer, event_consent, event_consent_record:
  the editor's own questions and optional consents, and what people answered and agreed.
- certificate, attendance_scan.
"""

from alembic import op
import sqlalchemy as sa

import kkp.db


# revision identifiers, used by Alembic.
revision = "8a76801cb9e7"
down_revision = "a7f3c9e2d148"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("waiting_since", kkp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hold_until", kkp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("participation", sa.String(length=10), server_default="", nullable=False),
        sa.Column("consent_at", kkp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consent_version", sa.Integer(), nullable=True),
        sa.Column("created_at", kkp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kkp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", kkp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", kkp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("anonymised_at", kkp.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["consent_version"],
            ["consent_text.version"],
            name=op.f("fk_course_booking_consent_version_consent_text"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["event_series.id"],
            name=op.f("fk_course_booking_series_id_event_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_booking")),
        sa.UniqueConstraint("series_id", "email", name="uq_course_booking_series_email"),
    )
    with op.batch_alter_table("course_booking", schema=None) as batch_op:
        batch_op.create_index("ix_course_booking_hold_until", ["hold_until"], unique=False)
        batch_op.create_index(
            "ix_course_booking_series_status",
            ["series_id", "status", "waiting_since", "id"],
            unique=False,
        )

    op.create_table(
        "attendance_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", kkp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_attendance_scan_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_scan")),
    )
    with op.batch_alter_table("attendance_scan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_scan_event_id"), ["event_id"], unique=False)

    op.create_table(
        "event_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("created_at", kkp.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(event_id IS NULL) <> (series_id IS NULL)",
            name=op.f("ck_event_consent_ck_event_consent_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_consent_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["event_series.id"],
            name=op.f("fk_event_consent_series_id_event_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_consent")),
    )
    with op.batch_alter_table("event_consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_consent_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_consent_series_id"), ["series_id"], unique=False)

    op.create_table(
        "registration_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("label_en", sa.String(length=300), nullable=False),
        sa.Column("help", sa.String(length=500), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("shown_if_question_id", sa.Integer(), nullable=True),
        sa.Column("shown_if_value", sa.String(length=200), nullable=False),
        sa.Column("created_at", kkp.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(event_id IS NULL) <> (series_id IS NULL)",
            name=op.f("ck_registration_question_ck_question_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_registration_question_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["event_series.id"],
            name=op.f("fk_registration_question_series_id_event_series"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shown_if_question_id"],
            ["registration_question.id"],
            name=op.f("fk_registration_question_shown_if_question_id_registration_question"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_question")),
    )
    with op.batch_alter_table("registration_question", schema=None) as batch_op:
        batch_op.create_index(
            "ix_question_owner", ["event_id", "series_id", "purpose", "position"], unique=False
        )

    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("holder_check", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("dates", sa.JSON(), nullable=False),
        sa.Column("issued_at", kkp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", kkp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("anonymised_at", kkp.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["course_booking.id"],
            name=op.f("fk_certificate_booking_id_course_booking"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_certificate_event_id_event"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_certificate_registration_id_registration"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["event_series.id"],
            name=op.f("fk_certificate_series_id_event_series"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("booking_id", name="uq_certificate_booking"),
        sa.UniqueConstraint("number", name=op.f("uq_certificate_number")),
        sa.UniqueConstraint("registration_id", name="uq_certificate_registration"),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_series_id"), ["series_id"], unique=False)

    op.create_table(
        "event_consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("given_at", kkp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", kkp.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["course_booking.id"],
            name=op.f("fk_event_consent_record_booking_id_course_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["event_consent.id"],
            name=op.f("fk_event_consent_record_consent_id_event_consent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_event_consent_record_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_consent_record")),
    )
    with op.batch_alter_table("event_consent_record", schema=None) as batch_op:
        batch_op.create_index("ix_event_consent_record_booking", ["booking_id"], unique=False)
        batch_op.create_index(
            "ix_event_consent_record_registration", ["registration_id"], unique=False
        )

    op.create_table(
        "registration_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("created_at", kkp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["course_booking.id"],
            name=op.f("fk_registration_answer_booking_id_course_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["registration_question.id"],
            name=op.f("fk_registration_answer_question_id_registration_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_registration_answer_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_answer")),
        sa.UniqueConstraint("question_id", "booking_id", name="uq_answer_booking"),
        sa.UniqueConstraint("question_id", "registration_id", name="uq_answer_registration"),
    )
    with op.batch_alter_table("registration_answer", schema=None) as batch_op:
        batch_op.create_index("ix_answer_booking", ["booking_id"], unique=False)
        batch_op.create_index("ix_answer_registration", ["registration_id"], unique=False)

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity_online", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retention_months", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("anonymised_at", kkp.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("event_series", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "registration_scope", sa.String(length=20), server_default="dates", nullable=False
            )
        )
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("registration_deadline", kkp.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("certificate_share", sa.Integer(), server_default="75", nullable=False)
        )
        batch_op.add_column(
            sa.Column("teaching_units", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("certificate_summary", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("signer_name", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("signer_role", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("retention_months", sa.Integer(), nullable=True))

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("booking_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("participation", sa.String(length=10), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("attendance", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("attendance_at", kkp.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("anonymised_at", kkp.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_registration_booking_id"), ["booking_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_registration_booking_id_course_booking"),
            "course_booking",
            ["booking_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_registration_booking_id_course_booking"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_registration_booking_id"))
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("attendance_at")
        batch_op.drop_column("attendance")
        batch_op.drop_column("participation")
        batch_op.drop_column("booking_id")

    with op.batch_alter_table("event_series", schema=None) as batch_op:
        batch_op.drop_column("retention_months")
        batch_op.drop_column("signer_role")
        batch_op.drop_column("signer_name")
        batch_op.drop_column("certificate_summary")
        batch_op.drop_column("teaching_units")
        batch_op.drop_column("certificate_share")
        batch_op.drop_column("registration_deadline")
        batch_op.drop_column("capacity")
        batch_op.drop_column("registration_scope")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("retention_months")
        batch_op.drop_column("capacity_online")

    with op.batch_alter_table("registration_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_registration")
        batch_op.drop_index("ix_answer_booking")

    op.drop_table("registration_answer")
    with op.batch_alter_table("event_consent_record", schema=None) as batch_op:
        batch_op.drop_index("ix_event_consent_record_registration")
        batch_op.drop_index("ix_event_consent_record_booking")

    op.drop_table("event_consent_record")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_series_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_event_id"))

    op.drop_table("certificate")
    with op.batch_alter_table("registration_question", schema=None) as batch_op:
        batch_op.drop_index("ix_question_owner")

    op.drop_table("registration_question")
    with op.batch_alter_table("event_consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_consent_series_id"))
        batch_op.drop_index(batch_op.f("ix_event_consent_event_id"))

    op.drop_table("event_consent")
    with op.batch_alter_table("attendance_scan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_scan_event_id"))

    op.drop_table("attendance_scan")
    with op.batch_alter_table("course_booking", schema=None) as batch_op:
        batch_op.drop_index("ix_course_booking_series_status")
        batch_op.drop_index("ix_course_booking_hold_until")

    op.drop_table("course_booking")
