"""The prepare step, `python -m service.devserver --prepare`, a child of the supervisor:
migrations, demo content, the first admin account and its password file."""

from __future__ import annotations

import os
from pathlib import Path

ADMIN_EMAIL = "admin@localhost"
PASSWORD_FILE = "admin-password.txt"
#: the prepare step prints this line when the stored admin password still works
PASSWORD_VALID_MARK = "@@kkp-devserver: admin password valid"


# The supervisor imports this module for the constants above and stays small: the app,
# its domains and the database are loaded only here, in the prepare child, hence the
# imports inside the functions below.


def prepare() -> int:
    """Migrate, seed the demo content unless KKP_DEMO=0, create the first admin."""
    from flask_migrate import upgrade

    from kkp.config import instance_path
    from service.app import create_app

    app = create_app()
    instance = instance_path()
    with app.app_context():
        from kkp.extensions import db

        upgrade()
        if os.environ.get("KKP_DEMO", "1") != "0":
            from service.demo import seed

            print(seed(), flush=True)
        _ensure_admin(instance)
        db.session.remove()
        db.engine.dispose()
    return 0


def _ensure_admin(instance: Path) -> None:
    import sqlalchemy as sa
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    from kkp.auth.models import Editor, EditorRole
    from kkp.auth.operations import create_editor, generate_password
    from kkp.extensions import db

    path = instance / PASSWORD_FILE
    if not db.session.scalar(sa.select(sa.func.count(Editor.id))):
        password = generate_password()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        create_editor(ADMIN_EMAIL, role=EditorRole.ADMIN, password=password, name="Admin")
        db.session.commit()
        print(f"created the admin account {ADMIN_EMAIL}; its password is in {path}", flush=True)
        print(PASSWORD_VALID_MARK, flush=True)
        return
    if not path.exists():
        return
    editor = db.session.scalar(sa.select(Editor).where(Editor.email == ADMIN_EMAIL))
    password = path.read_text().strip()
    try:
        valid = (
            editor is not None
            and editor.is_active
            and PasswordHasher().verify(editor.password_hash, password)
        )
    except (VerificationError, InvalidHashError):
        valid = False
    if valid:
        print(PASSWORD_VALID_MARK, flush=True)
    else:
        print(
            f"{path} no longer matches the {ADMIN_EMAIL} account (changed or removed); "
            "log in with your own account",
            flush=True,
        )
    db.session.rollback()
