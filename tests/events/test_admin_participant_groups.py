"""The editor's export and message pages for a date and a course through HTTP: the
form keeps its choices on error, the file has the chosen columns, the export is
audited; a message to a group reaches exactly that group once, one mail per booking."""

from __future__ import annotations

import csv
import html
import io
import re

import openpyxl
import pytest

from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.events.course_factory import booking, course, person
from tests.events.test_admin_bulk import audit_entries
from tests.events.test_participant_export import pdf_text
from tests.helpers import csrf_token, parse_mail, row_count, text_of


@pytest.fixture
def english(logged_in):
    logged_in.set_cookie("kkp_lang", "en")
    return logged_in


def checked(page: str, name: str, value: str) -> bool:
    return bool(re.search(rf'<input checked [^>]*name="{name}" [^>]*value="{value}"', page))


def post_page(client, url: str, **data):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_export_of_a_date(english, make_event):
    event = make_event("Netzwerktreffen Süd")
    person(event.id, "Anna Berger", organisation="Stadt Leipzig")
    person(event.id, "=1+1", email="evil@example.org")
    person(event.id, "Ben Cordes", "waiting")
    db.session.commit()
    url = f"/admin/events/{event.id}/export"
    page = english.get(url).get_data(as_text=True)
    assert checked(page, "columns", "name") and not checked(page, "columns", "email")
    assert f'href="{url}"' in english.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)

    # nothing ticked: refused, every choice kept
    refused = post_page(english, url, group="waiting", export_format="csv")
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Please choose at least one column." in text
    assert checked(text, "group", "waiting") and checked(text, "export_format", "csv")

    response = post_page(
        english, url, group="confirmed", export_format="csv", columns=["name", "email"]
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Name", "E-mail"],
        ["Anna Berger", "anna@example.org"],
        ["'=1+1", "evil@example.org"],
    ]
    (entry,) = audit_entries("registration.export")
    assert entry.details == {"group": "confirmed", "format": "csv", "rows": 2, "columns": 2}

    xlsx = post_page(english, url, group="all", export_format="xlsx", columns=["name"])
    table = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert [r[0].value for r in table.iter_rows()] == ["Name", "Anna Berger", "'=1+1", "Ben Cordes"]
    badges = post_page(english, url, group="all", export_format="badges")
    assert badges.mimetype == "application/pdf" and badges.data.startswith(b"%PDF")


#: question labels a spreadsheet would run as formulas if they headed a column as typed
HOSTILE_LABELS = ('=HYPERLINK("http://x","y")', "+49 Telefon", "-Allergien", "@Team")


