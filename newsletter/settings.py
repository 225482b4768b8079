"""The office's standard texts: settings every issue uses, edited in /admin/settings.

Also the office's legal notice (Impressum) and privacy notice, each either the address
of a page on the office's website or a text (Markdown) that /impressum and
/datenschutz show; `KKP_IMPRESSUM_URL` and `KKP_PRIVACY_URL` are the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from kkp.extensions import db
from kkp.mail.render import legal_links_from
from newsletter.models import OfficeSetting


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    multiline: bool = False
    #: a URL setting: empty means the service's own page
    url: bool = False


#: the texts of /admin/settings
TEXT_SETTINGS = (
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
    Setting("impressum_text", "", multiline=True),
    Setting("privacy_url", "", url=True),
    Setting("privacy_text", "", multiline=True),
    #: the accessibility statement (BITV 2.0); empty: the service's general one
    Setting("accessibility_text", "", multiline=True),
)
#: the office's appearance, /admin/settings/branding (newsletter.branding); empty: the
#: service's own (the name KKP_OFFICE_NAME, no address, KERN's colour, no logo)
BRANDING_SETTINGS = (
    Setting("office_name", ""),
    Setting("postal_address", "", multiline=True),
    Setting("accent_colour", ""),
    #: the id of the logo's `newsletter.models.Image` row; empty: no logo
    Setting("logo_image_id", ""),
)
SETTINGS = TEXT_SETTINGS + BRANDING_SETTINGS
#: the two legal pages: their setting prefix, the environment default, the own page
LEGAL_PAGES = {
    "impressum": ("KKP_IMPRESSUM_URL", "/impressum"),
    "privacy": ("KKP_PRIVACY_URL", "/datenschutz"),
}
_BY_KEY = {s.key: s for s in SETTINGS}


def office_settings() -> dict[str, str]:
    """Every setting, stored value or default; URL settings resolved to absolute URLs."""
    stored = {row.key: row.value for row in db.session.query(OfficeSetting).all()}
    values = {s.key: stored.get(s.key, s.default) for s in SETTINGS}
    base = current_app.config["KKP_BASE_URL"]
    for name, (_variable, path) in LEGAL_PAGES.items():
        values[f"{name}_url"] = legal_page(name, values).url or base + path
    return values


@dataclass(frozen=True)
class LegalPage:
    """What the office published as its legal notice or privacy notice."""

    #: a page elsewhere (the setting, else the environment's default); "" if none
    url: str
    #: Markdown to show on this site's own page; "" if none
    text: str

    @property
    def published(self) -> bool:
        return bool(self.url or self.text.strip())


def legal_page(name: str, stored: dict[str, str] | None = None) -> LegalPage:
    """ "impressum" or "privacy", as the editors (or the operator) set it."""
    variable, _path = LEGAL_PAGES[name]
    if stored is None:
        stored = stored_settings()
    text = stored.get(f"{name}_text", "")
    # the environment's address is a default: a text the editors wrote comes first
    url = stored.get(f"{name}_url") or ("" if text.strip() else current_app.config.get(variable))
    return LegalPage(url=url or "", text=text)


def legal_links() -> dict[str, str]:
    """Where "Legal notice" and "Privacy" lead, in pages and mail: the office's page
    elsewhere, else this site's own (absolute)."""
    stored = stored_settings()
    base = current_app.config["KKP_BASE_URL"]
    return {
        f"{name}_url": legal_page(name, stored).url or base + path
        for name, (_variable, path) in LEGAL_PAGES.items()
    }


@legal_links_from
def _mail_footer_links() -> dict[str, str]:
    return legal_links()


def unpublished_legal_pages() -> list[str]:
    """The legal pages the office has not set yet ("impressum", "privacy")."""
    stored = stored_settings()
    return [name for name in LEGAL_PAGES if not legal_page(name, stored).published]


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
