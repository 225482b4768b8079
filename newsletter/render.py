"""An issue as mail: rendered from MJML once per issue and language, then filled in
per recipient without rendering again.

`render_issue` turns the issue into subject, HTML and text that hold placeholders for
the personal parts (greeting, unsubscribe and preference links). `PreparedIssue`
splits them at the placeholders once and builds each recipient's message as bytes:
headers encoded once, bodies joined and quoted-printable encoded (so no line passes
76 characters), CRLF throughout.
"""

from __future__ import annotations

import binascii
import functools
import html
import re
import secrets
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import sqlalchemy as sa
from babel.dates import format_date, format_time
from flask import current_app, render_template
from flask_babel import force_locale, gettext, ngettext
from flask_babel import gettext as _

from events.calendars import location
from events.dates import when
from events.models import EventStatus, RegistrationMode
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from kkp.mail.message import FoldedHeader, header_text, mailbox, sender_address
from kkp.mail.render import compile_mjml
from kkp.markup import own_image_path, own_images, to_html, to_text, with_link_colour
from newsletter.branding import mail_branding
from newsletter.models import Image, Issue

PERSONAL = ("greeting", "unsubscribe_url", "preferences_url")
_PLACEHOLDER = re.compile(r"\[\[kkp:(" + "|".join(PERSONAL) + r")\]\]")
#: the widest an image is shown in mail (600px body minus padding)
MAX_IMAGE_WIDTH = 552


def placeholder(name: str) -> str:
    return f"[[kkp:{name}]]"


def subject_of(issue: Issue, newsletter_name: str) -> str:
    return header_text(f"{newsletter_name} {issue.number}: {issue.title}", 900)


def web_url(issue: Issue) -> str:
    # built by hand, not url_for: workers render outside any request
    return f"{current_app.config['KKP_BASE_URL']}/newsletter/{issue.slug}"


#: where the archive serves the pictures (newsletter/pages/archive.py: image; the path
#: of each is Image.path); the texts may show these and no others (kkp.markup.own_images)
IMAGE_PATH = "/newsletter/image/"
_IMAGE_NAME = r"(\d+)-[0-9a-f]{16}\.(?:png|jpeg|gif|webp)"
own_images(IMAGE_PATH + _IMAGE_NAME)


def image_path(image: Image) -> str:
    """The picture's site path, e.g. "/newsletter/image/12-0123456789abcdef.png"."""
    return image.path


def image_url(image: Image) -> str:
    return current_app.config["KKP_BASE_URL"] + image.path


def text_image_width(src: str) -> int | None:
    """The width in pixels a picture in an article's text is shown with in mail (at
    most :data:`MAX_IMAGE_WIDTH`), or None for a picture we do not know."""
    path = own_image_path(src)
    match = re.fullmatch(re.escape(IMAGE_PATH) + _IMAGE_NAME, path or "")
    if match is None:
        return None
    width = db.session.scalar(sa.select(Image.width).where(Image.id == int(match[1])))
    return min(width, MAX_IMAGE_WIDTH) if width else None


def event_block(event, *, base_url: str, locale: str) -> dict | None:
    """What an article shows of the event it announces, in `locale`: date, place, notes,
    the links to the event's page and its .ics, and the words around them. None for an
    event that is not public (a draft).

    Nothing in it depends on the clock or the registrations, so a feed built from it
    keeps its bytes until the event itself changes.
    """
    if event is None or event.status not in (EventStatus.PUBLISHED, EventStatus.CANCELLED):
        return None
    url = f"{base_url}/events/{event.slug}"
    cancelled = event.status == EventStatus.CANCELLED
    with force_locale(locale):
        notes = []
        if event.registration_mode == RegistrationMode.INVITATION:
            notes.append(_("Participation by invitation."))
        if event.capacity and not cancelled:
            notes.append(
                ngettext("Limited to %(num)d seat.", "Limited to %(num)d seats.", event.capacity)
            )
        if (
            event.registration_mode == RegistrationMode.OPEN
            and event.registration_deadline
            and not cancelled
        ):
            deadline = event.registration_deadline.astimezone(BERLIN)
            until = format_date(deadline, "long", locale=locale)
            if (deadline.hour, deadline.minute) != (23, 59):  # not the end of the day
                until += ", " + format_time(deadline, "HH:mm", locale=locale)
                until += " Uhr" if locale == "de" else ""
            notes.append(_("Registration until %(day)s.", day=until))
        if event.cost_note:
            notes.append(event.cost_note)
        open_mode = event.registration_mode == RegistrationMode.OPEN
        return {
            "title": event.title,
            "when": when(event, locale),
            "place": location(event, with_join_url=False),
            "notes": notes,
            "cancelled": cancelled,
            "url": url,
            "ics_url": f"{url}.ics",
            # without registration, the public calendars show the join link too
            "join_url": event.join_url
            if event.registration_mode == RegistrationMode.NONE and not cancelled
            else "",
            "words": {
                "when": _("When"),
                "where": _("Where"),
                "cancelled": _("Event cancelled"),
                "link": _("Register") if open_mode else _("Details"),
                "calendar": _("Add to calendar"),
                "join": _("Join online"),
            },
        }


