"""Issue 14's "done when" for bounces: an issue goes out through the worker to the test
SMTP server, each mail with its own return path; a real Postfix notification for one
recipient comes back through the IMAP mailbox (a private Dovecot), a notification for
another through `kkp bounce` (as Postfix's pipe would hand it over), an ARF complaint
for a third through the mailbox as well. All three addresses are blocked at once, the
editors' send report counts the two bounces, and the next issue does not mail them."""

from __future__ import annotations

import re

import sqlalchemy as sa

from kkp.extensions import db
from kkp.mail.models import Delivery
from newsletter import issues, sending
from people.addresses import is_suppressed
from people.bounce_mailbox import poll
from tests.kkp.test_dkim_verp import _issue, configured
from tests.newsletter.test_bounce_mailbox import POSTFIX, SAMPLES, dovecot, drop, mailbox
from tests.newsletter.test_bounces import HARD

__all__ = ["dovecot", "mailbox"]  # fixtures


def _came_back(sample: str, return_path: str) -> bytes:
    return (SAMPLES / sample).read_bytes().replace(b"{VERP}", return_path.encode())


def test_real_deliveries_bounce_through_imap_and_the_pipe(
    app,
    ctx,
    lists,
    mail,
    worker,
    drain,
    dovecot,
    mailbox,
    logged_in,  # noqa: F811
):
    url = f"imaps://{mailbox.user}:{dovecot.PASSWORD}@127.0.0.1:{dovecot.imaps_port}/INBOX"
    with configured(app, KKP_RETURN_PATH="bounces+{token}@kkp.test"):
        app.config["KKP_BOUNCE_IMAP_URL"] = url + "?processed=Processed"
        issue_id = _issue(lists, subscribers=4)
        sent = {m["to"][0]: m["from"] for m in mail.wait_for(4)}
        assert all(re.fullmatch(r"bounces\+\d+-[0-9a-f]{8}@kkp\.test", f) for f in sent.values())

        drop(
            mailbox,
            _came_back(POSTFIX, sent["person0@example.org"]),
            _came_back("arf_complaint.eml", sent["person2@example.org"]),
        )
        piped = app.test_cli_runner().invoke(
            args=["bounce"], input=_came_back(HARD, sent["person1@example.org"])
        )
        assert piped.exit_code == 0, piped.output
        assert sum(poll().values()) == 2

        db.session.rollback()
        blocked = {a for a in sent if is_suppressed(a)}
        assert blocked == {f"person{n}@example.org" for n in (0, 1, 2)}
        page = logged_in.get(f"/admin/issues/{issue_id}/report").get_data(as_text=True)
        assert re.search(r'id="r-bounced">\s*2\s*<', page), page
        bounces = logged_in.get("/admin/bounces").get_data(as_text=True)
        assert "5.1.1" in bounces and "person0@example.org" in bounces

        mail.clear()
        second = issues.create_issue(
            number="9/2026", title="Danach", intro="Hallo", list_ids=[lists["kkp-kompakt"]]
        )
        issues.add_article(second, title="Artikel", body="Text")
        db.session.commit()
        sending.start_sending(second)
        db.session.commit()
        drain()
        assert [m["to"] for m in mail.messages] == [["person3@example.org"]]
        db.session.rollback()
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(
                    Delivery.issue_id == second.id, Delivery.status == "sent"
                )
            )
            == 1
        )
