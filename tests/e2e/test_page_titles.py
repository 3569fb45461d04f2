"""A single-page app's router sets the new route's title after the URL changes (React Router, Vue Router,
Next.js: after rendering, in a task, an effect after paint, a frame or two): each page view still carries
the title of its own route, and the moment of its navigation."""
import pytest

from recorder.models import Session
from sites.snippet import site_snippet
from tests.e2e.conftest import login, recorder_started, wait_for_js
from tests.e2e.test_capture import custom, html, make_site, stored_events
from tests.e2e.test_player import open_player

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# A router: the address changes first, the title once the route has rendered (a task later, or two frames).
ROUTER = """<h1>App</h1><button id="buy" onclick="window.clickedAt = Date.now()">Buy</button><script>
window.go = (path, title, when) => {
  window.navAt = Date.now();
  history.pushState({}, '', path);
  const set = () => { document.title = title; };
  if (when === 'task') setTimeout(set, 0);
  else if (when === 'slow') setTimeout(() => {  // a route that renders for 1.5 s, then shows and says so
    const end = Date.now() + 1500; while (Date.now() < end);
    document.querySelector('h1').textContent = title; set();
  }, 0);
  else requestAnimationFrame(() => requestAnimationFrame(set));
};
</script>"""


def routed(live_server, customer, page, go: str):
    """The router's page, recording, after the navigation `go`: its site and the navigation's time."""
    site = make_site(customer)
    customer.pages = {"/app": html(site_snippet(site, live_server.url), ROUTER, title="Home")}
    page.goto(customer.url("/app"))
    recorder_started(page)
    page.evaluate(go)
    return site, page.evaluate("navAt")


def test_each_route_of_a_single_page_app_is_a_page_view_with_its_own_title_at_its_navigation(
        live_server, celery_worker, customer, page):
    site, nav_at = routed(live_server, customer, page, "go('/app/products', 'Products', 'task')")
    page.click("#buy")  # on the new page, before its title is set
    page.wait_for_timeout(1500)
    page.evaluate("go('/app/cart', 'Cart', 'frames')")
    page.wait_for_timeout(100)
    page.close()  # within the second route's first second: only pagehide sends it

    def cart(events):
        return any(p["url"].endswith("/app/cart") for p in custom(events, "hs.page"))

    events = stored_events(site, until=cart)
    pages = [(p["kind"], p["url"], p["title"]) for p in custom(events, "hs.page")]
    assert pages == [
        ("load", customer.url("/app"), "Home"),
        ("push", customer.url("/app/products"), "Products"),
        ("push", customer.url("/app/cart"), "Cart"),
    ]
    products = next(e["timestamp"] for e in events if e["type"] == 5 and e["data"]["payload"].get("title") == "Products")
    clicked = next(e["timestamp"] for e in events if e["type"] == 3 and e["data"]["source"] == 2 and e["data"]["type"] == 2)
    assert nav_at <= products <= nav_at + 50 and products <= clicked  # the click was on the new page
    session = Session.objects.get(site=site)
    assert session.page_count == 3
    assert list(session.pageviews.values_list("title", flat=True)) == ["Home", "Products", "Cart"]

    viewer = page.context.new_page()
    login(viewer, live_server, "owner")
    open_player(viewer, live_server, site, session)
    wait_for_js(viewer, "document.querySelectorAll('[data-testid=page-entry]').length === 3")
    entries = [e.inner_text() for e in viewer.get_by_test_id("page-entry").all()]
    assert ["Home" in entries[0], "Products" in entries[1], "Cart" in entries[2]] == [True, True, True], entries


def test_a_route_that_renders_for_longer_than_the_title_is_waited_for_keeps_every_time_true(
        live_server, celery_worker, customer, page):
    """The navigation's hs.page goes after events stamped over a second later: it is not taken for a clock
    set back, which would have moved it and everything after it forward."""
    site, nav_at = routed(live_server, customer, page, "go('/app/report', 'Report', 'slow')")
    page.wait_for_function("document.title === 'Report'")
    page.wait_for_timeout(300)
    page.click("#buy")
    clicked_at = page.evaluate("clickedAt")
    page.close()

    def clicked(events):
        return any(e["type"] == 3 and e["data"]["source"] == 2 and e["data"]["type"] == 2 for e in events)

    events = stored_events(site, until=clicked)
    report = next(e for e in events if e["type"] == 5 and e["data"]["payload"].get("kind") == "push")
    assert report["data"]["payload"]["title"] == "Report" and nav_at <= report["timestamp"] <= nav_at + 50
    click = next(e["timestamp"] for e in events if e["type"] == 3 and e["data"]["source"] == 2 and e["data"]["type"] == 2)
    assert abs(click - clicked_at) < 100
