"""Background work: the Dramatiq broker set-up and the actors.

Actors are declared with :func:`workers.broker.task` and bound to the broker that
`create_app` builds from `KKP_BROKER_URL`; they take ids and call into the domains'
operations.
"""
