"""The cluster's data: the schema, the subscribers, the issues, and what came of a send,
counted against the SMTP sink's record (each recipient once, twice, or not at all)."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa

PASSWORD = "cluster-passwort-123"
EDITOR = "cluster@kkp.test"
BODY = (
    "Die Kommunale Kriminalprävention lebt vom Austausch zwischen Verwaltung, Polizei, "
    "Schulen, Jugendhilfe und Zivilgesellschaft. In dieser Ausgabe stellen wir Projekte "
    "vor, die sich in der Praxis bewährt haben."
)
TOKEN_ID = re.compile(r"\+(\d+)-[0-9a-f]+@")


def prepare(app, subscribers: int, small: int) -> dict:
    """Migrate, seed `subscribers` confirmed subscribers on the list "alle" and the first
    `small` of them also on "klein"; an admin with an API token. Returns the ids."""
    from flask_migrate import upgrade

    from kkp.auth.operations import create_editor, create_token
    from kkp.db import utcnow
    from kkp.extensions import db
    from newsletter.models import Subscriber, Subscription
    from newsletter.operations import create_list, publish_consent_text

    with app.app_context():
        upgrade()
        publish_consent_text("Einwilligungstext für den Cluster.")
        everyone = create_list("Alle", slug="alle")
        few = create_list("Klein", slug="klein")
        editor = create_editor(EDITOR, role="admin", password=PASSWORD)
        db.session.flush()
        _row, token = create_token(editor, "cluster")
        now = utcnow()
        step = 20_000
        for first in range(1, subscribers + 1, step):
            ids = range(first, min(first + step, subscribers + 1))
            db.session.execute(
                sa.insert(Subscriber),
                [
                    {
                        "id": i,
                        "email": f"person{i:06d}@example.org",
                        "name": f"Person {i}",
                        "status": "confirmed",
                        "source": "import",
                        "locale": "en" if i % 10 == 0 else "de",
                        "created_at": now,
                        "updated_at": now,
                        "confirmed_at": now,
                    }
                    for i in ids
                ],
            )
            subscriptions = [
                {
                    "subscriber_id": i,
                    "list_id": lst,
                    "status": "confirmed",
                    "requested_at": now,
                    "confirmed_at": now,
                }
                for i in ids
                for lst in ((everyone.id, few.id) if i <= small else (everyone.id,))
            ]
            db.session.execute(sa.insert(Subscription), subscriptions)
        db.session.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('subscriber', 'id'), :n)"),
            {"n": subscribers},
        )
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        ids = {"all": everyone.id, "small": few.id, "token": token}
        db.session.remove()
    return ids


def new_issue(app, list_id: int, title: str) -> int:
    """A draft of three short articles to `list_id`."""
    from kkp.extensions import db
    from newsletter import issues

    with app.app_context():
        issue = issues.create_issue(number=title[:20], title=title, intro=BODY, list_ids=[list_id])
        for k in range(3):
            issues.add_article(issue, title=f"Artikel {k + 1}", body=BODY * 3)
        db.session.commit()
        issue_id = issue.id
        db.session.remove()
    return issue_id


def send_via_api(base: str, token: str, issue_id: int) -> int:
    """POST /api/v1/issues/<id>/send through the proxy; the HTTP status."""
    request = urllib.request.Request(
        f"{base}/api/v1/issues/{issue_id}/send",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        return response.status


def schedule(app, issue_id: int, seconds: float) -> None:
    from datetime import timedelta

    from kkp.db import utcnow
    from kkp.extensions import db
    from newsletter import sending
    from newsletter.models import Issue

    with app.app_context():
        sending.schedule(db.session.get(Issue, issue_id), utcnow() + timedelta(seconds=seconds))
        db.session.commit()
        db.session.remove()


def progress(engine, issue_id: int) -> tuple[str, Counter]:
    """The issue's status and its deliveries by status (read over the network)."""
    with engine.connect() as conn:
        status = conn.execute(
            sa.text("SELECT status FROM issue WHERE id = :i"), {"i": issue_id}
        ).scalar()
        rows = conn.execute(
            sa.text("SELECT status, count(*) FROM delivery WHERE issue_id = :i GROUP BY status"),
            {"i": issue_id},
        ).all()
    return status, Counter({s: n for s, n in rows})


