"""The editors' pages for CSV imports: upload, progress, report."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Response, jsonify, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import defer

from kkp.extensions import db
from kkp.forms import InputError
from kkp.views import saving
from newsletter import csvfile, importer, operations
from newsletter.admin.subscribers import bp, require_lists
from newsletter.forms import ImportForm, list_choices
from newsletter.models import ImportJob, ImportStatus, MailingList

IMPORT_STATUS_WORDS = {
    ImportStatus.QUEUED: _l("waiting to start"),
    ImportStatus.RUNNING: _l("running"),
    ImportStatus.DONE: _l("finished"),
    ImportStatus.FAILED: _l("failed"),
}


@bp.context_processor
def _words():
    return {"import_status_words": IMPORT_STATUS_WORDS}


def _import_page(form: ImportForm, status: int = 200):
    jobs = db.session.scalars(
        sa.select(ImportJob).order_by(ImportJob.id.desc()).limit(10).options(defer(ImportJob.data))
    ).all()
    return render_template(
        "admin/import.html",
        form=form,
        jobs=jobs,
        max_mb=importer.MAX_BYTES // (1024 * 1024),
        max_rows=csvfile.MAX_ROWS,
    ), status


@bp.route("/import", methods=["GET", "POST"])
def import_form():
    form = ImportForm()
    form.lists.choices = list_choices(operations.all_lists())
    if request.method == "GET" or not form.validate() or not require_lists(form):
        return _import_page(form, 200 if request.method == "GET" else 400)
    upload = form.file.data
    data = upload.stream.read(importer.MAX_BYTES + 1)
    with saving(form, default="file", refused=(InputError, csvfile.ImportFileError)) as saved:
        job = importer.create_import_job(
            data,
            filename=upload.filename or "",
            list_ids=form.lists.data,
            consent_evidence=form.consent_evidence.data or "",
            editor=current_user._get_current_object(),
        )
    if not saved:
        return _import_page(form, 400)
    return redirect(url_for(".import_job", job_id=job.id), code=303)


@bp.errorhandler(413)
def _upload_too_large(exc):
    """Bigger than even Flask takes (MAX_CONTENT_LENGTH): say so on the form."""
    # Raised while the CSRF check reads the body, before the login check has run.
    if request.endpoint != "newsletter_admin.import_form" or not current_user.is_authenticated:
        return render_template(
            "errors/error.html", status=413, message=_("The file is too large.")
        ), 413
    form = ImportForm(formdata=None)
    form.lists.choices = list_choices(operations.all_lists())
    form.file.errors = [_("The file is larger than 10 MB. Please split it into smaller files.")]
    return _import_page(form, 413)


def _job(job_id: int, *, with_rejected: bool = True) -> ImportJob:
    query = sa.select(ImportJob).where(ImportJob.id == job_id).options(defer(ImportJob.data))
    if not with_rejected:
        query = query.options(defer(ImportJob.rejected))
    return db.first_or_404(query)


def _progress(job: ImportJob) -> dict:
    """What the progress bar needs; polled every second, so the (possibly long) list of
    rejected rows is counted by the database instead of being loaded."""
    rejected = db.session.scalar(
        sa.select(sa.func.json_array_length(ImportJob.rejected)).where(ImportJob.id == job.id)
    )
    return {
        "status": job.status,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "imported": job.imported,
        "updated": job.updated,
        "rejected": rejected or 0,
        "finished": job.status in (ImportStatus.DONE, ImportStatus.FAILED),
        "text": _(
            "%(done)s of %(total)s rows",
            done=format_number(job.processed_rows),
            total=format_number(job.total_rows),
        ),
    }


#: rejected rows listed on the page; all of them are in the CSV download
SHOWN_REJECTIONS = 2000


@bp.get("/import/<int:job_id>")
def import_job(job_id: int):
    job = _job(job_id)
    lists = db.session.scalars(
        sa.select(MailingList)
        .where(MailingList.id.in_(job.list_ids or []))
        .order_by(MailingList.position)
    ).all()
    rejected = [
        (entry["row"], csvfile.reason_text(entry))
        for entry in (job.rejected or [])[:SHOWN_REJECTIONS]
    ]
    return render_template(
        "admin/import_job.html",
        job=job,
        lists=lists,
        rejected=rejected,
        skipped=_skipped(job),
        progress=_progress(job),
        shown=SHOWN_REJECTIONS,
    )


def _skipped(job: ImportJob) -> list[tuple[str, int]]:
    """(reason, how many people) for each reason the import left people as they were."""
    counts = dict(job.skipped or {})
    counts["suppressed"] = sum(1 for e in job.rejected or [] if e.get("code") == "suppressed")
    return [
        (str(text), counts[code])
        for code, text in importer.SKIP_REASONS.items()
        if counts.get(code)
    ]


@bp.get("/import/<int:job_id>.json")
def import_job_json(job_id: int):
    return jsonify(_progress(_job(job_id, with_rejected=False)))


@bp.get("/import/<int:job_id>/rejected.csv")
def import_rejected_csv(job_id: int):
    job = _job(job_id)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Row"), _("Reason")])
    writer.writerows([e["row"], csvfile.reason_text(e)] for e in job.rejected or [])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-abgelehnt.csv"'},
    )
