"""Public pages: sign-up, confirmation, preference centre, unsubscribe."""

from __future__ import annotations

import json
from types import SimpleNamespace

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from kkp.auth.models import AuditChannel
from kkp.extensions import csrf, db, limiter
from kkp.forms import ConfirmForm
from kkp.tokens import InvalidToken, TokenPurpose, read_token
from newsletter import data_requests, links, operations
from newsletter.admin.words import personal_data_words
from newsletter.forms import (
    PreferencesForm,
    PreferencesLinkForm,
    SubscribeForm,
    list_choices,
)
from newsletter.models import ConsentSource, SubscriberSource, SubscriptionStatus

bp = Blueprint("newsletter", __name__)


def _form_limit() -> str:
    return current_app.config["KKP_PUBLIC_FORM_LIMIT"]


def _client_ip() -> str | None:
    return request.remote_addr


def _invalid_link(exc: InvalidToken):
    message = (
        _("This link has expired. Please sign up again.")
        if exc.expired
        else _("This link is not valid. Please use the link from your most recent e-mail.")
    )
    return render_template("newsletter/invalid_link.html", message=message), 404


def _preferences_link_failed(exc: InvalidToken):
    """An expired or broken link to the preference centre: the form for a fresh one."""
    message = (
        _(
            "This link has expired: links to your settings work for %(days)d days.",
            days=current_app.config["KKP_PREFERENCES_LINK_DAYS"],
        )  # fmt: skip
        if exc.expired
        else _("This link is not valid. Please use the link from your most recent e-mail.")
    )
    return render_template(
        "newsletter/preferences_request.html", form=PreferencesLinkForm(), message=message
    ), 404


# -- a fresh link to the preference centre -----------------------------------------------


