"""The anonymous feedback in the JSON API, as the editors' page has it: the questions of
an event and of a course (typical ones, add, change, delete), the invitation (never
twice, 409 when it cannot go), and the summary, which shows no answers below the
minimum of people who answered: not in the API, not on the page, not in the CSV."""

from __future__ import annotations

import pytest

from kkp.extensions import db
from tests.api_client import error_fields
from tests.events.test_feedback import _answers, _url, held  # noqa: F401  (the fixture)

WITHHELD = "Die Antworten werden gezeigt, sobald mindestens 3 Personen geantwortet haben"


def _answer(held, person, **answers) -> None:  # noqa: F811  (held: the fixture's value)
    from events import feedback

    respondent = feedback.respondent_for_token(_url(person).split("/")[-1])
    assert feedback.submit(respondent, _answers(held, **answers))
    db.session.commit()


def test_the_questions_of_an_event_and_a_course(api, make_event, kinds):
    from events.questions import questions_of
    from tests.events.course_helpers import make_course

    event = make_event("Netzwerktreffen Ost", days=-1)
    path = f"/events/{event.id}/feedback"
    typical = api("POST", path + "/typical")
    assert typical.status_code == 200
    assert typical.get_json()["added"] == 3
    again = api("POST", path + "/typical", json={}).get_json()
    assert again["added"] == 0  # nothing twice
    assert [q["kind"] for q in again["items"]] == ["one_choice", "long_text", "yes_no"]
    assert questions_of(event) == []  # the registration form asks none of them

    fields = error_fields(
        api("POST", path + "/questions", json={"kind": "one_choice", "label": "Ort?"})
    )
    assert fields["choices"].startswith("Bitte geben Sie mindestens zwei Auswahlmöglichkeiten")
    assert set(error_fields(api("POST", path + "/questions", json={"label": "Ort?"}))) == {"kind"}
    added = api(
        "POST",
        path + "/questions",
        json={"kind": "one_choice", "label": "Wie war der Raum?", "choices": ["gut", "eng"]},
    )
    assert added.status_code == 201
    question = added.get_json()
    assert question["choices"] == ["gut", "eng"] and question["shown_if"] is None

    one = f"{path}/questions/{question['id']}"
    changed = api("PATCH", one, json={"label": "Wie war der Ort?", "required": True})
    assert changed.status_code == 200
    assert changed.get_json()["label"] == "Wie war der Ort?"
    assert changed.get_json()["choices"] == ["gut", "eng"]  # kept
    assert changed.get_json()["required"] is True
    assert set(error_fields(api("PATCH", one, json={"kind": "choices", "choices": []}))) == {
        "choices"
    }
    other = make_event("Anderes Treffen", days=-1)
    foreign = f"/events/{other.id}/feedback/questions/{question['id']}"
    assert api("PATCH", foreign, json={}).status_code == 404
    assert api("DELETE", foreign).status_code == 404
    assert api("DELETE", one).status_code == 204
    assert api("DELETE", one).status_code == 404
    assert len(api("GET", path + "/questions").get_json()["items"]) == 3

    course = make_course(kinds)
    series_path = f"/series/{course.id}/feedback"
    assert api("POST", series_path + "/typical").get_json()["added"] == 3
    items = api("GET", series_path + "/questions").get_json()["items"]
    assert len(items) == 3
    deleted = api("DELETE", f"{series_path}/questions/{items[0]['id']}")
    assert deleted.status_code == 204
    # a registration question is no feedback question
    registration_question = api(
        "POST", f"/series/{course.id}/questions", json={"kind": "short_text", "label": "Kommune"}
    ).get_json()
    assert (
        api("PATCH", f"{series_path}/questions/{registration_question['id']}", json={})
    ).status_code == 404
    assert api("GET", "/series/999999/feedback/questions").status_code == 404


def test_the_invitation_goes_once(api, make_event, held):  # noqa: F811
    from events.feedback_models import FeedbackReceipt
    from tests.helpers import row_count

    bare = make_event("Ohne Fragen", days=-1)
    response = api("POST", f"/events/{bare.id}/feedback/invite")
    assert error_fields(response, 409) == {}
    assert "mindestens eine Frage" in response.get_json()["error"]["message"]
    coming = make_event("Kommt noch", days=5)
    api("POST", f"/events/{coming.id}/feedback/typical")
    response = api("POST", f"/events/{coming.id}/feedback/invite")
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == (
        "Das Rückmeldeformular ist derzeit nicht geöffnet."
    )

    path = f"/events/{held['event'].id}/feedback/invite"
    assert api("POST", path, json={"present_only": True}).get_json() == {"invited": 1}  # Anna
    assert api("POST", path).get_json() == {"invited": 2}
    assert api("POST", path).get_json() == {"invited": 0}
    assert row_count(FeedbackReceipt, FeedbackReceipt.invited_at.is_not(None)) == 3
    assert api("GET", f"/events/{held['event'].id}/feedback").get_json()["invited"] == 3


@pytest.mark.parametrize("answered", [2, 3])
def test_the_summary_shows_answers_only_from_the_minimum_on(
    api,
    logged_in,
    held,  # noqa: F811
    answered,
):
    people = held["people"][:answered]
    for person, useful in zip(people, ("Die Rollenspiele", "Die Pausen", "Alles"), strict=False):
        _answer(held, person, useful=useful)
    event = held["event"]

    found = api("GET", f"/events/{event.id}/feedback").get_json()
    assert found["answered"] == answered and found["minimum"] == 3
    page = logged_in.get(f"/admin/events/{event.id}/feedback").get_data(as_text=True)
    csv = logged_in.get(f"/admin/events/{event.id}/feedback.csv").get_data().decode("utf-8")
    if answered < 3:
        assert found["withheld"] is True and found["questions"] == []
        assert WITHHELD in page and WITHHELD in csv
        for text in ("Die Rollenspiele", "Die Pausen", " %"):
            assert text not in page.split('id="summary"')[1] and text not in csv
    else:
        assert found["withheld"] is False
        useful = next(q for q in found["questions"] if q["kind"] == "long_text")
        assert sorted(useful["texts"]) == ["Alles", "Die Pausen", "Die Rollenspiele"]
        assert WITHHELD not in page and "Die Pausen" in page and "Die Pausen" in csv


def test_a_course_has_its_summary(api, kinds):
    from tests.events.course_helpers import make_course

    course = make_course(kinds)
    found = api("GET", f"/series/{course.id}/feedback").get_json()
    assert found == {"invited": 0, "answered": 0, "minimum": 3, "withheld": True, "questions": []}
    assert api("GET", "/series/999999/feedback").status_code == 404