def wait_sent(engine, issue_id: int, timeout: float, every: float = 0.25) -> float:
    """Poll until the issue is "sent"; return the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            status, _counts = progress(engine, issue_id)
        except sa.exc.OperationalError:  # the database is being restarted
            status = None
        if status == "sent":
            return time.monotonic() - started
        time.sleep(every)
    status, counts = progress(engine, issue_id)
    raise RuntimeError(f"issue {issue_id} not sent after {timeout} s: {status} {dict(counts)}")


def diagnosis(engine) -> str:
    """What the database shows when a scenario hangs: the sessions at work and what they
    wait for, each issue's deliveries by status with their oldest and newest change,
    and the scheduler's last tick."""
    queries = {
        "sessions": "SELECT pid, client_addr, state, wait_event_type, wait_event,"
        " now() - xact_start AS xact_age, left(query, 120) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND state <> 'idle'",
        "deliveries": "SELECT issue_id, status, count(*), min(updated_at), max(updated_at)"
        " FROM delivery GROUP BY issue_id, status ORDER BY issue_id, status",
        "issues": "SELECT id, status, last_subscriber_id, max_subscriber_id, updated_at"
        " FROM issue ORDER BY id",
        "ticks": "SELECT value FROM office_setting WHERE key = 'scheduler_ticks'",
        "now": "SELECT now()",
    }
    out = []
    with engine.connect() as conn:
        for name, query in queries.items():
            out.append(f"-- {name}")
            try:
                out.extend(" | ".join(map(str, row)) for row in conn.execute(sa.text(query)))
            except sa.exc.SQLAlchemyError as exc:
                out.append(f"({type(exc).__name__})")
                conn.rollback()
    return "\n".join(out)


def wait_sent_count(engine, issue_id: int, at_least: int, timeout: float) -> None:
    """Poll until at least `at_least` deliveries of the issue are recorded as sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if progress(engine, issue_id)[1].get("sent", 0) >= at_least:
            return
        time.sleep(0.05)
    raise RuntimeError(f"issue {issue_id}: fewer than {at_least} sent after {timeout} s")


@dataclass
class Counts:
    """What a send did, from the database and the sink's record."""

    issue: int
    recipients: int
    rows: int = 0
    by_status: dict = field(default_factory=dict)
    once: int = 0
    duplicated: int = 0  # recipients who got more than one copy
    extra_copies: int = 0
    missing: int = 0  # recipients who got none
    interrupted: int = 0  # rows in doubt (failed: interrupted while handed over)
    interrupted_arrived: int = 0
    sent_not_arrived: int = 0  # "sent" in the database, absent from the sink: must be 0
    bound: int = 0  # the messages that may be in flight when the fault struck
    by_host: dict = field(default_factory=dict)  # messages received from each worker host
    problems: list = field(default_factory=list)

    def check(self) -> list[str]:
        p = []
        if self.rows != self.recipients:
            p.append(f"{self.rows} delivery rows for {self.recipients} recipients")
        if self.sent_not_arrived:
            p.append(f"{self.sent_not_arrived} recorded as sent never arrived")
        unsettled = sum(self.by_status.get(s, 0) for s in ("queued", "sending", "submitting"))
        if unsettled:
            p.append(f"{unsettled} deliveries not settled")
        if self.missing > self.interrupted:
            p.append(f"{self.missing} missing but only {self.interrupted} in doubt")
        if self.extra_copies + self.interrupted > self.bound:
            p.append(
                f"{self.extra_copies} duplicates + {self.interrupted} in doubt exceed the "
                f"in-flight bound {self.bound}"
            )
        self.problems = p
        return p

    def line(self) -> str:
        return (
            f"rows {self.rows:,}, once {self.once:,}, duplicated {self.duplicated:,}, "
            f"missing {self.missing:,}, in doubt {self.interrupted:,} "
            f"(arrived {self.interrupted_arrived:,}), bound {self.bound:,}"
        )

    def as_dict(self) -> dict:
        return asdict(self)


def count(
    engine, sink, issue_id: int, recipients: int, bound: int, hosts_by_address: dict
) -> Counts:
    from kkp.mail import reasons

    received, senders = Counter(), Counter()
    for _rcpt, sender, peer in sink.received():
        match = TOKEN_ID.search(sender)
        if match:
            received[int(match.group(1))] += 1
            senders[(int(match.group(1)), peer)] += 1
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, status, last_error FROM delivery WHERE issue_id = :i"),
            {"i": issue_id},
        ).all()
    c = Counts(issue=issue_id, recipients=recipients, rows=len(rows), bound=bound)
    c.by_status = dict(Counter(r.status for r in rows))
    mine = {r.id for r in rows}
    by_host = Counter()
    for (delivery_id, peer), n in senders.items():
        if delivery_id in mine:
            by_host[hosts_by_address.get(peer, peer)] += n
    c.by_host = dict(by_host)
    for r in rows:
        n = received.get(r.id, 0)
        doubt = r.status == "failed" and reasons.INTERRUPTED in (r.last_error or "")
        c.once += n == 1
        c.duplicated += n > 1
        c.extra_copies += max(0, n - 1)
        c.missing += n == 0
        c.interrupted += doubt
        c.interrupted_arrived += doubt and n > 0
        c.sent_not_arrived += r.status == "sent" and n == 0
    c.check()
    return c


def dump(result: dict) -> str:
    return json.dumps(result, default=str, sort_keys=True)
