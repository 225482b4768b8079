"""The registration questions and optional consents in the JSON API, as complete as the
editors' page: list, change, delete, move, typical questions; a consent's new words
leave what people agreed to untouched; every change audited."""

from __future__ import annotations

import sqlalchemy as sa

from events import questions as ops
from events.question_models import Answer, ConsentRecord, QuestionPurpose
from kkp.auth.models import AuditEntry
from kkp.extensions import db
from tests.api_client import error_fields

SCRIPT = "<script>alert(1)</script>"


def _ask(api, event_id: int) -> dict[str, int]:
    """Four questions (the last shown only for "vor Ort") and a consent, through the API."""
    made = {}
    for name, body in (
        ("function", {"kind": "short_text", "label": "Funktion", "required": True}),
        ("how", {"kind": "one_choice", "label": "Wie?", "choices": ["vor Ort", "online"]}),
        ("parking", {"kind": "yes_no", "label": "Parkplatz?"}),
    ):
        made[name] = api("POST", f"/events/{event_id}/questions", json=body).get_json()["id"]
    made["food"] = api(
        "POST",
        f"/events/{event_id}/questions",
        json={
            "kind": "choices",
            "label": "Essen",
            "choices": ["vegan", "vegetarisch"],
            "shown_if_question_id": made["how"],
            "shown_if_value": "vor Ort",
        },
    ).get_json()["id"]
    made["consent"] = api(
        "POST", f"/events/{event_id}/consents", json={"text": "Mein Name darf auf die Liste."}
    ).get_json()["id"]
    return made


def _register(api, event_id: int, made: dict[str, int], email: str = "anna@example.org"):
    response = api(
        "POST",
        f"/events/{event_id}/registrations",
        json={
            "name": "Anna Berger",
            "email": email,
            "answers": {str(made["function"]): "Polizei", str(made["how"]): "online"},
            "consents": [made["consent"]],
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _labels(api, path: str) -> list[str]:
    return [q["label"] for q in api("GET", path).get_json()["questions"]]


def test_list_in_order_with_counts_and_not_found(api, make_event):
    event = make_event()
    made = _ask(api, event.id)
    _register(api, event.id, made)
    listed = api("GET", f"/events/{event.id}/questions").get_json()
    assert [q["label"] for q in listed["questions"]] == ["Funktion", "Wie?", "Parkplatz?", "Essen"]
    assert [q["answers"] for q in listed["questions"]] == [1, 1, 0, 0]
    assert listed["questions"][3]["shown_if"] == {"question_id": made["how"], "value": "vor Ort"}
    assert listed["consents"] == [
        {"id": made["consent"], "text": "Mein Name darf auf die Liste.", "text_en": "", "given": 1}
    ]
    series = api("POST", "/series", json={"title": "Kurs", "registration_scope": "course"})
    series_id = series.get_json()["id"]
    assert api("GET", f"/series/{series_id}/questions").get_json() == {
        "questions": [],
        "consents": [],
    }

    feedback = ops.save_question(
        event,
        None,
        ops.QuestionInput(kind="long_text", label="Lob", purpose=QuestionPurpose.FEEDBACK),
    )
    db.session.commit()
    for method, path in (
        ("GET", "/events/999999/questions"),
        ("GET", "/series/999999/questions"),
        ("POST", "/series/999999/questions/typical"),
        ("PATCH", "/questions/999999"),
        ("PATCH", f"/questions/{feedback.id}"),
        ("DELETE", f"/questions/{feedback.id}"),
        ("POST", "/questions/999999/move"),
        ("PATCH", "/consents/999999"),
        ("DELETE", "/consents/999999"),
        ("POST", "/consents/999999/move"),
    ):
        response = api(method, path, json={"to": "up", "name": "function"})
        assert response.status_code == 404, (method, path)
        assert "gibt es nicht" in response.get_json()["error"]["message"]


def test_patch_changes_only_what_is_sent_checks_every_field_keeps_text_as_text(
    api, make_event, client
):
    event = make_event()
    made = _ask(api, event.id)
    changed = api("PATCH", f"/questions/{made['function']}", json={"label": SCRIPT})
    assert changed.status_code == 200
    assert changed.get_json()["label"] == SCRIPT
    assert changed.get_json()["required"] is True and changed.get_json()["kind"] == "short_text"
    assert _labels(api, f"/events/{event.id}/questions")[0] == SCRIPT
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    unchanged = api("PATCH", f"/questions/{made['how']}", json={})
    assert unchanged.get_json()["choices"] == ["vor Ort", "online"]
    fields = error_fields(
        api(
            "PATCH",
            f"/questions/{made['parking']}",
            json={"kind": "one_choice", "choices": ["nur eine"], "label": "   "},
        )
    )
    assert set(fields) == {"choices", "label"}
    fields = error_fields(api("PATCH", f"/questions/{made['how']}", json={"help": "x" * 501}))
    assert set(fields) == {"help"}
    # "Essen" waits for "vor Ort": the answer stays, and only an earlier question counts
    fields = error_fields(
        api("PATCH", f"/questions/{made['how']}", json={"choices": ["online", "hybrid"]})
    )
    assert "Essen" in fields["choices"] and "vor Ort" in fields["choices"]
    fields = error_fields(
        api(
            "PATCH",
            f"/questions/{made['function']}",
            json={"shown_if_question_id": made["how"], "shown_if_value": "vor Ort"},
        )
    )
    assert set(fields) == {"shown_if_question_id"}
    fields = error_fields(api("PATCH", f"/questions/{made['function']}", json={"label": "a\nb"}))
    assert set(fields) == {"label"}
    assert error_fields(api("PATCH", f"/questions/{made['how']}", json={"colour": "rot"})) == {
        "colour": "Unbekanntes Feld."
    }
    always = api("PATCH", f"/questions/{made['food']}", json={"shown_if_question_id": None})
    assert always.get_json()["shown_if"] is None
    db.session.expire_all()
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "event.questions", AuditEntry.object_id == event.id
        )
    ).all()
    assert entries and {e.channel for e in entries} == {"api"}
    assert len(entries) == 7  # five added, two changed; refusals and {} leave no trace


