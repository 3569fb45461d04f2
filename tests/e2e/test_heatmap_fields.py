"""The page under a heatmap shows a masked field as the player does: its mask, not an empty box or an option
the visitor may never have chosen.

A number field cannot hold a *, and a select given "*****" selects nothing: the browser then empties the one
and shows the other's first option. The player turns such fields into ones that show the mask (masked.js);
the heatmaps page rebuilt the page from the same events without it.
"""
import time

import pytest

from tests.e2e.conftest import login
from tests.e2e.test_player import Dom, click, custom, store_recording
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.e2e


def masked_form(start: int) -> list[dict]:
    """A shipping form as a recorder masking every field sends it: the quantity and the country masked."""
    dom = Dom()
    options = [dom.el("option", {"value": code}, dom.text(name)) for code, name in (("AF", "Afghanistan"), ("FR", "France"))]
    country = dom.el("select", {"id": "country", "value": "**"}, *options)
    quantity = dom.el("input", {"id": "quantity", "type": "number", "value": "**"})
    button = dom.el("button", {"id": "ship"}, dom.text("Ship it"))
    body = dom.el("body", {}, dom.el("h1", {}, dom.text("Shipping")), country, quantity, button)
    html = dom.el("html", {"lang": "en"}, dom.el("head", {}), body)
    return [
        {"type": 4, "data": {"href": "https://shop.example.com/ship", "width": 1024, "height": 640}, "timestamp": start},
        {"type": 2, "data": {"node": dom.document(html), "initialOffset": {"left": 0, "top": 0}}, "timestamp": start},
        custom("hs.page", {"url": "https://shop.example.com/ship", "title": "Shipping", "kind": "load", "referrer": ""},
               start + 10),
        click(start + 1000, button["id"]),
        click(start + 2000, button["id"]),
    ]


def test_the_heatmap_shows_masked_fields_masked(client, live_server, page):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=["shop.example.com"])
    store_recording(client, site, masked_form(int(time.time() * 1000) - 60_000))
    login(page, live_server, "owner")

    page.goto(f"{live_server.url}/sites/{site.pk}/heatmaps/?url=https://shop.example.com/ship")
    page.wait_for_selector("#hs-heatmap[data-ready]", timeout=20_000)

    assert page.get_attribute("#hs-heatmap", "data-ready") == "true", page.inner_text("[data-testid=heatmap-status]")
    frame = page.frame_locator(".heatmap-stage iframe")
    assert frame.locator("h1").inner_text() == "Shipping"
    shown = frame.locator("#country").evaluate("s => s.options[s.selectedIndex] ? s.options[s.selectedIndex].text : ''")
    assert shown == "**", f"the masked country shows {shown!r}"
    assert frame.locator("#quantity").input_value() == "**"
