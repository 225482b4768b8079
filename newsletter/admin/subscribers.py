"""The editors' pages for subscribers and lists, and the CSV export (imports: admin_import)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from kkp.auth.access import protect
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.forms import ConfirmForm, form_errors, options
from kkp.i18n import BERLIN
from kkp.mail.models import Delivery
from kkp.params import query_number
from kkp.tables import Sorting
from kkp.views import Confirmation, confirm_page, saving
from newsletter import address_check, export, operations, search
from newsletter.admin.words import (
    ACTION_WORDS,
    DELIVERY_WORDS,
    KIND_WORDS,
    SOURCE_WORDS,
    STATUS_WORDS,
)
from newsletter.bounces import bounce_rows
from newsletter.forms import (
    ConsentTextForm,
    ListForm,
    StatusFilterForm,
    SubscriberEditForm,
    SubscriberForm,
    list_choices,
)
from newsletter.models import (
    ConsentPurpose,
    ConsentSource,
    MailingList,
    Subscriber,
    SubscriberSource,
    Subscription,
    SuppressionReason,
)

bp = Blueprint("newsletter_admin", __name__, url_prefix="/admin")
protect(bp)


@bp.context_processor
def _words():
    return {
        "status_words": STATUS_WORDS,
        "action_words": ACTION_WORDS,
        "source_words": SOURCE_WORDS,
        "delivery_words": DELIVERY_WORDS,
        "kind_words": KIND_WORDS,
    }


# -- the subscriber list and the export ---------------------------------------------------


def _filter_form(lists: list[MailingList]) -> tuple[StatusFilterForm, search.SubscriberFilter]:
    query_number("list")
    flt = search.SubscriberFilter.from_args(request.args)
    form = StatusFilterForm(
        formdata=None, q=flt.q, list=str(flt.list_id or ""), status=flt.status or ""
    )
    form.list.choices = options([("", _("All lists"))] + [(str(m.id), m.name) for m in lists])
    form.status.choices = options([("", _("Any status")), *STATUS_WORDS.items()])
    return form, flt


@bp.get("/subscribers")
def subscribers():
    lists = operations.all_lists()
    form, flt = _filter_form(lists)
    after, before = query_number("after"), query_number("before")
    sorting = search.Sorting.from_args(request.args)
    total, counted_at = search.total(flt)
    found = search.page(flt, after=after, before=before, sorting=sorting, total=total)
    return render_template(
        "admin/subscribers.html",
        form=form,
        flt=flt,
        sorting=sorting,
        page=found,
        total=total,
        counted_at=counted_at,
        filtered=bool(flt.as_args()),
        lists=lists,
        breaking_policy=address_check.count_breaking_policy(),
    )


@bp.get("/subscribers/addresses")
def addresses_breaking_policy():
    """Stored addresses that cannot be mailed as they are, with the reason."""
    return render_template(
        "admin/subscriber_addresses.html", found=address_check.subscribers_breaking_policy()
    )


@bp.get("/subscribers/export.csv")
def export_csv():
    query_number("list")
    flt = search.SubscriberFilter.from_args(request.args)
    # What was exported, never the search text: it may be an address.
    audit("subscriber.export", None, list_id=flt.list_id, status=flt.status, searched=bool(flt.q))
    db.session.commit()
    filename = f"abonnenten-{utcnow().astimezone(BERLIN):%Y-%m-%d}.csv"
    return Response(
        stream_with_context(export.subscribers_csv(search.export_batches(flt))),
        mimetype="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# -- one subscriber ----------------------------------------------------------------------


def require_lists(form) -> bool:
    if form.lists.data:
        return True
    form.lists.errors = [_("Please choose at least one list.")]
    return False


def _checked(form: SubscriberForm) -> bool:
    """Validate the form, naming every mistake at once, not one per attempt."""
    valid = form.validate()
    valid = require_lists(form) and valid
    if not valid and not form.email.errors:
        try:
            operations.normalise_email(form.email.data)
        except operations.SubscriptionError as exc:
            form.email.errors = [str(exc)]
    return valid


@bp.route("/subscribers/new", methods=["GET", "POST"])
def new_subscriber():
    form = SubscriberForm()
    form.lists.choices = list_choices(operations.all_lists())
    if request.method == "GET":
        return render_template("admin/subscriber_new.html", form=form, errors={})
    if _checked(form):
        evidence = (form.consent_evidence.data or "").strip()
        with saving(form, default="email") as saved:
            subscriber, created = operations.add_subscriber(
                email=form.email.data,
                name=form.name.data or "",
                organisation=form.organisation.data or "",
                list_ids=form.lists.data,
                consent_evidence=evidence or None,
                source=SubscriberSource.EDITOR,
            )
        if saved:
            if not created:
                flash(
                    _("This address was subscribed already; the chosen lists were added."),
                    "success",
                )
            elif evidence:
                flash(_("The subscriber was added and confirmed."), "success")
            else:
                flash(
                    _("The subscriber was added and gets a mail to confirm the subscription."),
                    "success",
                )
            return redirect(url_for(".subscriber", subscriber_id=subscriber.id), code=303)
    return render_template("admin/subscriber_new.html", form=form, errors=form_errors(form)), 400


@bp.route("/subscribers/<int:subscriber_id>", methods=["GET", "POST"])
def subscriber(subscriber_id: int):
    person = db.get_or_404(Subscriber, subscriber_id)
    lists = operations.all_lists()
    form = SubscriberEditForm(obj=person if request.method == "GET" else None)
    form.lists.choices = list_choices(lists)
    if request.method == "GET":
        form.lists.data = [s.list_id for s in person.subscriptions]
        return _subscriber_page(person, form, {})
    if form.validate() and require_lists(form):
        before = {s.list_id for s in person.subscriptions}
        with saving(form, default="name") as saved:
            operations.edit_subscriber(
                person,
                name=form.name.data or "",
                organisation=form.organisation.data or "",
                list_ids=form.lists.data,
            )
        if saved:
            flash(_("The changes were saved."), "success")
            if set(form.lists.data) - before:
                flash(_("The person gets a mail to confirm the new lists."), "info")
            return redirect(url_for(".subscriber", subscriber_id=subscriber_id), code=303)
    person = db.get_or_404(Subscriber, subscriber_id)
    return _subscriber_page(person, form, form_errors(form)), 400


def _subscriber_page(person: Subscriber, form, errors: dict):
    deliveries = db.session.scalars(
        sa.select(Delivery)
        .where(Delivery.subscriber_id == person.id)
        .order_by(Delivery.id.desc())
        .limit(200)
    ).all()
    return render_template(
        "admin/subscriber.html",
        subscriber=person,
        form=form,
        errors=errors,
        deliveries=deliveries,
        bounces=bounce_rows(subscriber_id=person.id),
    )


@bp.route(
    "/subscribers/<int:subscriber_id>/<any(unsubscribe, delete):action>", methods=["GET", "POST"]
)
def remove_subscriber(subscriber_id: int, action: str):
    """Unsubscribe (from everything) or delete, after a confirmation page."""
    person = db.get_or_404(Subscriber, subscriber_id)
    unsubscribe = action == "unsubscribe"
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            if unsubscribe:
                operations.unsubscribe(person, source=ConsentSource.EDITOR)
            else:
                operations.delete_subscriber(person, reason=SuppressionReason.DELETED)
        if saved and unsubscribe:
            flash(
                _(
                    "The subscriber was unsubscribed from all lists and their data deleted. "
                    "The address will not be mailed again."
                ),
                "success",
            )
        elif saved:
            flash(_("The subscriber was deleted. The address will not be mailed again."), "success")
        return redirect(url_for(".subscribers"), code=303)
    return confirm_page(
        Confirmation(
            title=_("Unsubscribe from all lists") if unsubscribe else _("Delete"),
            question=_("Unsubscribe %(email)s from all lists?", email=person.email)
            if unsubscribe
            else _("Delete %(email)s?", email=person.email),
            notes=[
                _(
                    "The person gets no more mail. Name, organisation, lists and consent "
                    "history are deleted; only an irreversible fingerprint of the address is "
                    "kept, so that it is never mailed again. This cannot be undone: only the "
                    "person can sign up again, through the sign-up form."
                )
            ],
            button=_("Yes, unsubscribe") if unsubscribe else _("Yes, delete"),
            back=url_for(".subscriber", subscriber_id=person.id),
            back_label=_("Cancel"),
        )
    )


# -- lists -------------------------------------------------------------------------------


def _list_values(form: ListForm) -> dict:
    return {
        "name": form.name.data.strip(),
        "slug": form.slug.data.strip(),
        "description": (form.description.data or "").strip(),
        "is_public": bool(form.is_public.data),
    }


@bp.route("/lists", methods=["GET", "POST"])
def lists():
    form = ListForm()
    if form.validate_on_submit():
        with saving(form, default="slug") as saved:
            operations.create_list(**_list_values(form))
        if saved:
            flash(_("The list was created."), "success")
            return redirect(url_for(".lists"), code=303)
    counts = {
        (list_id, status): n
        for list_id, status, n in db.session.execute(
            sa.select(Subscription.list_id, Subscription.status, sa.func.count()).group_by(
                Subscription.list_id, Subscription.status
            )
        )
    }
    sorting = Sorting.from_args(request.args, LIST_COLUMNS)
    return render_template(
        "admin/lists.html",
        form=form,
        lists=_sorted_lists(operations.all_lists(), counts, sorting),
        counts=counts,
        sorting=sorting,
    ), 400 if form_errors(form) else 200


#: what the lists page sorts by; without a choice, their position (the sign-up form's order)
LIST_COLUMNS = ("name", "confirmed", "pending")


def _sorted_lists(lists: list, counts: dict, sorting: Sorting) -> list:
    """The lists (a dozen at most, counts loaded already) in the order asked for."""
    if sorting.column is None:
        return lists

    def key(mailing_list) -> tuple:
        if sorting.column == "name":
            return (mailing_list.name.casefold(), mailing_list.id)
        return (counts.get((mailing_list.id, sorting.column), 0), mailing_list.id)

    return sorted(lists, key=key, reverse=sorting.descending)


@bp.route("/lists/<int:list_id>", methods=["GET", "POST"])
def edit_list(list_id: int):
    mailing_list = db.get_or_404(MailingList, list_id)
    form = ListForm(obj=mailing_list)
    if form.validate_on_submit():
        with saving(form, default="slug") as saved:
            operations.update_list(mailing_list, **_list_values(form))
        if saved:
            flash(_("The list was saved."), "success")
            return redirect(url_for(".lists"), code=303)
    return render_template("admin/lists_edit.html", form=form, mailing_list=mailing_list), (
        400 if form_errors(form) else 200
    )


# -- the consent text --------------------------------------------------------------------


#: the consent texts editors keep, by the last part of their address
CONSENT_PAGES = {
    "newsletter": ConsentPurpose.NEWSLETTER,
    "events": ConsentPurpose.EVENT_REGISTRATION,
}


@bp.route("/consent", methods=["GET", "POST"], defaults={"page": "newsletter"})
@bp.route("/consent/<any(events):page>", methods=["GET", "POST"])
def consent_text(page: str):
    """The text beside the checkbox of a form: the newsletter's sign-up (/consent) or
    event registration (/consent/events). Every change is a new version, and each
    record keeps the version the person saw."""
    purpose = CONSENT_PAGES[page]
    current = operations.current_consent_text(purpose)
    form = ConsentTextForm()
    if request.method == "GET" and current is not None:
        form.text.data = current.text
    if form.validate_on_submit():
        text = form.text.data.strip()
        if current is not None and text == current.text:
            flash(_("The text is unchanged; no new version was made."), "info")
        else:
            with saving() as saved:
                version = operations.publish_consent_text(text, purpose).version
            if saved and purpose == ConsentPurpose.NEWSLETTER:
                flash(_("Version %(n)s is now shown on the sign-up form.", n=version), "success")
            elif saved:
                flash(
                    _(
                        "Version %(n)s is now shown on the registration form of every event.",
                        n=version,
                    ),
                    "success",
                )
        return redirect(url_for(".consent_text", page=page), code=303)
    versions = operations.consent_text_versions(purpose)
    status = 400 if form.errors else 200
    return render_template("admin/consent.html", form=form, versions=versions, page=page), status
