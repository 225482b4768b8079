"""Content for the issue tests: confirmed subscribers in bulk, a composed issue."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests import services
from tests.conftest import MailSink


def add_confirmed(
    list_ids: list[int],
    count: int,
    *,
    start: int = 0,
    locale: str = "de",
    status: str = "confirmed",
) -> list[int]:
    """`count` subscribers confirmed on `list_ids`, inserted in bulk; returns their ids."""
    from kkp.db import utcnow
    from kkp.extensions import db
    from newsletter.models import Subscriber, Subscription

    now = utcnow()
    rows = [
        {
            "email": f"person{start + i}@example.org",
            "name": f"Person {start + i}",
            "organisation": "",
            "status": status,
            "source": "import",
            "locale": locale,
            "created_at": now,
            "updated_at": now,
            "confirmed_at": now if status == "confirmed" else None,
        }
        for i in range(count)
    ]
    db.session.execute(sa.insert(Subscriber), rows)
    ids = db.session.scalars(
        sa.select(Subscriber.id)
        .where(Subscriber.email.in_([r["email"] for r in rows]))
        .order_by(Subscriber.id)
    ).all()
    db.session.execute(
        sa.insert(Subscription),
        [
            {
                "subscriber_id": s,
                "list_id": lst,
                "status": status,
                "requested_at": now,
                "confirmed_at": now if status == "confirmed" else None,
            }
            for s in ids
            for lst in list_ids
        ],
    )
    db.session.commit()
    return list(ids)


@pytest.fixture
def compose(ctx, lists):
    """Make an issue: compose(list_slugs=[...], articles=n, intro=…) → issue id."""
    from kkp.extensions import db
    from newsletter import issues

    def make(
        list_slugs=("kkp-kompakt",),
        articles: int = 2,
        number: str = "3/2026",
        title: str = "Prävention vor Ort",
        intro: str = "Liebe Netzwerkpartnerinnen und -partner,\n\nhier die **neue** Ausgabe.",
    ) -> int:
        issue = issues.create_issue(
            number=number,
            title=title,
            intro=intro,
            list_ids=[lists[s] for s in list_slugs],
        )
        for n in range(articles):
            issues.add_article(
                issue,
                title=f"Artikel {n + 1}",
                body=f"Text des Artikels {n + 1} mit [Link](https://example.org/{n}).",
                links=f"Mehr dazu | https://example.org/mehr/{n}",
            )
        db.session.commit()
        return issue.id

    return make


def store_unchecked(email: str, list_id: int) -> int:
    """A confirmed subscriber written as the database may hold one from before the
    address policy: no check on the way in."""
    from kkp.db import utcnow
    from kkp.extensions import db
    from newsletter.models import Subscriber, Subscription

    now = utcnow()
    subscriber_id = db.session.execute(
        sa.insert(Subscriber)
        .values(
            email=email,
            name="Ältere Adresse",
            organisation="",
            status="confirmed",
            source="import",
            locale="de",
            created_at=now,
            updated_at=now,
            confirmed_at=now,
        )  # fmt: skip
        .returning(Subscriber.id)
    ).scalar_one()
    db.session.execute(
        sa.insert(Subscription).values(
            subscriber_id=subscriber_id,
            list_id=list_id,
            status="confirmed",
            requested_at=now,
            confirmed_at=now,
        )
    )
    db.session.commit()
    return subscriber_id


@pytest.fixture
def utf8_server(app):
    """An SMTP server that advertises SMTPUTF8, as the relay for a while."""
    with relay(app, MailSink(), enable_SMTPUTF8=True) as sink:
        yield sink


@contextmanager
def relay(app, handler, *, query: str = "", **smtp_options):
    """An aiosmtpd server with `handler` as the app's relay for a while; `query` is
    added to KKP_SMTP_URL (e.g. `?timeout=0.5`)."""
    controller = Controller(
        handler, hostname="127.0.0.1", port=services.free_port(), **smtp_options
    )
    controller.start()
    saved = app.config["KKP_SMTP_URL"]
    app.config["KKP_SMTP_URL"] = f"smtp://127.0.0.1:{controller.port}{query}"
    app.extensions.pop("kkp_transport", None)
    try:
        yield handler
    finally:
        app.config["KKP_SMTP_URL"] = saved
        app.extensions.pop("kkp_transport", None)
        controller.stop()


def send_now(issue_id: int) -> int:
    """Start sending the issue, as "send now" does; returns the recipients."""
    from kkp.extensions import db
    from newsletter import sending
    from newsletter.models import Issue

    count = sending.start_sending(db.session.get(Issue, issue_id))
    db.session.commit()
    return count


def fresh_issue(issue_id: int):
    """The issue as the database has it now (not as this session last saw it)."""
    from kkp.extensions import db
    from newsletter.models import Issue

    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Issue, issue_id)
