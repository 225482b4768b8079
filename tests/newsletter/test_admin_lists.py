"""The editors' list pages: counts, creating and editing, short names checked."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from kkp.auth.models import AuditEntry
from kkp.extensions import db
from newsletter.models import MailingList
from newsletter.operations import add_subscriber
from tests.helpers import post_form


def test_lists_show_confirmed_and_pending_counts(logged_in, lists):
    for i in range(3):
        add_subscriber(
            email=f"c{i}@example.org",
            list_ids=[lists["fortbildungen"]],
            consent_evidence="Liste Fachtag",
        )
    add_subscriber(email="p@example.org", list_ids=[lists["fortbildungen"], lists["intern"]])
    db.session.commit()
    html = logged_in.get("/admin/lists").get_data(as_text=True)
    row = html.split("Fortbildungen</td>")[1].split("</tr>")[0]
    assert f'list={lists["fortbildungen"]}&amp;status=confirmed">3</a>' in row
    assert f'list={lists["fortbildungen"]}&amp;status=pending">1</a>' in row
    assert "Lenkungsgruppe intern" in html


def test_create_a_list(logged_in, lists):
    response = post_form(
        logged_in,
        "/admin/lists",
        {
            "name": "Elternabende",
            "slug": "elternabende-2026",
            "description": "Termine",
            "is_public": "y",
        },
    )
    assert response.status_code == 303
    created = db.session.scalar(
        sa.select(MailingList).where(MailingList.slug == "elternabende-2026")
    )
    assert (created.name, created.description, created.is_public) == (
        "Elternabende",
        "Termine",
        True,
    )
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "list.create", AuditEntry.object_id == created.id
        )
    )
    assert entry.editor.email == "redaktion@kkp.test"
    assert "Elternabende" in logged_in.get("/admin/lists").get_data(as_text=True)


@pytest.mark.parametrize("slug", ["Große Liste", "UPPER", "a_b", "-start", "end-", "ä", "a--b"])
def test_bad_short_names_are_refused(logged_in, lists, slug):
    response = post_form(logged_in, "/admin/lists", {"name": "Neue Liste", "slug": slug})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="slug-error"' in html and 'value="Neue Liste"' in html
    assert db.session.scalar(sa.select(sa.func.count(MailingList.id))) == len(lists)


def test_a_short_name_in_use_is_refused(logged_in, lists):
    logged_in.set_cookie("kkp_lang", "en")
    response = post_form(logged_in, "/admin/lists", {"name": "Doppelt", "slug": "fortbildungen"})
    assert response.status_code == 400
    assert "Another list already has this short name." in response.get_data(as_text=True)
    edit = post_form(
        logged_in, f"/admin/lists/{lists['intern']}", {"name": "Intern", "slug": "kkp-kompakt"}
    )
    assert edit.status_code == 400
    assert db.session.get(MailingList, lists["intern"]).slug == "intern"


def test_edit_a_list(logged_in, lists):
    url = f"/admin/lists/{lists['netzwerktreffen']}"
    page = logged_in.get(url).get_data(as_text=True)
    assert 'value="netzwerktreffen"' in page
    # Keeping its own short name is fine; unticking the box hides it from the form.
    response = post_form(
        logged_in,
        url,
        {"name": "Netzwerktreffen Nord", "slug": "netzwerktreffen", "description": ""},
    )
    assert response.status_code == 303
    db.session.expire_all()
    changed = db.session.get(MailingList, lists["netzwerktreffen"])
    assert (changed.name, changed.is_public) == ("Netzwerktreffen Nord", False)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "list.update"))
    assert sorted(entry.details["fields"]) == ["is_public", "name"]
    assert "Netzwerktreffen Nord" not in logged_in.get("/subscribe").get_data(as_text=True)
    assert logged_in.get("/admin/lists/9999").status_code == 404


def test_editors_publish_a_new_consent_text_version(logged_in, lists, client):
    from newsletter.operations import current_consent_text
    from tests.helpers import csrf_token
    from tests.newsletter.test_signup_flow import subscribe

    page = logged_in.get("/admin/consent").get_data(as_text=True)
    assert "Einwilligungstext, Version 1." in page
    short = logged_in.post(
        "/admin/consent", data={"text": "zu kurz", "csrf_token": csrf_token(page)}
    )
    assert short.status_code == 400
    new_text = "Neue Fassung: Wir verarbeiten Ihre Adresse für den Versand. Widerruf jederzeit."
    saved = logged_in.post(
        "/admin/consent", data={"text": new_text, "csrf_token": csrf_token(page)}
    )
    assert saved.status_code == 303
    assert current_consent_text().version == 2
    form = logged_in.get("/subscribe").get_data(as_text=True)
    assert new_text in form and 'name="consent_version" type="hidden" value="2"' in form
    # Someone who loaded the form before the change keeps the version they saw.
    subscribe(client, email="alt@example.org", lists=[lists["kkp-kompakt"]], consent_version="1")
    import sqlalchemy as sa

    from kkp.extensions import db
    from newsletter.models import ConsentEvent

    assert db.session.scalar(sa.select(ConsentEvent.consent_version)) == 1


def test_lists_keep_their_sign_up_order_unless_sorted(logged_in, lists):
    logged_in.set_cookie("kkp_lang", "en")
    for i in range(2):
        add_subscriber(
            email=f"c{i}@example.org", list_ids=[lists["intern"]], consent_evidence="Liste"
        )
    add_subscriber(email="p@example.org", list_ids=[lists["netzwerktreffen"]])
    db.session.commit()

    def names(address: str) -> list[str]:
        response = logged_in.get(address)
        assert response.status_code == 200
        table = response.get_data(as_text=True).split('<table id="lists"')[1]
        return re.findall(r"<tr>\s*<td>([^<]+)</td>", table)

    signup_order = ["KKP Kompakt", "Fortbildungen", "Netzwerktreffen", "Lenkungsgruppe intern"]
    page = logged_in.get("/admin/lists").get_data(as_text=True)
    assert "in their order on the public sign-up form" in page and "aria-sort" not in page
    assert names("/admin/lists") == signup_order
    assert names("/admin/lists?sort=name&dir=asc") == sorted(signup_order)
    assert names("/admin/lists?sort=name&dir=desc") == sorted(signup_order, reverse=True)
    assert names("/admin/lists?sort=confirmed&dir=desc")[0] == "Lenkungsgruppe intern"
    assert names("/admin/lists?sort=pending&dir=desc")[0] == "Netzwerktreffen"
    page = logged_in.get("/admin/lists?sort=confirmed&dir=desc").get_data(as_text=True)
    assert 'aria-sort="descending"' in page
    assert 'href="/admin/lists?sort=confirmed&amp;dir=asc"' in page
    assert 'href="/admin/lists">Show them in that order</a>' in page
    assert names("/admin/lists?sort=position&dir=up&page=x") == signup_order  # ignored
