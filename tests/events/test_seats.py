"""Seats under load: 50 people register at once for 10 seats (and then confirm at
once), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from events.models import Registration
from kkp.extensions import db
from tests.events.conftest import register_confirmed


def _at_once(app, count: int, work) -> list:
    """Run `work(n)` for n in range(count) in as many threads, started together, each
    with its own app context and session; the results (re-raising any error)."""
    start = threading.Barrier(count)
    results: list = []
    errors: list[BaseException] = []

    def one(n: int) -> None:
        with app.app_context():
            try:
                start.wait()
                results.append(work(n))
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def _counts(event_id: int) -> dict[str, int]:
    db.session.expire_all()
    return dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .where(Registration.event_id == event_id)
            .group_by(Registration.status)
        ).all()
    )


def test_fifty_at_once_for_ten_seats(app, make_event):
    """50 register at once: 10 seats held, 40 asked to confirm for the waiting list;
    all 50 confirm at once: 10 confirmed, 40 waiting in a strict order."""
    from events.registrations import confirm, register, waiting_place

    event_id = make_event("Fortbildung Gesprächsführung", kind="fortbildung", capacity=10).id
    db.session.remove()

    def sign_up(n: int) -> str:
        _, outcome = register(
            event_id, name=f"Person {n}", email=f"person{n}@example.org", consent=True
        )
        return outcome

    outcomes = _at_once(app, 50, sign_up)
    assert (outcomes.count("pending"), outcomes.count("pending_waiting")) == (10, 40)
    assert _counts(event_id) == {"pending": 10, "pending_waiting": 40}

    def click(n: int) -> str:
        registration = db.session.scalar(
            sa.select(Registration).where(Registration.email == f"person{n}@example.org")
        )
        return confirm(registration)

    statuses = _at_once(app, 50, click)
    assert (statuses.count("confirmed"), statuses.count("waiting")) == (10, 40)
    assert _counts(event_id) == {"confirmed": 10, "waiting": 40}
    # the waiting list has a strict order: places 1 to 40
    waiting = db.session.scalars(
        sa.select(Registration).where(Registration.status == "waiting")
    ).all()
    assert sorted(waiting_place(r) for r in waiting) == list(range(1, 41))


def test_a_freed_seat_goes_to_the_first_waiting(make_event):
    from events.registrations import cancel

    event = make_event(capacity=2)
    people = [
        register_confirmed(event.id, name=f"P{n}", email=f"p{n}@example.org")[0] for n in range(4)
    ]
    db.session.commit()
    assert [p.status for p in people] == ["confirmed", "confirmed", "waiting", "waiting"]
    cancel(people[0])
    db.session.commit()
    assert [p.status for p in people] == ["cancelled", "confirmed", "confirmed", "waiting"]


def test_raising_the_capacity_moves_people_up(make_event):
    from events.operations import input_from, update_event

    event = make_event(capacity=1)
    people = [
        register_confirmed(event.id, name=f"P{n}", email=f"p{n}@example.org")[0] for n in range(3)
    ]
    data = input_from(event)
    data.capacity = 2
    update_event(event, data)
    db.session.commit()
    assert [p.status for p in people] == ["confirmed", "confirmed", "waiting"]
    data.capacity = None
    update_event(event, data)
    assert [p.status for p in people] == ["confirmed", "confirmed", "confirmed"]


def test_newcomers_queue_behind_the_waiting_list(make_event):
    """A seat freed while people wait is theirs, even before the promotion ran."""
    from events.registrations import register

    event = make_event(capacity=1)
    register_confirmed(event.id, name="A", email="a@example.org")
    register_confirmed(event.id, name="B", email="b@example.org")
    event.capacity = 2  # raised behind the operations' back: no promotion ran
    _, outcome = register(event.id, name="C", email="c@example.org", consent=True)
    assert outcome == "pending_waiting"
    _, outcome = register_confirmed(event.id, name="D", email="d@example.org")
    assert outcome == "waiting"


def test_one_person_registers_once(make_event):
    from events.registrations import cancel, register

    event = make_event()
    first, outcome = register_confirmed(event.id, name="A", email="Anna@Example.org")
    assert outcome == "confirmed"
    again, outcome = register(event.id, name="A", email="anna@example.org", consent=True)
    assert (again.id, outcome) == (first.id, "already")
    cancel(first)
    back, outcome = register(event.id, name="A", email="anna@example.org", consent=True)
    assert (back.id, outcome) == (first.id, "pending")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1


def test_an_invitation_skips_suppressed_and_registered_people(make_event, lists):
    from events.invitations import invite_list
    from events.registrations import register
    from people.addresses import suppress
    from tests.newsletter.conftest import add_confirmed

    event = make_event(registration_mode="open")
    add_confirmed([lists["netzwerktreffen"]], 4)
    register(event.id, name="P0", email="person0@example.org", consent=True)  # unconfirmed
    suppress("person1@example.org", "bounced")  # still on the list, never mailed
    db.session.commit()
    assert invite_list(event.id, lists["netzwerktreffen"]) == 2
    assert invite_list(event.id, lists["netzwerktreffen"]) == 0  # nobody twice
    statuses = dict(db.session.execute(sa.select(Registration.email, Registration.status)).all())
    assert statuses == {
        "person0@example.org": "pending",
        "person2@example.org": "invited",
        "person3@example.org": "invited",
    }
