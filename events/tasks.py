"""The events' background work. They declare no actors of their own:

- a registration's mails (confirmations, invitations, updates, cancellations,
  reminders) are :class:`kkp.mail.models.Delivery` rows, written with the change that
  causes them and sent by the foundation's ``send_delivery`` (:mod:`kkp.mail.tasks`);
- what the clock makes due, the scheduler (:mod:`service.schedule`) runs on every tick:
  :func:`events.operations.send_due_reminders` and
  :func:`events.registrations.expire_holds`.

An actor the events need one day is declared here, as :mod:`newsletter.tasks` does.
"""
