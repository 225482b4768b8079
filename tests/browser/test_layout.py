"""The page shell in Chromium: every editor page and every public page reachable by GET
(the rules of app.url_map without arguments, plus the detail pages of the demo content)
fits a phone's 375 px and a desktop's 1280 px without sideways scrolling of the page and
passes axe-core (in three shares that the test workers check at once); on a phone the
editors' side bar waits behind a menu button that the keyboard opens."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from events.course_models import Certificate
from events.models import Event
from events.operations import save_series
from kkp.db import utcnow
from kkp.extensions import db
from newsletter.branding import save_branding
from newsletter.models import Issue, MailingList, Subscriber
from service.demo import POSTAL_ADDRESS, seed
from tests.browser.conftest import assert_accessible
from tests.events.conftest import register_confirmed
from tests.newsletter.test_branding import picture

#: rules that answer with something other than a page, or that leave the session
NOT_PAGES = ("/api/", "/static/", "/healthz", "/readyz", "/metrics", "/favicon.ico", "/admin/login")
NOT_PAGE_ENDINGS = (".ics", ".csv", ".json", ".xml", ".css")

LONG_ADDRESS = (
    "teilnehmerin.mit.einem.sehr.langen.namen@kriminalpraevention-beispielkommune.example.org"
)


def page_urls(app) -> list[str]:
    """The addresses of app.url_map that answer GET and need no argument."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments - set(rule.defaults or {}):
            continue
        if rule.rule.startswith(NOT_PAGES) or rule.rule.endswith(NOT_PAGE_ENDINGS):
            continue
        urls.add(rule.rule)
    return sorted(urls)


def one_of_each(rows, shape) -> list:
    """The first row of each shape: pages of rows alike (the demo's course has three
    dates of one kind) show the same template with the same parts."""
    seen, kept = set(), []
    for row in rows:
        if shape(row) not in seen:
            seen.add(shape(row))
            kept.append(row)
    return kept


def seeded_detail_urls() -> list[str]:
    """The demo content, a series, a registration with a long address, and their pages;
    the office with a logo, a colour of its own and a long name."""
    seed()
    save_branding(
        office_name="Geschäftsstelle für Kommunale Kriminalprävention der Stadt Musterstadt",
        postal_address=POSTAL_ADDRESS,
        accent_colour="#7a1f5c",
        logo=picture(size=(600, 120)),
        remove_logo=False,
    )
    events = db.session.scalars(sa.select(Event).order_by(Event.starts_at)).all()
    open_event = next(  # still to come: the demo has last term's course too
        e
        for e in events
        if e.registration_mode == "open" and e.status == "published" and e.starts_at > utcnow()
    )
    series = save_series(None, title="Qualifizierungsreihe Kommunale Kriminalprävention")
    open_event.series = series
    db.session.commit()
    register_confirmed(open_event.id, name="Lange Adresse", email=LONG_ADDRESS)
    db.session.commit()
    subscriber = Subscriber(
        email=LONG_ADDRESS, name="Lange Adresse", status="confirmed", source="form"
    )
    db.session.add(subscriber)
    db.session.commit()
    urls = []
    for issue in one_of_each(db.session.scalars(sa.select(Issue)), lambda i: i.status):
        urls += [f"/admin/issues/{issue.id}", f"/admin/issues/{issue.id}/progress"]
        if issue.is_editable:
            urls += [f"/admin/issues/{issue.id}/preview", f"/admin/issues/{issue.id}/send"]
        if issue.status == "sent":
            urls += [f"/newsletter/{issue.slug}", f"/admin/issues/{issue.id}/report"]
    kinds_of_event = one_of_each(
        [open_event, *events],
        lambda e: (e.status, e.registration_mode, e.format, e.series_id is not None),
    )
    for event in kinds_of_event:
        urls += [
            f"/admin/events/{event.id}/edit",
            f"/admin/events/{event.id}/participants",
            f"/admin/events/{event.id}/preview",
        ]
        if event.status == "published":
            urls.append(f"/events/{event.slug}")
    urls += [f"/admin/events/series/{series.id}", f"/events/series/{series.slug}"]
    # certificates: the demo's past course (issued and sent) and a date booked on its own
    certified = db.session.scalar(
        sa.select(Certificate.series_id).where(Certificate.series_id.is_not(None))
    )
    urls += [
        f"/admin/events/series/{certified}/certificates",
        f"/admin/events/{open_event.id}/certificates",
    ]
    urls += [f"/admin/events/{open_event.id}/export", f"/admin/events/{open_event.id}/message"]
    urls += [
        f"/admin/events/series/{series.id}/export",
        f"/admin/events/series/{series.id}/message",
        # not booked as a whole: its feedback is per date, and the page says so
        f"/admin/events/series/{series.id}/feedback",
    ]
    for mailing_list in one_of_each(
        db.session.scalars(sa.select(MailingList)), lambda m: m.is_public
    ):
        urls.append(f"/admin/lists/{mailing_list.id}")
    some = db.session.scalars(sa.select(Subscriber).order_by(Subscriber.id)).first()
    urls += [
        f"/admin/subscribers/{some.id}",
        f"/admin/subscribers/{subscriber.id}",
        f"/admin/subscribers/{subscriber.id}/delete",
        "/admin/consent/events",
        "/admin/subscribers?q=example",
        # the public list filtered (and an empty result), the archive searched
        f"/events/?kind={open_event.kind.slug}&format={open_event.format}"
        f"&month={open_event.starts_at:%Y-%m}",
        "/events/?format=hybrid&month=" + f"{open_event.starts_at:%Y-%m}",
        "/newsletter/?q=Pr%C3%A4vention",
        "/newsletter/?q=gibt-es-nicht",
    ]
    return urls