def issue_context(issue: Issue, settings: dict[str, str], locale: str | None = None) -> dict:
    """What the issue templates (mail, archive, feeds) show, from the issue's rows;
    event blocks in `locale` (default: the office's language)."""
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    base_url = current_app.config["KKP_BASE_URL"]
    articles = []
    for article in issue.articles:
        image = article.image
        articles.append(
            {
                "id": article.id,
                "title": article.title,
                "html": to_html(article.body),
                "text": to_text(article.body),
                "links": article.links or [],
                "image_url": image_url(image) if image else None,
                "image_alt": article.image_alt,
                "image_width": min(image.width, MAX_IMAGE_WIDTH) if image else None,
                "event": event_block(article.event, base_url=base_url, locale=locale),
            }
        )
    intro_text = to_text(issue.intro)
    return {
        "issue": issue,
        "settings": settings,
        "subject": subject_of(issue, settings["newsletter_name"]),
        "intro_html": to_html(issue.intro),
        "intro_text": intro_text,
        "preview_text": " ".join(intro_text.split())[:150],
        "articles": articles,
        "web_url": web_url(issue),
        "impressum_url": settings["impressum_url"],
        "privacy_url": settings["privacy_url"],
    }


#: words that open a salutation ("Liebe Kolleginnen und Kollegen,", "Hallo zusammen!")
_SALUTATION = re.compile(
    r"(liebe[rs]?|hallo|guten\s+(tag|morgen|abend)|sehr\s+geehrte[rs]?|moin|servus|"
    r"dear|hello|hi)\b",
    re.IGNORECASE,
)


def greets_itself(intro: str | None) -> bool:
    """Whether the intro opens with the editor's own salutation: a short first line that
    ends in a comma and is a paragraph of its own or opens with a greeting word, or one
    that opens with a greeting word and ends in "!". The mail then greets with her words
    alone, not with "Hello <name>," above them too."""
    paragraph = (intro or "").strip().split("\n\n", 1)[0]
    line = paragraph.split("\n", 1)[0].strip().strip("*_ ")
    if not line or len(line) > 150:
        return False
    greeting_word = bool(_SALUTATION.match(line))
    if line.endswith(","):
        return greeting_word or "\n" not in paragraph.strip()
    return line.endswith("!") and greeting_word


def render_issue(issue: Issue, settings: dict[str, str], locale: str = "de") -> dict[str, str]:
    """Subject, HTML and text of the issue with placeholders for the personal parts."""
    context = {
        **mail_branding(settings),
        "base_url": current_app.config["KKP_BASE_URL"],
        "lang": locale,
        **issue_context(issue, settings, locale),
        **{name: placeholder(name) for name in PERSONAL},
        "greets_itself": greets_itself(issue.intro),
    }
    # links the editor wrote: the mail's colour, not the mail program's blue
    # (pictures in the text with the width Outlook needs)
    colour = context["accent"]
    context["intro_html"] = with_link_colour(context["intro_html"], colour, text_image_width)
    context["articles"] = [
        {**article, "html": with_link_colour(article["html"], colour, text_image_width)}
        for article in context["articles"]
    ]
    if context["greets_itself"]:
        # the inbox shows the preview beside the subject: the news, not the salutation
        rest = (issue.intro or "").strip().split("\n\n", 1)[1:]
        context["preview_text"] = " ".join(to_text(rest[0] if rest else "").split())[:150]
    with force_locale(locale):
        html_out = compile_mjml(render_template("mail/issue/body.mjml", **context))
        text_out = render_template("mail/issue/body.txt", **context)
    return {"subject": context["subject"], "html": html_out, "text": _crlf(text_out)}


def greeting(name: str, locale: str) -> str:
    with_name, without = _greetings(locale)
    name = header_text(name, 200)
    return with_name % {"name": name} if name else without


@functools.lru_cache(maxsize=8)
def _greetings(locale: str) -> tuple[str, str]:
    with force_locale(locale):
        return gettext("Hello %(name)s,"), gettext("Hello,")


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _split(template: str) -> list[str]:
    """Literal text at even indexes, placeholder names at odd ones."""
    return _PLACEHOLDER.split(template)


