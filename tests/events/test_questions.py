"""The editor's own registration questions and optional consents: the editors' page,
the public form (answers, conditions, every error at once), the participant list and
the CSV export, hostile text."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from events import questions as ops
from events.errors import EventError
from events.question_models import Answer, ConsentOffer, ConsentRecord, Question
from kkp.extensions import db
from tests.helpers import csrf_token

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def notice(ctx):
    """The events' privacy notice, version 1."""
    from newsletter.operations import publish_consent_text

    publish_consent_text("Datenschutzhinweis für Veranstaltungen.", "event_registration")
    db.session.commit()


@pytest.fixture
def asked(make_event, notice):
    """An event with a required text question, a one-choice question, a question shown
    only for "vor Ort", a yes/no question and an optional consent."""
    event = make_event()
    function = ops.add_typical(event, "function")
    function.required = True
    how = ops.save_question(
        event,
        None,
        ops.QuestionInput(
            kind="one_choice", label="Wie nehmen Sie teil?", choices=("vor Ort", "online")
        ),
    )
    food = ops.save_question(
        event,
        None,
        ops.QuestionInput(
            kind="choices",
            label="Essenswünsche",
            choices=("vegetarisch", "vegan", "glutenfrei"),
            required=True,
            shown_if_question_id=how.id,
            shown_if_value="vor Ort",
        ),
    )
    parking = ops.save_question(
        event, None, ops.QuestionInput(kind="yes_no", label="Brauchen Sie einen Parkplatz?")
    )
    offer = ops.save_consent(event, None, "Mein Name darf auf der Teilnehmendenliste stehen.")
    db.session.commit()
    return {
        "event": event,
        "function": f"q-{function.id}",
        "how": f"q-{how.id}",
        "food": f"q-{food.id}",
        "parking": f"q-{parking.id}",
        "consent": f"consent-{offer.id}",
    }


def person(**extra) -> dict:
    return {
        "name": "Anna Berger",
        "email": "anna@example.org",
        "consent": "y",
        **extra,
    }


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    return match.group(1) if match else ""


def sign_up(client, event, data: dict):
    """The form as the page shows it: its privacy notices' versions, its CSRF token."""
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    data = {"consent_version": _hidden(html, "consent_version"), **data}
    if "newsletter" in data:
        data["newsletter_consent_version"] = _hidden(html, "newsletter_consent_version")
    return client.post(f"/events/{event.slug}", data={**data, "csrf_token": csrf_token(html)})


def stored_answers() -> dict[str, object]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(Question.label, Answer.value).join(Answer.question))
    return dict(rows.all())


# -- the editors' page ---------------------------------------------------------------------


