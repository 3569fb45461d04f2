"""The dashboard's console stays quiet while it replays a page written with inline event handlers.

The replay's frame runs no script, and Chromium logs "Blocked script execution" for each handler attribute
(onsubmit, onerror, onchange...) written into such a frame: a shop's pages filled the owner's console with
errors at each seek. The handlers are still in the recording; they just never reach the frame as handlers.
"""
import time

import pytest

from tests.e2e.conftest import login
from tests.e2e.test_player import Dom, click, custom, open_player, store_recording
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.e2e


def form_page(start: int) -> list[dict]:
    """A checkout form full of inline handlers, and a field given one more by a script a second later."""
    dom = Dom()
    field = dom.el("input", {"id": "email", "onchange": "check(this)", "onfocus": "hint()"})
    button = dom.el("button", {"type": "submit", "onclick": "track()"}, dom.text("Place order"))
    body = dom.el(
        "body", {"onload": "init()", "onbeforeunload": "return 'sure?'"},
        dom.el("h1", {"one-time": "yes"}, dom.text("Checkout")),
        dom.el("form", {"onsubmit": "return pay()", "oninput": "dirty = true"}, field, button),
        dom.el("img", {"src": "data:,nothing", "onerror": "this.hidden = true", "onload": "seen()"}),
    )
    html = dom.el("html", {"lang": "en"}, dom.el("head", {}, dom.el("title", {}, dom.text("Checkout"))), body)
    return [
        {"type": 4, "data": {"href": "https://shop.example.com/", "width": 1024, "height": 640}, "timestamp": start},
        {"type": 2, "data": {"node": dom.document(html), "initialOffset": {"left": 0, "top": 0}}, "timestamp": start},
        custom("hs.page", {"url": "https://shop.example.com/", "title": "Checkout", "kind": "load", "referrer": ""},
               start + 10),
        {"type": 3, "timestamp": start + 1000, "data": {"source": 0, "texts": [], "removes": [], "adds": [],
                                                         "attributes": [{"id": field["id"], "attributes": {"onkeyup": "count()"}}]}},
        click(start + 2000, button["id"]),
        click(start + 3000, button["id"]),
    ]


@pytest.fixture
def handlers_recording(client, live_server):
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, name="Shop", domains=["shop.example.com"])
    return site, store_recording(client, site, form_page(int(time.time() * 1000) - 60_000))


def blocked_scripts(page) -> list[str]:
    seen = []
    page.on("console", lambda m: "Blocked script execution" in m.text and seen.append(m.text))
    return seen


def test_seeking_through_a_page_with_inline_handlers_logs_no_error(page, live_server, handlers_recording):
    site, session = handlers_recording
    login(page, live_server, "owner")
    blocked = blocked_scripts(page)

    frame = open_player(page, live_server, site, session)
    for at in (2500, 0, 3000):  # each seek back rebuilds the page
        page.evaluate(f"window.__hsPlayer.controller.seek({at})")
        page.wait_for_timeout(300)

    assert frame.locator("h1").inner_text() == "Checkout"
    assert blocked == []
    assert frame.locator("form").get_attribute("onsubmit") is None
    assert frame.locator("#email").get_attribute("_onkeyup") == "count()", "the recorded handler was lost"
    assert frame.locator("h1").get_attribute("one-time") == "yes", "an attribute that is no handler was renamed"


def test_the_heatmap_of_a_page_with_inline_handlers_logs_no_error(page, live_server, handlers_recording):
    site, session = handlers_recording
    login(page, live_server, "owner")
    blocked = blocked_scripts(page)

    page.goto(f"{live_server.url}/sites/{site.pk}/heatmaps/?url=https://shop.example.com/")
    page.wait_for_selector("#hs-heatmap[data-ready]", timeout=20_000)

    assert page.get_attribute("#hs-heatmap", "data-ready") == "true", page.inner_text("[data-testid=heatmap-status]")
    assert page.frame_locator(".heatmap-stage iframe").locator("h1").inner_text() == "Checkout"
    assert blocked == []