def test_hostile_question_labels_head_their_columns_as_text(english, make_event):
    from events.question_models import Answer, Question

    event = make_event("Netzwerktreffen Süd")
    anna = person(event.id, "Anna Berger")
    questions = [
        Question(event_id=event.id, kind="short_text", label=label, position=n)
        for n, label in enumerate(HOSTILE_LABELS)
    ]
    db.session.add_all(questions)
    db.session.flush()
    db.session.add_all(
        Answer(question_id=q.id, registration_id=anna.id, value=f"Antwort {n}")
        for n, q in enumerate(questions)
    )
    db.session.commit()
    url = f"/admin/events/{event.id}/export"
    keys = ["name"] + [f"q{q.id}" for q in questions]
    defused = ["'" + label for label in HOSTILE_LABELS]
    answers = [f"Antwort {n}" for n in range(len(HOSTILE_LABELS))]

    response = post_page(english, url, group="all", export_format="csv", columns=keys)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["Name", *defused], ["Anna Berger", *answers]]

    response = post_page(english, url, group="all", export_format="xlsx", columns=keys)
    header = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows())[0]
    assert [c.value for c in header] == ["Name", *defused]
    assert all(c.data_type == "s" for c in header)  # text, not a formula

    response = post_page(english, url, group="all", export_format="pdf", columns=keys)
    assert response.mimetype == "application/pdf"
    text = "".join(pdf_text(response.data).split())  # a heading wraps in its column
    for label in HOSTILE_LABELS:
        assert "".join(label.split()) in text  # printed as typed, no apostrophe
    assert "'=" not in text and "'+" not in text and "'@" not in text

    # the participants page's own CSV heads its question columns the same way
    whole = english.get(f"/admin/events/{event.id}/participants.csv")
    rows = list(csv.reader(io.StringIO(whole.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-len(HOSTILE_LABELS) :] == defused
    assert rows[1][-len(HOSTILE_LABELS) :] == answers


def test_export_of_a_course_and_bad_input(english, make_event):
    series = course(make_event)
    booking(series, "Anna Berger", attendance=["present", "absent", "present"])
    db.session.commit()
    url = f"/admin/events/series/{series.id}/export"
    assert url in english.get(f"/admin/events/series/{series.id}").get_data(as_text=True)
    response = post_page(
        english, url, group="attended", export_format="pdf", columns=["name", "attended"]
    )
    assert response.mimetype == "application/pdf"
    for bad in ({"group": "everyone"}, {"export_format": "doc"}, {"columns": ["nope"]}):
        data = {"group": "all", "export_format": "csv", "columns": ["name"], **bad}
        assert post_page(english, url, **data).status_code == 422
    # without the CSRF token: refused before anything is read
    assert english.post(url, data={"group": "all", "export_format": "csv"}).status_code == 400
    assert len(audit_entries("registration.export")) == 1


def confirm_again(client, url: str, page: str):
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    data: dict[str, list[str]] = {}
    for name, value in hidden:
        data.setdefault(name, []).append(html.unescape(value))
    return client.post(url, data=data)


def test_a_message_to_a_course_group_arrives_once_per_booking(english, make_event, mail, drain):
    series = course(make_event, "Kurs Zivilcourage")
    booking(series, "Anna Berger", attendance=["present"])
    booking(series, "Ben Cordes", attendance=["absent", "present"])
    booking(series, "Cem Demir", attendance=["absent"])
    booking(series, "Dora Ernst", "waiting")
    db.session.commit()
    url = f"/admin/events/series/{series.id}/message"
    form = {"group": "attended", "subject": "Unterlagen", "text": "Die **Folien** anbei."}

    refused = post_page(english, url, group="attended", subject="", text="Hallo")
    assert refused.status_code == 422 and "Please enter a subject." in refused.get_data(
        as_text=True
    )
    preview = post_page(english, url, step="preview", **form)
    assert "<strong>Folien</strong>" in preview.get_data(as_text=True)

    asked = post_page(english, url, step="confirm", **form)
    page = asked.get_data(as_text=True)
    assert "2 people will get this message by mail." in page
    assert row_count(Delivery, Delivery.kind == "event_message") == 0
    sent = confirm_again(english, url, page)
    assert sent.status_code == 303
    assert confirm_again(english, url, page).status_code == 303  # a second click
    drain()
    messages = {m["to"][0]: parse_mail(m["data"]) for m in mail.wait_for(2)}
    assert set(messages) == {"anna@example.org", "ben@example.org"}
    assert "Die Folien anbei." in text_of(messages["anna@example.org"])
    assert row_count(Delivery, Delivery.kind == "event_message") == 2
    (entry,) = audit_entries("registration.message")
    assert entry.details == {"group": "attended", "recipients": 2, "unchanged": 0}


def test_a_message_to_the_waiting_list_of_a_date(english, make_event, mail, drain):
    event = make_event()
    person(event.id, "Anna Berger")
    person(event.id, "Ben Cordes", "waiting")
    person(event.id, "Cem Demir", "cancelled")
    db.session.commit()
    url = f"/admin/events/{event.id}/message"
    form = {"group": "waiting", "subject": "Warteliste", "text": "Noch kein Platz."}
    page = post_page(english, url, step="confirm", **form).get_data(as_text=True)
    assert "1 person will get this message by mail." in page
    confirm_again(english, url, page)
    drain()
    (message,) = mail.wait_for(1)
    assert message["to"] == ["ben@example.org"]
