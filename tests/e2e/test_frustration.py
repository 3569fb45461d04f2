"""Frustration signals end to end: a real visit in Chromium, the real recorder, a real worker, the dashboard."""
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from recorder.models import Chunk, PageView, Session
from sites.snippet import site_snippet
from tests.e2e.conftest import flush_now, login, recorder_started, wait_for
from tests.e2e.test_capture import html, make_site
from tests.e2e.test_screenshots import SHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

SHOP = """
<style>
  body { font: 16px system-ui, sans-serif; margin: 0; background: #f7f4ee; color: #2b2118; }
  header { background: #2f5d50; color: #fff; padding: 18px 32px; font-size: 22px; font-weight: 700; }
  main { padding: 24px 32px; } button { font: inherit; padding: 10px 18px; margin: 6px; border-radius: 6px;
  border: 1px solid #2f5d50; background: #fff; } #boom { background: #2f5d50; color: #fff; }
</style>
<header>Tea &amp; Leaf</header>
<main>
<h1 id="title">Your basket</h1>
<p>Darjeeling first flush, 100 g — €14.50</p>
<button id="rage">Apply coupon</button>
<button id="dead">Details</button>
<button id="boom">Pay</button>
<button id="calm">Add to basket</button>
<button id="spa">Help</button>
<label id="terms">I accept the terms <input type="checkbox" id="accept"></label>
<p id="out"></p>
</main>
<script>
  document.getElementById('boom').addEventListener('click', () => { throw new Error('payment broke') })
  document.getElementById('calm').addEventListener('click', () => { document.getElementById('out').textContent = 'Added' })
  document.getElementById('spa').addEventListener('click', () => {
    history.pushState({}, '', '/help'); document.getElementById('title').textContent = 'Help'
  })
  window.addEventListener('popstate', () => { document.getElementById('title').textContent = 'Shop' })
</script>
"""


def settled(site, count: int):
    """The site's sessions once `count` have chunks and none is pending."""
    def ready():
        sessions = list(Session.objects.filter(site=site, chunk_count__gt=0))
        if len(sessions) < count or Chunk.objects.filter(site=site, status=Chunk.PENDING).exists():
            return None
        return sessions
    return wait_for(ready, timeout=40, message="the sessions to be stored")


def frustrated_visit(page, customer):
    page.goto(customer.url("/"))
    recorder_started(page)
    # Four clicks in well under a second, on the same spot. As mouse input at a point found once: page.click's
    # checks before each click (visible, stable, hit) took over a second for the four on a loaded machine, and
    # a click after the rage click's second is a dead click of its own, as it would be for a visitor.
    box = page.locator("#rage").bounding_box()
    for _ in range(4):
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, delay=20)
    page.wait_for_timeout(3000)
    page.click("#dead")
    page.wait_for_timeout(3000)
    page.click("#boom")
    page.wait_for_timeout(3000)
    page.click("#spa")
    page.wait_for_timeout(1000)
    page.go_back()  # back where it came from within seven seconds
    page.wait_for_timeout(3000)
    flush_now(page)


def calm_visit(page, customer):
    page.goto(customer.url("/"))
    recorder_started(page)
    page.click("#calm")
    page.wait_for_timeout(3000)
    page.click("#terms", delay=20)  # checked and unchecked by its label: the browser clicks the box each time too
    page.wait_for_timeout(150)
    page.click("#terms", delay=20)
    page.wait_for_timeout(2500)
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(500)
    # On to the checkout, then the shop again at once, in a new tab: no going back, no quick back.
    page.goto(customer.url("/checkout"))
    recorder_started(page)
    flush_now(page)
    tab = page.context.new_page()
    tab.goto(customer.url("/"))
    recorder_started(tab)
    flush_now(tab)


def test_a_frustrated_visit_counts_exactly_its_signals_and_a_calm_one_none(live_server, celery_worker, customer, browser):
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), SHOP)}
    customer.pages["/checkout"] = customer.pages["/"]
    frustrated = browser.new_context()
    frustrated_visit(frustrated.new_page(), customer)
    calm = browser.new_context()
    calm_visit(calm.new_page(), customer)
    # (The new tab's batch is the last to come: both visits' six page views are stored first.)
    wait_for(lambda: PageView.objects.filter(site=site).count() == 6, message="the new tab's page view")
    sessions = settled(site, 2)
    counts = sorted((s.rage_clicks, s.dead_clicks, s.error_clicks, s.quick_backs) for s in sessions)
    assert counts == [(0, 0, 0, 0), (1, 1, 1, 1)]
    bad = next(s for s in sessions if s.rage_clicks)
    assert bad.friction > 0 and next(s for s in sessions if not s.rage_clicks).friction == 0
    selectors = dict(bad.signals.values_list("kind", "selector"))
    assert selectors["rage"] == "button#rage" and selectors["dead"] == "button#dead" and selectors["error"] == "button#boom"
    assert bad.signals.get(kind="quick_back").url == customer.url("/help")

    # The API: counts on the session, each filter finds it and not the calm one, sort=friction puts it first.
    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.get_or_create(user=site.owner)[0].key}"}
    for flag in ("rage", "dead", "error_click", "quick_back"):
        found = api.get(f"/api/v1/sites/{site.pk}/sessions/?{flag}=1", **auth).json()["results"]
        assert [s["id"] for s in found] == [str(bad.pk)], flag
    ordered = api.get(f"/api/v1/sites/{site.pk}/sessions/?sort=friction", **auth).json()["results"]
    assert ordered[0]["id"] == str(bad.pk)
    assert (ordered[0]["rage_clicks"], ordered[0]["dead_clicks"], ordered[0]["error_clicks"], ordered[0]["quick_backs"]) == (1, 1, 1, 1)

    # The dashboard: the filter finds it, the row shows the counts, the player marks and lists the four signals.
    dashboard = browser.new_context(viewport={"width": 1280, "height": 800})
    page = dashboard.new_page()
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}/sites/{site.pk}/?rage=1")
    rows = page.locator("[data-testid=session-table] tbody tr")
    assert rows.count() == 1
    assert rows.first.locator(".badge.frustration").count() == 4
    page.goto(f"{live_server.url}/sites/{site.pk}/?sort=friction")
    page.locator("[data-testid=session-table] tbody tr").first.get_by_role("link", name="Replay").click()
    markers = page.locator("[data-testid=marker][data-kind=frustration]")
    markers.first.wait_for(timeout=15000)
    assert sorted(m.get_attribute("data-signal") for m in markers.all()) == ["dead", "error", "quick_back", "rage"]
    page.get_by_test_id("tab-frustration").click()
    assert page.get_by_test_id("signal-entry").count() == 4
    page.get_by_test_id("signal-entry").first.click()  # jumps to the rage click
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / "frustration.png"))
    for context in (frustrated, calm, dashboard):
        context.close()
