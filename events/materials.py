"""Materials an editor attaches to an event or a course (a series booked whole):
links (title and an http(s) address) and files of at most :data:`MAX_BYTES`.

A file's type is read from its first bytes, never from its name or the browser's
word: PDF, PNG, JPEG, and the ZIP-based office formats (DOCX/XLSX/PPTX by their
parts, ODT/ODS/ODP by their `mimetype` member); any other ZIP is refused. Its
participants see them on their own page once the event (a course: its first date)
has begun; :mod:`events.follow_up` mails them the list."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from events.course_models import CourseBooking
from events.errors import EventError
from events.material_models import EventMaterial, MaterialKind
from events.models import Event, EventSeries, EventStatus
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.text import text_problem

#: the largest file, in bytes (20 MB)
MAX_BYTES = 20 * 1024 * 1024
#: longest title, in characters
MAX_TITLE = 200
#: longest link, in characters
MAX_URL = 2000
#: a file's first bytes → its media type and extension (ZIPs are looked into)
MAGIC = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
ZIP_MAGIC = b"PK\x03\x04"
_OOXML = "application/vnd.openxmlformats-officedocument."
#: an Office Open XML file's main part → its media type and extension
OOXML_PARTS = (
    ("word/document.xml", _OOXML + "wordprocessingml.document", "docx"),
    ("xl/workbook.xml", _OOXML + "spreadsheetml.sheet", "xlsx"),
    ("ppt/presentation.xml", _OOXML + "presentationml.presentation", "pptx"),
)
#: an OpenDocument file's `mimetype` member → its extension
OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
#: what a stored file name keeps: no path, no control or quoting characters
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')

Owner = Event | EventSeries


def _office_type(data: bytes) -> tuple[str, str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared in OPENDOCUMENT:
                    return declared, OPENDOCUMENT[declared]
            if "[Content_Types].xml" in names:
                for part, content_type, extension in OOXML_PARTS:
                    if part in names:
                        return content_type, extension
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    return None


def sniffed(data: bytes) -> tuple[str, str] | None:
    """The media type and extension `data` is; None: none we take."""
    for magic, content_type, extension in MAGIC:
        if data.startswith(magic):
            return content_type, extension
    if data.startswith(ZIP_MAGIC):
        return _office_type(data)
    return None


def clean_filename(filename: str, extension: str) -> str:
    """The name without its path and unsafe characters, ending in `extension`."""
    name = _UNSAFE.sub("_", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" ._")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{(stem or 'material')[:150]}.{extension}"


def _owner_column(owner: Owner):
    if isinstance(owner, Event):
        return EventMaterial.event_id == owner.id
    return EventMaterial.series_id == owner.id


def _audit(owner: Owner, material: EventMaterial) -> None:
    audit(
        "event.materials" if isinstance(owner, Event) else "event_series.materials",
        owner,
        title=material.title,
    )


def materials_of(owner: Owner) -> list[EventMaterial]:
    """The owner's materials in order, without loading the files' bytes."""
    return list(
        db.session.scalars(
            sa.select(EventMaterial)
            .where(_owner_column(owner))
            .options(sa.orm.defer(EventMaterial.data))
            .order_by(EventMaterial.position, EventMaterial.id)
        )
    )


def material_of(owner: Owner, material_id: int) -> EventMaterial | None:
    return db.session.scalars(
        sa.select(EventMaterial).where(_owner_column(owner), EventMaterial.id == material_id)
    ).first()


def _title_problem(title: str) -> str | None:
    if not title:
        return _("Please enter a title.")
    if len(title) > MAX_TITLE:
        return _("At most %(n)d characters, please.", n=MAX_TITLE)
    return text_problem(title)


def url_problem(url: str) -> str | None:
    """Why `url` is no link we list; None if it is one."""
    if not url:
        return _("Please enter the address of the link.")
    if len(url) > MAX_URL:
        return _("At most %(n)d characters, please.", n=MAX_URL)
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or re.search(r"[\s\x00-\x1f\x7f<>\"]", url)
    ):
        return _("Please enter an address that starts with https:// or http://.")
    return None


def _next_position(owner: Owner) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(EventMaterial.position)).where(_owner_column(owner))
    )
    return (last or 0) + 1


def _owned(owner: Owner, **columns) -> EventMaterial:
    material = EventMaterial(
        event_id=owner.id if isinstance(owner, Event) else None,
        series_id=owner.id if isinstance(owner, EventSeries) else None,
        position=_next_position(owner),
        created_at=utcnow(),
        **columns,
    )
    db.session.add(material)
    db.session.flush()
    return material


def add_link(owner: Owner, title: str, url: str) -> EventMaterial:
    """A link to list; raises :class:`EventError` with every mistake ("title", "url")."""
    title, url = title.strip(), url.strip()
    errors = {}
    if problem := _title_problem(title):
        errors["title"] = problem
    if problem := url_problem(url):
        errors["url"] = problem
    if errors:
        first = next(iter(errors))
        raise EventError(errors[first], first, errors)
    material = _owned(owner, title=title, kind=MaterialKind.LINK, url=url)
    _audit(owner, material)
    return material


def add_file(owner: Owner, title: str, filename: str, data: bytes) -> EventMaterial:
    """A file to offer; the title defaults to the file's name. Raises
    :class:`EventError` with every mistake ("title", "file")."""
    title = title.strip()
    errors = {}
    kind = None
    if not data:
        errors["file"] = _("Please choose a file.")
    elif len(data) > MAX_BYTES:
        errors["file"] = _("The file is larger than 20 MB.")
    elif (kind := sniffed(data)) is None:
        errors["file"] = _(
            "Only PDF, Word, Excel, PowerPoint, OpenDocument, PNG and JPEG files can be uploaded."
        )
    name = clean_filename(filename, kind[1]) if kind else ""
    title = title or name
    if title and (problem := _title_problem(title)):
        errors["title"] = problem
    if errors:
        first = next(iter(errors))
        raise EventError(errors[first], first, errors)
    material = _owned(
        owner,
        title=title,
        kind=MaterialKind.FILE,
        filename=name,
        content_type=kind[0],
        size=len(data),
        data=data,
    )
    _audit(owner, material)
    return material


def delete_material(owner: Owner, material_id: int) -> bool:
    """Delete one of the owner's materials; False if it is gone already."""
    material = material_of(owner, material_id)
    if material is None:
        return False
    _audit(owner, material)
    db.session.delete(material)
    db.session.flush()
    return True


