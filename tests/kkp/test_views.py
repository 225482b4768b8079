"""The one pattern for a form post (kkp.views.saving) and the one confirm page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import StringField

from kkp.auth.models import AuditEntry
from kkp.auth.operations import audit
from kkp.extensions import db
from kkp.forms import InputError
from kkp.views import Confirmation, confirm_page, saving


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField()
    slug = StringField()


def stored() -> list[str]:
    return db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()


@pytest.fixture
def request_ctx(app, ctx):
    with app.test_request_context("/admin/", method="POST"):
        yield


def test_a_change_is_committed(request_ctx):
    with saving(NameForm()) as saved:
        audit("thing.change")
    assert saved and saved.error is None
    db.session.rollback()  # what was committed stays
    assert stored() == ["thing.change"]


def test_a_refusal_rolls_everything_back_and_shows_every_error(request_ctx):
    form = NameForm()
    with saving(form, default="slug") as saved:
        audit("thing.change")  # the first half of the change
        raise InputError("Name taken.", "name", {"name": "Name taken.", "other": "Too long."})
    assert not saved
    assert saved.error.field == "name"
    assert stored() == []
    assert form.name.errors == ["Name taken."]
    assert form.slug.errors == ["Too long."]  # a field the form lacks: at the default
    assert get_flashed_messages() == []


def test_a_message_for_no_field_goes_above_the_form(request_ctx):
    form = NameForm()
    with saving(form) as saved:
        raise InputError("Not now.")
    assert not saved
    assert form.form_errors == ["Not now."]


def test_without_a_form_the_refusal_is_flashed(request_ctx):
    with saving() as saved:
        audit("thing.change")
        raise InputError("Only drafts can be deleted.")
    assert not saved
    assert stored() == []
    assert get_flashed_messages(with_categories=True) == [("error", "Only drafts can be deleted.")]


def test_quiet_leaves_the_refusal_to_the_view(request_ctx):
    with saving(quiet=True) as saved:
        raise InputError("Conflict.")
    assert str(saved.error) == "Conflict."
    assert get_flashed_messages() == []


def test_an_invalid_form_rolls_back_what_the_operation_did(request_ctx):
    with saving(NameForm(), valid=False) as saved:
        audit("thing.change")
    assert not saved and saved.error is None
    assert stored() == []


def test_other_exceptions_pass_through(request_ctx):
    with pytest.raises(RuntimeError), saving(NameForm()):
        raise RuntimeError("a fault of ours")


def test_other_refusals_can_be_named(request_ctx):
    form = NameForm()
    with saving(form, default="name", refused=(InputError, KeyError)) as saved:
        raise KeyError("unknown")
    assert not saved
    assert form.name.errors == ["'unknown'"]


def test_the_confirm_page(app, ctx):
    with app.test_request_context("/admin/"):
        page, status = confirm_page(
            Confirmation(
                title="Delete <it>",
                question="Delete “A & B”?",
                lead=["What it is."],
                touches="3 people are told.",
                notes=["This cannot be undone."],
                button="Yes, delete",
                back="/admin/back",
                back_label="Cancel",
            )
        )
        plain = confirm_page(
            Confirmation(title="T", question="Q?", back="/admin/back", back_label="Back")
        )[0]
    assert status == 200
    assert "<title>Delete &lt;it&gt;" in page
    assert "<h1>Delete “A &amp; B”?</h1>" in page
    assert '<p id="confirm-touches">3 people are told.</p>' in page
    assert page.index("What it is.") < page.index("3 people") < page.index("cannot be undone")
    assert '<button type="submit" class="danger">Yes, delete</button>' in page
    assert '<a href="/admin/back">Cancel</a>' in page
    assert 'name="csrf_token"' in page
    # nothing to confirm: no form, only the way back
    assert "<main" in plain and 'class="actions"' not in plain
    assert '<p><a href="/admin/back">Back</a></p>' in plain
