"""The newsletter's single mails, in German and English, against their snapshots in
tests/kkp/mail_snapshots/ (see tests/mail_snapshots.py; KKP_UPDATE_SNAPSHOTS=1 rewrites
them)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kkp.extensions import db
from kkp.mail.models import Delivery
from kkp.mail.operations import deliver
from newsletter.links import request_preferences_link
from newsletter.operations import add_subscriber
from tests.helpers import parse_mail
from tests.mail_snapshots import assert_snapshot

NAMES = {"": "Lea Fuchs", "nameless": ""}


def _send(delivery_id: int, mail):
    assert deliver(delivery_id) == "sent"
    (sent,) = mail.wait_for(1)
    return parse_mail(sent["data"])


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("variant", ["", "nameless"])
def test_subscription_confirmation_matches_its_snapshot(variant, locale, lists, mail):
    add_subscriber(
        email="lea@example.org",
        name=NAMES[variant],
        list_ids=[lists["kkp-kompakt"], lists["fortbildungen"]],
        locale=locale,
    )
    db.session.commit()
    delivery_id = db.session.scalar(sa.select(Delivery.id))
    name = ".".join(p for p in ("subscription_confirmation", variant, locale) if p)
    assert_snapshot(name, _send(delivery_id, mail))


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("variant", ["", "nameless"])
def test_preferences_link_matches_its_snapshot(variant, locale, lists, mail):
    add_subscriber(
        email="lea@example.org",
        name=NAMES[variant],
        list_ids=[lists["kkp-kompakt"]],
        consent_evidence="Anmeldebogen, Netzwerktreffen am 3. März",
        locale=locale,
    )
    delivery = request_preferences_link("lea@example.org")
    db.session.commit()
    name = ".".join(p for p in ("preferences_link", variant, locale) if p)
    assert_snapshot(name, _send(delivery.id, mail))
