"""The office's standard texts: settings every issue uses, edited in /admin/settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from kkp.extensions import db
from newsletter.models import OfficeSetting


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    multiline: bool = False
    #: a URL setting: empty means the service's own page
    url: bool = False


SETTINGS = (
    Setting("newsletter_name", "KKP Kompakt"),
    Setting("sender_name", "KKP Kompakt"),
    Setting(
        "disclaimer",
        "Für die Inhalte verlinkter Seiten sind ausschließlich deren Betreiber "
        "verantwortlich. Die Beiträge geben die Meinung der jeweiligen Verfasserinnen "
        "und Verfasser wieder.",
        multiline=True,
    ),
    Setting(
        "call_for_contributions",
        "Sie planen eine Veranstaltung oder haben ein Projekt, das andere Netzwerke "
        "kennen sollten? Schicken Sie uns Ihren Beitrag für die nächste Ausgabe.",
        multiline=True,
    ),
    Setting("contact_email", ""),
    Setting("impressum_url", "", url=True),
    Setting("privacy_url", "", url=True),
)
_BY_KEY = {s.key: s for s in SETTINGS}


def office_settings() -> dict[str, str]:
    """Every setting, stored value or default; URL settings resolved to absolute URLs."""
    stored = {row.key: row.value for row in db.session.query(OfficeSetting).all()}
    values = {s.key: stored.get(s.key, s.default) for s in SETTINGS}
    base = current_app.config["KKP_BASE_URL"]
    values["impressum_url"] = (
        values["impressum_url"]
        or current_app.config.get("KKP_IMPRESSUM_URL")
        or base + "/impressum"
    )
    values["privacy_url"] = (
        values["privacy_url"] or current_app.config.get("KKP_PRIVACY_URL") or base + "/datenschutz"
    )
    return values


def stored_settings() -> dict[str, str]:
    """What the settings form shows: stored values, defaults for the rest, URLs as entered."""
    stored = {row.key: row.value for row in db.session.query(OfficeSetting).all()}
    return {s.key: stored.get(s.key, s.default) for s in SETTINGS}


def save_settings(values: dict[str, str]) -> None:
    for key, value in values.items():
        if key not in _BY_KEY:
            raise KeyError(key)
        row = db.session.get(OfficeSetting, key)
        if row is None:
            db.session.add(OfficeSetting(key=key, value=value))
        else:
            row.value = value
