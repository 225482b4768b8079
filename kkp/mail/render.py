"""Mail templates as files: `templates/mail/<name>/{subject.txt,body.txt,body.mjml}`.

Each is a Jinja template; the MJML body is compiled to HTML with mjml-python. The
bodies see the rendered subject as `subject` and the office's name, address, colour and
logo (`mail_branding`); they share the layout in
`templates/mail/_layout/` (base.mjml, base.txt with the footer, macros.txt).
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from mjml import mjml2html

from kkp.mail.message import new_message

#: the mail's colour: its header, buttons and links (templates/mail/_layout/base.mjml)
MAIL_COLOUR = "#0b4f8a"


#: returns the addresses of the office's legal notice and privacy notice for the footer
#: of every mail ({"impressum_url": …, "privacy_url": …}); set by the domain that keeps
#: them (the settings), as the foundation knows no domain
_legal_links: Callable[[], dict[str, str]] | None = None


def legal_links_from(fn: Callable[[], dict[str, str]]) -> Callable[[], dict[str, str]]:
    """Register the function that says where the footer's legal links lead."""
    global _legal_links
    _legal_links = fn
    return fn


#: returns what every mail shows of the office: {"office_name": …, "postal_address": …
#: (lines, or ""), "accent": "#rrggbb" (its header, buttons and links), "logo": None or
#: {"url", "width", "height", "alt"}}; set by the domain that keeps them (the settings)
_branding: Callable[[], dict] | None = None


def branding_from(fn: Callable[[], dict]) -> Callable[[], dict]:
    """Register the function that says how the office looks in mail."""
    global _branding
    _branding = fn
    return fn


def mail_branding(config) -> dict:
    """The office's name, address, colour and logo for a mail (see `branding_from`)."""
    default = {
        "office_name": config["KKP_OFFICE_NAME"],
        "postal_address": "",
        "accent": MAIL_COLOUR,
        "logo": None,
    }
    return {**default, **(_branding() if _branding is not None else {})}


def _footer_links(config) -> dict[str, str]:
    if _legal_links is not None:
        return _legal_links()
    return {
        "impressum_url": config.get("KKP_IMPRESSUM_URL") or config["KKP_BASE_URL"] + "/impressum",
        "privacy_url": config.get("KKP_PRIVACY_URL") or config["KKP_BASE_URL"] + "/datenschutz",
    }


def compile_mjml(source: str) -> str:
    html = mjml2html(source)
    if "<mj-" in html:
        raise ValueError("MJML left an unknown <mj- tag in the output")
    return html


def render_mail(
    name: str, context: dict, *, to: str, locale: str = "de", headers: dict[str, str] | None = None
) -> EmailMessage:
    """Render the three parts of mail `name` in `locale` and build the message."""
    config = current_app.config
    context = {
        **mail_branding(config),
        "base_url": config["KKP_BASE_URL"],
        **_footer_links(config),
        "lang": locale,
        **context,
    }
    with force_locale(locale):
        subject = render_template(f"mail/{name}/subject.txt", **context).strip()
        context["subject"] = subject
        text = render_template(f"mail/{name}/body.txt", **context)
        html = compile_mjml(render_template(f"mail/{name}/body.mjml", **context))
    return new_message(
        subject=subject,
        sender=config["KKP_MAIL_FROM"],
        to=to,
        text=text,
        html=html,
        headers=headers,
    )
