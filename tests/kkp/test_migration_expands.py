"""The newest migration only expands the schema, and the code from before it still runs
on the schema it makes: `kkp db upgrade` runs while the old version serves
(docs/migrations.md).

The second test is the honest one: the tree of the commit before the newest migration
was added (`git archive`) runs in its own process against a database upgraded to head
by this code. It writes through its own paths (the demo content: lists, subscribers,
issues, events, a course with certificates), reads every row of every model it maps
and serves its public pages. Outside a git checkout it is skipped.
"""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

from service.app import ROOT

MIGRATIONS = ROOT / "migrations"

#: migrations that contract (drop, rename, tighten) on purpose, each with its reason: the
#: release before stopped using what they remove (docs/migrations.md)
CONTRACTS: dict[str, str] = {}

#: operations that take away what the old code reads or writes
REMOVING = {"drop_column", "drop_table", "rename_table"}
WORDS = ("DROP COLUMN", "DROP TABLE", "RENAME ")


def newest_migration() -> tuple[str, Path]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_revision(script.get_current_head())
    return head.revision, Path(head.path)


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg}


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def contractions(source: str) -> list[str]:
    """What the `upgrade()` of a migration's source does that the code of the release
    before cannot live with, in words; empty when it only expands."""
    tree = ast.parse(source)
    upgrade = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
    )
    if upgrade is None:
        return ["no upgrade() found"]
    found = []
    for node in ast.walk(upgrade):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [f"SQL with {w.strip()}" for w in WORDS if w in node.value.upper()]
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        kw = _keywords(node)
        line = f"line {node.lineno}"
        if name in REMOVING:
            found.append(f"{name} ({line})")
        elif name == "alter_column" and "new_column_name" in kw:
            found.append(f"alter_column renames a column ({line})")
        elif name == "alter_column" and _is_false(kw.get("nullable")):
            if "server_default" not in kw:
                found.append(f"alter_column to NOT NULL without a server default ({line})")
        elif name == "Column" and _is_false(kw.get("nullable")):
            if "server_default" not in kw and not _in_create_table(upgrade, node):
                found.append(f"a NOT NULL column without a server default ({line})")
    return found


def _in_create_table(upgrade: ast.FunctionDef, column: ast.Call) -> bool:
    """A new table's columns bind nobody: the old code does not know the table."""
    for node in ast.walk(upgrade):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "create_table":
            if any(column is inner for inner in ast.walk(node)):
                return True
    return False


def test_the_newest_migration_only_expands():
    revision, path = newest_migration()
    found = contractions(path.read_text())
    if revision in CONTRACTS:
        assert found, f"{revision} is listed in CONTRACTS but contracts nothing"
        return
    assert not found, (
        f"{path.name} contracts the schema: {'; '.join(found)}. Split it (docs/migrations.md), "
        "or list it in CONTRACTS with the reason the running release copes"
    )


def test_the_checker_sees_what_contracts():
    source = """
def upgrade():
    op.drop_column("a", "b")
    with op.batch_alter_table("c") as batch_op:
        batch_op.alter_column("d", new_column_name="e")
        batch_op.alter_column("f", nullable=False)
        batch_op.add_column(sa.Column("g", sa.Text(), nullable=False))
        batch_op.add_column(sa.Column("h", sa.Text(), nullable=False, server_default=""))
    op.create_table("t", sa.Column("id", sa.Integer(), nullable=False))
    op.execute("ALTER TABLE x RENAME TO y")
"""
    assert sorted(f.split(" (")[0] for f in contractions(source)) == [
        "SQL with RENAME",
        "a NOT NULL column without a server default",
        "alter_column renames a column",
        "alter_column to NOT NULL without a server default",
        "drop_column",
    ]
    assert contractions("def upgrade():\n    op.add_column('a', sa.Column('b', sa.Text()))") == []


# -- the previous code on the new schema ---------------------------------------------------

#: runs inside the old tree: its own app on the database at head
OLD_CODE = r"""
import json, sys
import sqlalchemy as sa

tree = sys.argv[1]
import kkp
assert kkp.__file__.startswith(tree), kkp.__file__
from service.app import create_app
from kkp.extensions import db

app = create_app({"TESTING": True, "KKP_RATELIMIT_STORAGE_URL": "memory://"})
problems = []
with app.app_context():
    inspector = sa.inspect(db.engine)
    for table in db.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            problems.append(f"table {table.name} is gone")
            continue
        present = {c["name"]: c for c in inspector.get_columns(table.name)}
        gone = [c.name for c in table.columns if c.name not in present]
        problems += [f"{table.name}.{name} is gone" for name in gone]
        problems += [
            f"{table.name}.{name} is required, and this code never fills it"
            for name, c in present.items()
            if name not in table.columns and not c["nullable"] and c.get("default") is None
        ]
    from service.demo import seed
    said = seed()
    db.session.commit()
    rows = {
        mapper.class_.__tablename__: len(db.session.scalars(sa.select(mapper.class_)).all())
        for mapper in db.Model.registry.mappers
    }
pages = {url: app.test_client().get(url).status_code for url in ("/", "/newsletter/", "/events/")}
print(json.dumps({"problems": problems, "seed": said, "rows": rows, "pages": pages}))
"""


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def code_before(path: Path) -> str:
    """The commit whose tree is the code before the migration at `path`: the parent of
    the commit that added it, or HEAD while it is not committed yet."""
    if shutil.which("git") is None:
        pytest.skip("no git: the code before the newest migration cannot be checked out")
    try:
        _git("rev-parse", "--git-dir")
    except subprocess.CalledProcessError:
        pytest.skip("not a git checkout")
    added = _git("log", "--diff-filter=A", "--format=%H", "-1", "--", str(path))
    if not added:
        return "HEAD"
    try:
        return _git("rev-parse", "--verify", f"{added}^")
    except subprocess.CalledProcessError:
        pytest.skip("a shallow checkout: the commit before the newest migration is missing")


@pytest.mark.once_in_postgresql  # a second Python compiles the old tree: about 8 s
def test_the_code_before_the_newest_migration_runs_on_its_schema(app, ctx, tmp_path):
    _revision, path = newest_migration()
    commit = code_before(path)
    tree = tmp_path / "old"
    tree.mkdir()
    packed = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "kkp", "people", "events", "newsletter",
         "service", "workers", "templates", "migrations"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(packed)) as tar:
        tar.extractall(tree, filter="data")
    namespace = f"kkp-old-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KKP_")}
    env.update(
        PYTHONPATH=str(tree),
        KKP_INSTANCE_PATH=str(tmp_path / "instance"),
        KKP_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        KKP_BROKER_URL=app.config["KKP_BROKER_URL"],
        KKP_BROKER_NAMESPACE=namespace,
        KKP_PASSWORD_HASH_TIME_COST="1",
        KKP_PASSWORD_HASH_MEMORY_KIB="32",
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", OLD_CODE, str(tree)],
            cwd=tree, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        _forget(app.config["KKP_BROKER_URL"], namespace)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["problems"] == []
    assert report["seed"] != "demo content exists already"
    assert report["rows"]["subscriber"] and report["rows"]["issue"] and report["rows"]["event"]
    assert report["pages"] == {"/": 200, "/newsletter/": 200, "/events/": 200}


def _forget(url: str, namespace: str) -> None:
    """What the old code enqueued (its mails) stays out of every later test."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{namespace}*"))
    if keys:
        client.delete(*keys)
    client.close()