def move_material(owner: Owner, material_id: int, step: int) -> None:
    """One place up (-1) or down (+1); at either end nothing changes."""
    materials = materials_of(owner)
    at = next((i for i, m in enumerate(materials) if m.id == material_id), None)
    if at is None or not 0 <= at + step < len(materials):
        return
    materials[at], materials[at + step] = materials[at + step], materials[at]
    for position, material in enumerate(materials, start=1):
        material.position = position
    db.session.flush()
    _audit(owner, materials[at + step])


def begins_at(owner: Owner) -> datetime | None:
    """When participants first see the materials: the event's start, a course's first
    date's; None for a course without dates."""
    if isinstance(owner, Event):
        return owner.starts_at
    return db.session.scalar(
        sa.select(sa.func.min(Event.starts_at)).where(
            Event.series_id == owner.id, Event.status != EventStatus.CANCELLED
        )
    )


def visible_materials(owner: Owner, now: datetime) -> list[EventMaterial]:
    """What her page lists: the materials once the event or course has begun."""
    start = begins_at(owner)
    if start is None or start > now:
        return []
    return materials_of(owner)


def booking_materials(booking: CourseBooking, now: datetime | None) -> list[EventMaterial]:
    """What a course booking's page lists: the course's materials once its first date
    has begun, then those of each date that has begun; `now` None: all of them."""
    series = booking.series
    found = materials_of(series) if now is None else visible_materials(series, now)
    dates = db.session.scalars(
        sa.select(Event)
        .where(Event.series_id == series.id, Event.status != EventStatus.CANCELLED)
        .order_by(Event.starts_at, Event.id)
    )
    for event in dates:
        if now is None or event.starts_at <= now:
            found.extend(materials_of(event))
    return found
