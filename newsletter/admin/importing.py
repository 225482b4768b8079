"""The editors' pages for CSV imports, a wizard of plain form posts: upload, then the
first rows with a field for each column and what happens to people already
subscribed, then progress and the report."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Response, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import defer

from kkp.errors import error_response, wants_json
from kkp.extensions import db
from kkp.forms import InputError, options
from kkp.tables import Sorting, TextFilter
from kkp.views import saving
from newsletter import csvfile, import_columns, import_table, importer, operations
from newsletter.admin.subscribers import bp, require_lists
from newsletter.forms import EXISTING_CHOICES, ImportForm, ImportSetupForm, list_choices
from newsletter.models import ExistingPolicy, ImportJob, ImportStatus, MailingList

IMPORT_STATUS_WORDS = {
    ImportStatus.UPLOADED: _l("uploaded, not started"),
    ImportStatus.QUEUED: _l("waiting to start"),
    ImportStatus.RUNNING: _l("running"),
    ImportStatus.DONE: _l("finished"),
    ImportStatus.FAILED: _l("failed"),
}


@bp.context_processor
def _words():
    return {"import_status_words": IMPORT_STATUS_WORDS, "existing_words": dict(EXISTING_CHOICES)}


def _import_page(form: ImportForm, status: int = 200):
    flt = TextFilter.from_args(request.args)
    sorting = Sorting.from_args(request.args, import_table.COLUMNS)
    page = import_table.import_page(flt, sorting, request.args.get("page", type=int))
    return render_template(
        "admin/import.html",
        form=form,
        jobs=page.rows,
        page=page,
        flt=flt,
        sorting=sorting,
        rejected=import_table.rejected_counts(page.rows),
        max_mb=importer.MAX_BYTES // (1024 * 1024),
        max_rows=csvfile.MAX_ROWS,
    ), status


@bp.route("/import", methods=["GET", "POST"])
def import_form():
    form = ImportForm()
    if request.method == "GET" or not form.validate():
        return _import_page(form, 200 if request.method == "GET" else 400)
    upload = form.file.data
    data = upload.stream.read(importer.MAX_BYTES + 1)
    with saving(form, default="file", refused=(InputError, csvfile.ImportFileError)) as saved:
        job = importer.store_upload(
            data, filename=upload.filename or "", editor=current_user._get_current_object()
        )
    if not saved:
        return _import_page(form, 400)
    return redirect(url_for(".import_setup", job_id=job.id), code=303)


def _uploaded_job(job_id: int) -> ImportJob:
    job = db.first_or_404(sa.select(ImportJob).where(ImportJob.id == job_id))
    if job.status != ImportStatus.UPLOADED or job.data is None:
        abort(redirect(url_for(".import_job", job_id=job.id), code=303))
    return job


def _setup_page(form: ImportSetupForm, job: ImportJob, preview, errors: list[str], status=200):
    return render_template(
        "admin/import_setup.html",
        form=form,
        job=job,
        preview=preview,
        column_errors=errors,
        fields=import_columns.FIELDS,
    ), status


@bp.route("/import/<int:job_id>/setup", methods=["GET", "POST"])
def import_setup(job_id: int):
    """Step two: the first rows, a field for each column, what happens to people
    already subscribed, the lists; the post starts the job."""
    job = _uploaded_job(job_id)
    try:
        preview = import_columns.preview(job.data)
    except csvfile.ImportFileError:  # checked at the upload; rules changed since
        abort(redirect(url_for(".import_job", job_id=job.id), code=303))
    width = len(preview.header)
    if request.method == "GET":
        form = ImportSetupForm(data={"columns": preview.suggested})
    else:
        form = ImportSetupForm()
    while len(form.columns) < width:  # a forged post with fewer columns
        form.columns.append_entry("")
    choices = options((key, str(label)) for key, label in import_columns.FIELDS.items())
    for select in form.columns:
        select.choices = choices
    form.lists.choices = list_choices(operations.all_lists())
    form.existing.choices = options((k, str(v)) for k, v in EXISTING_CHOICES)
    if request.method == "GET":
        return _setup_page(form, job, preview, [])
    fields = [select.data or "" for select in form.columns]
    errors = import_columns.mapping_errors(fields, width)
    valid = form.validate()
    valid = require_lists(form) and valid
    if not valid or errors:
        return _setup_page(form, job, preview, errors, 400)
    with saving(form, default="lists", refused=InputError) as saved:
        importer.start_import_job(
            job,
            column_fields=fields,
            existing=ExistingPolicy(form.existing.data),
            list_ids=form.lists.data,
            consent_evidence=form.consent_evidence.data or "",
        )
    if not saved:
        return _setup_page(form, job, preview, [], 400)
    return redirect(url_for(".import_job", job_id=job.id), code=303)


@bp.errorhandler(413)
def _upload_too_large(exc):
    """Bigger than even Flask takes (MAX_CONTENT_LENGTH): say so on the form."""
    # Raised while the CSRF check reads the body, before the login check has run.
    if wants_json():  # the composer's picture upload
        return error_response(413)
    if request.endpoint != "newsletter_admin.import_form" or not current_user.is_authenticated:
        return render_template(
            "errors/error.html", status=413, message=_("The file is too large.")
        ), 413
    form = ImportForm(formdata=None)
    form.file.errors = [_("The file is larger than 10 MB. Please split it into smaller files.")]
    return _import_page(form, 413)


def _job(job_id: int, *, with_rejected: bool = True) -> ImportJob:
    # read afresh: the job moves on in a worker while the page polls it, and a session
    # that outlives a request (one app context around several) would show it as it was
    query = (
        sa.select(ImportJob)
        .where(ImportJob.id == job_id)
        .options(defer(ImportJob.data))
        .execution_options(populate_existing=True)
    )
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
        # each row is new, updated, rejected, or a person left as she was
        "skipped": max(job.processed_rows - job.imported - job.updated - (rejected or 0), 0),
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
    if job.status == ImportStatus.UPLOADED:
        return redirect(url_for(".import_setup", job_id=job.id), code=303)
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
