"""The office's appearance (/admin/settings/branding): name, postal address, accent
colour and logo, shown on every public page and in every mail (issue 12)."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image as PILImage

from tests.helpers import csrf_token, elements, html_of, parse_mail, text_of
from tests.newsletter.conftest import add_confirmed, send_now
from tests.newsletter.test_signup_flow import subscribe

PAGE = "/admin/settings/branding"
ADDRESS = "Stadt Musterstadt – Kriminalpräventiver Rat\nMarkt 1\n12345 Musterstadt"
COLOUR = "#7a1f5c"


def picture(kind: str = "PNG", size=(400, 100)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, (122, 31, 92)).save(out, kind)
    return out.getvalue()


def post(client, *, logo: tuple[bytes, str] | None = None, **changes):
    html = client.get(PAGE).get_data(as_text=True)
    data = {
        "office_name": "Präventionsrat Musterstadt",
        "postal_address": ADDRESS,
        "accent_colour": COLOUR,
        "csrf_token": csrf_token(html),
        **changes,
    }
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[0]), logo[1])
    return client.post(PAGE, data=data, content_type="multipart/form-data")


def set_branding(logo: bool = True) -> None:
    """The appearance as the admin page saves it, through the same operation."""
    from kkp.extensions import db
    from newsletter.branding import save_branding

    save_branding(
        office_name="Präventionsrat Musterstadt",
        postal_address=ADDRESS,
        accent_colour=COLOUR,
        logo=picture() if logo else None,
        remove_logo=False,
    )
    db.session.commit()


def test_the_contrast_rule():
    from newsletter.branding import colour_problem, contrast

    assert contrast("#ffffff", "#000000") == pytest.approx(21)
    assert contrast("#0b4f8a", "#ffffff") > 8
    assert colour_problem("") is None
    assert colour_problem("#0b4f8a") is None
    assert colour_problem("#767676") is not None  # 4.54:1 on white, 4.2:1 on the footer
    for bad in ("0b4f8a", "#0b4f8", "#0b4f8aa", "#0b4g8a", "blue", "#FFF"):
        assert colour_problem(bad) is not None, bad


def test_every_refusal_at_once_and_the_input_kept(logged_in, app):
    from newsletter.settings import stored_settings

    response = post(logged_in, accent_colour="blau", logo=(b"not a picture", "logo.png"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Es wurde nichts gespeichert" in html
    assert "sechs hexadezimalen Ziffern" in html  # the colour's form
    assert "PNG-, JPEG- oder WebP-Bild" in html  # the logo's
    assert 'value="blau"' in html and "12345 Musterstadt" in html
    assert 'value="Präventionsrat Musterstadt"' in html

    response = post(logged_in, accent_colour="#FFCC00", logo=(b"<svg xmlns='x'/>", "l.svg"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "zu hell" in html and "mindestens 4,5:1" in html
    assert "PNG-, JPEG- oder WebP-Bild" in html

    # a GIF is a picture, but no logo
    response = post(logged_in, logo=(picture("GIF"), "logo.gif"))
    assert response.status_code == 422
    assert "PNG-, JPEG- oder WebP-Bild" in response.get_data(as_text=True)

    # and in English
    logged_in.set_cookie("kkp_lang", "en")
    response = post(logged_in, accent_colour="#bbbbbb", logo=(b"GIF89a", "logo.gif"))
    html = response.get_data(as_text=True)
    assert "This colour is too light" in html and "contrast 1.7:1, at least 4.5:1" in html
    assert "Please upload the logo as a PNG, JPEG or WebP image." in html

    with app.app_context():
        stored = stored_settings()
    assert stored["postal_address"] == "" and stored["logo_image_id"] == ""


def test_the_pages_show_the_office(logged_in, app):
    from kkp.auth.models import AuditEntry
    from kkp.extensions import db

    response = post(logged_in, accent_colour="#7A1F5C", logo=(picture(), "logo.png"))
    assert response.status_code == 303, response.get_data(as_text=True)

    public = app.test_client()
    html = public.get("/events/").get_data(as_text=True)
    brand = [text for attrs, text in elements(html, "a") if attrs.get("class") == "brand"]
    assert brand == ["Präventionsrat Musterstadt"], html[:3000]
    (logo,) = [a for a, _t in elements(html, "img") if a.get("class") == "brand-logo"]
    assert re.fullmatch(r"/newsletter/image/\d+-[0-9a-f]{16}\.png", logo["src"])
    assert (logo["width"], logo["height"]) == ("192", "48")  # 400×100 at 48px high
    assert logo["alt"] == ""  # the name beside it says it
    assert "<span>Präventionsrat Musterstadt</span></a>" in html
    assert "– Präventionsrat Musterstadt</title>" in html
    assert (
        '<address class="postal-address">Stadt Musterstadt – Kriminalpräventiver Rat<br>'
        "Markt 1<br>12345 Musterstadt</address>"
    ) in html
    assert " style=" not in html
    assert public.get(logo["src"]).mimetype == "image/png"

    # the colour: a style sheet, named by the colour, cached and revalidated
    assert '<link rel="stylesheet" href="/branding.css?v=7a1f5c">' in html
    css = public.get("/branding.css?v=7a1f5c")
    assert css.mimetype == "text/css"
    assert "--brand: #7a1f5c;" in css.get_data(as_text=True)
    assert "--brand-dark: #62194a;" in css.get_data(as_text=True)
    again = public.get("/branding.css", headers={"If-None-Match": css.headers["ETag"]})
    assert again.status_code == 304

    with app.app_context():
        (entry,) = db.session.query(AuditEntry).filter_by(action="settings.change").all()
        assert set(entry.details["keys"]) == {
            "office_name",
            "postal_address",
            "accent_colour",
            "logo_image_id",
        }

    # the logo removed, the colour back to the design's own
    page = logged_in.get(PAGE).get_data(as_text=True)
    assert "Logo von Präventionsrat Musterstadt" in page
    response = post(logged_in, accent_colour="", remove_logo="y")
    assert response.status_code == 303
    html = public.get("/").get_data(as_text=True)
    assert "brand-logo" not in html and "branding.css" not in html
    assert "Präventionsrat Musterstadt" in html
    assert "/* the office's colours: none set" in public.get("/branding.css").get_data(as_text=True)


def test_every_mail_names_the_office_and_its_address(ctx, client, lists, mail, drain):
    set_branding()
    assert subscribe(client, lists=[lists["kkp-kompakt"]]).status_code == 303
    drain()
    (received,) = mail.wait_for(1)
    msg = parse_mail(received["data"])
    text = text_of(msg)
    assert "Präventionsrat Musterstadt\r\n" + ADDRESS.replace("\n", "\r\n") + "\r\n" in text
    html = html_of(msg).replace("<br />", "<br>")
    assert "Markt 1<br>12345 Musterstadt" in html
    (logo,) = [a for a, _t in elements(html, "img") if "/newsletter/image/" in a.get("src", "")]
    assert logo["src"].startswith("http://kkp.test/newsletter/image/")
    assert logo["alt"] == "Präventionsrat Musterstadt"
    assert (logo["width"], logo.get("height")) == ("240", "60")  # 400×100 in 240×64
    assert COLOUR in html and "#0b4f8a" not in html


def test_the_issue_shows_logo_and_address(ctx, lists, compose, mail, worker, drain):
    set_branding()
    add_confirmed([lists["kkp-kompakt"]], 1)
    send_now(compose())
    (received,) = mail.wait_for(1)
    drain()
    msg = parse_mail(received["data"])
    assert ADDRESS.replace("\n", "\r\n") in text_of(msg)
    html = html_of(msg).replace("<br />", "<br>")
    assert "Stadt Musterstadt – Kriminalpräventiver Rat<br>Markt 1<br>12345 Musterstadt" in html
    (logo,) = [a for a, _t in elements(html, "img") if "/newsletter/image/" in a.get("src", "")]
    assert logo["alt"] == "Präventionsrat Musterstadt" and logo["width"] == "240"
    # the editor's links take the office's colour too
    assert f"color:{COLOUR}" in html.replace(" ", "") and "#0b4f8a" not in html


def test_the_office_s_words_are_escaped(ctx, client, lists, mail, drain):
    from kkp.extensions import db
    from newsletter.branding import save_branding

    save_branding(
        office_name="Rat <b>Musterstadt</b>",
        postal_address="<script>x()</script>\nMarkt 1",
        accent_colour="",
        logo=None,
        remove_logo=False,
    )
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Rat &lt;b&gt;Musterstadt&lt;/b&gt;" in html and "<script>x()" not in html
    assert subscribe(client, lists=[lists["kkp-kompakt"]]).status_code == 303
    drain()
    (received,) = mail.wait_for(1)
    mail_html = html_of(parse_mail(received["data"]))
    assert "&lt;script&gt;x()&lt;/script&gt;" in mail_html and "<script>x()" not in mail_html


def test_without_settings_the_mail_looks_as_before(ctx, client, lists, mail, drain):
    assert subscribe(client, lists=[lists["kkp-kompakt"]]).status_code == 303
    drain()
    (received,) = mail.wait_for(1)
    msg = parse_mail(received["data"])
    assert "Geschäftsstelle KKP\r\nImpressum: " in text_of(msg)
    html = html_of(msg)
    assert "/newsletter/image/" not in html and "#0b4f8a" in html
