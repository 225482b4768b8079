"""Bad input on the issue pages and the issue API that used to end in a 500: pictures
that declare a huge size (decompression bombs) and send times far out."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest

from newsletter.models import Image, Issue
from tests.api_client import Api, api_token
from tests.helpers import row_count as count
from tests.newsletter.conftest import add_confirmed
from tests.newsletter.test_admin_issues import current_form, post_composer, schedule

TOO_MANY_PIXELS = "Das Bild hat zu viele Pixel; bitte verkleinern Sie es."
RANGE = "Bitte geben Sie ein Datum zwischen den Jahren 1900 und 2200 an."


def declared_png(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG that claim `width` × `height` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


#: Pillow refuses (DecompressionBombError), warns (DecompressionBombWarning), and
#: neither (our own limit of 40 million pixels)
BOMBS = [(65_535, 65_535), (20_000, 20_000), (10_000, 10_000), (8_000, 6_000)]


@pytest.mark.parametrize("width, height", BOMBS)
def test_the_composer_refuses_a_decompression_bomb(logged_in, compose, width, height):
    issue_id = compose(articles=1)
    data = current_form(issue_id)
    data["articles-0-image"] = (io.BytesIO(declared_png(width, height)), "bombe.png")
    data["articles-0-image_alt"] = "Eine Bombe"
    response = post_composer(logged_in, f"/admin/issues/{issue_id}", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert TOO_MANY_PIXELS in page.split('id="articles-0-image-error"')[1].split("</")[0]
    assert count(Image) == 0


@pytest.mark.parametrize("width, height", BOMBS)
def test_the_api_refuses_a_decompression_bomb(client, editor, compose, width, height):
    api = Api(client, api_token(editor["id"]))
    issue_id = compose(articles=0)
    picture = base64.b64encode(declared_png(width, height)).decode()
    response = api(
        "POST",
        f"/issues/{issue_id}/articles",
        json={"title": "Bild", "image": {"content_base64": picture, "alt": "Eine Bombe"}},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"image": TOO_MANY_PIXELS}
    assert count(Image) == 0


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00",
        "0001-01-01T00:30+14:00",
        "9999-12-31T23:59",
        "9999-12-31T23:59:59-12:00",
        "2201-01-01T09:00",
    ],
)
def test_the_api_refuses_a_send_time_out_of_range(client, editor, compose, lists, at):
    add_confirmed([lists["kkp-kompakt"]], 1)
    api = Api(client, api_token(editor["id"]))
    issue_id = compose()
    response = api("POST", f"/issues/{issue_id}/schedule", json={"at": at})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"at": RANGE}
    assert count(Issue, Issue.status == "scheduled") == 0


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_schedule_form_refuses_a_day_out_of_range(logged_in, compose, lists, day):
    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose()
    response = schedule(logged_in, issue_id, day, "00:30")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert RANGE in page.split('id="day-error"')[1].split("</")[0]
    assert count(Issue, Issue.status == "scheduled") == 0
