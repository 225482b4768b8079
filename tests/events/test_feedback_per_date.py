"""A series that is not booked as a whole (dates picked one by one, or one of several)
has no feedback of its own: each date collects it. The series' feedback page says so
and links each date's; its other addresses lead there; the API answers 409 with the
same words. A course booked as a whole keeps its feedback."""

from __future__ import annotations

import pytest

from tests.api_client import error_fields
from tests.helpers import post_form

PER_DATE = "Diese Reihe sammelt die Rückmeldung je Termin"


def _series(kinds, scope: str):
    """A series of four dates (from in 14 days) that is booked by `scope`."""
    from kkp.extensions import db
    from tests.events.course_helpers import make_course

    series = make_course(kinds, capacity=None, title="Selbstbehauptung")
    series.registration_scope = scope
    db.session.commit()
    return series


@pytest.mark.parametrize("scope", ["dates", "one_of"])
def test_the_series_page_says_each_date_has_the_feedback(logged_in, kinds, scope):
    import sqlalchemy as sa

    from events import feedback
    from events.feedback_models import FeedbackReceipt
    from kkp.extensions import db
    from tests.events.test_feedback import _person

    series = _series(kinds, scope)
    first = series.events[0]
    _person(first.id, "Anna", status="confirmed")
    db.session.commit()
    page_url = f"/admin/events/series/{series.id}/feedback"
    page = logged_in.get(page_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert PER_DATE in html
    for event in series.events:
        assert f'href="/admin/events/{event.id}/feedback"' in html
    assert f'href="/admin/events/series/{series.id}"' in html  # back to the series
    assert 'id="feedback-count"' not in html  # no summary that pretends

    series_page = f"/admin/events/series/{series.id}"
    for rule in ("/typical", "/invite", "/questions"):
        answer = post_form(
            logged_in, page_url + rule, {"kind": "yes_no", "label": "Gut?"}, page=series_page
        )
        assert answer.status_code == 303
        assert answer.headers["Location"].endswith(page_url)
    for rule in ("/invite", ".csv"):
        assert logged_in.get(page_url + rule).headers["Location"].endswith(page_url)
    assert feedback.feedback_questions(series) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackReceipt)) == 0

    # the date's own feedback page works as any event's
    date_page = logged_in.get(f"/admin/events/{first.id}/feedback")
    assert date_page.status_code == 200
    assert 'id="feedback-count"' in date_page.get_data(as_text=True)


def test_a_course_booked_as_a_whole_keeps_its_feedback_page(logged_in, kinds):
    from tests.events.course_helpers import make_course

    course = make_course(kinds)
    html = logged_in.get(f"/admin/events/series/{course.id}/feedback").get_data(as_text=True)
    assert 'id="feedback-count"' in html and PER_DATE not in html


def test_the_operations_refuse_a_series_not_booked_as_a_whole(kinds):
    from events import feedback
    from events.errors import EventStateError

    series = _series(kinds, "dates")
    assert not feedback.has_own_feedback(series)
    assert feedback.has_own_feedback(series.events[0])
    for operation in (feedback.invite, feedback.add_typical):
        with pytest.raises(EventStateError, match="je Termin"):
            operation(series)


@pytest.mark.parametrize("scope", ["dates", "one_of"])
def test_the_api_answers_409_for_a_series_not_booked_as_a_whole(api, kinds, scope):
    series = _series(kinds, scope)
    path = f"/series/{series.id}/feedback"
    for method, url, body in (
        ("GET", path, None),
        ("POST", path + "/typical", {}),
        ("POST", path + "/invite", {"present_only": False}),
        ("GET", path + "/questions", None),
        ("POST", path + "/questions", {"kind": "yes_no", "label": "Gut?"}),
        ("PATCH", path + "/questions/1", {"label": "Gut?"}),
        ("DELETE", path + "/questions/1", None),
    ):
        response = api(method, url, json=body)
        assert error_fields(response, 409) == {}, (method, url)
        assert response.get_json()["error"]["message"].startswith(PER_DATE)
    english = api("GET", path, headers={"Accept-Language": "en"})
    assert english.get_json()["error"]["message"].startswith(
        "This series collects feedback per date"
    )
    # each date answers for itself
    assert api("GET", f"/events/{series.events[0].id}/feedback").status_code == 200
    assert api("GET", "/series/999999/feedback").status_code == 404


def test_the_api_documents_the_409(api):
    paths = api.document["paths"]
    for template, method in (
        ("/series/{series_id}/feedback", "get"),
        ("/series/{series_id}/feedback/typical", "post"),
        ("/series/{series_id}/feedback/questions", "get"),
        ("/series/{series_id}/feedback/questions/{feedback_question_id}", "delete"),
    ):
        operation = paths[template][method]
        assert "409" in operation["responses"], template
        assert "each of its dates" in operation["description"], template
