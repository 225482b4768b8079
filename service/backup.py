"""`kkp backup` and `kkp restore`: one tar.gz with a manifest, the database, the secret
key and the instance's own files (docs/backup.md).

Uploads (pictures, materials, sign-in sheet scans, CSV imports) live in the database,
so they come with it. The archive is written owner-only (0600); a restore goes only
into an empty database, checks the manifest and every file's SHA-256 first, and says
when the database needs ``kkp db upgrade`` afterwards.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory

from kkp.config import private_file, private_folder
from service import backup_database as database
from service.backup_database import ARCHIVE_NAMES, BackupError

FORMAT = 1
MANIFEST = "manifest.json"
SECRET_KEY = "secret_key"
#: the instance's files in the archive sit under this folder
FILES = "files"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
#: what the instance folder holds that a backup leaves out: the database (it has its
#: own part), the private Redis (a broker's queues, not data), the font cache, the
#: development server's lock, the running processes' metrics files (web and workers), and
#: backups (kkp-backup-*, and the work folders of backups and restores under way)
LEFT_OUT = {"redis", "fonts", "devserver.lock", "metrics", "worker-metrics", SECRET_KEY}


@dataclass(frozen=True)
class Instance:
    """Where an instance keeps what a backup holds."""

    database_url: str
    folder: Path

    @classmethod
    def of(cls, app) -> Instance:
        return cls(
            database_url=app.config["SQLALCHEMY_DATABASE_URI"],
            folder=Path(app.config.get("KKP_INSTANCE_PATH") or app.instance_path),
        )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def app_version() -> str:
    try:
        return metadata.version("kkp-kompakt")
    except metadata.PackageNotFoundError:
        return "unknown"


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _instance_files(instance: Instance, leave_out: set[Path]) -> list[Path]:
    """The instance folder's own files, as paths relative to it, sorted."""
    if not instance.folder.is_dir():
        return []
    found = []
    for path in sorted(instance.folder.rglob("*")):
        relative = path.relative_to(instance.folder)
        if (
            relative.parts[0] in LEFT_OUT
            or not path.is_file()
            or path.is_symlink()
            or path.resolve() in leave_out
            or relative.parts[0].lstrip(".").startswith(("kkp-backup-", "kkp-restore-"))
        ):
            continue
        found.append(relative)
    return found


def _database_files(instance: Instance) -> set[Path]:
    """A SQLite database and its journal files, wherever they are."""
    if database.kind_of(instance.database_url) != database.SQLITE:
        return set()
    main = database.sqlite_path(instance.database_url)
    return {main, *(main.with_name(main.name + end) for end in ("-wal", "-shm", "-journal"))}


def default_output(now: datetime) -> Path:
    return Path(f"kkp-backup-{now:%Y%m%d-%H%M%S}.tar.gz")


def create_backup(instance: Instance, output: Path | None = None, *, secret_key: str) -> Path:
    """Write the archive to `output` (default: kkp-backup-<time>.tar.gz here) and
    return its path. `secret_key` is the running key: a key file that differs (the key
    comes from KKP_SECRET_KEY) is not the instance's key and is left out."""
    now = datetime.now(UTC).replace(microsecond=0)
    output = (output or default_output(now)).resolve()
    if output.exists():
        raise BackupError(f"{output} exists already; name another file with --output")
    # beside the archive: where the operator made room for it (/tmp may be small)
    with tempfile.TemporaryDirectory(prefix=".kkp-backup-", dir=output.parent) as tmp:
        work = Path(tmp)
        db_name = ARCHIVE_NAMES[database.kind_of(instance.database_url)]
        revision = database.revision(instance.database_url)
        about = database.dump(instance.database_url, work / db_name)
        if database.revision(instance.database_url) != revision:
            raise BackupError("the database was migrated during the backup: run it again")
        members: dict[str, Path] = {db_name: work / db_name}
        key_file = instance.folder / SECRET_KEY
        key_included = key_file.is_file() and key_file.read_text().strip() == secret_key
        if key_included:
            members[SECRET_KEY] = key_file
        for relative in _instance_files(instance, _database_files(instance) | {output}):
            members[str(PurePosixPath(FILES, *relative.parts))] = instance.folder / relative
        snapshot = {}
        for name, path in members.items():  # copied first, so checksum and bytes agree
            copy = work / "copy" / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            if path != copy and not path.is_relative_to(work):
                shutil.copyfile(path, copy)
                path = copy
            snapshot[name] = path
        manifest = {
            "format": FORMAT,
            "app_version": app_version(),
            "alembic_revision": revision,
            "database": about,
            "created_at": now.isoformat(),
            "secret_key": key_included,
            "files": [
                {"name": name, "size": path.stat().st_size, "sha256": sha256(path)}
                for name, path in snapshot.items()
            ],
        }
        _write_archive(output, manifest, snapshot)
    return output


