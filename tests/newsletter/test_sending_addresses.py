"""Addresses that break a send, and the sweeper that once sent an issue again and again.

An address stored before the address policy (a local part beyond ASCII, a domain in
Unicode) must cost its own delivery at most: everybody else gets the issue once,
however often the sweeper looks afterwards.
"""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests.helpers import parse_mail
from tests.newsletter.conftest import add_confirmed, fresh_issue, send_now, store_unchecked


def _deliveries(issue_id: int | None = None) -> dict[str, object]:
    from kkp.extensions import db
    from kkp.mail.models import Delivery

    db.session.rollback()
    query = sa.select(Delivery)
    if issue_id is not None:
        query = query.where(Delivery.issue_id == issue_id)
    return {d.recipient: d for d in db.session.scalars(query)}


@contextmanager
def chunks_of(app, size: int):
    saved = app.config["KKP_ISSUE_CHUNK_SIZE"]
    app.config["KKP_ISSUE_CHUNK_SIZE"] = size
    try:
        yield
    finally:
        app.config["KKP_ISSUE_CHUNK_SIZE"] = saved


def _sweep_three_periods(app, drain) -> None:
    """Three sweeper periods, each one with everything older than the period."""
    from datetime import timedelta

    from kkp.db import utcnow
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from kkp.mail.operations import sweep_stale
    from newsletter import sending

    for _ in range(3):
        # time passes beyond KKP_DELIVERY_STALE_MINUTES
        db.session.execute(sa.update(Delivery).values(updated_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        sending.sweep()
        sweep_stale()
        db.session.commit()
        drain()


def test_an_address_that_cannot_be_sent_fails_alone_and_nobody_gets_the_issue_twice(
    app, ctx, lists, compose, mail, worker, drain
):
    """The issue's own "done when": a stored address that cannot be encoded among
    ordinary ones; three sweeper periods later every ordinary address has exactly one
    copy and the bad one one failed delivery."""
    from kkp.mail.reasons import NO_SMTPUTF8

    list_id = lists["kkp-kompakt"]
    add_confirmed([list_id], 12)
    store_unchecked("ü@example.org", list_id)  # the relay (aiosmtpd) has no SMTPUTF8
    store_unchecked("иван@пример.рф", list_id)
    store_unchecked("x@bücher.de", list_id)  # a domain in Unicode: sent as its A-label
    add_confirmed([list_id], 12, start=100)
    issue_id = compose()
    with chunks_of(app, 5):
        assert send_now(issue_id) == 27
        mail.wait_for(25)
        drain()
        assert fresh_issue(issue_id).status == "sent"
        _sweep_three_periods(app, drain)

    received = Counter(m["to"][0] for m in mail.messages)
    ordinary = {f"person{i}@example.org" for i in [*range(12), *range(100, 112)]}
    assert set(received) == ordinary | {"x@xn--bcher-kva.de"}
    assert set(received.values()) == {1}, "somebody got the issue twice"
    idn = next(m for m in mail.messages if m["to"] == ["x@xn--bcher-kva.de"])
    assert parse_mail(idn["data"])["To"].addresses[0].domain == "xn--bcher-kva.de"

    deliveries = _deliveries(issue_id)
    for bad in ("ü@example.org", "иван@пример.рф"):
        assert deliveries[bad].status == "failed"
        assert deliveries[bad].attempts == 1
        assert deliveries[bad].last_error.startswith(NO_SMTPUTF8)
    assert Counter(d.status for d in deliveries.values()) == Counter(sent=25, failed=2)
    assert fresh_issue(issue_id).status == "sent"


def test_the_editor_reads_why_in_german(app, ctx, lists, compose, mail, worker, drain, logged_in):
    list_id = lists["kkp-kompakt"]
    add_confirmed([list_id], 3)
    store_unchecked("ü@example.org", list_id)
    issue_id = compose()
    send_now(issue_id)
    mail.wait_for(3)
    drain()
    progress = logged_in.get(f"/admin/issues/{issue_id}/progress.json").get_json()
    (failure,) = progress["failures"]
    assert failure["recipient"] == "ü@example.org"
    assert "Umlauten" in failure["answer"]
    assert progress["failed"] == 1 and progress["sent"] == 3


def test_a_message_that_cannot_be_built_fails_for_its_recipient_alone(
    app, ctx, lists, compose, mail, worker, drain, monkeypatch
):
    """Anything that fails while one recipient's message is made (here: the encoder,
    as it once did for every non-ASCII address) stays with that recipient."""
    from kkp.mail.reasons import UNBUILDABLE
    from newsletter import render

    list_id = lists["kkp-kompakt"]
    add_confirmed([list_id], 9)
    original = render.PreparedIssue.message

    def message(self, recipient, **kwargs):
        if recipient.email == "person4@example.org":
            raise UnicodeEncodeError("ascii", "pérson4", 1, 2, "ordinal not in range(128)")
        return original(self, recipient, **kwargs)

    monkeypatch.setattr(render.PreparedIssue, "message", message)
    issue_id = compose()
    with chunks_of(app, 9):  # all in one chunk: the rest of it must go on
        send_now(issue_id)
        mail.wait_for(8)
        drain()
        _sweep_three_periods(app, drain)
    received = Counter(m["to"][0] for m in mail.messages)
    assert set(received) == {f"person{i}@example.org" for i in range(9)} - {"person4@example.org"}
    assert set(received.values()) == {1}
    failed = _deliveries(issue_id)["person4@example.org"]
    assert failed.status == "failed" and failed.last_error.startswith(UNBUILDABLE)
    assert fresh_issue(issue_id).status == "sent"


def test_with_a_relay_that_takes_smtputf8_such_an_address_gets_its_copy(
    app, ctx, lists, compose, worker, drain, utf8_server
):
    list_id = lists["kkp-kompakt"]
    add_confirmed([list_id], 2)
    store_unchecked("ü@example.org", list_id)
    issue_id = compose()
    send_now(issue_id)
    utf8_server.wait_for(3)
    drain()
    received = {m["to"][0]: m for m in utf8_server.messages}
    assert set(received) == {"person0@example.org", "person1@example.org", "ü@example.org"}
    # RFC 6532: the header is UTF-8 as it stands
    raw = received["ü@example.org"]["data"].decode("utf-8")
    to = email.message_from_string(raw, policy=email.policy.default)["To"]
    assert to.addresses[0].addr_spec == "ü@example.org"
    assert fresh_issue(issue_id).status == "sent"


# -- single mails: confirmations, invitations, reminders ---------------------------------


def test_a_single_mail_to_an_address_the_relay_cannot_take_fails_once(
    app, ctx, lists, compose, mail, worker, drain
):
    from kkp.mail.operations import queue_delivery, sweep_stale
    from kkp.mail.reasons import NO_SMTPUTF8
    from newsletter.models import DeliveryKind

    issue_id = compose()
    from kkp.extensions import db

    queue_delivery(DeliveryKind.ISSUE_TEST, "ü@example.org", params={"issue_id": issue_id})
    queue_delivery(DeliveryKind.ISSUE_TEST, "redaktion@example.org", params={"issue_id": issue_id})
    db.session.commit()
    mail.wait_for(1)
    drain()
    for _ in range(3):
        assert sweep_stale() == 0
    deliveries = _deliveries()
    assert deliveries["redaktion@example.org"].status == "sent"
    bad = deliveries["ü@example.org"]
    assert (bad.status, bad.attempts) == ("failed", 1)
    assert bad.last_error.startswith(NO_SMTPUTF8)
    assert [m["to"] for m in mail.messages] == [["redaktion@example.org"]]


def test_a_single_mail_that_keeps_failing_is_given_up_after_the_cap(app, ctx, lists, compose):
    """A setting that breaks every mail (a DKIM key file that is gone) sends the
    delivery back to the queue; the sweeper hands it out at most MAX_ATTEMPTS times."""
    from datetime import timedelta

    from kkp.db import utcnow
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from kkp.mail.operations import MAX_ATTEMPTS, deliver, queue_delivery, sweep_stale
    from kkp.mail.reasons import GAVE_UP
    from newsletter.models import DeliveryKind

    issue_id = compose()
    delivery_id = queue_delivery(
        DeliveryKind.ISSUE_TEST, "redaktion@example.org", params={"issue_id": issue_id}
    ).id
    db.session.commit()
    saved = {k: app.config.get(k) for k in ("KKP_DKIM_SELECTOR", "KKP_DKIM_DOMAIN",
                                            "KKP_DKIM_KEY_FILE")}  # fmt: skip
    app.config.update(
        KKP_DKIM_SELECTOR="kkp", KKP_DKIM_DOMAIN="kkp.test", KKP_DKIM_KEY_FILE="/nonexistent"
    )
    app.extensions.pop("kkp_dkim", None)
    handed_out = 0
    try:
        for _ in range(MAX_ATTEMPTS + 3):
            try:
                deliver(delivery_id)
            except Exception:  # noqa: BLE001 - the actor's retry would follow
                pass
            db.session.execute(sa.update(Delivery).values(updated_at=utcnow() - timedelta(hours=1)))
            db.session.commit()
            handed_out += sweep_stale()
    finally:
        app.config.update(saved)
        app.extensions.pop("kkp_dkim", None)
    delivery = db.session.get(Delivery, delivery_id)
    db.session.refresh(delivery)
    assert delivery.status == "failed"
    assert delivery.attempts == MAX_ATTEMPTS
    assert delivery.last_error.startswith(GAVE_UP)
    assert handed_out == MAX_ATTEMPTS - 1
    assert sweep_stale() == 0


@pytest.mark.parametrize("issue", [False, True], ids=["single mail", "issue"])
def test_what_may_have_reached_the_server_is_never_handed_out_again(
    app, ctx, lists, compose, mail, worker, drain, issue
):
    """A worker that died while handing a mail over leaves its row in "submitting":
    the sweeper records it as interrupted and sends nothing."""
    from datetime import timedelta

    from kkp.db import utcnow
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from kkp.mail.operations import queue_delivery, sweep_stale
    from kkp.mail.reasons import INTERRUPTED
    from newsletter import sending
    from newsletter.models import DeliveryKind, Issue

    issue_id = compose()
    if issue:
        db.session.get(Issue, issue_id).status = "sending"
        ids = add_confirmed([lists["kkp-kompakt"]], 1)
        delivery = Delivery(
            kind=DeliveryKind.ISSUE, issue_id=issue_id, subscriber_id=ids[0],
            recipient="person0@example.org", status="submitting", attempts=1,
        )  # fmt: skip
        db.session.add(delivery)
    else:
        delivery = queue_delivery(DeliveryKind.ISSUE_TEST, "a@example.org", params={"issue_id": 1})
        delivery.status = "submitting"
        delivery.attempts = 1
    db.session.commit()
    delivery_id = delivery.id
    drain()  # the enqueued single mail finds its row held and does nothing
    db.session.execute(sa.update(Delivery).values(updated_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    for _ in range(3):
        sending.sweep()
        sweep_stale()
        drain()
    row = db.session.get(Delivery, delivery_id)
    db.session.refresh(row)
    assert (row.status, row.last_error) == ("failed", INTERRUPTED)
    assert mail.messages == []


def test_the_editor_may_send_again_to_those_in_doubt(
    app, ctx, lists, compose, mail, worker, drain, logged_in
):
    """After a crash the progress page says how many are in doubt; the editor decides,
    after a confirmation that names the number, to send to them again."""
    from datetime import timedelta

    from kkp.db import utcnow
    from kkp.mail.models import Delivery
    from newsletter import sending
    from newsletter.models import Issue
    from tests.helpers import post_form

    ids = add_confirmed([lists["kkp-kompakt"]], 5)
    issue_id = compose()
    send_now(issue_id)
    mail.wait_for(5)
    drain()
    from kkp.extensions import db

    # two deliveries as a worker that died while handing them over leaves them
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.subscriber_id.in_(ids[:2]))
        .values(status="submitting", updated_at=utcnow() - timedelta(hours=1))
    )
    db.session.execute(sa.update(Issue).values(status="sending"))
    db.session.commit()
    sending.sweep()
    drain()
    assert fresh_issue(issue_id).status == "sent"
    page = logged_in.get(f"/admin/issues/{issue_id}/progress").get_data(as_text=True)
    assert "2 Zustellungen wurden unterbrochen" in page
    confirm = logged_in.get(f"/admin/issues/{issue_id}/resend-interrupted")
    assert "Ja, erneut an 2 Empfänger/innen senden" in confirm.get_data(as_text=True)
    mail.clear()
    response = post_form(
        logged_in,
        f"/admin/issues/{issue_id}/resend-interrupted",
        {},
        page=f"/admin/issues/{issue_id}/resend-interrupted",
    )
    assert response.status_code == 303
    mail.wait_for(2)
    drain()
    assert sorted(m["to"][0] for m in mail.messages) == [
        "person0@example.org",
        "person1@example.org",
    ]
    assert fresh_issue(issue_id).status == "sent"
    assert Counter(d.status for d in _deliveries(issue_id).values()) == Counter(sent=5)


def test_an_issue_delivery_is_handed_out_at_most_max_attempts_times(app, ctx, lists, compose, mail):
    """The sweeper hands an issue's stuck delivery out again only while it has attempts
    left; then it is failed, with the last reason, and the issue can finish."""
    from datetime import timedelta

    from kkp.db import utcnow
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from kkp.mail.operations import MAX_ATTEMPTS
    from kkp.mail.reasons import GAVE_UP
    from newsletter import sending

    ids = add_confirmed([lists["kkp-kompakt"]], 2)
    issue_id = compose()
    send_now(issue_id)
    sending.write_batch(issue_id)
    old = utcnow() - timedelta(hours=1)
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.subscriber_id == ids[0])
        .values(status="sending", attempts=MAX_ATTEMPTS, last_error="451 später", updated_at=old)
    )
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.subscriber_id == ids[1])
        .values(status="sending", attempts=1, updated_at=old)
    )
    db.session.commit()
    assert sending.sweep() == 1  # the one with attempts left goes out again
    deliveries = _deliveries(issue_id)
    given_up = deliveries["person0@example.org"]
    assert given_up.status == "failed"
    assert given_up.last_error == f"{GAVE_UP}: 451 später"
    assert deliveries["person1@example.org"].status == "queued"