def log_in(page, editor) -> None:
    page.goto("/admin/login")
    page.get_by_label("E-Mail-Adresse").fill(editor["email"])
    page.get_by_label("Passwort").fill(editor["password"])
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def overflow(page) -> int:
    """How far the page is wider than the window (0: it fits)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


def widest(page) -> list[str]:
    """The elements that stick out on the right, to say in a failure what is too wide."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(-3).map(e => e.tagName + '.' + e.className + ' ' +
                Math.round(e.getBoundingClientRect().right))"""
    )


#: the pages are checked in this many shares, so that the test workers take them at once
SHARES = 3


def _widths_and_shares():
    """Every share at both widths; the wide screen's first share in the PostgreSQL
    pass, so that the two passes (side by side in make test) take about as long."""
    for width, name in ((375, "phone"), (1280, "desktop")):
        for share in range(SHARES):
            marks = [pytest.mark.once_in_postgresql] if width == 1280 and share < 1 else []
            yield pytest.param(width, share, marks=marks, id=f"{name}-share{share + 1}of{SHARES}")


@pytest.mark.parametrize(("width", "share"), list(_widths_and_shares()))
def test_every_page_fits_the_screen_and_passes_axe(app, ctx, page, editor, width, share):
    urls = page_urls(app) + seeded_detail_urls()
    assert "/admin/" in urls and "/events/" in urls and "/newsletter/" in urls
    assert "/barrierefreiheit" in urls and "/barrierefreiheit/danke" in urls
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, editor)
    too_wide = {}
    for url in urls[share::SHARES]:
        response = page.goto(url)
        assert response.ok, f"{url}: {response.status}"
        expect(page.locator("main h1")).to_be_visible()
        if overflow(page):
            too_wide[url] = widest(page)
        assert_accessible(page)
    assert not too_wide, f"wider than {width} px: {too_wide}"


def test_on_a_phone_the_side_bar_opens_with_the_keyboard(page, editor, lists):
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, editor)
    page.goto("/admin/subscribers")
    nav = page.get_by_role("navigation", name="Navigation der Redaktion")
    subscribers = nav.get_by_role("link", name="Abonnent/innen")
    menu = page.locator("summary", has_text="Menü")
    expect(menu).to_be_visible()
    expect(subscribers).to_be_hidden()
    for _ in range(20):  # Tab from the top of the page until the menu button has the focus
        page.keyboard.press("Tab")
        if menu.evaluate("m => m === document.activeElement"):
            break
    else:
        raise AssertionError("the menu button cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(subscribers).to_be_visible()
    expect(subscribers).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Termine")).to_be_visible()
    expect(nav.get_by_role("button", name="Abmelden")).to_be_visible()
    assert overflow(page) == 0
    assert_accessible(page)
    page.keyboard.press("Space")  # closes it again
    expect(subscribers).to_be_hidden()
    page.keyboard.press("Space")
    expect(subscribers).to_be_visible()
    page.keyboard.press("Tab")  # on to the first link of the open menu
    expect(nav.get_by_role("link", name="Übersicht")).to_be_focused()
    page.keyboard.press("Escape")  # closes it, the focus back on its button
    expect(subscribers).to_be_hidden()
    expect(menu).to_be_focused()


def test_on_a_desktop_the_side_bar_is_open_and_marks_the_page(page, editor, lists):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, editor)
    page.goto("/admin/events/series")
    expect(page.locator("summary", has_text="Menü")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Navigation der Redaktion")
    expect(nav.get_by_role("link", name="Reihen")).to_have_attribute("aria-current", "page")
    for name in ("Übersicht", "Ausgaben", "Listen", "Import", "Termine", "Anmeldungen", "Texte"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    for name in ("Geschäftsstelle", "Redaktion", "API-Tokens", "Änderungsprotokoll", "Postausgang"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Ihr Konto")).to_be_visible()
    # a detail page says where it is: the series list, then this series
    series = save_series(None, title="Fachtag Prävention")
    db.session.commit()
    page.goto(f"/admin/events/series/{series.id}")
    crumbs = page.get_by_role("navigation", name="Navigationspfad")
    expect(crumbs.get_by_role("listitem")).to_have_text(["Reihe", "Fachtag Prävention"])
    expect(crumbs.get_by_role("link", name="Reihe")).to_have_attribute(
        "href", "/admin/events/series"
    )
    expect(crumbs.locator('[aria-current="page"]')).to_have_text("Fachtag Prävention")
    expect(nav.get_by_role("link", name="Reihen")).not_to_have_attribute("aria-current", "page")
