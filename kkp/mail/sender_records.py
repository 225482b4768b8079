"""What the sender domain check reports (:mod:`kkp.mail.sender_check`): a finding's
status and words, and the DNS record to publish; the tag=value reading of DKIM and
DMARC records."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    MISSING = "missing"
    WRONG = "wrong"
    UNCHECKED = "unchecked"  # the check lacks what it needs to know (a setting)


@dataclass(frozen=True)
class Record:
    """A DNS record to publish."""

    name: str
    type: str
    value: str


@dataclass(frozen=True)
class Finding:
    topic: str  # spf, dkim, dmarc, alignment, return_path
    status: Status
    text: str  # lazily translated
    record: Record | None = None


#: what one check found: its status, the words, the record to publish
Found = tuple[Status, str] | tuple[Status, str, Record]


def tags(record: str) -> dict[str, str]:
    """The tag=value pairs of a DKIM or DMARC record, names in lower case."""
    pairs = (part.partition("=") for part in record.split(";") if "=" in part)
    return {name.strip().lower(): re.sub(r"\s+", "", value) for name, _, value in pairs}