def _qp(text: str) -> bytes:
    """Quoted-printable (RFC 2045) with CRLF line ends and lines of at most 76 octets."""
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    # b2a_qp breaks lines with LF when the text itself has no CRLF; and a line that
    # starts with a dot gets it encoded, so that SMTP needs no dot-stuffing scan
    encoded = encoded.replace(b"\r\n", b"\n").replace(b"\n.", b"\n=2E")
    if encoded.startswith(b"."):
        encoded = b"=2E" + encoded[1:]
    return encoded.replace(b"\n", b"\r\n")


def _encode_literals(parts: list[str]) -> list:
    return [_qp(part) if i % 2 == 0 else part for i, part in enumerate(parts)]


@dataclass
class Recipient:
    email: str
    name: str
    greeting: str
    unsubscribe_url: str
    preferences_url: str
    message_id: str


class PreparedIssue:
    """One language's rendering of an issue, ready to be filled in per recipient."""

    def __init__(
        self,
        rendered: dict[str, str],
        *,
        sender: str,
        list_id: str,
        extra_headers: dict[str, str] | None = None,
    ):
        # Literal pieces quoted-printable encoded once; the personal values per message.
        self._html = _encode_literals(_split(_crlf(rendered["html"])))
        self._text = _encode_literals(_split(rendered["text"]))
        self.boundary = "=_kkp_" + secrets.token_hex(12)
        # Headers that are the same for everyone, encoded once by the email package.
        head = EmailMessage(policy=policy.SMTP)
        head["From"] = sender
        head["Subject"] = FoldedHeader("Subject", rendered["subject"])
        head["List-Id"] = list_id
        head["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        head["Auto-Submitted"] = "auto-generated"
        head["Precedence"] = "bulk"
        for key, value in (extra_headers or {}).items():
            head[key] = header_text(value, 900)
        self._common = (
            bytes(head)[:-2]
            + (  # the header block without its blank line
                "MIME-Version: 1.0\r\n"
                f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n'
            ).encode()
        )
        b = self.boundary
        self._text_head = (
            f'--{b}\r\nContent-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode()
        self._html_head = (
            f'\r\n--{b}\r\nContent-Type: text/html; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode()
        self._end = f"\r\n--{b}--\r\n".encode()

    @staticmethod
    def _fill(encoded: list, values: dict[str, str]) -> bytes:
        """Join the pre-encoded literal pieces and the freshly encoded personal values,
        each piece ending in a soft line break so the next starts a new QP line."""
        out = []
        for i, piece in enumerate(encoded):
            if i % 2:
                piece = _qp(values[piece])
            if piece:
                out.append(piece)
                if not piece.endswith(b"\r\n"):
                    out.append(b"=\r\n")
        if out and out[-1] == b"=\r\n":
            out.pop()
        return b"".join(out)

    def message(self, r: Recipient, *, date: str | None = None) -> bytes:
        """The whole message for one recipient, CRLF line ends, ready for SMTP."""
        text_values = {
            "greeting": r.greeting,
            "unsubscribe_url": r.unsubscribe_url,
            "preferences_url": r.preferences_url,
        }
        html_values = {k: html.escape(v) for k, v in text_values.items()}
        to = mailbox(r.name, r.email).replace("\r", "").replace("\n", "\r\n")  # folded
        personal = (
            f"To: {to}\r\n"
            f"Date: {date or format_datetime(utcnow())}\r\n"
            f"Message-ID: {r.message_id}\r\n"
            f"List-Unsubscribe: <{r.unsubscribe_url}>\r\n"
        ).encode()
        return b"".join(
            (
                self._common,
                personal,
                b"\r\n",
                self._text_head,
                self._fill(self._text, text_values),
                self._html_head,
                self._fill(self._html, html_values),
                self._end,
            )
        )


def list_id_header(issue: Issue, domain: str, newsletter_name: str) -> str:
    """`List-Id` (RFC 2919): the first target list, e.g. `KKP Kompakt <kkp-kompakt.example.org>`."""
    slug = issue.lists[0].slug if issue.lists else "newsletter"
    name = header_text(newsletter_name, 100).replace('"', "")
    return f"{name} <{slug}.{domain}>"


def sender(settings: dict[str, str]) -> str:
    """`From`: the office's sender name with the address of `KKP_MAIL_FROM`."""
    address = sender_address(current_app.config["KKP_MAIL_FROM"])
    return formataddr((header_text(settings["sender_name"], 100), address))
