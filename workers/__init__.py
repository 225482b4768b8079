"""The worker entry point (`dramatiq workers.app`).

The broker set-up is the foundation's (:mod:`kkp.tasks`); each domain declares its
actors in its `tasks` module, and the functions they run name them with ``@runs``.
"""
