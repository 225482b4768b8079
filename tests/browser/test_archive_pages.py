"""The public archive in Chromium with the demo issues: the list, an issue with a
picture and the start page pass axe-core, on a desktop and on a phone-sized screen."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser.conftest import assert_accessible


@pytest.fixture
def demo(ctx):
    from kkp.extensions import db
    from newsletter.models import Article, Issue
    from service.demo import seed

    seed()
    with_picture = db.session.scalar(
        sa.select(Issue).join(Article).where(Issue.status == "sent", Article.image_id.is_not(None))
    )
    return {"slug": with_picture.slug, "title": with_picture.title}


def _fits_the_screen(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("size", [(1280, 900), (360, 740)], ids=["desktop", "phone"])
def test_archive_pages_are_accessible(page, demo, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})

    page.goto("/newsletter/")
    assert page.get_by_role("heading", level=1).text_content() == "Newsletter-Archiv" or (
        page.get_by_role("heading", level=1).text_content() == "Newsletter archive"
    )
    assert page.locator(".archive-list li").count() == 2
    assert page.locator('link[rel=alternate][type="application/atom+xml"]').count() == 1
    assert_accessible(page)
    assert _fits_the_screen(page)

    page.locator(".archive-list a", has_text=demo["title"]).click()
    assert page.url.endswith(f"/newsletter/{demo['slug']}")
    assert page.get_by_role("heading", level=1).text_content() == demo["title"]
    picture = page.locator("article.issue img")
    assert "Balkendiagramm" in picture.get_attribute("alt")
    # the picture loaded and fits: a broken image has no natural width
    picture.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
    )
    box = picture.bounding_box()
    assert 0 < box["width"] <= size[0]
    assert_accessible(page)
    assert _fits_the_screen(page)

    page.goto("/")
    latest = page.locator(".latest-issue a").first
    assert latest.get_attribute("href").startswith("/newsletter/")
    assert_accessible(page)
    assert _fits_the_screen(page)
