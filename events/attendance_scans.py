"""Scans of a date's signed sign-in sheet: a PDF or a picture (JPEG, PNG) the editor
uploads instead of, or beside, marking attendance on the page. The type is read from
the file's first bytes, never from its name or the browser's word; at most
:data:`MAX_BYTES`."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from events.course_models import AttendanceScan
from events.errors import EventError
from events.models import Event
from kkp.auth.operations import audit
from kkp.extensions import db

#: the largest scan, in bytes (10 MB)
MAX_BYTES = 10 * 1024 * 1024
#: a file's first bytes → its media type and the file name's extension
MAGIC = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
#: what a stored file name keeps: no path, no control or quoting characters
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def sniffed(data: bytes) -> tuple[str, str] | None:
    """The media type and extension `data` starts like; None: none we take."""
    for magic, content_type, extension in MAGIC:
        if data.startswith(magic):
            return content_type, extension
    return None


def clean_filename(filename: str, extension: str) -> str:
    """The name without its path and unsafe characters, ending in `extension`."""
    name = _UNSAFE.sub("_", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" ._")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{(stem or 'scan')[:150]}.{extension}"


def add_scan(event: Event, filename: str, data: bytes) -> AttendanceScan:
    """Keep `data` as a scan of the date's sheet. Raises :class:`EventError` on the
    field "scan" for an empty, too large or other kind of file."""
    if not data:
        raise EventError(_("Please choose a file."), "scan")
    if len(data) > MAX_BYTES:
        raise EventError(_("The file is larger than 10 MB."), "scan")
    kind = sniffed(data)
    if kind is None:
        raise EventError(_("Only PDF, JPEG and PNG files can be uploaded."), "scan")
    content_type, extension = kind
    scan = AttendanceScan(
        event_id=event.id,
        filename=clean_filename(filename, extension),
        content_type=content_type,
        size=len(data),
        data=data,
    )
    db.session.add(scan)
    db.session.flush()
    audit("attendance_scan.upload", event, count=1)
    return scan


def scans(event_id: int) -> list[AttendanceScan]:
    """The date's scans, oldest first, without loading their bytes."""
    return list(
        db.session.scalars(
            sa.select(AttendanceScan)
            .where(AttendanceScan.event_id == event_id)
            .options(sa.orm.defer(AttendanceScan.data))
            .order_by(AttendanceScan.uploaded_at, AttendanceScan.id)
        )
    )


def scan_of(event_id: int, scan_id: int) -> AttendanceScan | None:
    return db.session.scalars(
        sa.select(AttendanceScan).where(
            AttendanceScan.id == scan_id, AttendanceScan.event_id == event_id
        )
    ).first()


def delete_scan(event: Event, scan_id: int) -> bool:
    """Delete one of the date's scans; False if it is gone already."""
    scan = scan_of(event.id, scan_id)
    if scan is None:
        return False
    db.session.delete(scan)
    audit("attendance_scan.delete", event, count=1)
    db.session.flush()
    return True
