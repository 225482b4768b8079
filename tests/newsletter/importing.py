"""Walking the import wizard with the test client: upload, then columns and choices."""

from __future__ import annotations

import io
import re
import time

from tests.helpers import csrf_token

_SELECT = re.compile(r'<select[^>]*name="(columns-\d+)"[^>]*>(.*?)</select>', re.S)
_SELECTED = re.compile(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected')


def upload_file(client, content: bytes, *, filename: str = "liste.csv"):
    """The first step; a 303 to the second step when the file was taken."""
    page = client.get("/admin/import").get_data(as_text=True)
    return client.post(
        "/admin/import",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(content), filename)},
    )


def selected_fields(html: str) -> dict[str, str]:
    """The field chosen for each column on the setup page, by the select's name."""
    chosen = {}
    for name, options in _SELECT.findall(html):
        match = _SELECTED.search(options)
        chosen[name] = (match.group(1) or match.group(2) or "") if match else ""
    return chosen


def set_up(
    client,
    url: str,
    *,
    lists,
    evidence: str = "",
    existing: str = "add_lists",
    columns: list[str] | None = None,
):
    """The second step: the columns as suggested (or `columns`), the choices."""
    html = client.get(url).get_data(as_text=True)
    fields = selected_fields(html)
    if columns is not None:
        fields = {f"columns-{i}": field for i, field in enumerate(columns)}
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(html),
            **fields,
            "existing": existing,
            "lists": list(lists),
            "consent_evidence": evidence,
        },
    )


def upload(client, content: bytes, *, lists, filename: str = "liste.csv", **choices):
    """Both steps with the columns as suggested; the first refusal is returned as is."""
    response = upload_file(client, content, filename=filename)
    if response.status_code != 303:
        return response
    return set_up(client, response.headers["Location"], lists=lists, **choices)


def finished(client, response, drain, timeout: float = 30.0) -> tuple[str, dict]:
    """Wait for the job the wizard started; returns its page URL and last progress."""
    assert response.status_code == 303, response.get_data(as_text=True)
    url = response.headers["Location"]
    deadline = time.monotonic() + timeout
    while True:
        drain()
        progress = client.get(url + ".json").get_json()
        if progress["finished"]:
            return url, progress
        assert time.monotonic() < deadline, progress
        time.sleep(0.1)
