"""The editors' attendance page of a date, made for a tablet at the door or a phone:
who came (a tap per participant; without JavaScript each tap is a form post that
comes back to the row, with :file:`kkp/static/attendance.js` it changes in place),
the scans of the signed sheet, and the sign-in sheet to print."""

from __future__ import annotations

import io

from flask import Response, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from events import attendance, attendance_scans
from events.admin.events import bp, event_or_404
from events.models import AttendanceStatus, Registration
from kkp.db import utcnow
from kkp.extensions import db
from kkp.forms import ConfirmForm
from kkp.views import Confirmation, confirm_page, saving

#: the buttons of a row, in order: the mark and its words
MARKS = (
    (AttendanceStatus.PRESENT, _l("present")),
    (AttendanceStatus.ABSENT, _l("absent")),
    (AttendanceStatus.EXCUSED, _l("excused")),
)


class ScanForm(FlaskForm):
    scan = FileField(_l("Scan of the signed sheet"))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _page(event, *, scan_form=None, status=200):
    q = request.args.get("q", "")[:200]
    now = utcnow()
    return render_template(
        "admin/events/attendance.html",
        event=event,
        q=q,
        people=attendance.confirmed(event.id, q),
        counts=attendance.counts(event.id),
        refusal=attendance.refusal(event, now),
        marks=MARKS,
        scans=attendance_scans.scans(event.id),
        scan_form=scan_form or ScanForm(formdata=None),
    ), status


def _here(event, q: str = "", anchor: str | None = None):
    args = {"q": q} if q else {}
    return redirect(url_for(".attendance", event_id=event.id, _anchor=anchor, **args), 303)


@bp.get("/<int:event_id>/attendance", endpoint="attendance")
def attendance_page(event_id: int):
    return _page(event_or_404(event_id))


@bp.post("/<int:event_id>/attendance/<int:registration_id>")
def attendance_mark(event_id: int, registration_id: int):
    """One tap: `status` present, absent, excused, or empty to take the mark back."""
    event = event_or_404(event_id)
    registration = db.get_or_404(Registration, registration_id)
    if registration.event_id != event.id:
        return Response(status=404)
    q = request.form.get("q", "")[:200]
    status = request.form.get("status", "")
    if not ConfirmForm().validate_on_submit() or status not in ("", *AttendanceStatus):
        if _wants_json():
            return jsonify(error=_("The tap was not understood; please reload the page.")), 400
        flash(_("The tap was not understood; please try again."), "error")
        return _here(event, q, f"r-{registration_id}")
    with saving(quiet=_wants_json()) as saved:
        attendance.mark(registration.id, status or None, utcnow())
    if _wants_json():
        if not saved:
            return jsonify(error=str(saved.error)), 409
        return jsonify(registration_json(registration, attendance.counts(event.id)))
    return _here(event, q, f"r-{registration.id}")


def registration_json(registration: Registration, counts: attendance.AttendanceCounts) -> dict:
    """What the page's script needs after a tap: the row's mark and the counts."""
    return {
        "id": registration.id,
        "attendance": registration.attendance,
        "counts": counts.as_json(),
    }


@bp.get("/<int:event_id>/sign-in.pdf")
def sign_in_pdf(event_id: int):
    event = event_or_404(event_id)
    data = attendance.sign_in_pdf(event)
    db.session.commit()
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="unterschriften-{event.slug}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/<int:event_id>/attendance/scans")
def attendance_scan_upload(event_id: int):
    event = event_or_404(event_id)
    form = ScanForm()
    if form.validate():
        upload = form.scan.data
        data = upload.read(attendance_scans.MAX_BYTES + 1) if upload else b""
        with saving(form, default="scan") as saved:
            attendance_scans.add_scan(event, upload.filename if upload else "", data)
        if saved:
            flash(_("The scan was uploaded."), "success")
            return _here(event, anchor="scans")
    return _page(event, scan_form=form, status=422)


@bp.get("/<int:event_id>/attendance/scans/<int:scan_id>")
def attendance_scan(event_id: int, scan_id: int):
    scan = attendance_scans.scan_of(event_or_404(event_id).id, scan_id)
    if scan is None:
        return Response(status=404)
    response = send_file(
        io.BytesIO(scan.data),
        mimetype=scan.content_type,
        as_attachment=True,
        download_name=scan.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:event_id>/attendance/scans/<int:scan_id>/delete", methods=["GET", "POST"])
def attendance_scan_delete(event_id: int, scan_id: int):
    event = event_or_404(event_id)
    scan = attendance_scans.scan_of(event.id, scan_id)
    if scan is None:
        return _here(event, anchor="scans")
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            attendance_scans.delete_scan(event, scan_id)
        if saved:
            flash(_("The scan was deleted."), "success")
        return _here(event, anchor="scans")
    return confirm_page(
        Confirmation(
            title=_("Delete scan"),
            question=_("Delete the scan “%(name)s”?", name=scan.filename),
            lead=[event.title],
            button=_("Yes, delete"),
            back=url_for(".attendance", event_id=event.id, _anchor="scans"),
            back_label=_("No, back to attendance"),
        )
    )
