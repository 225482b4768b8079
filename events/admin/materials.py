"""The editors' page of an event's or a course's (series') materials: list, add a
link, upload a file, delete, move up and down, and send the follow-up mail
(/admin/events/<id>/materials, /admin/events/series/<id>/materials). The rules are
:mod:`events.materials`' and :mod:`events.follow_up`'s."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField

from events import follow_up, materials
from events.admin.events import bp
from events.material_models import MaterialKind
from events.models import Event, EventSeries
from kkp.db import utcnow
from kkp.extensions import db
from kkp.forms import ConfirmForm
from kkp.headers import stored_file
from kkp.views import Confirmation, confirm_page, saving

EVENT = {"owner": "event"}
SERIES = {"owner": "series"}


class LinkForm(FlaskForm):
    title = StringField(_l("Title"))
    url = StringField(_l("Address (https://…)"))


class FileForm(FlaskForm):
    title = StringField(_l("Title (optional: the file's name)"))
    file = FileField(_l("File"))


def _owner(owner: str, owner_id: int) -> Event | EventSeries:
    return db.get_or_404(Event if owner == "event" else EventSeries, owner_id)


def _url(owner_obj, endpoint: str = ".materials_page", anchor: str | None = None, **args) -> str:
    owner = "event" if isinstance(owner_obj, Event) else "series"
    return url_for(endpoint, owner=owner, owner_id=owner_obj.id, _anchor=anchor, **args)


def _route(rule: str, **options):
    """The same view for an event's and a series' page."""

    def register(view):
        bp.route("/<int:owner_id>" + rule, defaults=EVENT, **options)(view)
        bp.route("/series/<int:owner_id>" + rule, defaults=SERIES, **options)(view)
        return view

    return register


def _render(owner_obj, *, link_form=None, file_form=None, status=200):
    now = utcnow()
    start = materials.begins_at(owner_obj)
    return render_template(
        "admin/events/materials.html",
        owner=owner_obj,
        event=owner_obj if isinstance(owner_obj, Event) else None,
        series=owner_obj if isinstance(owner_obj, EventSeries) else None,
        materials=materials.materials_of(owner_obj),
        link_form=link_form or LinkForm(formdata=None, prefix="link"),
        file_form=file_form or FileForm(formdata=None, prefix="upload"),
        begun=start is not None and start <= now,
        waiting_all=len(follow_up.recipients(owner_obj)),
        waiting_present=len(follow_up.recipients(owner_obj, present_only=True)),
        button=ConfirmForm(),
        MaterialKind=MaterialKind,
    ), status


@_route("/materials")
def materials_page(owner: str, owner_id: int):
    return _render(_owner(owner, owner_id))


@_route("/materials/links", methods=["POST"])
def material_link_add(owner: str, owner_id: int):
    owner_obj = _owner(owner, owner_id)
    form = LinkForm(prefix="link")
    with saving(form, default="url", valid=form.validate()) as saved:
        materials.add_link(owner_obj, form.title.data or "", form.url.data or "")
    if saved:
        flash(_("The link was added."), "success")
        return redirect(_url(owner_obj, anchor="materials"), 303)
    return _render(owner_obj, link_form=form, status=422)


@_route("/materials/files", methods=["POST"])
def material_file_add(owner: str, owner_id: int):
    owner_obj = _owner(owner, owner_id)
    form = FileForm(prefix="upload")
    upload = form.file.data
    data = upload.read(materials.MAX_BYTES + 1) if upload else b""
    with saving(form, default="file", valid=form.validate()) as saved:
        materials.add_file(
            owner_obj, form.title.data or "", upload.filename if upload else "", data
        )
    if saved:
        flash(_("The file was uploaded."), "success")
        return redirect(_url(owner_obj, anchor="materials"), 303)
    return _render(owner_obj, file_form=form, status=422)


@_route("/materials/<int:material_id>")
def material_download(owner: str, owner_id: int, material_id: int):
    material = materials.material_of(_owner(owner, owner_id), material_id)
    if material is None or material.kind != MaterialKind.FILE:
        abort(404)
    return stored_file(material.data, material.content_type, material.filename)


@_route("/materials/<int:material_id>/move", methods=["POST"])
def material_move(owner: str, owner_id: int, material_id: int):
    owner_obj = _owner(owner, owner_id)
    if ConfirmForm().validate():
        with saving():
            step = -1 if request.form.get("to") == "up" else 1
            materials.move_material(owner_obj, material_id, step)
    return redirect(_url(owner_obj, anchor=f"material-{material_id}"), 303)


@_route("/materials/<int:material_id>/delete", methods=["GET", "POST"])
def material_delete(owner: str, owner_id: int, material_id: int):
    owner_obj = _owner(owner, owner_id)
    material = materials.material_of(owner_obj, material_id)
    if material is None:
        return redirect(_url(owner_obj, anchor="materials"), 303)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            materials.delete_material(owner_obj, material_id)
        if saved:
            flash(_("The material was deleted."), "success")
        return redirect(_url(owner_obj, anchor="materials"), 303)
    return confirm_page(
        Confirmation(
            title=_("Delete material"),
            question=_("Delete “%(title)s”?", title=material.title),
            back=_url(owner_obj, anchor=f"material-{material.id}"),
            back_label=_("No, back to the materials"),
            button=_("Yes, delete it"),
            notes=[_("Participants no longer find it on their page.")],
        )
    )


@_route("/materials/follow-up", methods=["GET", "POST"])
def material_follow_up(owner: str, owner_id: int):
    """A confirm page naming how many get the mail; its button sends it."""
    owner_obj = _owner(owner, owner_id)
    present_only = request.values.get("present") == "1"
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        with saving() as saved:
            sent = follow_up.send_follow_up(owner_obj, utcnow(), present_only=present_only)
        if saved:
            flash(
                ngettext(
                    "The follow-up mail goes to %(num)d person.",
                    "The follow-up mail goes to %(num)d people.",
                    sent,
                ),
                "success",
            )
        return redirect(_url(owner_obj, anchor="follow-up"), 303)
    count = len(follow_up.recipients(owner_obj, present_only=present_only))
    if count:
        touches = ngettext(
            "%(num)d person gets it; nobody gets it twice.",
            "%(num)d people get it; nobody gets it twice.",
            count,
        )
    else:
        touches = _("Nobody is left to get it: everyone has it already.")
    return confirm_page(
        Confirmation(
            title=_("Send the follow-up mail"),
            question=_("Send the follow-up mail with the materials?"),
            back=_url(owner_obj, anchor="follow-up"),
            back_label=_("No, back to the materials"),
            button=_("Yes, send it") if count else None,
            danger=False,
            lead=[
                _("Only the participants marked present.")
                if present_only
                else _("All confirmed participants.")
            ],
            touches=touches,
            hidden=[("present", "1")] if present_only else [],
        )
    )
