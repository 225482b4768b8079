"""The subscriber list's sorting and page numbers, and its bulk actions: add to a
list, remove from a list, delete (each after one confirm page), export as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from kkp.auth.models import AuditEntry
from kkp.extensions import db
from newsletter.models import Subscriber, Subscription, Suppression
from newsletter.operations import email_hash, unsubscribe
from people.models import ConsentSource
from tests.helpers import csrf_token
from tests.newsletter.test_admin_subscribers import add, ids_on

BULK = "/admin/subscribers/bulk"


@pytest.fixture
def people(logged_in, lists):
    kkp = lists["kkp-kompakt"]
    return {
        "berta": add("berta@example.org", [kkp], name="Berta Zeller", organisation="Amt"),
        "anton": add("anton@example.org", [kkp], name="Anton Yilmaz", organisation="Polizei"),
        "carla": add("carla@example.org", [kkp], name="Carla Xu", organisation="Beirat"),
    }


def token(client) -> str:
    return csrf_token(client.get("/admin/subscribers").get_data(as_text=True))


def post(client, data: dict, follow=False):
    return client.post(BULK, data={**data, "csrf_token": token(client)}, follow_redirects=follow)


def test_sorted_by_a_column_both_ways(people, logged_in):
    by_email = logged_in.get("/admin/subscribers?sort=email&dir=asc")
    assert ids_on(by_email) == [people["anton"], people["berta"], people["carla"]]
    html = by_email.get_data(as_text=True)
    assert re.search(
        r'<th scope="col" aria-sort="ascending">\s*<a href="[^"]*sort=email&amp;dir=desc', html
    )
    by_name = logged_in.get("/admin/subscribers?sort=name&dir=desc")
    assert ids_on(by_name) == [people["carla"], people["berta"], people["anton"]]
    by_org = logged_in.get("/admin/subscribers?sort=organisation")
    assert ids_on(by_org) == [people["berta"], people["carla"], people["anton"]]
    newest = logged_in.get("/admin/subscribers")
    assert ids_on(newest) == [people["carla"], people["anton"], people["berta"]]
    assert 'aria-sort="descending"' in newest.get_data(as_text=True)
    assert logged_in.get("/admin/subscribers?sort=nonsense&dir=x").status_code == 200


def test_sorted_pages_are_numbered(logged_in, lists):
    ids = [
        add(f"p{n:03d}@example.org", [lists["kkp-kompakt"]], name=f"Name {120 - n:03d}")
        for n in range(120)
    ]
    first = logged_in.get("/admin/subscribers?sort=name&dir=asc")
    assert ids_on(first) == list(reversed(ids))[:50]
    html = first.get_data(as_text=True)
    assert "Seite 1 von 3" in html and "120" in html
    following = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    second = logged_in.get(following)
    assert ids_on(second) == list(reversed(ids))[50:100]
    assert "Seite 2 von 3" in second.get_data(as_text=True)
    last = logged_in.get("/admin/subscribers?sort=name&dir=asc&after=0")
    assert ids_on(last) == list(reversed(ids))[70:]
    assert "Seite 3 von 3" in last.get_data(as_text=True)


def test_remove_from_a_list_asks_first_with_the_count(people, logged_in, lists):
    kkp = lists["kkp-kompakt"]
    for person in people.values():
        add(db.session.get(Subscriber, person).email, [lists["fortbildungen"]])
    chosen = {"action": "remove", "list_id": kkp, "ids": [people["anton"], people["berta"]]}
    page = post(logged_in, chosen)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 Personen werden aus der Liste „KKP Kompakt“ entfernt." in text
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Subscription).where(Subscription.list_id == kkp)
        )
        == 3
    )
    done = logged_in.post(
        BULK,
        data={**chosen, "confirmed": "1", "csrf_token": csrf_token(text)},
        follow_redirects=True,
    )
    assert "2 Personen wurden aus „KKP Kompakt“ entfernt." in done.get_data(as_text=True)
    on_list = db.session.scalars(
        sa.select(Subscription.subscriber_id).where(Subscription.list_id == kkp)
    ).all()
    assert on_list == [people["carla"]]
    assert (
        db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "subscriber.bulk_remove")
        ).details["count"]
        == 2
    )


def test_delete_records_the_suppression(people, logged_in):
    chosen = {"action": "delete", "all": "1", "page_ids": list(people.values())}
    page = post(logged_in, chosen)
    assert "3 Personen werden gelöscht." in page.get_data(as_text=True)
    done = logged_in.post(
        BULK,
        data={
            "action": "delete",
            "ids": list(people.values()),
            "confirmed": "1",
            "csrf_token": token(logged_in),
        },
        follow_redirects=True,
    )
    assert "3 Personen wurden gelöscht." in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0
    assert db.session.scalar(
        sa.select(Suppression).where(Suppression.email_hash == email_hash("anton@example.org"))
    )


def test_adding_respects_her_own_choice(people, logged_in, lists, drain):
    fortbildungen = lists["fortbildungen"]
    anton = db.session.get(Subscriber, people["anton"])
    add(anton.email, [fortbildungen])
    unsubscribe(
        db.session.get(Subscriber, people["anton"]),
        list_id=fortbildungen,
        source=ConsentSource.UNSUBSCRIBE,
    )
    db.session.commit()
    data = {
        "action": "add",
        "list_id": fortbildungen,
        "ids": list(people.values()),
        "confirmed": "1",
    }
    done = post(logged_in, data, follow=True).get_data(as_text=True)
    assert "2 Personen wurden zu „Fortbildungen“ hinzugefügt" in done
    assert "1 Person hat diese Liste selbst verlassen und wurde nicht wieder hinzugefügt." in done
    on_list = set(
        db.session.scalars(
            sa.select(Subscription.subscriber_id).where(Subscription.list_id == fortbildungen)
        )
    )
    assert on_list == {people["berta"], people["carla"]}


def test_export_of_the_selection(people, logged_in):
    response = post(logged_in, {"action": "export", "ids": [people["carla"], people["anton"]]})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["anton@example.org", "carla@example.org"]
    assert rows[1][1] == "Anton Yilmaz"


def test_bad_requests_are_refused_in_german(people, logged_in, lists):
    empty = post(logged_in, {"action": "delete"}, follow=True)
    assert empty.status_code == 200
    assert "Bitte wählen Sie mindestens eine Person aus." in empty.get_data(as_text=True)
    no_list = post(logged_in, {"action": "add", "ids": [people["anton"]]}, follow=True)
    assert "Bitte wählen Sie die Liste." in no_list.get_data(as_text=True)
    no_action = post(logged_in, {"ids": [people["anton"]]}, follow=True)
    assert (
        "Bitte wählen Sie, was mit den ausgewählten Personen geschehen soll."
        in no_action.get_data(as_text=True)
    )
    nonsense = post(
        logged_in, {"action": "delete", "ids": ["x", "-1", "99999999999999"]}, follow=True
    )
    assert nonsense.status_code == 200
    no_csrf = logged_in.post(
        BULK, data={"action": "delete", "ids": [people["anton"]], "confirmed": "1"}
    )
    assert no_csrf.status_code in (400, 303)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 3
