"""`make run`: one command starts everything on one machine.

A small supervisor in the manner of honcho: it starts a private Redis on a unix socket
in the instance folder (unless `KKP_BROKER_URL` is set), migrates the database, adds
the demo content and a first admin account, then runs web (gunicorn), worker
(Dramatiq: the bulk queue and the rest), mailer (Dramatiq: the interactive mail
alone) and clock (`kkp clock`) as children, each in its own process group, with
their output prefixed by their name. A child that dies is started again (with a
backoff; after several quick deaths it gives up). Ctrl-C or SIGTERM stops the
children, Redis last.

Run as `python -m service.devserver`; `python -m service.devserver --prepare` is the
migration and seeding step it runs as a child before the others.
"""

from service.devserver.children import Child, commands, describe_status
from service.devserver.output import Fatal, Output
from service.devserver.prepare import ADMIN_EMAIL, PASSWORD_FILE, prepare
from service.devserver.redis import redis_server_binary, start_redis
from service.devserver.supervisor import Supervisor, banner, health, lock_instance, main

__all__ = [
    "ADMIN_EMAIL",
    "PASSWORD_FILE",
    "Child",
    "Fatal",
    "Output",
    "Supervisor",
    "banner",
    "commands",
    "describe_status",
    "health",
    "lock_instance",
    "main",
    "prepare",
    "redis_server_binary",
    "start_redis",
]
