"""RFC 8058 one-click unsubscribe, the suppression list, and purging unconfirmed sign-ups."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from kkp.db import utcnow
from kkp.extensions import db
from newsletter import operations
from newsletter.models import Subscriber, Suppression


def confirmed(lists, email="olga@example.org", slugs=("kkp-kompakt",)):
    subscriber, _created = operations.add_subscriber(
        email=email, list_ids=[lists[s] for s in slugs], consent_evidence="Teilnehmerliste"
    )
    db.session.commit()
    return subscriber


def test_one_click_post_without_cookies_or_csrf(app, lists):
    subscriber = confirmed(lists)
    token = operations.subscriber_token(subscriber, "unsubscribe", l=lists["kkp-kompakt"])
    fresh = app.test_client(use_cookies=False)
    response = fresh.post(
        f"/unsubscribe/{token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0
    # Idempotent: the same POST again is still a 200.
    again = fresh.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    # multipart/form-data as some providers send it
    multipart = fresh.post(
        f"/unsubscribe/{token}",
        data={"List-Unsubscribe": "One-Click"},
        content_type="multipart/form-data",
    )
    assert multipart.status_code == 200


def test_one_click_leaves_only_that_list_when_others_remain(client, lists):
    subscriber = confirmed(lists, slugs=("kkp-kompakt", "fortbildungen"))
    token = operations.subscriber_token(subscriber, "unsubscribe", l=lists["kkp-kompakt"])
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    remaining = db.session.scalar(sa.select(Subscriber))
    assert [s.mailing_list.slug for s in remaining.subscriptions] == ["fortbildungen"]


def test_get_never_unsubscribes(client, lists):
    subscriber = confirmed(lists)
    token = operations.subscriber_token(subscriber, "unsubscribe")
    for _ in range(3):
        assert client.get(f"/unsubscribe/{token}").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 1


def test_suppressed_addresses_are_never_added_again(client, lists, mail, drain):
    subscriber = confirmed(lists)
    operations.unsubscribe(subscriber)
    db.session.commit()
    assert db.session.scalar(sa.select(Suppression.email_hash)) == operations.email_hash(
        "olga@example.org"
    )
    # Nothing readable is kept.
    assert "olga" not in repr(db.session.scalars(sa.select(Suppression)).all())
    for source in ("editor", "api", "import"):
        try:
            operations.add_subscriber(
                email="Olga@example.org",
                list_ids=[lists["kkp-kompakt"]],
                consent_evidence="noch mal",
                source=source,
            )
        except operations.SubscriptionError as exc:
            assert exc.field == "email"
        else:
            raise AssertionError(f"suppressed address re-added through {source}")
        db.session.rollback()
    drain()
    assert mail.messages == []


def test_the_person_can_come_back_through_the_form(client, lists, mail, drain):
    from tests.helpers import csrf_token
    from tests.newsletter.test_signup_flow import confirmation_link, subscribe

    subscriber = confirmed(lists)
    operations.unsubscribe(subscriber)
    db.session.commit()
    subscribe(client, email="olga@example.org", lists=[lists["kkp-kompakt"]])
    drain()
    [received] = mail.wait_for(1)
    link = confirmation_link(received["data"])
    client.post(link, data={"csrf_token": csrf_token(client.get(link).get_data(as_text=True))})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0
    assert db.session.scalar(sa.select(Subscriber.status)) == "confirmed"


def test_unconfirmed_signups_are_purged(app, lists, client):
    from tests.newsletter.test_signup_flow import subscribe

    subscribe(client, email="alt@example.org", lists=[lists["kkp-kompakt"]])
    subscribe(client, email="neu@example.org", lists=[lists["kkp-kompakt"]])
    keep = confirmed(lists, email="treu@example.org")
    days = app.config["KKP_UNCONFIRMED_RETENTION_DAYS"]
    db.session.execute(
        sa.update(Subscriber)
        .where(Subscriber.email == "alt@example.org")
        .values(created_at=utcnow() - timedelta(days=days, hours=1))
    )
    db.session.commit()
    from service.schedule import run_due

    run_due()
    emails = sorted(db.session.scalars(sa.select(Subscriber.email)).all())
    assert emails == ["neu@example.org", "treu@example.org"]
    assert keep.id
    # Purged sign-ups leave no suppression: they never consented.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0


def test_scheduler_tick_runs_on_the_worker(app, lists, client, drain):
    from service.schedule import scheduler_tick
    from tests.newsletter.test_signup_flow import subscribe

    subscribe(client, email="alt@example.org", lists=[lists["kkp-kompakt"]])
    db.session.execute(sa.update(Subscriber).values(created_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    scheduler_tick.send_now()
    drain()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0
