"""A person's optional consents as her own page shows them, and withdrawing one
(GDPR Art. 7(3): as easy as giving it).

Withdrawing keeps the record with the very words she agreed to and sets its
`withdrawn_at` once, with how (`withdrawn_source`, `withdrawn_ip`); from then on the
consent counts as not given in the lists, the exports and the API. Her page does not
offer it again.

Giving and withdrawing are recorded like the newsletter's consent: through what (a
:class:`people.models.ConsentSource`) and, when she acts herself and KKP_RECORD_IP=1,
from which client address.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from events.course_models import CourseBooking
from events.models import Registration
from events.question_models import ConsentOffer, ConsentRecord
from kkp.auth.operations import audit
from kkp.extensions import db
from people.lists import recorded_ip
from people.models import ConsentSource

#: whose consents: a date's registration or a course's booking
Owner = Registration | CourseBooking

#: how a consent was given or withdrawn (`ConsentRecord.source`, `.withdrawn_source`)
SOURCE_WORDS = {
    ConsentSource.FORM: _l("Registration form"),
    ConsentSource.EDITOR: _l("Editors"),
    ConsentSource.API: _l("API"),
    ConsentSource.PREFERENCES: _l("Own registration page"),
}


def _mine(owner: Owner):
    if isinstance(owner, CourseBooking):
        return ConsentRecord.booking_id == owner.id
    return ConsentRecord.registration_id == owner.id


def _latest_per_offer(records) -> dict[int, ConsentRecord]:
    """One record per offer: the one in force, else the last withdrawn."""
    found: dict[int, ConsentRecord] = {}
    for record in records:
        kept = found.get(record.consent_id)
        if kept is None or (kept.withdrawn_at is not None and record.withdrawn_at is None):
            found[record.consent_id] = record
    return found


def own_consents(owner: Owner) -> list[ConsentRecord]:
    """Her consents whose offer still exists, given or withdrawn, in the form's order;
    given again after a withdrawal (registered anew): the one in force."""
    records = db.session.scalars(
        sa.select(ConsentRecord)
        .join(ConsentOffer, ConsentOffer.id == ConsentRecord.consent_id)
        .where(_mine(owner))
        .order_by(ConsentOffer.position, ConsentOffer.id, ConsentRecord.given_at.desc())
    )
    return list(_latest_per_offer(records).values())


def withdraw_consent(
    owner: Owner,
    offer_id: int,
    now: datetime,
    *,
    source: str,
    ip: str | None = None,
    by_editor: bool = False,
) -> ConsentRecord | None:
    """Withdraw her consent to the offer `offer_id` at `now` (UTC) through `source` (a
    :class:`people.models.ConsentSource`) from the client address `ip` (kept only when
    KKP_RECORD_IP=1): the record stays, with its words. Withdrawn already: the record
    as it is, unchanged. None: she never gave it. An editor acting on her request is
    audited (ids only)."""
    records = db.session.scalars(
        sa.select(ConsentRecord)
        .where(_mine(owner), ConsentRecord.consent_id == offer_id)
        .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
    )
    record = _latest_per_offer(records).get(offer_id)
    if record is None or record.withdrawn_at is not None:
        return record
    # set once: of two requests at the same moment only one writes
    done = db.session.execute(
        sa.update(ConsentRecord)
        .where(ConsentRecord.id == record.id, ConsentRecord.withdrawn_at.is_(None))
        .values(withdrawn_at=now, withdrawn_source=source, withdrawn_ip=recorded_ip(ip))
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(record)
    if done.rowcount and by_editor:
        if isinstance(owner, CourseBooking):
            audit(
                "course_booking.consent_withdraw",
                owner.series,
                booking_id=owner.id,
                consent_id=offer_id,
            )
        else:
            audit(
                "registration.consent_withdraw",
                owner,
                event_id=owner.event_id,
                consent_id=offer_id,
            )
    return record
