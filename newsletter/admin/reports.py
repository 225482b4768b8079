"""The report of a sent issue: its figures, and the failed addresses as a CSV file."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_babel import force_locale

from kkp.mail.reasons import describe
from newsletter.admin.issues import issue_or_404
from newsletter.admin.subscribers import bp
from newsletter.sending.report import failed_csv, send_report


@bp.get("/issues/<int:issue_id>/report")
def issue_report(issue_id: int):
    issue = issue_or_404(issue_id)
    report = send_report(issue)
    reasons = [(describe(code), n) for code, n in report.reasons] if report else []
    return render_template("admin/issues/report.html", issue=issue, report=report, reasons=reasons)


@bp.get("/issues/<int:issue_id>/failed.csv")
def issue_failed_csv(issue_id: int):
    issue = issue_or_404(issue_id)
    if issue.started_at is None:
        abort(404)
    with force_locale("de"):  # the file is for German offices, like the subscriber export
        body = failed_csv(issue)
    return Response(
        body.encode(),
        mimetype="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="fehlgeschlagen-ausgabe-{issue.id}.csv"',
            "Cache-Control": "no-store",
        },
    )