@bp.route("/preferences", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def request_preferences_link():
    """Mail a fresh link to the preference centre. The answer is the same whether the
    address is subscribed or not."""
    form = PreferencesLinkForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form.validate():
            try:
                links.request_preferences_link(form.email.data)
            except operations.SubscriptionError as exc:
                db.session.rollback()
                errors["email"] = str(exc)
            else:
                db.session.commit()
                return redirect(url_for("newsletter.preferences_link_sent"), code=303)
        else:
            errors = {field: messages[0] for field, messages in form.errors.items()}
    return render_template(
        "newsletter/preferences_request.html", form=form, errors=errors
    ), 400 if errors else 200


@bp.get("/preferences/sent")
def preferences_link_sent():
    return render_template("newsletter/preferences_sent.html")


# -- sign-up -----------------------------------------------------------------------------


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def subscribe():
    lists = operations.public_lists()
    consent = operations.current_consent_text()
    form = SubscribeForm()
    form.lists.choices = list_choices(lists)
    if request.method == "GET":
        preselect = request.args.getlist("list")
        form.lists.data = [m.id for m in lists if m.slug in preselect] or (
            [lists[0].id] if len(lists) == 1 else []
        )
        form.consent_version.data = str(consent.version) if consent else ""
        return render_template("newsletter/subscribe.html", form=form, consent=consent)

    # The form checks CSRF and lengths; the operation checks everything and reports
    # every fault at once, so the page can show them all at their fields.
    form.validate()
    errors = {field: messages[0] for field, messages in form.errors.items()}
    if "csrf_token" not in errors:
        try:
            operations.request_subscription(
                email=form.email.data,
                name=form.name.data,
                organisation=form.organisation.data,
                list_ids=form.lists.data or [],
                consent_version=_consent_version(form),
                source=SubscriberSource.FORM,
                ip=_client_ip(),
                locale=str(get_locale()),
            )
        except operations.SubscriptionError as exc:
            for field, message in exc.errors.items():
                errors.setdefault(field, message)
        except ValueError:
            errors.setdefault("email", _("Please check your input."))
        if not errors:
            db.session.commit()
            return redirect(url_for("newsletter.subscribe_sent"), code=303)
        db.session.rollback()
    return render_template(
        "newsletter/subscribe.html", form=form, consent=consent, errors=errors
    ), 400


def _consent_version(form: SubscribeForm) -> int | None:
    """The version of the consent text the person agreed to; None without the tick."""
    if not form.consent.data:
        return None
    try:
        return int(form.consent_version.data or 0) or None
    except ValueError:
        return None


@bp.get("/subscribe/sent")
def subscribe_sent():
    return render_template("newsletter/subscribe_sent.html")


@bp.route("/subscribe/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def confirm(token: str):
    max_age = current_app.config["KKP_UNCONFIRMED_RETENTION_DAYS"] * 86400
    try:
        payload = read_token(TokenPurpose.CONFIRM, token, max_age=max_age)
        subscriber = operations.subscriber_for_token(payload)
    except InvalidToken as exc:
        return _invalid_link(exc)
    list_ids = [i for i in payload.get("l", []) if isinstance(i, int)]
    form = ConfirmForm()
    lists = [s.mailing_list for s in subscriber.subscriptions if s.list_id in list_ids]
    if request.method == "POST":
        if not form.validate():
            return render_template(
                "newsletter/confirm.html",
                form=form,
                lists=lists,
                error=_("The form has expired. Please try again."),
            ), 400
        _subscriber, confirmed = operations.confirm(
            subscriber.id, list_ids, check=payload["h"], ip=_client_ip()
        )
        db.session.commit()
        preferences = url_for(
            "newsletter.preferences",
            token=operations.subscriber_token(subscriber, TokenPurpose.PREFERENCES),
        )
        return render_template(
            "newsletter/confirmed.html",
            lists=lists,
            preferences_url=preferences,
            newly=bool(confirmed),
        )
    pending = any(
        s.status == SubscriptionStatus.PENDING
        for s in subscriber.subscriptions
        if s.list_id in list_ids
    )
    return render_template("newsletter/confirm.html", form=form, lists=lists, pending=pending)


# -- preference centre -------------------------------------------------------------------


@bp.route("/preferences/<token>", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def preferences(token: str):
    try:
        subscriber = links.subscriber_for_preferences(token)
    except InvalidToken as exc:
        return _preferences_link_failed(exc)
    lists = operations.public_lists()
    form = PreferencesForm(obj=subscriber if request.method == "GET" else None)
    form.lists.choices = list_choices(lists)
    errors: dict[str, str] = {}
    if request.method == "GET":
        form.lists.data = [
            s.list_id for s in subscriber.subscriptions if s.status == SubscriptionStatus.CONFIRMED
        ]
    elif form.validate():
        try:
            operations.update_preferences(
                subscriber,
                list_ids=form.lists.data or [],
                name=form.name.data or "",
                organisation=form.organisation.data or "",
            )
        except operations.SubscriptionError as exc:
            db.session.rollback()
            errors[exc.field or "lists"] = str(exc)
        else:
            db.session.commit()
            return render_template(
                "newsletter/preferences.html",
                form=form,
                token=token,
                subscriber=subscriber,
                saved=True,
            )
    else:
        errors = {field: messages[0] for field, messages in form.errors.items()}
    status = 400 if errors else 200
    return render_template(
        "newsletter/preferences.html", form=form, token=token, subscriber=subscriber, errors=errors
    ), status


@bp.get("/preferences/<token>/data.json")
def export_own_data(token: str):
    try:
        subscriber = links.subscriber_for_preferences(token)
    except InvalidToken as exc:
        return _preferences_link_failed(exc)
    body = json.dumps(data_requests.own_export(subscriber), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="kkp-kompakt-meine-daten.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/preferences/<token>/data.html")
def print_own_data(token: str):
    """Everything stored about her, as a page to read or print."""
    try:
        subscriber = links.subscriber_for_preferences(token)
    except InvalidToken as exc:
        return _preferences_link_failed(exc)
    data = data_requests.export(data_requests.find(subscriber.email))
    response = Response(
        render_template("newsletter/own_data.html", data=data, token=token, **personal_data_words())
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/preferences/<token>/delete", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def delete_self(token: str):
    try:
        subscriber = links.subscriber_for_preferences(token)
    except InvalidToken as exc:
        return _preferences_link_failed(exc)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        # everything about her, the events' part too (newsletter.data_requests); the
        # audit log says she did it herself
        g.kkp_channel = AuditChannel.PUBLIC
        data_requests.erase(subscriber.email)
        db.session.commit()
        return render_template("newsletter/deleted.html")
    found = data_requests.find(subscriber.email)
    return render_template("newsletter/delete.html", form=form, token=token, found=found)


# -- unsubscribe (RFC 8058 one-click target) ---------------------------------------------


def _list_ids(value) -> list[int] | None:
    """The lists a mail's unsubscribe link leaves: one id (sign-up mails) or several
    (an issue sent to several lists); None leaves everything."""
    if isinstance(value, int):
        return [value]
    if isinstance(value, list) and value and all(isinstance(i, int) for i in value):
        return value
    return None


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """GET shows a page and changes nothing; POST unsubscribes, idempotently.

    The POST takes no cookie and no CSRF token (mail providers send
    `List-Unsubscribe=One-Click` from their servers) and answers 200, never a redirect.
    """
    try:
        payload = read_token(TokenPurpose.UNSUBSCRIBE, token)
    except InvalidToken as exc:
        return _invalid_link(exc)
    list_id = _list_ids(payload.get("l"))
    try:
        subscriber = operations.subscriber_for_token(payload)
    except InvalidToken:
        subscriber = None  # left already: answering "done" again is what idempotent means
    if request.method == "GET":
        if subscriber is None:
            return render_template("newsletter/unsubscribed.html", deleted=True)
        leaving = [s.mailing_list for s in subscriber.subscriptions if s.list_id in (list_id or ())]
        mailing_list = (
            SimpleNamespace(name=", ".join(lst.name for lst in leaving)) if leaving else None
        )
        return render_template(
            "newsletter/unsubscribe.html", token=token, mailing_list=mailing_list
        )
    deleted = True
    if subscriber is not None:
        everything = request.form.get("scope") == "all"
        deleted = operations.unsubscribe(
            subscriber,
            list_id=None if everything else list_id,
            source=ConsentSource.ONE_CLICK
            if "List-Unsubscribe" in request.form
            else ConsentSource.UNSUBSCRIBE,
        )
        db.session.commit()
    return render_template("newsletter/unsubscribed.html", deleted=deleted)
