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
ROUTER = """<h1>App</h1><button id="buy">Buy</button><script>
window.go = (path, title, when) => {
  window.navAt = Date.now();
  history.pushState({}, '', path);
  const set = () => { document.title = title; };
  if (when === 'task') setTimeout(set, 0);
  else requestAnimationFrame(() => requestAnimationFrame(set));
};
</script>"""


def test_each_route_of_a_single_page_app_is_a_page_view_with_its_own_title_at_its_navigation(
        live_server, celery_worker, customer, page):
    site = make_site(customer)
    customer.pages = {"/app": html(site_snippet(site, live_server.url), ROUTER, title="Home")}
    page.goto(customer.url("/app"))
    recorder_started(page)
    page.evaluate("go('/app/products', 'Products', 'task')")
    nav_at = page.evaluate("navAt")
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
