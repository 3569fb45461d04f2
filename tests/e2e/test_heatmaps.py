"""Heatmaps end to end: real visits in a narrow and a wide window, the worker, the heatmaps page in Chromium."""
import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from privacy.services import visitor_forget
from recorder.services import sessions_finish_idle
from sites.snippet import site_snippet
from tests.e2e.conftest import flush_now, login, recorder_started
from tests.e2e.test_screenshots import SHOTS
from tests.e2e.test_capture import html, make_site
from tests.e2e.test_frustration import settled
from tests.e2e.test_session_list_ui import query_of
from tests.factories import SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

PLANS = """
<style>
  body { margin: 0; font: 16px system-ui, sans-serif; background: #f7f4ee; color: #2b2118; }
  @keyframes enter { from { opacity: 0 } to { opacity: 1 } }
  header { background: #2f5d50; color: #fff; padding: 18px 32px; font-size: 22px; font-weight: 700; animation: enter .4s both; }
  h1 { padding: 0 20px; }
  .grid { display: flex; flex-wrap: wrap; gap: 20px; padding: 20px; }
  .card { width: 400px; height: 160px; border: 1px solid #c9bfae; border-radius: 8px; background: #fff; padding: 12px; box-sizing: border-box; }
  @media (max-width: 600px) { .card { width: 100%; } }
  #buy { width: 200px; height: 60px; display: block; margin-top: 40px; background: #2f5d50; color: #fff; border: 0; border-radius: 6px; font: inherit; }
  #secret { margin: 20px; padding: 20px; background: #fff; }
  .spacer { height: 1600px; margin: 20px; background: linear-gradient(#fff, #e9e2d4); }
</style>
<header>Tea &amp; Leaf</header>
<h1>Tea club plans</h1>
<div class="grid">
  <div class="card" id="free">Taster: one tin a month, free delivery</div>
  <div class="card" id="pro">Connoisseur: four tins a month <button id="buy">Join the club</button></div>
</div>
<div class="hindsight-ignore" id="secret">Secret balance 4242 <button>Show</button></div>
<div class="spacer"></div>
"""


