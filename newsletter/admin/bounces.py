"""The editors' page of returned mails (/admin/bounces) and the release of an address
from the suppression list, with a note for the audit log."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from kkp.auth.operations import audit
from kkp.extensions import db
from kkp.forms import form_errors
from kkp.mail.bounce_parse import BounceKind
from kkp.views import saving
from newsletter.admin.subscribers import bp
from newsletter.bounces import SHOWN, bounce_rows
from people import bounces
from people.models import Bounce, SuppressionReason

BOUNCE_WORDS = {
    BounceKind.HARD: _l("Undeliverable"),
    BounceKind.SOFT: _l("Temporarily undeliverable"),
    BounceKind.COMPLAINT: _l("Complaint (marked as spam)"),
}
SUPPRESSION_WORDS = {
    SuppressionReason.BOUNCED: _l("Blocked after bounces"),
    SuppressionReason.COMPLAINED: _l("Blocked after a complaint"),
    SuppressionReason.UNSUBSCRIBED: _l("Unsubscribed"),
    SuppressionReason.DELETED: _l("Deleted"),
}


class ReleaseForm(FlaskForm):
    note = TextAreaField(
        _l("Why the address may be mailed again"), validators=[DataRequired(), Length(max=500)]
    )


@bp.context_processor
def _bounce_words():
    return {
        "bounce_words": BOUNCE_WORDS,
        "suppression_words": SUPPRESSION_WORDS,
        "releasable": bounces.RELEASABLE,
    }


@bp.get("/bounces")
def bounces_page():
    return render_template(
        "admin/bounces.html",
        rows=bounce_rows(),
        shown=SHOWN,
        limit=current_app.config["KKP_SOFT_BOUNCE_LIMIT"],
        days=current_app.config["KKP_SOFT_BOUNCE_DAYS"],
    )


@bp.route("/bounces/<int:bounce_id>/release", methods=["GET", "POST"])
def release_bounce(bounce_id: int):
    """Take the bounce's address off the suppression list, with a required note."""
    bounce = db.get_or_404(Bounce, bounce_id)
    suppression = bounces.suppression_of(bounce)
    form = ReleaseForm()
    if suppression is not None and form.validate_on_submit():
        with saving(form, default="note") as saved:
            reason = suppression.reason
            bounces.release(bounce)
            audit(
                "suppression.release",
                bounce,
                subscriber_id=bounce.subscriber_id,
                reason=reason,
                note=form.note.data.strip(),
            )
        if saved:
            flash(_("The address is no longer blocked and will be mailed again."), "success")
            return redirect(url_for(".bounces_page"), code=303)
    status = 400 if form.errors else 200
    return render_template(
        "admin/bounce_release.html",
        bounce=bounce,
        suppression=suppression,
        form=form,
        errors=form_errors(form),
    ), status
