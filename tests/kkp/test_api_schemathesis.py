"""schemathesis over the generated OpenAPI document: for every operation a few requests
made from its schemas, valid ones and invalid ones, with a valid token, some on objects
that exist; none may end in a 5xx, and every answer must match what the document says
of it."""

from __future__ import annotations

import io

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from events.course_models import Certificate
from events.operations import ensure_default_kinds
from kkp.db import utcnow
from kkp.extensions import db
from tests.api_client import PREFIX, Api, api_token

#: long (every operation, positive and negative cases): run once, in the PostgreSQL pass
pytestmark = pytest.mark.once_in_postgresql

#: requests per operation and mode: enough to reach each field's checks, few enough
#: for the whole test to stay near 30 s
EXAMPLES = 2
CHECKS = [not_a_server_error, response_schema_conformance]


def _made(api: Api, path: str, body: dict) -> int:
    response = api("POST", path, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def existing(client, editor, lists) -> tuple[str, dict[str, int]]:
    """A token, and the ids of one object of each kind, by path parameter name."""
    ensure_default_kinds()
    db.session.commit()
    secret = api_token(editor["id"])
    api = Api(client, secret)
    list_id = lists["kkp-kompakt"]
    issue_id = _made(api, "/issues", {"number": "1/2026", "title": "T", "list_ids": [list_id]})
    event_id = _made(
        api,
        "/events",
        {
            "kind": "fortbildung",
            "title": "Fortbildung",
            "start": "2030-05-12T10:00",
            "end": "2030-05-12T12:00",
            "venue": "Rathaus",
        },
    )
    assert api("POST", f"/events/{event_id}/publish").status_code == 200
    course_id = _made(api, "/series", {"title": "Kurs", "registration_scope": "course"})
    course_date = _made(
        api,
        "/events",
        {
            "kind": "fortbildung",
            "title": "Kurs",
            "start": "2030-05-19T10:00",
            "end": "2030-05-19T12:00",
            "venue": "Rathaus",
            "series_id": course_id,
        },
    )
    assert api("POST", f"/events/{course_date}/publish").status_code == 200
    booking_id = _made(
        api, f"/series/{course_id}/bookings", {"name": "Carla", "email": "carla@example.org"}
    )
    scan = api(
        "POST",
        f"/events/{event_id}/attendance/scans",
        data={"scan": (io.BytesIO(b"%PDF-1.4\n"), "scan.pdf")},
        content_type="multipart/form-data",
    )
    assert scan.status_code == 201, scan.get_json()
    certificate = Certificate(
        number="2026-0001-ABCDEFG",
        series_id=course_id,
        booking_id=booking_id,
        holder_name="Carla",
        holder_check="",
        title="Kurs",
        issued_at=utcnow(),
    )
    db.session.add(certificate)
    db.session.commit()
    ids = {
        "scan_id": scan.get_json()["id"],
        "certificate_id": certificate.id,
        "list_id": list_id,
        "subscriber_id": _made(
            api, "/subscribers", {"email": "anna@example.org", "lists": [list_id]}
        ),
        "issue_id": issue_id,
        "article_id": _made(api, f"/issues/{issue_id}/articles", {"title": "Artikel"}),
        "series_id": course_id,
        "booking_id": booking_id,
        "event_id": event_id,
        "material_id": _made(
            api, f"/events/{event_id}/materials", {"title": "Folien", "url": "https://example.org"}
        ),
        "feedback_question_id": _made(
            api,
            f"/events/{event_id}/feedback/questions",
            {"kind": "short_text", "label": "Was nehmen Sie mit?"},
        ),
        "registration_id": _made(
            api,
            f"/events/{event_id}/registrations",
            {"name": "Bernd", "email": "bernd@example.org"},
        ),
        "question_id": _made(
            api, f"/events/{event_id}/questions", {"kind": "yes_no", "label": "Parkplatz?"}
        ),
        "offer_id": _made(api, f"/events/{event_id}/consents", {"text": "Fotos"}),
    }
    return secret, ids


@pytest.fixture
def unlimited(app):
    limit = app.config["KKP_API_LIMIT"]
    app.config["KKP_API_LIMIT"] = "100000 per minute"
    yield
    app.config["KKP_API_LIMIT"] = limit


def test_no_operation_answers_5xx_or_off_its_schema(app, existing, unlimited):
    secret, ids = existing
    schema = schemathesis.openapi.from_wsgi(PREFIX + "/openapi.json", app)
    headers = {"Authorization": f"Bearer {secret}"}

    def on_existing(case):
        case.path_parameters = {name: ids[name] for name in case.path_parameters or {}}
        return case

    # reading first, deleting last: the objects stay there for as many as can use them
    order = {"GET": 0, "PATCH": 1, "POST": 2, "DELETE": 3}
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: order[operation.method.upper()],
    )
    assert len(operations) > 40
    for operation in operations:
        cases = st.one_of(
            [
                operation.as_strategy(generation_mode=mode).map(on_existing)
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            ]
            + [operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)]
        )

        @settings(
            max_examples=2 * EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests on every run
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases)
        def check(case):
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            finally:
                db.session.rollback()

        check()