def visit(browser, customer, width: int, height: int, clicks: list[tuple[str, dict]]) -> str:
    """A visit in a window of this size: each click at a place in the element's box; the visitor id."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(customer.url("/plans"))
    recorder_started(page)
    for x in range(5):
        page.mouse.move(40 + 30 * x, 300)
        page.wait_for_timeout(200)
    for selector, position in clicks:
        page.click(selector, position=position)
        page.wait_for_timeout(300)
    page.mouse.wheel(0, 900)
    page.wait_for_timeout(800)
    visitor = json.loads(page.evaluate("localStorage.getItem('hs_vid')"))
    flush_now(page)
    page.wait_for_timeout(300)
    context.close()
    return visitor


def heatmap_page(page, live_server, site, customer, **params):
    query = "&".join(f"{k}={v}" for k, v in {"url": customer.url("/plans"), **params}.items())
    page.goto(f"{live_server.url}/sites/{site.pk}/heatmaps/?{query}")
    page.wait_for_selector("#hs-heatmap[data-ready]", timeout=20_000)
    assert page.get_attribute("#hs-heatmap", "data-ready") == "true", page.inner_text("[data-testid=heatmap-status]")
    return page.frame_locator(".heatmap-stage iframe")


def contrast(page, selector: str) -> float:
    """WCAG contrast ratio of an element's text colour on its own (opaque) background colour."""
    colours = page.eval_on_selector(selector, "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")

    def luminance(css: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted(map(luminance, colours), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def dots_inside_their_element(frame, selector: str) -> list[bool]:
    """For each dot drawn for `selector`: is its centre inside the element's box on the rebuilt page?"""
    return frame.locator("html").evaluate("""(html, selector) => {
        const box = html.ownerDocument.querySelector(selector).getBoundingClientRect();
        return [...html.querySelectorAll(`[data-testid=click-dot]`)].filter((d) => d.dataset.selector === selector)
          .map((d) => { const r = d.getBoundingClientRect(); const x = r.left + r.width / 2, y = r.top + r.height / 2;
                        return x >= box.left && x <= box.right && y >= box.top && y <= box.bottom; });
    }""", selector)


def test_clicks_land_on_their_element_from_narrow_and_wide_windows_and_leave_with_a_forgotten_visitor(
        live_server, celery_worker, customer, browser):
    site = make_site(customer)
    customer.pages = {"/plans": html(site_snippet(site, live_server.url), PLANS)}
    # The same spot of the button (near its top left corner) from a wide and a narrow window,
    # where the button sits elsewhere on the page; and a click inside the ignored element.
    visit(browser, customer, 1280, 800, [("#buy", {"x": 30, "y": 15}), ("#secret", {"x": 10, "y": 5})])
    visit(browser, customer, 390, 740, [("#buy", {"x": 30, "y": 15})])
    gone = visit(browser, customer, 1280, 800, [("#free", {"x": 300, "y": 100})])
    settled(site, 3)
    sessions_finish_idle(now=timezone.now() + timedelta(hours=2))  # the page views end: scroll depth is known

    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.get_or_create(user=site.owner)[0].key}"}
    url = f"/api/v1/sites/{site.pk}/heatmaps/"
    clicks = api.get(url, {"url": customer.url("/plans")}, **auth).json()
    counts = {e["selector"]: e["count"] for e in clicks["elements"]}
    assert counts["button#buy"] == 2 and counts["div#free"] == 1
    buy = next(e for e in clicks["elements"] if e["selector"] == "button#buy")
    assert [(c["x"], c["y"], c["count"]) for c in buy["cells"]] == [(0.15, 0.25, 2)]  # 30/200 px, 15/60 px
    ignored = [s for s in counts if "hindsight-ignore" in s]
    assert len(ignored) == 1 and "secret" not in ignored[0]  # the ignored element's id never leaves the page
    narrow = api.get(url, {"url": customer.url("/plans"), "device": "mobile"}, **auth).json()
    assert {e["selector"]: e["count"] for e in narrow["elements"]} == {"button#buy": 1}
    scroll = api.get(url, {"url": customer.url("/plans"), "kind": "scroll"}, **auth).json()
    assert scroll["views"] == 3 and scroll["depth"][0] == 1.0 and scroll["depth"][-1] < 1.0
    moves = api.get(url, {"url": customer.url("/plans"), "kind": "move"}, **auth).json()
    assert moves["total"] >= 3 and moves["cells"]

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    login(page, live_server, "owner")
    for device in ("desktop", "mobile"):
        frame = heatmap_page(page, live_server, site, customer, device=device)
        inside = dots_inside_their_element(frame, "button#buy")
        assert inside and all(inside), device
    frame = heatmap_page(page, live_server, site, customer)
    assert frame.locator("[data-testid=heat-element][data-selector='button#buy']").get_attribute("data-count") == "2"
    # The ignored element is an empty box in the heatmap too, with its click on it.
    hidden = frame.locator(f"[data-testid=heat-element][data-selector='{ignored[0]}']")
    assert hidden.count() == 1
    assert frame.locator(ignored[0]).inner_text() == ""
    assert "4242" not in frame.locator("body").inner_text()
    assert page.get_by_test_id("clicked-elements").locator("tbody tr").count() == 3
    # The device switch's current choice is readable: white on a background dark enough (WCAG AA, 4.5:1).
    assert contrast(page, ".device-switch a[aria-current]") >= 4.5
    # The page held still for the heatmap shows its header's entrance animation ended, as the visitors saw it.
    assert frame.locator("header").evaluate("h => getComputedStyle(h).opacity") == "1"
    page.screenshot(path=str(SHOTS / "heatmaps.png"))
    frame = heatmap_page(page, live_server, site, customer, kind="scroll")
    assert frame.locator("[data-testid=scroll-band]").count() == 10
    frame = heatmap_page(page, live_server, site, customer, kind="move")
    assert frame.locator("[data-testid=move-cell]").count() == len(moves["cells"])
    # At 1280 px the form is one row: its labels' words level, its controls (the button too) level.
    page.set_viewport_size({"width": 1280, "height": 1000})
    form = page.get_by_test_id("heatmap-form")
    top = "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    assert len(set(form.locator("label").evaluate_all(top))) == 1
    assert len(set(form.locator("input:not([type=hidden]), select, button").evaluate_all(top))) == 1

    visitor_forget(site=site, visitor=gone)
    frame = heatmap_page(page, live_server, site, customer)
    assert frame.locator("[data-testid=heat-element][data-selector='div#free']").count() == 0
    assert page.get_by_test_id("clicked-elements").locator("tbody tr").count() == 2
    context.close()


def test_the_heatmap_form_leaves_the_days_not_chosen_out_of_the_address(live_server, page):
    """It sent `date_from=&date_to=` along: a shared link read as if days had been chosen. Back, it kept the
    URL typed."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=["shop.example.com"])
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}/sites/{site.pk}/heatmaps/")
    form = page.get_by_test_id("heatmap-form")
    form.get_by_label("Page URL").fill("https://shop.example.com/plans")
    form.get_by_label("Show").select_option("scroll")
    form.get_by_role("button", name="Show heatmap").click()
    page.wait_for_url("**/heatmaps/?*")

    assert query_of(page.url) == {"url": "https://shop.example.com/plans", "kind": "scroll"}
    # Back on the bare page, the form is bare too, as its address says (Chromium refilled it).
    page.go_back()
    page.wait_for_url("**/heatmaps/")
    assert form.get_by_label("Page URL").input_value() == ""