def test_delete_takes_the_answers_as_the_page_does(api, make_event):
    event = make_event()
    made = _ask(api, event.id)
    _register(api, event.id, made)
    assert api("DELETE", f"/questions/{made['how']}").status_code == 204
    assert _labels(api, f"/events/{event.id}/questions") == ["Funktion", "Parkplatz?", "Essen"]
    food = api("GET", f"/events/{event.id}/questions").get_json()["questions"][2]
    assert food["shown_if"] is None
    db.session.expire_all()
    answered = db.session.scalars(sa.select(Answer.question_id)).all()
    assert answered == [made["function"]]
    assert api("DELETE", f"/questions/{made['how']}").status_code == 404


def test_move_one_place_keeps_a_question_after_its_condition(api, make_event):
    event = make_event()
    made = _ask(api, event.id)
    path = f"/events/{event.id}/questions"
    moved = api("POST", f"/questions/{made['parking']}/move", json={"to": "up"})
    assert [q["label"] for q in moved.get_json()["questions"]] == [
        "Funktion",
        "Parkplatz?",
        "Wie?",
        "Essen",
    ]
    refused = api("POST", f"/questions/{made['food']}/move", json={"to": "up"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"] == (
        "Eine Frage bleibt hinter der Frage, von der sie abhängt."
    )
    assert api("POST", f"/questions/{made['food']}/move", json={"to": "down"}).status_code == 200
    assert _labels(api, path) == ["Funktion", "Parkplatz?", "Wie?", "Essen"]
    assert set(error_fields(api("POST", f"/questions/{made['food']}/move", json={}))) == {"to"}
    second = api("POST", f"/events/{event.id}/consents", json={"text": "Fotos"}).get_json()
    moved = api("POST", f"/consents/{second['id']}/move", json={"to": "up"}).get_json()
    assert [c["text"] for c in moved["consents"]] == ["Fotos", "Mein Name darf auf die Liste."]


def test_typical_questions_on_an_event_and_a_course(api, make_event):
    event = make_event()
    added = api("POST", f"/events/{event.id}/questions/typical", json={"name": "municipality"})
    assert added.status_code == 201
    assert {k: added.get_json()[k] for k in ("kind", "label", "label_en")} == {
        "kind": "short_text",
        "label": "Kommune",
        "label_en": "Municipality",
    }
    series_id = api("POST", "/series", json={"title": "Kurs"}).get_json()["id"]
    path = f"/series/{series_id}/questions/typical"
    assert api("POST", path, json={"name": "organisation"}).status_code == 201
    assert set(error_fields(api("POST", path, json={"name": "alter"}))) == {"name"}
    assert _labels(api, f"/series/{series_id}/questions") == ["Organisation"]


def test_new_words_of_a_consent_leave_what_people_agreed_to(api, make_event):
    event = make_event()
    made = _ask(api, event.id)
    registration = _register(api, event.id, made)
    old = "Mein Name darf auf die Liste."
    changed = api(
        "PATCH",
        f"/consents/{made['consent']}",
        json={"text": f"Name und Foto\ndürfen auf die Liste. {SCRIPT}"},
    )
    assert changed.status_code == 200
    assert changed.get_json()["text"] == f"Name und Foto\ndürfen auf die Liste. {SCRIPT}"
    assert set(error_fields(api("PATCH", f"/consents/{made['consent']}", json={"text": " "})))
    given = api("GET", f"/registrations/{registration['id']}").get_json()["consents"]
    assert [c["text"] for c in given] == [old]
    listed = api("GET", f"/events/{event.id}/questions").get_json()["consents"]
    assert listed[0]["given"] == 1 and listed[0]["text"].startswith("Name und Foto")

    assert api("DELETE", f"/consents/{made['consent']}").status_code == 204
    assert api("GET", f"/events/{event.id}/questions").get_json()["consents"] == []
    db.session.expire_all()
    assert db.session.scalars(sa.select(ConsentRecord.text)).all() == [old]
