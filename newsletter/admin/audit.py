"""The newsletter's objects in the audit log: by name, linked to their editors' pages.
Subscribers by number only: the audit log shows no addresses."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from kkp.auth.audit_log import register_names
from kkp.extensions import db
from newsletter.models import ImportJob, Issue, MailingList, Subscriber
from people.models import Bounce


def _lists(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(
        sa.select(MailingList.id, MailingList.name).where(MailingList.id.in_(ids))
    )
    return {i: (name, url_for("newsletter_admin.edit_list", list_id=i)) for i, name in rows}


def _issues(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(
        sa.select(Issue.id, Issue.number, Issue.title).where(Issue.id.in_(ids))
    )
    return {
        i: (f"{number}: {title}", url_for("newsletter_admin.issue_edit", issue_id=i))
        for i, number, title in rows
    }


def _subscribers(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    found = db.session.scalars(sa.select(Subscriber.id).where(Subscriber.id.in_(ids)))
    return {
        i: (_("no. %(id)s", id=i), url_for("newsletter_admin.subscriber", subscriber_id=i))
        for i in found
    }


def _imports(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(
        sa.select(ImportJob.id, ImportJob.filename).where(ImportJob.id.in_(ids))
    )
    return {
        i: (name or _("no. %(id)s", id=i), url_for("newsletter_admin.import_job", job_id=i))
        for i, name in rows
    }


def _bounces(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    found = db.session.scalars(sa.select(Bounce.id).where(Bounce.id.in_(ids)))
    return {
        i: (_("bounce no. %(id)s", id=i), url_for("newsletter_admin.bounces_page")) for i in found
    }


register_names("MailingList", _lists)
register_names("Bounce", _bounces)
register_names("Issue", _issues)
register_names("Subscriber", _subscribers)
register_names("ImportJob", _imports)