def test_editor_creates_questions_a_condition_and_a_consent(logged_in, make_event):
    event = make_event()
    page_url = f"/admin/events/{event.id}/questions"
    page = logged_in.get(page_url).get_data(as_text=True)
    assert "Typische Fragen" in page or "Typical questions" in page
    token = csrf_token(page)

    def post(url, data):
        return logged_in.post(url, data={**data, "csrf_token": token})

    assert post(f"{page_url}/typical", {"name": "municipality"}).status_code == 303
    added = post(
        f"{page_url}/new",
        {"kind": "one_choice", "label": "Teilnahme", "choices": "vor Ort\nonline\n\n"},
    )
    assert added.status_code == 303
    how = db.session.scalar(sa.select(Question).where(Question.label == "Teilnahme"))
    assert how.choices == ["vor Ort", "online"]

    # a condition on a value the question does not have: refused, input kept
    refused = post(
        f"{page_url}/new",
        {"kind": "short_text", "label": "Raumwunsch", "shown_if": f"{how.id}:per Brief"},
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'value="Raumwunsch"' in html and "flash-error" in html
    # and no choices for a choice question, no label: both at once
    both = post(f"{page_url}/new", {"kind": "choices", "label": "", "choices": "nur eine"})
    assert both.status_code == 422
    assert both.get_data(as_text=True).count('class="error"') >= 2

    ok = post(
        f"{page_url}/new",
        {
            "kind": "short_text",
            "label": "Raumwunsch",
            "shown_if": f"{how.id}:vor Ort",
            "required": "y",
        },
    )
    assert ok.status_code == 303
    room = db.session.scalar(sa.select(Question).where(Question.label == "Raumwunsch"))
    assert (room.shown_if_question_id, room.shown_if_value, room.required) == (
        how.id,
        "vor Ort",
        True,
    )

    # the dependent question cannot move above the one it waits for
    post(f"{page_url}/{room.id}/move", {"to": "up"})
    db.session.expire_all()
    order = [q.label for q in ops.questions_of(event)]
    assert order == ["Kommune", "Teilnahme", "Raumwunsch"]
    post(f"{page_url}/{how.id}/move", {"to": "up"})
    db.session.expire_all()
    assert [q.label for q in ops.questions_of(event)] == ["Teilnahme", "Kommune", "Raumwunsch"]

    # editing keeps the form on the page
    edit = logged_in.get(f"{page_url}/{how.id}")
    assert edit.status_code == 200 and "vor Ort\nonline" in edit.get_data(as_text=True)

    assert post(f"/admin/events/{event.id}/consents/new", {"text": ""}).status_code == 422
    consent = post(
        f"/admin/events/{event.id}/consents/new",
        {"text": "Fotos dürfen veröffentlicht werden.", "text_en": "Photos may be published."},
    )
    assert consent.status_code == 303
    page = logged_in.get(page_url).get_data(as_text=True)
    assert "Fotos dürfen veröffentlicht werden." in page and "Raumwunsch" in page

    # deleting asks first; the question others wait for: they show always
    asks = logged_in.get(f"{page_url}/{how.id}/delete")
    assert asks.status_code == 200 and "Teilnahme" in asks.get_data(as_text=True)
    assert db.session.get(Question, how.id) is not None
    post(f"{page_url}/{how.id}/delete", {})
    db.session.expire_all()
    room = db.session.get(Question, room.id)
    assert room.shown_if_question_id is None and room.shown_if_value == ""


def test_series_page_and_links(logged_in, ctx):
    from events.operations import save_series

    series = save_series(None, title="Grundkurs Prävention", description="")
    db.session.commit()
    assert f"/admin/events/series/{series.id}/questions" in logged_in.get(
        f"/admin/events/series/{series.id}"
    ).get_data(as_text=True)
    page = logged_in.get(f"/admin/events/series/{series.id}/questions")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    logged_in.post(
        f"/admin/events/series/{series.id}/questions/typical",
        data={"name": "organisation", "csrf_token": token},
    )
    assert [q.label for q in ops.questions_of(series)] == ["Organisation"]


# -- the public form -------------------------------------------------------------------------


def test_registration_with_answers_and_consent(client, asked):
    event = asked["event"]
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f'data-shown-if="{asked["how"]}"' in page and "questions.js" in page
    response = sign_up(
        client,
        event,
        person(
            **{
                asked["function"]: "Präventionsbeauftragte",
                asked["how"]: "vor Ort",
                asked["food"]: ["vegan", "glutenfrei"],
                asked["parking"]: "yes",
                asked["consent"]: "yes",
            }
        ),
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert stored_answers() == {
        "Funktion": "Präventionsbeauftragte",
        "Wie nehmen Sie teil?": "vor Ort",
        "Essenswünsche": ["vegan", "glutenfrei"],
        "Brauchen Sie einen Parkplatz?": True,
    }
    record = db.session.scalar(sa.select(ConsentRecord))
    assert record.text == "Mein Name darf auf der Teilnehmendenliste stehen."
    assert record.given_at is not None and record.registration_id is not None


def test_every_error_at_once_and_input_kept(client, asked):
    event = asked["event"]
    response = sign_up(
        client,
        event,
        person(name="", **{asked["how"]: "vor Ort", asked["parking"]: "vielleicht"}),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("name", asked["function"], asked["food"], asked["parking"]):
        assert f'id="{name}-error"' in html, name
    assert f'name="{asked["how"]}" value="vor Ort" checked' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0

    # a choice that was never offered
    forged = sign_up(
        client, event, person(**{asked["function"]: "x", asked["how"]: "per Brieftaube"})
    )
    assert forged.status_code == 422
    assert f'id="{asked["how"]}-error"' in forged.get_data(as_text=True)


def test_hidden_question_neither_required_nor_stored(client, asked):
    response = sign_up(
        client,
        asked["event"],
        person(
            **{
                asked["function"]: "Polizei",
                asked["how"]: "online",
                asked["food"]: ["vegan"],  # posted anyway (no script hid it)
            }
        ),
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert stored_answers() == {"Funktion": "Polizei", "Wie nehmen Sie teil?": "online"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 0


def test_newsletter_box_starts_the_double_opt_in(client, asked, lists, mail, drain):
    from newsletter.models import Subscriber, Subscription

    page = client.get(f"/events/{asked['event'].slug}").get_data(as_text=True)
    assert 'name="newsletter"' in page and "checked" not in page.split('name="newsletter"')[1][:80]
    response = sign_up(
        client,
        asked["event"],
        person(
            **{asked["function"]: "Polizei", asked["how"]: "online"},
            newsletter="yes",
        ),
    )
    assert response.status_code == 303
    drain()
    subjects = sorted(
        str(m["data"]).split("Subject: ")[1].split("\\r\\n")[0] for m in mail.wait_for(2)
    )
    assert any("Abonnement" in s for s in subjects), subjects
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert subscriber.email == "anna@example.org" and subscriber.status == "pending"
    assert {s.status for s in db.session.scalars(sa.select(Subscription))} == {"pending"}


def test_no_newsletter_box_without_lists(client, asked):
    page = client.get(f"/events/{asked['event'].slug}").get_data(as_text=True)
    assert 'name="newsletter"' not in page


# -- what editors see, hostile text ------------------------------------------------------


def test_answers_in_participant_list_and_csv_hostile_text_defused(logged_in, make_event, notice):
    event = make_event()
    evil = ops.save_question(
        event,
        None,
        ops.QuestionInput(kind="one_choice", label=f"Frage {SCRIPT}", choices=('"><b>x', "=1+1")),
    )
    note = ops.save_question(event, None, ops.QuestionInput(kind="long_text", label="Anmerkung"))
    offer = ops.save_consent(event, None, f"Fotos {SCRIPT}")
    db.session.commit()
    visitor = logged_in.application.test_client()
    response = sign_up(
        visitor,
        event,
        person(
            **{
                f"q-{evil.id}": "=1+1",
                f"q-{note.id}": '=HYPERLINK("x")',
                f"consent-{offer.id}": "y",
            }
        ),
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    public = visitor.get(f"/events/{event.slug}").get_data(as_text=True)
    assert SCRIPT not in public and "&lt;script&gt;" in public
    assert '"><b>x' not in public

    page = logged_in.get(f"/admin/events/{event.id}/participants").get_data(as_text=True)
    assert "Anmerkung" in page and "=HYPERLINK" in page and SCRIPT not in page
    assert "Fotos &lt;script&gt;" in page

    raw = logged_in.get(f"/admin/events/{event.id}/participants.csv").get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, row = rows[0], rows[1]
    assert header[-3:] == [f"Frage {SCRIPT}", "Anmerkung", f"Einwilligung: Fotos {SCRIPT}"]
    assert row[-3] == "'=1+1" and row[-2].startswith("'=HYPERLINK")
    assert row[-1].startswith("ja, ")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentOffer)) == 1


# -- the API -------------------------------------------------------------------------------


def test_api_shows_questions_takes_and_returns_answers(api, asked):
    from tests.api_client import error_fields

    event = asked["event"]
    shown = api("GET", f"/events/{event.id}").get_json()
    labels = [q["label"] for q in shown["questions"]]
    assert labels == [
        "Funktion",
        "Wie nehmen Sie teil?",
        "Essenswünsche",
        "Brauchen Sie einen Parkplatz?",
    ]
    food = shown["questions"][2]
    assert food["shown_if"] == {"question_id": shown["questions"][1]["id"], "value": "vor Ort"}
    assert shown["consents"][0]["text"].startswith("Mein Name")
    listed = api("GET", "/events").get_json()["items"][0]
    assert listed["questions"] == shown["questions"]

    ids = {name: asked[name].removeprefix("q-") for name in ("function", "how", "food", "parking")}
    offer_id = int(asked["consent"].removeprefix("consent-"))
    bad = api(
        "POST",
        f"/events/{event.id}/registrations",
        json={
            "name": "Anna Berger",
            "email": "anna@example.org",
            "answers": {ids["how"]: "vor Ort", ids["parking"]: "vielleicht", "999": "x"},
            "consents": [offer_id + 1],
        },
    )
    assert set(error_fields(bad)) == {
        f"answers.{ids['function']}",
        f"answers.{ids['food']}",
        f"answers.{ids['parking']}",
        "answers.999",
        "consents",
    }
    good = api(
        "POST",
        f"/events/{event.id}/registrations",
        json={
            "name": "Anna Berger",
            "email": "anna@example.org",
            "answers": {ids["function"]: "Polizei", ids["how"]: "online", ids["parking"]: False},
            "consents": [offer_id],
        },
    )
    assert good.status_code == 201, good.get_data(as_text=True)
    body = good.get_json()
    assert body["answers"] == {
        ids["function"]: "Polizei",
        ids["how"]: "online",
        ids["parking"]: False,
    }
    assert [c["id"] for c in body["consents"]] == [offer_id]
    again = api("GET", f"/events/{event.id}/registrations").get_json()["items"][0]
    assert again["answers"] == body["answers"]


def test_a_copy_of_the_event_asks_the_same(asked):
    from events.operations import copy_event
    from tests.events.conftest import day_in

    copy = copy_event(asked["event"], start_day=day_in(30))
    db.session.commit()
    copied = ops.questions_of(copy)
    assert [q.label for q in copied] == [q.label for q in ops.questions_of(asked["event"])]
    assert copied[2].shown_if_question_id == copied[1].id and copied[2].shown_if_value == "vor Ort"
    assert [o.text for o in ops.consents_of(copy)] == [
        "Mein Name darf auf der Teilnehmendenliste stehen."
    ]


def test_lengths_and_control_characters_refused(asked, app):
    from events.answers import read_answers

    note = ops.save_question(
        asked["event"], None, ops.QuestionInput(kind="long_text", label="Notiz")
    )
    db.session.commit()
    questions = ops.questions_of(asked["event"])
    with app.test_request_context():
        values, errors = read_answers(
            questions,
            {asked["function"]: "a\x00b", f"q-{note.id}": "x" * 4001, asked["how"]: "online"},
            "de",
        )
        assert set(errors) == {asked["function"], f"q-{note.id}"}
        assert errors[f"q-{note.id}"] == "Höchstens 4000 Zeichen."
        _values, english = read_answers(questions, {}, "en")
        assert english[asked["function"]] == "Please answer this question."
        values, errors = read_answers(
            questions, {asked["function"]: "  Polizei \t Nord ", f"q-{note.id}": "a\r\nb"}
        )
    assert not errors and values[note.id] == "a\nb"
    assert values[int(asked["function"].removeprefix("q-"))] == "Polizei Nord"
    with pytest.raises(EventError) as refused:
        ops.save_question(asked["event"], None, ops.QuestionInput(kind="choices", label="a\nb"))
    assert set(refused.value.errors) == {"label", "choices"}
