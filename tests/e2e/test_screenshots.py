"""Screenshots of the main pages with realistic data, for docs/screenshots/ (and proof that they render).

Each page is checked for what a person would look for before it is shot, and for a page wider
than the window (a layout that breaks on a phone shows up as a horizontal scroll).
"""
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from recorder.models import Session
from tests.conftest import make_batch, post_batch
from tests.e2e.conftest import login
from tests.e2e.test_player import ERROR, open_player, shop_recording, store_recording
from tests.factories import SiteFactory, UserFactory
from tests.test_session_list import store_session

# Sequences start again at 1, so the pictures show "site id 1" rather than whatever ran before.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, reset_sequences=True)]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

VISITS = [
    # (identity, tags, paths, duration s, errors, agent, hours ago)
    ("maria.gonzalez@acme.io", {"plan": "enterprise", "role": "admin"}, ("/", "/pricing", "/checkout"), 412, 0,
     "chrome-windows", 1),
    ("", {"campaign": "spring-sale"}, ("/blog/first-flush-darjeeling",), 95, 0, "safari-iphone", 2),
    ("j.chen", {"plan": "pro"}, ("/account", "/account/billing"), 233, 2, "firefox-linux", 5),
    ("", {}, ("/",), 18, 0, "chrome-windows", 8),
    ("oliver@northwind.example", {"plan": "trial", "vip": "true"}, ("/teas/oolong", "/cart"), 1290, 1,
     "safari-ipad", 26),
    ("", {"campaign": "newsletter"}, ("/teas/green", "/teas/green/sencha"), 61, 0, "chrome-windows", 30),
]


def no_horizontal_scroll(page) -> bool:
    """Neither the page nor a table in it is wider than its box."""
    return page.evaluate("""() => document.documentElement.scrollWidth <= window.innerWidth
        && [...document.querySelectorAll('.table-wrap')].every((w) => w.scrollWidth <= w.clientWidth)""")


@pytest.fixture
def shop(client, live_server):
    """An owner with three sites; the tea shop has a few days of realistic visits and one full recording."""
    owner = UserFactory(username="maria")
    shop = SiteFactory(owner=owner, name="Tea & Leaf shop", domains=["shop.example.com", "www.example.com"])
    SiteFactory(owner=owner, name="Docs portal", domains=["docs.example.com"])
    SiteFactory(owner=owner, name="Marketing site", domains=["example.com"])
    now = timezone.now()
    visits = [
        store_session(client, shop, started=now - timedelta(hours=hours), duration_s=seconds, paths=paths,
                      identity=identity or None, tags=tags, errors=errors, agent=agent, vid=f"visitor-{number:04d}")
        for number, (identity, tags, paths, seconds, errors, agent, hours) in enumerate(VISITS)
    ]
    recorded = store_recording(client, shop, shop_recording(int(time.time() * 1000) - 20 * 60_000,
                                                            identity="alice@example.com",
                                                            tags={"plan": "gold", "source": "ads"}))
    # Maria's visit is still going on; the others are over.
    Session.objects.filter(site=shop).exclude(pk=visits[0].pk).update(status=Session.FINISHED)
    return shop, recorded


def shoot(page, name: str, *, full_page: bool = True):
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert no_horizontal_scroll(page), f"{name}: the page is wider than the window"
    page.screenshot(path=str(SHOTS / name), full_page=full_page)


def test_screenshots_of_the_main_pages(shop, client, live_server, browser, monkeypatch):
    monkeypatch.setattr("recorder.refusals._noted", {})  # ingest notes one refusal per site every 5 s
    site, recorded = shop
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        login(page, live_server, "maria")

        page.goto(f"{live_server.url}/sites/")
        assert page.locator(".site-grid .card").count() == 3
        shoot(page, "site-list.png")

        # A page of the shop on a domain the site does not list yet: the install page says so.
        assert post_batch(client, make_batch(site.pk), origin="https://blog.example.com").status_code == 403
        page.goto(f"{live_server.url}/sites/{site.pk}/install/")
        assert page.get_by_test_id("install-status").inner_text() == "Recording"
        assert "https://blog.example.com" in page.get_by_test_id("install-refusals").inner_text()
        shoot(page, "install.png")

        page.goto(f"{live_server.url}/sites/{site.pk}/?date_from={timezone.now().date() - timedelta(days=7)}")
        assert page.locator("tr[data-session]").count() == len(VISITS) + 1
        assert page.locator(".tag").count() >= 8
        assert page.locator(".chip").count() == 1
        shoot(page, "sessions.png")

        open_player(page, live_server, site, recorded, "?t=6.2")
        page.get_by_test_id("tab-console").click()
        page.get_by_test_id("console-entry").filter(has_text=ERROR).wait_for()
        assert abs(page.evaluate("window.__hsPlayer.replayer.getCurrentTime()") - 6200) < 500
        page.mouse.move(0, 0)
        shoot(page, "player.png")

        page.goto(f"{live_server.url}/sites/{site.pk}/settings/")
        assert page.get_by_role("button", name="Save").count() >= 1
        shoot(page, "settings.png")
    finally:
        context.close()


def test_screenshots_at_phone_width(shop, live_server, browser):
    site, recorded = shop
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        login(page, live_server, "maria")

        page.goto(f"{live_server.url}/sites/{site.pk}/")
        assert page.locator("tr[data-session]").count() == len(VISITS) + 1
        shoot(page, "sessions-mobile.png")

        open_player(page, live_server, site, recorded, "?t=6.2")
        page.get_by_test_id("tab-console").click()
        assert page.frame_locator("#hs-player iframe").locator("h1").is_visible()
        shoot(page, "player-mobile.png")
    finally:
        context.close()


def test_the_api_docs_render_without_the_internet(live_server, browser):
    """Swagger UI comes from this server (drf-spectacular-sidecar): the machine that runs this has no internet."""
    UserFactory(username="maria")
    context = browser.new_context(viewport=DESKTOP)
    elsewhere = []
    context.on("request", lambda request: None if request.url.startswith((live_server.url, "data:"))
               else elsewhere.append(request.url))
    try:
        page = context.new_page()
        login(page, live_server, "maria")
        page.goto(f"{live_server.url}/api/v1/docs/")

        page.locator(".opblock-summary-path", has_text="/api/v1/sites/{site_id}/sessions/").wait_for(timeout=20_000)
        assert page.locator(".opblock").count() >= 5
        assert elsewhere == []
        shoot(page, "api-docs.png", full_page=False)
    finally:
        context.close()
