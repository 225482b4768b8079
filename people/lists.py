"""Lists (topics), the versioned consent text of the sign-up form, and how a consent's
client address is kept (the newsletter's and the events' alike)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from kkp.auth.operations import audit
from kkp.extensions import db
from kkp.text import text_problem
from people.addresses import ConflictError, SubscriptionError
from people.models import CONSENT_PURPOSES, ConsentPurpose, ConsentText, MailingList


def public_lists() -> list[MailingList]:
    return db.session.scalars(
        sa.select(MailingList)
        .where(MailingList.is_public.is_(True))
        .order_by(MailingList.position, MailingList.name)
    ).all()


def all_lists() -> list[MailingList]:
    return db.session.scalars(
        sa.select(MailingList).order_by(MailingList.position, MailingList.name)
    ).all()


def lists_by_ids(ids: Iterable[int], *, public_only: bool) -> list[MailingList]:
    ids = {int(i) for i in ids}
    if not ids:
        return []
    query = sa.select(MailingList).where(MailingList.id.in_(ids))
    if public_only:
        query = query.where(MailingList.is_public.is_(True))
    found = db.session.scalars(query.order_by(MailingList.position, MailingList.name)).all()
    if len(found) != len(ids):
        raise SubscriptionError(_("Please choose from the lists shown."), "lists")
    return found


def current_consent_text(purpose: str = ConsentPurpose.NEWSLETTER) -> ConsentText | None:
    """The latest version of the text for `purpose` (see :data:`CONSENT_PURPOSES`)."""
    return db.session.scalar(
        sa.select(ConsentText)
        .where(ConsentText.purpose == purpose)
        .order_by(ConsentText.version.desc())
        .limit(1)
    )


def consent_text_version(
    version: int | None, purpose: str = ConsentPurpose.NEWSLETTER
) -> ConsentText | None:
    """Version `version` of the text for `purpose`, if there is one (old ones included)."""
    if version is None:
        return None
    text = db.session.get(ConsentText, version)
    return text if text is not None and text.purpose == purpose else None


def consent_text_versions(purpose: str = ConsentPurpose.NEWSLETTER) -> list[ConsentText]:
    """Every version for `purpose`, the newest first."""
    return db.session.scalars(
        sa.select(ConsentText)
        .where(ConsentText.purpose == purpose)
        .order_by(ConsentText.version.desc())
    ).all()


def publish_consent_text(text: str, purpose: str = ConsentPurpose.NEWSLETTER) -> ConsentText:
    """A new version for `purpose`; the old ones stay as they are (records point to them)."""
    if purpose not in CONSENT_PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}")
    latest = db.session.scalar(sa.select(sa.func.max(ConsentText.version)))
    version = ConsentText(version=(latest or 0) + 1, purpose=purpose, text=text.strip())
    db.session.add(version)
    db.session.flush()
    audit("consent_text.publish", None, version=version.version, purpose=purpose)
    return version


#: short names of lists, as they appear in links to the sign-up form
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _check_list(mailing_list: MailingList | None, values: dict) -> None:
    if "name" in values and not values["name"]:
        raise SubscriptionError(_("This field is required."), "name")
    if "name" in values and text_problem(values["name"]):
        raise SubscriptionError(text_problem(values["name"]), "name")
    if "description" in values and text_problem(values["description"], multi_line=True):
        raise SubscriptionError(text_problem(values["description"], multi_line=True), "description")
    if "slug" in values:
        if not SLUG.fullmatch(values["slug"]):
            raise SubscriptionError(
                _(
                    "Use only lower-case letters a–z, digits and hyphens, "
                    "e.g. “fortbildungen-2026”."
                ),
                "slug",
            )
        taken = sa.select(MailingList.id).where(MailingList.slug == values["slug"])
        if mailing_list is not None:
            taken = taken.where(MailingList.id != mailing_list.id)
        if db.session.scalar(taken) is not None:
            raise ConflictError(_("Another list already has this short name."), "slug")


def _flush_list() -> None:
    """Flush; a slug taken by a concurrent request a moment earlier is a conflict."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise ConflictError(_("Another list already has this short name."), "slug") from exc


def create_list(
    name: str, *, slug: str, description: str = "", is_public: bool = True, position: int = 0
) -> MailingList:
    values = {"name": name.strip(), "slug": slug.strip(), "description": description.strip()}
    _check_list(None, values)
    mailing_list = MailingList(**values, is_public=is_public, position=position)
    db.session.add(mailing_list)
    _flush_list()
    audit("list.create", mailing_list)
    return mailing_list


def update_list(mailing_list: MailingList, **changes) -> None:
    """Change some of name, slug, description, is_public, position."""
    allowed = {"name", "slug", "description", "is_public", "position"}
    if not set(changes) <= allowed:
        raise TypeError(f"unknown list fields: {', '.join(sorted(set(changes) - allowed))}")
    for key in ("name", "slug", "description"):
        if key in changes:
            changes[key] = changes[key].strip()
    _check_list(mailing_list, changes)
    changed = sorted(k for k, v in changes.items() if getattr(mailing_list, k) != v)
    for key in changed:
        setattr(mailing_list, key, changes[key])
    _flush_list()
    audit("list.update", mailing_list, fields=changed)


def recorded_ip(ip: str | None) -> str | None:
    """The client address `ip` as a consent record keeps it: only when KKP_RECORD_IP=1,
    for the newsletter's consent history and the events' consents alike."""
    return ip if current_app.config.get("KKP_RECORD_IP") else None
