"""Public event pages: the list, a series, one event with its registration form.
A participant's own registration: :mod:`events.pages.registration`; calendars and
feeds: :mod:`events.pages.published`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext, pgettext
from flask_babel import gettext as _
from markupsafe import Markup

from events import registrations
from events.answers import read_answers, record_consents, save_answers
from events.course_seats import is_course
from events.dates import instant_text, when
from events.forms import RegistrationForm
from events.models import (
    Event,
    EventFormat,
    EventKind,
    EventStatus,
    Registration,
    RegistrationMode,
    RegistrationSource,
    RegistrationStatus,
)
from events.newsletter_box import start_newsletter_signup
from events.operations import EventError, kinds, upcoming_events
from events.pages.event_filter import EventFilter, UnknownKind, format_choices, month_choices
from events.questions import consents_of, questions_of
from events.registration_extras import Extras, registration_extras
from kkp.db import utcnow
from kkp.extensions import db, limiter
from kkp.i18n import BERLIN
from kkp.markup import to_html
from people.lists import consent_text_version, current_consent_text
from people.models import ConsentPurpose, ConsentSource

bp = Blueprint("events", __name__)

#: events whose page is public; drafts are not
VISIBLE = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


def _form_limit() -> str:
    return current_app.config["KKP_PUBLIC_FORM_LIMIT"]


def _locale() -> str:
    return str(get_locale())


# -- what the pages show of an event ----------------------------------------------------


@dataclass
class EventRow:
    """One event as lists show it: every text already in the reader's language."""

    event: Event
    when: str
    kind: str
    place: str
    availability: str
    deadline: str
    series_note: str


def place_text(event: Event) -> str:
    if event.format == EventFormat.ONLINE:
        return _("Online")
    if event.format == EventFormat.HYBRID:
        return _("%(place)s and online", place=event.place) if event.place else _("Online")
    return event.place


def availability(event: Event, left: int | None, now: datetime) -> str:
    """Whether and how one can take part: seats left, waiting list, invitation…"""
    if event.status == EventStatus.CANCELLED:
        return pgettext("event", "Cancelled")
    if event.registration_mode == RegistrationMode.NONE:
        return _("No registration needed")
    if event.registration_mode == RegistrationMode.INVITATION:
        return _("By invitation only")
    if event.series_id is not None and is_course(event.series):
        return _("Booked as a whole course")
    if now >= event.registration_closes_at():
        return _("Registration closed")
    if left is None:
        return ""  # unlimited: nothing to say
    if left <= 0:
        return _("Fully booked – waiting list")
    return ngettext("%(num)d seat left", "%(num)d seats left", left)


def deadline_text(event: Event, now: datetime, locale: str) -> str:
    if (
        event.registration_mode == RegistrationMode.NONE
        or event.registration_deadline is None
        or event.status != EventStatus.PUBLISHED
        or now >= event.registration_deadline
    ):
        return ""
    return _("Register by %(deadline)s", deadline=instant_text(event.registration_deadline, locale))


