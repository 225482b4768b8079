"""The `kkp` command: Flask's commands plus editors, tokens, the clock and the demo."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from kkp.auth.models import ROLES, EditorRole


def _create_app():
    from kkp import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """KKP Kompakt: newsletter and events for KKP coordination offices."""


@click.command("create-editor")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(ROLES), default=EditorRole.EDITOR.value, show_default=True
)
@click.option("--name", default="", help="Display name.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of generating one.",
)
@with_appcontext
def create_editor(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create an editor account. Without --password-stdin a password is generated and
    printed once."""
    from kkp.auth.operations import EditorError, generate_password
    from kkp.auth.operations import create_editor as create
    from kkp.extensions import db

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    try:
        editor = create(email, role=role, password=password, name=name)
    except EditorError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {editor.role} {editor.email}")
    if not password_stdin:
        click.echo(f"password: {password}")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="CLI", show_default=True, help="What the token is for.")
@with_appcontext
def create_token(email: str, name: str) -> None:
    """Create an API token for an editor and print it once."""
    import sqlalchemy as sa

    from kkp.auth.models import Editor
    from kkp.auth.operations import create_token as create
    from kkp.auth.operations import known_form
    from kkp.extensions import db

    editor = db.session.scalar(sa.select(Editor).where(Editor.email == known_form(email)))
    if editor is None:
        raise click.ClickException(f"no editor with the address {email}")
    _token, secret = create(editor, name)
    db.session.commit()
    click.echo(secret)


@click.command("clock")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between ticks.")
@with_appcontext
def clock(interval: float) -> None:
    """Run the scheduler: enqueue a tick every minute (one instance)."""
    from kkp.schedule import clock as run_clock

    run_clock(current_app._get_current_object(), interval=interval)


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Add the demo lists, consent text and subscribers (once)."""
    from kkp.demo import seed

    click.echo(seed())


@click.command("run-tick")
@with_appcontext
def run_tick() -> None:
    """Run the scheduler's due work once, in this process."""
    from kkp.schedule import run_due

    run_due()


@click.command("check-addresses")
@with_appcontext
def check_addresses() -> None:
    """List stored addresses that break the address policy (subscribers, participants,
    editors), with the reason; exit status 1 when there are any."""
    import sqlalchemy as sa

    from events.models import Registration
    from kkp.auth.models import Editor
    from kkp.extensions import db
    from kkp.mail.transport import transport_for
    from newsletter.address_check import check, subscribers_breaking_policy, suspicious

    dialect = db.session.get_bind().dialect.name
    smtputf8 = transport_for(current_app).supports_smtputf8()
    found = {"subscriber": subscribers_breaking_policy()}
    for name, model in (("registration", Registration), ("editor", Editor)):
        rows = db.session.execute(
            sa.select(model.id, model.email).where(suspicious(model.email, dialect))
        ).all()
        found[name] = check(rows, smtputf8=smtputf8)
    total = sum(len(rows) for rows in found.values())
    for name, rows in found.items():
        for row in rows:
            click.echo(f"{name} {row.id}\t{row.email}\t{row.problem}")
    click.echo(f"{total} stored addresses break the address policy")
    if total:
        sys.exit(1)


def register_commands(app) -> None:
    for command in (create_editor, create_token, clock, seed_demo, run_tick, check_addresses):
        app.cli.add_command(command)
