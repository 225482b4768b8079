"""The demo content of a first `make run`: lists, subscribers, two sent issues in the
archive and its feeds, a draft for the composer; added once, never twice."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import sqlalchemy as sa


def _count(model) -> int:
    from kkp.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_seeding_fills_the_archive_and_leaves_a_draft(client, ctx):
    from kkp.db import utcnow
    from kkp.extensions import db
    from newsletter.models import Issue
    from service.demo import seed
    from tests.newsletter.test_archive import hostile_markers

    assert seed().startswith("demo content added")
    issues = db.session.scalars(sa.select(Issue).order_by(Issue.started_at)).all()
    sent = [i for i in issues if i.status == "sent"]
    drafts = [i for i in issues if i.status == "draft"]
    assert len(sent) == 2 and len(drafts) == 1
    now = utcnow()
    for issue in sent:
        assert now - timedelta(weeks=8) < issue.started_at < issue.finished_at < now
        assert [m.name for m in issue.lists] == ["KKP Kompakt"]
        assert 3 <= len(issue.articles) <= 5
        assert issue.rendered is None  # never mailed
    assert drafts[0].is_editable and drafts[0].articles
    pictures = [a for i in sent for a in i.articles if a.image is not None]
    assert len(pictures) == 1 and "Balkendiagramm" in pictures[0].image_alt

    html = client.get("/newsletter/").get_data(as_text=True)
    for issue in sent:
        assert f'href="/newsletter/{issue.slug}"' in html and issue.title in html
    assert drafts[0].title not in html
    for issue in sent:
        page = client.get(f"/newsletter/{issue.slug}")
        assert page.status_code == 200
        assert hostile_markers(page.get_data(as_text=True).split("<main", 1)[1]) == []
    assert client.get(f"/newsletter/{drafts[0].slug}").status_code == 404
    picture = pictures[0].image
    image = client.get(f"/newsletter/image/{picture.id}-{picture.sha256[:16]}.png")
    assert image.status_code == 200 and image.mimetype == "image/png"

    for url in ("/newsletter/feed.rss", "/newsletter/feed.atom"):
        parsed = feedparser.parse(client.get(url).data)
        assert not parsed.bozo
        assert [e.title for e in parsed.entries] == [
            f"{i.number}: {i.title}" for i in reversed(sent)
        ]
    assert sent[-1].title in client.get("/").get_data(as_text=True)
    # the office's postal address in every page's footer (and every mail's)
    assert "Musterstraße 12<br>12345 Musterstadt</address>" in client.get("/").get_data(
        as_text=True
    )


def test_seeding_twice_adds_nothing(ctx):
    from newsletter.models import Article, Image, Issue, MailingList, Subscriber
    from service.demo import seed

    seed()
    counts = [_count(m) for m in (MailingList, Subscriber, Issue, Article, Image)]
    assert seed() == "demo content exists already"
    assert [_count(m) for m in (MailingList, Subscriber, Issue, Article, Image)] == counts


def test_no_demo_issues_in_a_database_that_has_issues(ctx):
    from kkp.extensions import db
    from newsletter import issues
    from newsletter.models import Issue
    from service.demo import seed

    issues.create_issue(number="1/2026", title="Eine echte Ausgabe")
    db.session.commit()
    assert seed() == "demo content exists already"
    assert _count(Issue) == 1


def _check_past_course(past) -> None:
    """Last term's course: four dates, attendance marked, certificates for those who
    came to three of four."""
    from events.course_models import Certificate
    from events.models import Registration
    from kkp.extensions import db

    assert len(past) == 4 and len({e.series_id for e in past}) == 1
    assert past[0].series.registration_scope == "course"
    marks = db.session.scalars(
        sa.select(Registration.attendance).where(Registration.event_id.in_([e.id for e in past]))
    ).all()
    assert sorted(marks) == ["absent"] * 4 + ["present"] * 12
    holders = db.session.scalars(sa.select(Certificate.holder_name).order_by(Certificate.id))
    assert list(holders) == ["Jana Oberländer", "Mehmet Arslan", "Aylin Krüger"]


def test_seeding_adds_upcoming_published_events_and_the_draft_announces_one(client, ctx):
    from events.course_models import CourseBooking
    from events.models import Event
    from events.question_models import Answer, ConsentRecord, Question
    from kkp.db import utcnow
    from kkp.extensions import db
    from kkp.i18n import BERLIN
    from newsletter.models import Issue
    from service.demo import seed

    seed()
    now = utcnow()
    everything = db.session.scalars(sa.select(Event).order_by(Event.starts_at)).all()
    past = [e for e in everything if e.starts_at < now]
    _check_past_course(past)
    events = [e for e in everything if e not in past]
    assert len(events) == 10
    assert all(e.status == "published" for e in events)
    assert all(now < e.starts_at < now + timedelta(weeks=10) for e in events)
    # the course of four dates, booked as a whole: six seats taken, one waiting
    course = [e for e in events if e.series and e.series.registration_scope == "course"]
    assert len(course) == 4 and course[0].series.capacity == 6
    assert course[0].series.registration_deadline < course[0].starts_at
    series_id = course[0].series_id
    statuses = sorted(
        b.status
        for b in db.session.scalars(
            sa.select(CourseBooking).where(CourseBooking.series_id == series_id)
        )
    )
    assert statuses == ["confirmed"] * 6 + ["waiting"]
    # its required question, answered by everyone, and the optional consent
    (question,) = db.session.scalars(sa.select(Question).where(Question.series_id == series_id))
    assert question.required
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 7
    assert db.session.scalar(sa.select(sa.func.count(ConsentRecord.id))) == 4
    events = [e for e in events if e not in course]
    by_kind = {}
    for e in events:
        by_kind.setdefault(e.kind.slug, []).append(e)
    assert sorted(by_kind) == [
        "fortbildung",
        "gremiensitzung",
        "infoveranstaltung",
        "netzwerktreffen",
    ]

    training = by_kind["fortbildung"]
    assert len(training) == 3 and len({e.series_id for e in training}) == 1
    assert training[0].series_id is not None and len(training[0].series.events) == 3
    for e in training:
        assert e.capacity == 16 and e.format == "in_person" and e.place
        assert e.registration_mode == "open"
        assert e.registration_deadline is not None and e.registration_deadline < e.starts_at
    start = training[0].starts_at.astimezone(BERLIN)
    assert (start.hour, start.minute) == (9, 30)  # entered in Berlin time
    [info] = by_kind["infoveranstaltung"]
    assert info.format == "online" and info.join_url.startswith("https://")
    assert info.registration_mode == "none"
    [network] = by_kind["netzwerktreffen"]
    assert network.format == "hybrid" and network.registration_mode == "open"
    [committee] = by_kind["gremiensitzung"]
    assert committee.registration_mode == "invitation"

    draft = db.session.scalar(sa.select(Issue).where(Issue.status == "draft"))
    linked = [a.event for a in draft.articles if a.event is not None]
    assert linked == [network, course[0]]  # the course through its first date's block
    _check_course_invitation(client, course)


def _check_course_invitation(client, course) -> None:
    """The sent issue invites to the course people can book: the same title, dates,
    seats, deadline, and a link to its page with the booking form."""
    from kkp.extensions import db
    from kkp.i18n import BERLIN
    from newsletter.models import Article, Issue
    from service.demo_issues import day_text

    series = course[0].series
    (article,) = db.session.scalars(
        sa.select(Article).join(Issue).where(Issue.status == "sent", Article.title == series.title)
    )
    body = article.body
    days = [day_text(e.starts_at.astimezone(BERLIN).date()) for e in course]
    assert [day for day in days if day not in body] == []
    assert "jeweils von 9:30 bis 12:30 Uhr" in body
    assert f"es gibt {series.capacity} Plätze" in body
    assert f"**{series.registration_deadline.astimezone(BERLIN):%d.%m.%Y}**" in body
    path = f"/events/series/{series.slug}"
    assert [link["url"] for link in article.links] == [f"http://kkp.test{path}"]
    page = client.get(path).get_data(as_text=True)
    assert f'action="{path}/book#course-booking"' in page


def test_seeding_twice_adds_no_events(ctx):
    from events.models import Event, EventSeries
    from service.demo import seed

    seed()
    counts = [_count(Event), _count(EventSeries)]
    assert seed() == "demo content exists already"
    assert [_count(Event), _count(EventSeries)] == counts


def test_every_page_of_the_demo_courses_has_something_to_show(logged_in, ctx):
    from events.course_models import Certificate
    from events.models import EventSeries
    from kkp.extensions import db
    from service.demo import seed
    from service.demo_course import PAST_TITLE

    seed()
    past = db.session.scalar(sa.select(EventSeries).where(EventSeries.title == PAST_TITLE))
    number = db.session.scalars(sa.select(Certificate.number)).first()
    pages = {
        f"/admin/events/series/{past.id}/certificates": number,
        f"/admin/events/series/{past.id}/participants": "Jana Oberländer",
        f"/admin/events/series/{past.id}/export": "Besuchte Termine",
        f"/admin/events/{past.events[0].id}/attendance": 'data-count="present">4<',
        f"/certificates/{number}": PAST_TITLE,
    }
    for path, shown in pages.items():
        response = logged_in.get(path)
        assert response.status_code == 200, path
        assert shown in response.get_data(as_text=True), path
