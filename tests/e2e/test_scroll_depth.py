"""How far down each page the visitor saw (hs.depth, the scroll heatmap's facts), on a single-page app: its
next page is shown by script, without a load, and often seen without a scroll.

Recorded by the real recorder from the site's snippet in Chromium, stored by a real worker.
"""
import pytest

from tests.e2e.test_capture import stored_events
from tests.e2e.test_hostile_pages_4 import visiting

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# A shop whose links show their page in place (history.pushState), each page shorter than the window.
SPA = """<main id="view"><h1>Home</h1></main>
<a id="shoes" href="/shoes" onclick="event.preventDefault(); history.pushState({}, '', '/shoes');
  document.getElementById('view').innerHTML = '<h1>Shoes</h1>'">Shoes</a>"""


def shoes_depths(events) -> list[dict] | None:
    """The hs.depth payloads stamped from the /shoes page view on; None while that page view is not in."""
    pushed = [e["timestamp"] for e in events
              if e["type"] == 5 and e["data"]["tag"] == "hs.page" and e["data"]["payload"]["url"].endswith("/shoes")]
    if not pushed:
        return None
    return [e["data"]["payload"] for e in events
            if e["type"] == 5 and e["data"]["tag"] == "hs.depth" and e["timestamp"] >= pushed[0]]


def test_a_page_a_single_page_app_shows_without_a_scroll_has_its_depth(live_server, celery_worker, customer, context):
    """hs.depth went out at the load and as the visitor scrolled: a page shown by a link's script and not
    scrolled had none, and its page views counted in no tenth of the scroll heatmap."""
    site, page = visiting(context, live_server, customer, SPA)
    page.click("#shoes")
    # (The page stays open, its batches going every 10 seconds. The depth is read 250 ms after the click; the
    # page view, stamped at the click, waits a second for the route's title: a batch that holds it holds both.)
    events = stored_events(site, until=lambda events: shoes_depths(events) is not None)
    page.close()

    assert shoes_depths(events) == [{"d": 10}]
