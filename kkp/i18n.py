"""Language choice (German by default, English complete) and Europe/Berlin formatting."""

from __future__ import annotations

import logging
import os
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_number, get_locale, gettext

from kkp.addresses import display_address
from kkp.mail.reasons import describe

BERLIN = ZoneInfo("Europe/Berlin")
COOKIE = "kkp_lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in languages:
        return chosen
    if request.path.startswith("/api/"):
        # Programs say what they want; people choose with the switch on every page.
        return request.accept_languages.best_match(languages) or languages[0]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def berlin(value: datetime | None, fmt: str = "medium") -> str:
    """A UTC-aware datetime, shown in Europe/Berlin in the current language."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def berlin_date(value: datetime | None, fmt: str = "long") -> str:
    """The day of a UTC-aware datetime in Europe/Berlin, e.g. "21. November 2026"."""
    if value is None:
        return ""
    return format_date(value, fmt)


#: the years a date may be entered in: far beyond anything an office plans, and far
#: from the ends of Python's calendar, where converting to or from Europe/Berlin or
#: adding a day overflows
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def year_problem(day: date | datetime) -> str | None:
    """Why `day` cannot be entered (translated), or None when its year is fine."""
    if EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        return None
    return gettext(
        "Please give a date between the years %(first)d and %(last)d.",
        first=EARLIEST_YEAR,
        last=LATEST_YEAR,
    )


class Count(int):
    """A number of things, printed as the reader writes numbers ("1.234" in German):
    for `ngettext(…, Count(n))`, whose `%(num)s` is then what `n | numberformat` is in
    a template, while the plural form is chosen by the number itself."""

    def __str__(self) -> str:
        return format_number(int(self))


class NonexistentTime(ValueError):
    """A wall-clock time the clocks skip (spring forward)."""


def berlin_to_utc(day: date, time_of_day: time) -> tuple[datetime, bool]:
    """The UTC instant of a date and time entered in Europe/Berlin, and whether that
    time happens twice (autumn: then the first, summer time, is taken). Raises
    :class:`NonexistentTime` for a time in the hour skipped in spring."""
    local = datetime.combine(day, time_of_day.replace(tzinfo=None), tzinfo=BERLIN)
    instant = local.astimezone(UTC)
    if instant.astimezone(BERLIN).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentTime(local.isoformat())
    ambiguous = local.replace(fold=1).utcoffset() != local.utcoffset()
    return instant, ambiguous


def init_app(app: Flask) -> None:
    app.jinja_env.filters["berlin"] = berlin
    app.jinja_env.filters["berlin_date"] = berlin_date
    # why a mail did not go out, in the reader's language; an address as people write it
    app.jinja_env.filters["delivery_reason"] = describe
    app.jinja_env.filters["address"] = display_address
    app.jinja_env.add_extension("jinja2.ext.do")
    # MJML is HTML: names and titles in it must be escaped like in pages.
    app.jinja_env.autoescape = lambda name: (
        bool(name) and name.endswith((".html", ".htm", ".xml", ".xhtml", ".svg", ".mjml"))
    )

    @app.context_processor
    def language():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}


def compile_catalogs(directory) -> None:
    """Compile each `messages.po` into `messages.mo` when missing or older.

    Keeps `make run`, the tests and deployments on the catalog in the repository
    without a separate build step.
    """
    for po_path in Path(directory).glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as f:
                catalog = read_po(f)
            tmp = mo_path.with_suffix(f".mo.{os.getpid()}")
            with tmp.open("wb") as f:
                write_mo(f, catalog)
            os.replace(tmp, mo_path)
        except OSError as exc:
            logging.getLogger(__name__).warning("cannot compile %s: %s", po_path, exc)