def _seated_counts(ids: list[int]) -> dict[int, int]:
    """Confirmed seats per event (see registrations.public_seats_left: held ones are
    not shown)."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Registration.event_id, sa.func.count())
        .where(Registration.event_id.in_(ids), Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.event_id)
    )
    return dict(rows.all())


def _series_positions(events: list[Event]) -> dict[int, tuple[int, int]]:
    """Event id → (its date's number, how many dates) within its series."""
    series_ids = {e.series_id for e in events if e.series_id}
    if not series_ids:
        return {}
    rows = db.session.execute(
        sa.select(Event.id, Event.series_id)
        .where(Event.series_id.in_(series_ids), Event.status != EventStatus.DRAFT)
        .order_by(Event.starts_at, Event.id)
    ).all()
    dates: dict[int, list[int]] = {}
    for event_id, series_id in rows:
        dates.setdefault(series_id, []).append(event_id)
    return {event_id: (n, len(ids)) for ids in dates.values() for n, event_id in enumerate(ids, 1)}


def event_rows(events: list[Event], locale: str | None = None) -> list[EventRow]:
    """The events as lists show them (the start page uses this too)."""
    locale = locale or _locale()
    now = utcnow()
    counts = _seated_counts([e.id for e in events])
    positions = _series_positions(events)
    rows = []
    for event in events:
        left = None
        if event.format == EventFormat.HYBRID:  # two pools of seats: counted apart
            left = registrations.public_seats_left(event)
        elif event.capacity is not None:
            left = max(0, event.capacity - counts.get(event.id, 0))
        n, total = positions.get(event.id, (1, 1))
        rows.append(
            EventRow(
                event=event,
                when=when(event, locale),
                kind=event.kind.label(locale),
                place=place_text(event),
                availability=availability(event, left, now),
                deadline=deadline_text(event, now, locale),
                series_note=_("Date %(n)d of %(total)d", n=n, total=total) if total > 1 else "",
            )
        )
    return rows


def calendar_links(kind_list: list[EventKind] = ()) -> dict:
    """The subscribable calendars as https and webcal links."""
    base = current_app.config["KKP_BASE_URL"]

    def pair(path: str) -> dict:
        url = f"{base}{path}"
        return {"https": url, "webcal": re.sub(r"^https?://", "webcal://", url)}

    locale = _locale()
    return {
        **pair("/calendar.ics"),
        "kinds": [{"name": k.label(locale), **pair(f"/calendar/{k.slug}.ics")} for k in kind_list],
    }


# -- the list ---------------------------------------------------------------------------


@bp.get("/events/")
def index():
    kind_list = kinds()
    locale = _locale()
    today = utcnow().astimezone(BERLIN).date()
    try:
        chosen = EventFilter.from_args(request.args, kind_list, today)
    except UnknownKind:
        abort(404)
    events = upcoming_events(
        kind=chosen.kind, event_format=chosen.format, starting=chosen.month_bounds()
    )
    return render_template(
        "events/list.html",
        rows=event_rows(events, locale),
        kinds=kind_list,
        chosen=chosen.kind,
        filter=chosen,
        formats=format_choices(),
        months=month_choices(today, locale),
        calendars=calendar_links(kind_list),
    )


# -- one event and its registration form -------------------------------------------------


def _visible_event(slug: str) -> Event:
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug, Event.status.in_(VISIBLE)))
    if event is None:
        abort(404)
    return event


def _state(event: Event, now: datetime) -> str:
    """What the registration box shows: open, closed, invitation, none, past, cancelled."""
    if event.status == EventStatus.CANCELLED:
        return "cancelled"
    if event.ends_at <= now:
        return "past"
    if event.registration_mode in (RegistrationMode.NONE, RegistrationMode.INVITATION):
        return event.registration_mode
    if is_course(event.series):
        return "course"
    return "open" if registrations.is_open(event, now) else "closed"


def _extras(event: Event, *, posted: bool = False, errors=None) -> Extras:
    return registration_extras(
        questions_of(event),
        consents_of(event),
        formdata=request.form if posted else None,
        errors=errors,
        locale=_locale(),
    )


def _render_event(event: Event, form: RegistrationForm, consent, *, errors=None, problem=None):
    now = utcnow()
    locale = _locale()
    row = event_rows([event], locale)[0]
    siblings = []
    if event.series is not None:
        siblings = [
            {"event": e, "when": when(e, locale)}
            for e in event.series.events
            if e.id != event.id and e.status in VISIBLE
        ]
    return render_template(
        "events/event.html",
        event=event,
        row=row,
        state=_state(event, now),
        seats_left=registrations.public_seats_left(event),
        seats_by_kind=registrations.public_seats_by_kind(event),
        closes_at=instant_text(event.registration_closes_at(), locale),
        description=Markup(to_html(event.description)),
        siblings=siblings,
        form=form,
        consent=consent,
        errors=errors or {},
        problem=problem,
        extras=_extras(event, posted=request.method == "POST", errors=errors),
        calendars=calendar_links([event.kind]),
    )


