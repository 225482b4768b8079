"""CSV import of subscribers: the job the `run_import` actor runs.

:func:`run_import_job` stores the rows in batches and can be run again at any time:
a finished job does nothing, an interrupted one goes on after its last batch.
Rejected rows are kept as row number and reason code only, never with their content.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import defer

from kkp.auth.models import Editor
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.operations import bulk_lane
from newsletter.csvfile import (
    ImportFileError,
    Person,
    check_row,
    check_upload,
    read_csv,
)
from newsletter.import_batch import Progress, import_rows
from newsletter.models import ExistingPolicy, ImportJob, ImportStatus
from newsletter.operations import (
    SubscriptionError,
    lists_by_ids,
)
from newsletter.tasks import import_failed, run_import

log = logging.getLogger(__name__)

#: largest upload accepted, in bytes
MAX_BYTES = 10 * 1024 * 1024

#: why people were left as they were, as the report says it; "suppressed" comes from
#: the rejected rows, the others from :attr:`ImportJob.skipped`
SKIP_REASONS = {
    "already_subscribed": _l("Already on every chosen list: nothing changed"),
    "left_herself": _l("Left a chosen list themselves: not added to it again"),
    "suppressed": _l("On the suppression list (unsubscribed or deleted): not imported"),
    "other_details": _l("Another name or organisation in the file: the stored ones were kept"),
    "existing": _l("Already subscribed: left as they were, as chosen for this import"),
    "unchanged": _l("Already subscribed with the same details: nothing changed"),
}


def store_upload(data: bytes, *, filename: str, editor: Editor | None) -> ImportJob:
    """The wizard's first step: keep the upload until the editor has mapped its columns
    and made her choices (status "uploaded"; nothing is enqueued yet).

    Reads only the start of the file; a header without a recognisable address column
    is fine here (the editor chooses it next). Raises :class:`ImportFileError` for a
    file that cannot be imported at all.
    """
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than 10 MB. Please split it into smaller files.")
        )
    total_rows = check_upload(data, need_email=False)
    job = ImportJob(
        editor_id=editor.id if editor else None,
        filename=filename.replace("\\", "/").rsplit("/", 1)[-1][:255],
        data=data,
        list_ids=[],
        status=ImportStatus.UPLOADED,
        total_rows=total_rows,
    )
    db.session.add(job)
    db.session.flush()
    audit("import.upload", job, rows=job.total_rows)
    return job


def start_import_job(
    job: ImportJob,
    *,
    column_fields: list[str] | None,
    existing: ExistingPolicy,
    list_ids: Iterable[int],
    consent_evidence: str,
) -> None:
    """The wizard's last step: record the editor's choices and enqueue the job once
    the transaction commits. A job started already is left as it is."""
    lists = lists_by_ids(list_ids, public_only=False)
    started = db.session.execute(
        sa.update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status == ImportStatus.UPLOADED)
        .values(
            status=ImportStatus.QUEUED,
            column_fields=None if column_fields is None else list(column_fields),
            existing=ExistingPolicy(existing).value,
            list_ids=[m.id for m in lists],
            consent_evidence=(consent_evidence or "").strip()[:1000],
        )
    )
    if started.rowcount != 1:
        return
    audit(
        "import.create",
        job,
        lists=[m.id for m in lists],
        rows=job.total_rows,
        existing=str(existing),
        with_evidence=bool((consent_evidence or "").strip()),
    )
    run_import.send_with_options(args=(job.id,), on_failure=import_failed)


def batch_size() -> int:
    """Rows stored per transaction (``KKP_IMPORT_BATCH_SIZE``); the progress shown
    moves in these steps."""
    return current_app.config["KKP_IMPORT_BATCH_SIZE"]


def create_import_job(
    data: bytes,
    *,
    filename: str,
    list_ids: Iterable[int],
    consent_evidence: str,
    editor: Editor | None,
    existing: ExistingPolicy = ExistingPolicy.ADD_LISTS,
) -> ImportJob:
    """Upload and start in one: the columns found by the header's names (what scripts
    and the CLI use). Raises :class:`ImportFileError` as :func:`store_upload` does, and
    for a header without an address column."""
    if len(data) <= MAX_BYTES:  # else store_upload says it is too large
        check_upload(data)
    job = store_upload(data, filename=filename, editor=editor)
    start_import_job(
        job,
        column_fields=None,
        existing=existing,
        list_ids=list_ids,
        consent_evidence=consent_evidence,
    )
    return job


def _claim(job_id: int, saved: int) -> bool:
    """Open a batch: check that no other run got ahead, and take the job row first."""
    result = db.session.execute(
        sa.update(ImportJob)
        .where(
            ImportJob.id == job_id,
            ImportJob.processed_rows == saved,
            ImportJob.status == ImportStatus.RUNNING,
        )
        .values(status=ImportStatus.RUNNING)
    )
    if result.rowcount != 1:
        db.session.rollback()
        log.warning("import %s: another run got ahead, this one stops", job_id)
        return False
    return True


def _save(job_id: int, saved: int, progress: Progress, **extra) -> bool:
    """Write the progress and commit, unless another run moved on meanwhile (then the
    batch and the mails it queued are dropped)."""
    result = db.session.execute(
        sa.update(ImportJob)
        .where(
            ImportJob.id == job_id,
            ImportJob.processed_rows == saved,
            ImportJob.status == ImportStatus.RUNNING,
        )
        .values(**progress.values(), **extra)
    )
    if result.rowcount != 1:
        db.session.rollback()
        log.warning("import %s: another run got ahead, this one stops", job_id)
        return False
    db.session.commit()
    return True


_OPEN = (ImportStatus.QUEUED, ImportStatus.RUNNING)


def _fail(job: ImportJob, message: str) -> None:
    result = db.session.execute(
        sa.update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status.in_(_OPEN))
        .values(status=ImportStatus.FAILED, error=message, finished_at=utcnow(), data=None)
    )
    if result.rowcount == 1:  # else another run finished it meanwhile
        audit("import.fail", job)
        log.info("import %s failed: the file cannot be imported", job.id)
    db.session.commit()


def give_up(job_id: int, error_type: str) -> None:
    """The actor failed for good (a crash, not a bad file): the job ends as failed; the
    rows stored so far stay."""
    job = db.session.get(ImportJob, job_id, options=[defer(ImportJob.data)])
    if job is None:
        return
    log.error("import %s stopped after repeated errors (%s)", job_id, error_type)
    _fail(
        job,
        _(
            "The import stopped because of an unexpected error. The rows up to the last "
            "progress shown are stored; please upload the remaining rows again."
        ),
    )


@import_failed.runs
def _import_failed(message_data: dict, exception_data: dict) -> None:
    """`run_import` gave up after its retries (Dramatiq's on_failure callback)."""
    give_up(message_data["args"][0], exception_data.get("type", "error"))


@run_import.runs
def run_import_job(job_id: int) -> None:
    """Import the rows of one job; safe to run again (see the module docstring)."""
    job = db.session.get(ImportJob, job_id, options=[defer(ImportJob.data)])
    if job is None or job.status not in _OPEN:
        log.info("import %s: nothing to do", job_id)
        return
    # The job row is written with UPDATEs only, so its 10 MB are never loaded again.
    db.session.expunge(job)
    previous_editor = g.pop("kkp_editor", None)
    g.kkp_editor = db.session.get(Editor, job.editor_id) if job.editor_id else None
    try:
        with bulk_lane():  # its confirmation mails: not on the interactive lane
            _run(job)
    finally:
        g.kkp_editor = previous_editor


def _run(job: ImportJob) -> None:
    job_id = job.id
    data = db.session.scalar(sa.select(ImportJob.data).where(ImportJob.id == job_id))
    if data is None:
        _fail(job, _("The uploaded file is no longer stored. Please upload it again."))
        return
    try:
        csv_file = read_csv(data, job.column_fields)
        lists_by_ids(job.list_ids, public_only=False)
    except ImportFileError as exc:
        _fail(job, str(exc))
        return
    except SubscriptionError:
        _fail(job, _("A list chosen for this import no longer exists."))
        return

    started = db.session.execute(
        sa.update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status.in_(_OPEN))
        .values(status=ImportStatus.RUNNING, total_rows=csv_file.total_rows)
    )
    db.session.commit()
    if started.rowcount != 1:
        return  # another run finished it meanwhile
    progress = Progress(
        job.processed_rows,
        job.imported,
        job.updated,
        list(job.rejected),
        dict(job.skipped or {}),
    )
    saved = progress.processed
    if saved:
        log.info("import %s: resuming after row %d of %d", job_id, saved, csv_file.total_rows)
    #: address -> row it first appeared in
    seen: dict[str, int] = {}
    if not _claim(job_id, saved):
        return
    size = batch_size()
    lists = lists_by_ids(job.list_ids, public_only=False)
    batch: list[tuple[int, Person | str]] = []
    try:
        for index, (number, cells) in enumerate(csv_file.rows()):
            person = check_row(csv_file, cells)
            if index < saved:  # stored by an earlier run; only remember the address
                if isinstance(person, Person):
                    seen.setdefault(person.email, number)
                continue
            batch.append((number, person))
            if len(batch) == size:
                import_rows(job, batch, seen, lists, progress)
                batch = []
                if not _save(job_id, saved, progress):
                    return
                saved = progress.processed
                if not _claim(job_id, saved):
                    return
        if batch:
            import_rows(job, batch, seen, lists, progress)
    except ImportFileError as exc:
        db.session.rollback()
        _fail(job, str(exc))
        return
    if _save(job_id, saved, progress, status=ImportStatus.DONE, finished_at=utcnow(), data=None):
        audit(
            "import.finish",
            job,
            imported=progress.imported,
            updated=progress.updated,
            rejected=len(progress.rejected),
        )
        db.session.commit()
        log.info(
            "import %s done: %d new, %d updated, %d rejected, skipped %s",
            job_id,
            progress.imported,
            progress.updated,
            len(progress.rejected),
            progress.skipped,
        )
