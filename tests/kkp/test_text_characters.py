"""Control and other invisible characters in text fields (C1 controls, line and
paragraph separators, bidirectional overrides): refused with a clear message at every
entrance, and the API's schema refuses exactly what the API refuses."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from kkp.extensions import db
from kkp.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, text_problem
from newsletter.models import Issue, Subscriber
from tests.api_client import Api, api_token
from tests.newsletter.test_signup_flow import subscribe

INVISIBLE = "Dieser Text enthält unsichtbare Steuerzeichen"
#: NEL and CSI (C1), line separator, right-to-left override, left-to-right isolate
SAMPLES = ["\x85", "\x9b", "\u2028", "\u202e", "\u2066"]


@pytest.fixture
def api(client, editor):
    return Api(client, api_token(editor["id"]))


@pytest.mark.parametrize("char", SAMPLES)
@pytest.mark.parametrize("field", ["name", "organisation"])
def test_the_sign_up_form_refuses_them(client, lists, field, char):
    response = subscribe(client, lists=[lists["kkp-kompakt"]], **{field: f"Anna{char}Beispiel"})
    assert response.status_code == 400
    assert INVISIBLE in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


@pytest.mark.parametrize("char", SAMPLES)
def test_the_api_refuses_them_in_names_titles_and_texts(api, lists, char):
    person = api("POST", "/subscribers", json={"email": "a@example.org", "name": f"A{char}"})
    assert person.get_json()["error"]["fields"]["name"].startswith(INVISIBLE)
    issue = api("POST", "/issues", json={"number": "1/2026", "title": f"Titel{char}"})
    assert issue.get_json()["error"]["fields"]["title"].startswith(INVISIBLE)
    intro = api("POST", "/issues", json={"number": "1", "title": "T", "intro": f"a\n{char}"})
    assert intro.get_json()["error"]["fields"]["intro"].startswith(INVISIBLE)
    assert db.session.scalar(sa.select(sa.func.count(Issue.id))) == 0


@pytest.mark.parametrize("char", SAMPLES)
def test_events_refuse_them(ctx, char):
    from events.operations import EventError, EventInput, create_event, ensure_default_kinds, kinds

    ensure_default_kinds()
    with pytest.raises(EventError) as refused:
        create_event(EventInput(kind_id=kinds()[0].id, title=f"Treffen{char}1", venue="Rathaus"))
    assert refused.value.errors["title"].startswith(INVISIBLE)


@pytest.mark.parametrize("char", SAMPLES)
def test_the_composer_refuses_them_in_titles(logged_in, lists, char):
    from newsletter import issues
    from tests.newsletter.test_admin_issues import current_form, post_composer

    issue = issues.create_issue(number="1/2026", title="Titel", list_ids=[lists["kkp-kompakt"]])
    issues.add_article(issue, title="Artikel", body="Text")
    db.session.commit()
    issue_id = issue.id
    data = current_form(issue_id)
    data["articles-0-title"] = f"Arti{char}kel"
    response = post_composer(logged_in, f"/admin/issues/{issue_id}", data)
    assert response.status_code == 422
    error = response.get_data(as_text=True).split('id="articles-0-title-error"')[1]
    assert error.split("</")[0].strip(' >"').startswith(INVISIBLE)


@pytest.mark.parametrize("char", SAMPLES)
def test_a_list_name_refuses_them(ctx, char):
    from newsletter.operations import SubscriptionError, create_list

    with pytest.raises(SubscriptionError) as refused:
        create_list(f"Liste{char}1", slug="liste")
    assert (refused.value.field, str(refused.value)[:45]) == ("name", INVISIBLE)


@pytest.mark.parametrize("char", SAMPLES)
def test_an_import_rejects_the_row(char):
    from newsletter import csvfile

    csv_file = csvfile.read_csv(f"E-Mail;Name\r\na@example.org;Anna{char}B\r\n".encode())
    assert csvfile.check_row(csv_file, next(csv_file.rows())[1]) == "control_characters"


# -- the schema and the checks agree ---------------------------------------------------------

#: every control and format character below U+3000, a few printable neighbours, and
#: what people do write: umlauts, a soft hyphen, an emoji with a joiner
CANDIDATES = [chr(c) for c in range(0x3000)] + ["\ufeff", "👩\u200d🚒", "\U0001f600"]


@pytest.mark.parametrize(
    "pattern, multi_line", [(SINGLE_LINE_PATTERN, False), (MULTI_LINE_PATTERN, True)]
)
def test_the_patterns_refuse_exactly_what_the_checks_refuse(pattern, multi_line):
    compiled = re.compile(pattern)
    for candidate in CANDIDATES:
        text = f"Müller{candidate}Straße"
        refused = text_problem(text, multi_line=multi_line) is not None
        assert (compiled.search(text) is None) == refused, repr(candidate)


def _property(document: dict, schema: str, name: str) -> dict:
    return {
        **document["components"]["schemas"][schema]["properties"][name],
        "components": document["components"],
    }


FIELDS = [
    ("SubscriberCreate", "name", "/subscribers", {"email": "a@example.org"}),
    ("SubscriberCreate", "organisation", "/subscribers", {"email": "a@example.org"}),
    ("IssueCreate", "title", "/issues", {"number": "1/2026"}),
    ("IssueCreate", "intro", "/issues", {"number": "1/2026", "title": "T"}),
    ("ListCreate", "name", "/lists", {"slug": "liste"}),
]


@pytest.mark.parametrize("schema, name, path, rest", FIELDS)
@pytest.mark.parametrize("char", ["\x01", "\n", "\t", "\x7f", *SAMPLES, "\u00ad", "é", "😀"])
def test_the_api_document_refuses_what_the_api_refuses(api, lists, schema, name, path, rest, char):
    value = f"Wert{char}Wert"
    validator = Draft202012Validator(_property(api.document, schema, name))
    schema_refuses = not validator.is_valid(value)
    response = api("POST", path, json={**rest, name: value})
    api_refuses = response.status_code == 422 and name in response.get_json()["error"].get(
        "fields", {}
    )
    assert schema_refuses == api_refuses, (response.status_code, response.get_json())
    assert api_refuses == (text_problem(value, multi_line=name == "intro") is not None)
    db.session.rollback()


# -- every editor's form -------------------------------------------------------------------


class _Forms(HTMLParser):
    """The POST forms of a page: each form's fields with the values shown."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.fields: dict[str, str] | None = None
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.fields = {}
            self.forms.append(self.fields)
        if self.fields is None:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("file", "submit"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields.setdefault(name, a.get("value", ""))
        elif tag == "textarea" and name:
            self.fields[name] = ""
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in a:
            self.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.fields = None
        elif tag == "select":
            self.select = None


def _post_changed(client, url: str, field: str, value: str):
    """Post the page's form that has `field`, as shown, with `field` set to `value`."""
    parser = _Forms()
    parser.feed(client.get(url).get_data(as_text=True))
    [fields] = [form for form in parser.forms if field in form]
    return client.post(url, data={**fields, field: value})


@pytest.mark.parametrize("value", ["a\x00b", "a\x85b"])
@pytest.mark.parametrize(
    "page, field",
    [
        ("/admin/settings", "newsletter_name"),
        ("/admin/settings", "disclaimer"),
        ("/admin/settings", "call_for_contributions"),
        ("/admin/tokens", "name"),
        ("/admin/lists/{list}", "description"),
        ("/admin/events/series/{series}", "description"),
        ("/admin/issues/{issue}", "intro"),
        ("/admin/issues/{issue}", "articles-0-body"),
    ],
)
def test_the_editors_forms_refuse_them_in_every_text(logged_in, lists, page, field, value):
    """A NUL reached PostgreSQL from these (a 500); C1 controls were stored."""
    from events.models import EventSeries
    from newsletter import issues

    issue = issues.create_issue(number="1/2026", title="T", list_ids=[lists["kkp-kompakt"]])
    issues.add_article(issue, title="Artikel", body="Text")
    series = EventSeries(title="Reihe", slug="reihe", description="")
    db.session.add(series)
    db.session.commit()
    url = page.format(list=lists["kkp-kompakt"], series=series.id, issue=issue.id)
    response = _post_changed(logged_in, url, field, value)
    assert response.status_code in (400, 422)
    message = INVISIBLE if value == "a\x85b" else "Steuerzeichen sind nicht erlaubt"
    assert message in response.get_data(as_text=True)