#: what the privacy notice on the registration form is for (see newsletter.models)
PURPOSE = ConsentPurpose.EVENT_REGISTRATION


def _consent_version(posted: str | None, consent) -> int | None:
    """The version of the events' privacy notice the person saw. A version that was
    shown once is taken as it is, even if a newer one was published meanwhile (the
    person agreed to the text on her page, and the record says which); anything else
    (forged, or another purpose's text) raises :class:`EventError`, and the form is
    shown again with the current text."""
    if consent is None:
        return None  # no notice was ever published: none was shown
    posted = (posted or "").strip()
    version = int(posted) if posted.isdigit() and len(posted) < 9 else None
    if consent_text_version(version, PURPOSE) is None:
        raise EventError(
            _("Please read the current privacy notice and agree to it again."), "consent"
        )
    return version


@bp.route("/events/<slug>", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def event_page(slug: str):
    event = _visible_event(slug)
    consent = current_consent_text(PURPOSE)
    form = RegistrationForm()
    if request.method == "GET":
        form.consent_version.data = str(consent.version) if consent else ""
        return _render_event(event, form, consent)
    if not registrations.is_open(event):
        return _render_event(event, form, consent), 409
    valid = form.validate()
    questions = questions_of(event)
    values, answer_errors = read_answers(questions, request.form, _locale())
    if not valid:
        errors = {field: messages[0] for field, messages in form.errors.items()}
        errors = {**form.participation_error(event), **errors, **answer_errors}
        return _render_event(event, form, consent, errors=errors), 422
    try:
        version = _consent_version(form.consent_version.data, consent)
        registration, outcome = registrations.register(
            event.id,
            name=form.name.data or "",
            email=form.email.data or "",
            organisation=form.organisation.data or "",
            consent=bool(form.consent.data),
            consent_version=version,
            participation=form.participation.data or "",
            locale=_locale(),
            source=RegistrationSource.FORM,
        )
        if answer_errors:  # the registration's own checks passed: these are all
            raise EventError(next(iter(answer_errors.values())), None, answer_errors)
    except registrations.RegistrationClosed as exc:
        db.session.rollback()
        return _render_event(event, form, consent, problem=str(exc)), 409
    except EventError as exc:
        db.session.rollback()
        errors = {**dict(exc.errors), **answer_errors} or {exc.field or "email": str(exc)}
        if not form.consent.data:
            errors.setdefault("consent", _("Please agree to the processing of your data."))
        errors = {**form.participation_error(event), **errors}
        form.consent_version.data = str(consent.version) if consent else ""  # the current
        return _render_event(event, form, consent, errors=errors), 422
    if outcome in (RegistrationStatus.PENDING, RegistrationStatus.PENDING_WAITING):
        # a new registration (or one again after cancelling); "already" keeps its details
        save_answers(values, registration=registration)
        record_consents(
            consents_of(event),
            request.form,
            registration=registration,
            locale=_locale(),
            source=ConsentSource.FORM,
            ip=request.remote_addr,
        )
    start_newsletter_signup(
        request.form,
        email=form.email.data or "",
        name=form.name.data or "",
        organisation=form.organisation.data or "",
        locale=_locale(),
        ip=request.remote_addr,
    )
    # Every address gets this same answer, registered before or not: the mail tells
    # its owner the rest (no token here, nothing in the session that differs).
    db.session.commit()
    return redirect(url_for("events.registered", slug=event.slug), code=303)


@bp.get("/events/<slug>/registered")
def registered(slug: str):
    event = _visible_event(slug)
    return render_template(
        "events/registered.html",
        event=event,
        when=when(event, _locale()),
        hold_minutes=current_app.config["KKP_REGISTRATION_HOLD_MINUTES"],
    )
