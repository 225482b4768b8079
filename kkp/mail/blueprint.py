"""The local outbox in the editors' interface: what would have been sent."""

from __future__ import annotations

from email import message_from_bytes, policy

from flask import Blueprint, Response, abort, render_template

from kkp.auth.access import protect
from kkp.extensions import db
from kkp.headers import framed_mail
from kkp.mail import outbox as listing
from kkp.mail.models import OutboxMessage

bp = Blueprint("mail", __name__, url_prefix="/admin/outbox")
protect(bp)


@bp.get("/")
def outbox():
    flt = listing.read_filter()
    page = listing.outbox_page(flt)
    return render_template(
        "admin/outbox.html",
        flt=flt,
        page=page,
        kinds=sorted(((k, str(v)) for k, v in listing.KIND_WORDS.items()), key=lambda c: c[1]),
        kind_words=listing.kind_words,
    ), 400 if flt.errors else 200


def _parsed(message_id: int):
    stored = db.get_or_404(OutboxMessage, message_id)
    return stored, message_from_bytes(stored.raw, policy=policy.default)


@bp.get("/<int:message_id>")
def show(message_id: int):
    stored, parsed = _parsed(message_id)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    attachments = [
        {
            "index": i,
            "filename": part.get_filename() or f"part-{i}",
            "content_type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
        }
        for i, part in enumerate(parsed.walk())
        if part.get_content_disposition() == "attachment"
        or part.get_content_type() == "text/calendar"
    ]
    return render_template(
        "admin/outbox_message.html",
        stored=stored,
        headers=list(parsed.items()),
        text=text_part.get_content() if text_part else "",
        has_html=html_part is not None,
        kind=listing.kind_words(listing.kinds_of([stored.message_id]).get(stored.message_id)),
        attachments=attachments,
    )


@bp.get("/<int:message_id>/html")
def html(message_id: int):
    _stored, parsed = _parsed(message_id)
    part = parsed.get_body(preferencelist=("html",))
    if part is None:
        abort(404)
    # Shown in a sandboxed iframe: no scripts, no forms, nothing of ours reachable.
    return framed_mail(part.get_content())


@bp.get("/<int:message_id>/part/<int:index>")
def attachment(message_id: int, index: int):
    _stored, parsed = _parsed(message_id)
    parts = list(parsed.walk())
    if index >= len(parts):
        abort(404)
    part = parts[index]
    name = (part.get_filename() or f"part-{index}").replace('"', "")
    return Response(
        part.get_payload(decode=True) or b"",
        mimetype=part.get_content_type(),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/<int:message_id>/raw")
def raw(message_id: int):
    stored = db.get_or_404(OutboxMessage, message_id)
    return Response(stored.raw, mimetype="text/plain; charset=utf-8")
