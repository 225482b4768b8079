"""The subscriber list at 100,000 subscribers: keyset pages stay correct at both ends.

Timings are measured outside the suite (they depend on the machine); here only the
content of the pages is checked.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from kkp.db import insert_rows
from kkp.extensions import db
from newsletter.models import Subscriber, Subscription

TOTAL = 100_000
ROW_IDS = re.compile(r'<a href="/admin/subscribers/(\d+)">')


def seed(list_ids: dict[str, int], total: int = TOTAL) -> None:
    """Bulk-insert `total` subscribers: all on KKP Kompakt (confirmed), every third also
    on Fortbildungen (pending on every second of those); every 1000th works for the
    "Ordnungsamt Örtelsburg"."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    subscribers, subscriptions = [], []
    for i in range(1, total + 1):
        at = start + timedelta(minutes=i)
        subscribers.append(
            {
                "id": i,
                "email": f"person{i:06d}@example.org",
                "name": f"Person {i}",
                "organisation": "Ordnungsamt Örtelsburg" if i % 1000 == 0 else f"Stadt {i % 97}",
                "status": "confirmed",
                "source": "import",
                "locale": "de",
                "created_at": at,
                "updated_at": at,
                "confirmed_at": at,
            }
        )
        subscriptions.append(
            {
                "subscriber_id": i,
                "list_id": list_ids["kkp-kompakt"],
                "status": "confirmed",
                "requested_at": at,
                "confirmed_at": at,
            }
        )
        if i % 3 == 0:
            pending = i % 2 == 0
            subscriptions.append(
                {
                    "subscriber_id": i,
                    "list_id": list_ids["fortbildungen"],
                    "status": "pending" if pending else "confirmed",
                    "requested_at": at,
                    "confirmed_at": None if pending else at,
                }
            )
    # COPY on PostgreSQL, one executemany on SQLite (kkp.db.insert_rows)
    insert_rows(Subscriber, subscribers)
    insert_rows(Subscription, subscriptions)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('subscriber', 'id'), :n)"), {"n": total}
        )
        db.session.commit()
        db.session.execute(sa.text("ANALYZE subscriber"))
        db.session.execute(sa.text("ANALYZE subscription"))
    db.session.commit()


def ids_on(html: str) -> list[int]:
    return [int(i) for i in ROW_IDS.findall(html)]


# Both tests only read: the 100,000 subscribers are written once for the module, and
# the tables emptied after its last test, not after each.
@pytest.fixture(scope="module")
def _seeded(app):
    from tests.conftest import clean, make_editor, make_lists

    with app.app_context():
        lists = make_lists()
        seed(lists)
        editor = make_editor()
        db.session.remove()
    yield lists, editor
    clean(app)


@pytest.fixture(autouse=True)
def _clean():
    """Instead of the suite's: the module's rows stay for its next test."""
    yield


@pytest.fixture
def editor(_seeded):
    return _seeded[1]


@pytest.fixture
def big(_seeded):
    return _seeded[0]


def test_pages_at_100k(logged_in, big):
    first = logged_in.get("/admin/subscribers")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert ids_on(html) == list(range(TOTAL, TOTAL - 50, -1))
    assert "100000" in html.replace(".", "").replace(",", "")
    assert f"before={TOTAL - 49}" in html

    second = logged_in.get(f"/admin/subscribers?before={TOTAL - 49}").get_data(as_text=True)
    assert ids_on(second) == list(range(TOTAL - 50, TOTAL - 100, -1))
    assert f"after={TOTAL - 50}" in second
    back = logged_in.get(f"/admin/subscribers?after={TOTAL - 50}").get_data(as_text=True)
    assert ids_on(back) == ids_on(html)

    last = logged_in.get("/admin/subscribers?after=0").get_data(as_text=True)
    assert ids_on(last) == list(range(50, 0, -1))
    assert "before=" not in last and "after=50" in last


def test_filtered_pages_at_100k(logged_in, big):
    fortbildungen = big["fortbildungen"]
    url = f"/admin/subscribers?list={fortbildungen}&status=pending"
    html = logged_in.get(url).get_data(as_text=True)
    expected = [i for i in range(TOTAL, 0, -1) if i % 6 == 0]
    assert ids_on(html) == expected[:50]
    assert str(len(expected)) in html.replace(".", "").replace(",", "")

    last = logged_in.get(url + "&after=0").get_data(as_text=True)
    assert ids_on(last) == expected[-50:]

    # Search, case-insensitive, with an umlaut typed in lower case.
    found = logged_in.get("/admin/subscribers?q=%C3%B6rtelsburg").get_data(as_text=True)
    assert ids_on(found) == list(range(TOTAL, TOTAL - 50_000, -1000))
    rest = logged_in.get(f"/admin/subscribers?q=%C3%B6rtelsburg&before={TOTAL - 49_000}")
    assert ids_on(rest.get_data(as_text=True)) == list(range(TOTAL - 50_000, 0, -1000))
    by_address = logged_in.get("/admin/subscribers?q=PERSON012345@").get_data(as_text=True)
    assert ids_on(by_address) == [12345]
