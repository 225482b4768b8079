"""The bulk helpers of :mod:`kkp.db` an import's batch uses, on both databases:
:func:`~kkp.db.among` (a batch's lookups) and :func:`~kkp.db.insert_rows` (its inserts,
COPY on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from kkp.db import among, insert_rows
from kkp.extensions import db
from newsletter.models import ConsentEvent, Subscriber, SubscriberStatus


def people(count: int) -> list[dict]:
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    return [
        {
            "email": f"p{i}@example.org",
            "name": f'Person {i}; "mit" Zeichen\\ und\ttab',
            "organisation": "",
            "status": SubscriberStatus.CONFIRMED,
            "source": "import",
            "locale": "de",
            "created_at": at,
            "updated_at": at,
            "confirmed_at": None if i % 2 else at,
        }
        for i in range(count)
    ]


def test_among_looks_values_up_in_chunks(ctx):
    insert_rows(Subscriber, people(25))
    wanted = [f"p{i}@example.org" for i in range(0, 25, 2)] + ["p0@example.org", "x@example.org"]
    query = sa.select(Subscriber.email).order_by(Subscriber.email)
    found = among(query, Subscriber.email, wanted, chunk=4)
    assert sorted(email for (email,) in found) == sorted(set(wanted) - {"x@example.org"})
    assert among(query, Subscriber.email, []) == []
    ids = [row.id for row in among(sa.select(Subscriber.id), Subscriber.email, wanted, chunk=3)]
    assert len(ids) == 13
    assert len(among(sa.select(Subscriber.email), Subscriber.id, ids, chunk=5)) == 13


def test_insert_rows_writes_what_an_insert_writes(ctx):
    insert_rows(Subscriber, people(3))
    rows = db.session.execute(
        sa.select(
            Subscriber.email, Subscriber.name, Subscriber.status, Subscriber.confirmed_at
        ).order_by(Subscriber.email)
    ).all()
    assert [(r.email, r.status) for r in rows] == [
        (f"p{i}@example.org", "confirmed") for i in range(3)
    ]
    assert rows[0].name == 'Person 0; "mit" Zeichen\\ und\ttab'
    assert rows[0].confirmed_at == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert rows[1].confirmed_at is None

    berlin = timezone(timedelta(hours=1))
    ids = [id_ for (id_,) in db.session.execute(sa.select(Subscriber.id).order_by(Subscriber.id))]
    insert_rows(
        ConsentEvent,
        [
            {
                "subscriber_id": ids[0],
                "at": datetime(2026, 3, 1, 13, tzinfo=berlin),
                "action": "added",
                "lists": ["KKP Kompakt", "Fortbildungen"],
                "details": {"evidence": "Fachtag „Prävention“", "n": 1},
            },
            {
                "subscriber_id": ids[1],
                "at": datetime(2026, 3, 1, 12, tzinfo=UTC),
                "action": "added",
                "lists": [],
                "details": {},
            },
        ],
    )
    first, second = db.session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.id)).all()
    assert first.at == datetime(2026, 3, 1, 12, tzinfo=UTC)  # stored as UTC
    assert first.lists == ["KKP Kompakt", "Fortbildungen"]
    assert first.details == {"evidence": "Fachtag „Prävention“", "n": 1}
    # columns left out get their defaults, as through an INSERT
    assert (first.source, first.consent_version, first.ip) == ("form", None, None)
    assert (second.lists, second.details) == ([], {})


def test_insert_rows_belongs_to_the_transaction(ctx):
    insert_rows(Subscriber, people(2))
    try:
        with db.session.begin_nested():
            insert_rows(Subscriber, people(4)[2:])
            raise RuntimeError
    except RuntimeError:
        pass
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 2
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0
    insert_rows(Subscriber, [])


def test_insert_rows_raises_what_an_insert_raises(ctx):
    insert_rows(Subscriber, people(2))
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            insert_rows(Subscriber, people(3))  # p0 and p1 are there already
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 2
