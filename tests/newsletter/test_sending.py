"""Sending an issue through the real path: batches and chunks on Dramatiq workers with
Redis, into an SMTP server; each confirmed subscriber once, nobody else."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import sqlalchemy as sa

from tests.helpers import html_of, parse_mail, text_of
from tests.newsletter.conftest import add_confirmed, fresh_issue, send_now


def test_each_confirmed_subscriber_of_the_target_lists_gets_one_copy(
    app, ctx, lists, compose, mail, worker, drain
):
    app.config["KKP_ISSUE_BATCH_SIZE"] = 7
    app.config["KKP_ISSUE_CHUNK_SIZE"] = 3
    try:
        on_a = add_confirmed([lists["kkp-kompakt"]], 20)
        on_both = add_confirmed([lists["kkp-kompakt"], lists["fortbildungen"]], 5, start=100)
        on_b = add_confirmed([lists["fortbildungen"]], 4, start=200)
        add_confirmed([lists["netzwerktreffen"]], 6, start=300)  # not a target
        add_confirmed([lists["kkp-kompakt"]], 3, start=400, status="pending")
        issue_id = compose(list_slugs=("kkp-kompakt", "fortbildungen"))
        assert send_now(issue_id) == 29
        mail.wait_for(29)
        drain()
    finally:
        app.config["KKP_ISSUE_BATCH_SIZE"] = 1000
        app.config["KKP_ISSUE_CHUNK_SIZE"] = 100
    received = Counter(m["to"][0] for m in mail.messages)
    expected = {f"person{i}@example.org" for i in [*range(20), *range(100, 105), *range(200, 204)]}
    assert set(received) == expected
    assert set(received.values()) == {1}
    assert len(on_a + on_both + on_b) == 29
    issue = fresh_issue(issue_id)
    assert issue.status == "sent"
    assert issue.finished_at is not None


def test_the_mail_meets_the_bulk_mail_rules(app, ctx, lists, compose, mail, worker, drain):
    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose(intro="Hier die **neue** Ausgabe.")  # greeted by name
    send_now(issue_id)
    raw = mail.wait_for(1)[0]["data"]
    drain()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76  # quoted-printable lines
    msg = parse_mail(raw)
    assert msg["Subject"] == "KKP Kompakt 3/2026: Prävention vor Ort"
    assert msg["To"] == "Person 0 <person0@example.org>"
    assert msg["From"] == "KKP Kompakt <newsletter@kkp.test>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Id"] == "KKP Kompakt <kkp-kompakt.kkp.test>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://kkp\.test/unsubscribe/[\w.\-]+>", msg["List-Unsubscribe"])
    assert re.fullmatch(r"<\d+\.\d+\.\d+@kkp\.test>", msg["Message-ID"])
    assert msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    html, text = html_of(msg), text_of(msg)
    assert '<html lang="de"' in html or 'lang="de"' in html
    assert "<mj-" not in html and "<!--[if mso" in html
    assert "[[kkp:" not in html and "[[kkp:" not in text
    assert "Guten Tag Person 0," in html and "Guten Tag Person 0," in text
    unsubscribe = msg["List-Unsubscribe"].strip("<>")
    assert unsubscribe in text and unsubscribe in html
    assert "http://kkp.test/preferences/" in text
    assert "Artikel 2" in text and "https://example.org/mehr/1" in text
    assert "http://kkp.test/newsletter/" in text


def test_one_click_from_an_issue_leaves_its_lists_only(
    app, ctx, lists, compose, mail, worker, drain, client
):
    add_confirmed([lists["kkp-kompakt"], lists["fortbildungen"], lists["netzwerktreffen"]], 1)
    issue_id = compose(list_slugs=("kkp-kompakt", "fortbildungen"))
    send_now(issue_id)
    msg = parse_mail(mail.wait_for(1)[0]["data"])
    drain()
    url = msg["List-Unsubscribe"].strip("<>").removeprefix("http://kkp.test")
    response = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    from kkp.extensions import db
    from newsletter.models import Subscription

    db.session.rollback()
    left = db.session.scalars(sa.select(Subscription.list_id)).all()
    assert left == [lists["netzwerktreffen"]]


def test_lines_that_start_with_a_dot_arrive_whole(app, ctx, lists, mail, worker, drain):
    """The issue's mail is sent without SMTP dot-stuffing, because no line of it starts
    with a dot: a dot there is quoted-printable encoded. The server would eat it else."""
    from kkp.extensions import db
    from newsletter import issues

    add_confirmed([lists["kkp-kompakt"]], 1)
    issue = issues.create_issue(
        number="5/2026", title="Punkte", intro=".Einleitung", list_ids=[lists["kkp-kompakt"]]
    )
    issues.add_article(issue, title="Dateien", body=".htaccess und\n\n.NET\n\n.\n\nEnde")
    db.session.commit()
    send_now(issue.id)
    raw = mail.wait_for(1)[0]["data"]
    drain()
    assert b"\r\n." not in raw
    text = text_of(parse_mail(raw))
    assert ".Einleitung" in text and ".htaccess" in text and ".NET" in text


SALUTATIONS = re.compile(r"Guten Tag|Hallo|Liebe |Sehr geehrte")


def _salutations(msg) -> tuple[list[str], list[str]]:
    """The greetings in the text part and in the visible text of the HTML part."""
    visible = re.sub(r"<[^>]+>", " ", html_of(msg).split("<body", 1)[1])
    return SALUTATIONS.findall(text_of(msg)), SALUTATIONS.findall(visible)


def test_the_mail_greets_once(app, ctx, lists, mail, compose, worker, drain):
    add_confirmed([lists["kkp-kompakt"]], 1)
    # the editor greets the readers herself: her words, no second greeting above them
    send_now(compose(intro="Liebe Kolleginnen und Kollegen,\n\nhier die **neue** Ausgabe."))
    # no greeting in the intro: the mail greets each reader by name
    send_now(compose(number="4/2026", intro="In dieser Ausgabe: zwei **neue** Projekte."))
    mail.wait_for(2)
    drain()
    by_number = {parse_mail(m["data"])["Subject"].split()[2][:-1]: m for m in mail.messages}
    own = parse_mail(by_number["3/2026"]["data"])
    assert _salutations(own) == (["Liebe "], ["Liebe "])
    assert "Guten Tag Person 0" not in text_of(own) + html_of(own)
    named = parse_mail(by_number["4/2026"]["data"])
    assert _salutations(named) == (["Guten Tag"], ["Guten Tag"])
    assert "Guten Tag Person 0," in text_of(named) and "Guten Tag Person 0," in html_of(named)


@pytest.mark.parametrize(
    "intro, greets",
    [
        ("Liebe Kolleginnen und Kollegen,\n\nhier die Ausgabe.", True),
        ("Sehr geehrte Damen und Herren,\n\nhier die Ausgabe.", True),
        ("**Liebe Netzwerkpartnerinnen und Netzwerkpartner,**\n\nText", True),
        ("Liebe Kolleginnen,\nin dieser Ausgabe zwei Themen.", True),
        ("Hallo zusammen!\n\nText", True),
        ("Dear colleagues,\n\nText", True),
        ("Werte Mitglieder des Netzwerks,", True),
        ("In dieser Ausgabe berichten wir über Bahnhöfe,\nSchulwege und Parks.", False),
        ("Das Jahr geht zu Ende!\n\nText", False),
        ("In dieser Ausgabe: zwei Projekte.", False),
        ("", False),
    ],
)
def test_an_intro_that_greets_itself(intro, greets):
    from newsletter.render import greets_itself

    assert greets_itself(intro) is greets


def test_links_in_the_mail_carry_its_colour(app, ctx, lists, mail, compose, worker, drain):
    """Links in articles and intro are the header's colour, not the mail program's blue;
    inline, as Outlook and Gmail read no style sheet."""
    from kkp.extensions import db
    from newsletter.models import Issue
    from tests.helpers import elements, style_of

    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose(
        intro="Mehr im [Archiv](https://example.org/archiv) und bei <a href='https://example.org/x'>X</a>."
    )
    issue = db.session.get(Issue, issue_id)
    issue.articles[
        0
    ].body += "\n\n- [Liste](https://example.org/liste)\n- <https://example.org/auto>"
    db.session.commit()
    send_now(issue_id)
    html = html_of(parse_mail(mail.wait_for(1)[0]["data"]))
    drain()
    header = re.search(r'<div style="background:(#[0-9a-f]{6});', html).group(1)
    anchors = elements(html, "a")
    hrefs = [attrs["href"] for attrs, _text in anchors]
    for url in ("archiv", "x", "0", "liste", "auto"):
        assert f"https://example.org/{url}" in hrefs, url
    for attrs, text in anchors:
        assert style_of(attrs).get("color") == header, (attrs, text)