def _write_archive(output: Path, manifest: dict, members: dict[str, Path]) -> None:
    """The tar.gz, owner-only from its first byte, under its name only when complete."""
    partial = output.with_name(f".{output.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
            for name, path in members.items():
                info = tar.gettarinfo(str(path), arcname=name)
                info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                with open(path, "rb") as f:
                    tar.addfile(info, f)
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


# -- restore -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    manifest: dict
    #: what the operator must do next, in words ("" when nothing)
    advice: str


def read_archive(archive: Path, into: Path) -> dict:
    """The archive's files into the folder `into`, each checked against the manifest;
    :class:`BackupError` for anything missing, extra, altered or unsafe."""
    try:
        tar = tarfile.open(archive, mode="r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is no readable backup archive: {exc}") from exc
    with tar:
        try:
            manifest = json.load(tar.extractfile(MANIFEST))
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(f"{archive} has no readable {MANIFEST}") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(
                f"archive format {manifest.get('format')!r}; this version reads format {FORMAT}"
            )
        listed = {entry["name"]: entry for entry in manifest.get("files", [])}
        seen = set()
        for member in tar:
            if member.name == MANIFEST:
                continue
            entry = listed.get(member.name)
            if not _safe(member.name):
                raise BackupError("the archive names a file outside the instance folder")
            if entry is None or not member.isfile() or member.name in seen:
                raise BackupError(f"{member.name!r} in the archive is not in its manifest")
            target = into / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(tar.extractfile(member), out)
            if sha256(target) != entry["sha256"]:
                raise BackupError(
                    f"{member.name} differs from its checksum: the archive is damaged"
                )
            seen.add(member.name)
    missing = set(listed) - seen
    if missing:
        raise BackupError(f"the archive lacks {', '.join(sorted(missing))}")
    return manifest


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and bool(path.parts)


def restore_backup(instance: Instance, archive: Path) -> Restored:
    """The archive into `instance`, whose database must hold no table."""
    kind = database.kind_of(instance.database_url)
    present = database.tables(instance.database_url)
    if present:
        raise BackupError(
            f"the database is not empty ({len(present)} tables): restore only into an "
            "empty database (a new SQLite file, or a newly created PostgreSQL database)"
        )
    private_folder(instance.folder)
    with tempfile.TemporaryDirectory(prefix=".kkp-restore-", dir=instance.folder) as tmp:
        work = Path(tmp)
        manifest = read_archive(archive, work)
        names = [entry["name"] for entry in manifest["files"]]
        about = manifest.get("database") or {}
        if about.get("kind") != kind:
            raise BackupError(
                f"the archive holds a {about.get('kind')} database; this instance uses {kind}"
            )
        clashes = [
            name for name in names if name.startswith(f"{FILES}/")
            and (instance.folder / name.removeprefix(f"{FILES}/")).exists()
        ]  # fmt: skip
        if clashes:
            raise BackupError(f"the instance folder has these files already: {', '.join(clashes)}")
        database.restore(instance.database_url, work / ARCHIVE_NAMES[kind], about)
        for name in names:
            if name == SECRET_KEY or name.startswith(f"{FILES}/"):
                target = instance.folder / name.removeprefix(f"{FILES}/")
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                # the key an empty instance made at its first start signed nothing yet
                shutil.copyfile(work / name, target)
                private_file(target)
    return Restored(manifest, _advice(manifest))


def _advice(manifest: dict) -> str:
    revision, head = manifest.get("alembic_revision"), head_revision()
    lines = []
    if not manifest.get("secret_key"):
        lines.append(
            "The archive holds no secret key (it came from KKP_SECRET_KEY): set the old "
            "KKP_SECRET_KEY, or links in mails sent before stop working."
        )
    if revision != head:
        known = {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
        if revision in known:
            lines.append(
                f"The database is at revision {revision}, this version's is {head}: "
                "run `kkp db upgrade` before starting the service."
            )
        else:
            lines.append(
                f"The database is at revision {revision}, which this version does not know "
                "(a newer version made the backup): start that version instead."
            )
    return "\n".join(lines)
