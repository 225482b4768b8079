"""The `kkp` command's own commands (editors, tokens, the clock, the demo, the address
check, the anonymisation of events past their retention period, backup and restore),
added to every app by :func:`register_commands`; the command itself is
:mod:`service.cli`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
import sqlalchemy.exc
from flask import current_app
from flask.cli import with_appcontext

from events.models import Registration
from events.retention import anonymise_due as anonymise_events_due
from kkp.auth.models import ROLES, Editor, EditorRole
from kkp.auth.operations import EditorError, generate_password, known_form
from kkp.auth.operations import create_editor as create_account
from kkp.auth.operations import create_token as create_api_token
from kkp.extensions import db
from kkp.mail.bounce_parse import MAX_BYTES
from kkp.mail.transport import transport_for
from newsletter.address_check import check, subscribers_breaking_policy, suspicious
from people.bounces import process_bounce
from service import schedule
from service.backup import Instance, create_backup, restore_backup
from service.backup_database import BackupError
from service.demo import seed


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
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    try:
        editor = create_account(email, role=role, password=password, name=name)
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
    editor = db.session.scalar(sa.select(Editor).where(Editor.email == known_form(email)))
    if editor is None:
        raise click.ClickException(f"no editor with the address {email}")
    _token, secret = create_api_token(editor, name)
    db.session.commit()
    click.echo(secret)


@click.command("clock")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between ticks.")
@with_appcontext
def clock(interval: float) -> None:
    """Run the scheduler: enqueue a tick every minute (one instance)."""
    schedule.clock(current_app._get_current_object(), interval=interval)


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Add the demo lists, consent text and subscribers (once)."""
    click.echo(seed())


@click.command("run-tick")
@with_appcontext
def run_tick() -> None:
    """Run the scheduler's due work once, in this process."""
    schedule.run_due()


@click.command("anonymise-due")
@with_appcontext
def anonymise_due() -> None:
    """Anonymise the registrations of every event past its retention period now (the
    nightly job does the same)."""
    done = anonymise_events_due()
    click.echo(
        f"{len(done)} events anonymised" + (f": {', '.join(map(str, done))}" if done else "")
    )


@click.command("check-addresses")
@with_appcontext
def check_addresses() -> None:
    """List stored addresses that break the address policy (subscribers, participants,
    editors), with the reason; exit status 1 when there are any."""
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


#: sysexits.h: a temporary failure, the mail server delivers the mail again later
EX_TEMPFAIL = 75


@click.command("bounce")
@click.option(
    "--recipient",
    default=None,
    help="The envelope recipient (the return path the mail came back to), "
    "e.g. Postfix's ${original_recipient}.",
)
@with_appcontext
def bounce(recipient: str | None) -> None:
    """Process a returned mail read from standard input (a pipe transport of the mail
    server). Exit status 0 when processed or ignored, 75 when the database failed, so
    that the mail server tries again."""
    raw = sys.stdin.buffer.read(MAX_BYTES)
    while sys.stdin.buffer.read(1 << 16):  # the rest unread, but taken: no broken pipe
        pass
    try:
        result = process_bounce(raw, envelope_recipient=recipient)
        db.session.commit()
    except sqlalchemy.exc.SQLAlchemyError as exc:
        db.session.rollback()
        click.echo(f"database failure, try again later: {type(exc).__name__}", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(f"{result.kind}: {result.outcome}")


@click.command("backup")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The archive to write (default: kkp-backup-<UTC time>.tar.gz here).",
)
@with_appcontext
def backup(output: Path | None) -> None:
    """Write one archive (tar.gz, owner-only) of the database, the secret key and the
    instance folder's files, consistent while the service runs (docs/backup.md)."""
    db.session.remove()  # no transaction of ours holds the database
    try:
        written = create_backup(
            Instance.of(current_app), output, secret_key=current_app.config["SECRET_KEY"]
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {written}")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore(archive: Path) -> None:
    """Restore an archive of `kkp backup` into this instance; its database must be
    empty (a new SQLite file, or a newly created PostgreSQL database)."""
    db.session.remove()
    db.engine.dispose()  # the restore writes the database through connections of its own
    try:
        restored = restore_backup(Instance.of(current_app), archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = restored.manifest
    click.echo(
        f"restored the backup of {manifest['created_at']} (version {manifest['app_version']}, "
        f"revision {manifest['alembic_revision']})"
    )
    if restored.advice:
        click.echo(restored.advice)


def register_commands(app) -> None:
    for command in (
        create_editor,
        create_token,
        clock,
        seed_demo,
        run_tick,
        check_addresses,
        anonymise_due,
        bounce,
        backup,
        restore,
    ):
        app.cli.add_command(command)
