"""How far down each page the visitor saw (hs.depth, the scroll heatmap's facts), on a single-page app: its
next page is shown by script, without a load, and often seen without a scroll.

Recorded by the real recorder from the site's snippet in Chromium, stored by a real worker.
"""
import pytest

from tests.e2e.test_hostile_pages_2 import button_clicked_then_closed
from tests.e2e.test_hostile_pages_4 import visiting

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# A shop whose links show their page in place (history.pushState), each page shorter than the window.
SPA = """<main id="view"><h1>Home</h1></main>
<a id="shoes" href="/shoes" onclick="event.preventDefault(); history.pushState({}, '', '/shoes');
  document.getElementById('view').innerHTML = '<h1>Shoes</h1>'">Shoes</a>
<button onclick="this.textContent = 'depth-done'">b</button>"""


def test_a_page_a_single_page_app_shows_without_a_scroll_has_its_depth(live_server, celery_worker, customer, context):
    """hs.depth went out at the load and as the visitor scrolled: a page shown by a link's script and not
    scrolled had none, and its page views counted in no tenth of the scroll heatmap."""
    site, page = visiting(context, live_server, customer, SPA)
    page.click("#shoes")
    page.wait_for_timeout(600)  # (the depth is read a moment after the click, once the page shows)
    events = button_clicked_then_closed(page, site, "depth-done")

    pushed = next(e["timestamp"] for e in events
                  if e["type"] == 5 and e["data"]["tag"] == "hs.page" and e["data"]["payload"]["url"].endswith("/shoes"))
    assert [e["data"]["payload"] for e in events
            if e["type"] == 5 and e["data"]["tag"] == "hs.depth" and e["timestamp"] >= pushed] == [{"d": 10}]
