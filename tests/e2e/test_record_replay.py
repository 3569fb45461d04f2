"""The whole path: a visitor on a customer's site, a real worker storing to S3, the player showing it."""
import pytest

from recorder.models import Chunk, Session
from sites.snippet import site_snippet
from tests.e2e.conftest import artifact, login, stored_bytes_everywhere, wait_for
from tests.factories import SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

PASSWORD = "Hunter2-Sup3rSecret!"
TYPED = "hello from the visitor"
PAGE_TEXT = "Fresh oolong from the misty hills"


def shop_pages(snippet: str) -> dict[str, str]:
    filler = "".join(f"<p>Tasting note {i}: roasted, floral and sweet.</p>" for i in range(60))
    return {
        "/": f"""<!doctype html><html><head><title>Tea shop</title>{snippet}</head><body>
            <h1>{PAGE_TEXT}</h1>
            <label>Name <input id="name" name="name"></label>
            <label>Password <input id="pw" type="password" name="password"></label>
            <button id="buy" onclick="this.textContent='Added'">Add to basket</button>
            {filler}
            <a id="next" href="/checkout">Checkout</a></body></html>""",
        "/checkout": f"""<!doctype html><html><head><title>Checkout</title>{snippet}</head><body>
            <h1>Your basket</h1><p>One pack of oolong.</p></body></html>""",
    }


def test_a_visit_is_recorded_stored_in_s3_and_replayed(live_server, celery_worker, customer, browser, page):
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, domains=[customer.domain], mask_all_inputs=False)
    customer.pages = shop_pages(site_snippet(site, live_server.url))

    # The visitor types into a text field and a password field, clicks, scrolls, goes on.
    page.goto(customer.url("/"))
    page.wait_for_function("window.__insp && !Array.isArray(window.__insp)")
    page.click("#name")
    page.keyboard.type(TYPED, delay=20)
    page.click("#pw")
    page.keyboard.type(PASSWORD, delay=20)
    page.click("#buy")
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(500)
    page.click("#next")
    page.wait_for_load_state("load")
    page.wait_for_function("window.__insp && !Array.isArray(window.__insp)")
    page.wait_for_timeout(1000)
    page.close()  # pagehide flushes the last batch

    session = wait_for(
        lambda: Session.objects.filter(site=site, page_count__gte=2).first(),
        timeout=40, message="the session with two pages",
    )
    wait_for(lambda: not Chunk.objects.filter(session=session, status=Chunk.PENDING).exists(),
             message="every chunk stored")
    session.refresh_from_db()
    assert session.page_count == 2
    assert [p.url for p in session.pageviews.all()] == [customer.url("/"), customer.url("/checkout")]

    everything = stored_bytes_everywhere(site.pk)
    assert PAGE_TEXT.encode() in everything  # the full snapshot's text
    assert TYPED.encode() in everything
    assert PASSWORD.encode() not in everything

    # The owner replays it: the page's text shows inside the sandboxed iframe.
    viewer = browser.new_page(viewport={"width": 1280, "height": 800})
    login(viewer, live_server, "owner")
    viewer.goto(f"{live_server.url}/sites/{site.pk}/")
    viewer.click(f"tr[data-session='{session.pk}'] a")
    frame_element = viewer.wait_for_selector("#hs-player iframe", timeout=20_000)
    assert "allow-scripts" not in (frame_element.get_attribute("sandbox") or "")
    assert frame_element.get_attribute("sandbox") is not None
    frame = frame_element.content_frame()
    frame.wait_for_selector(f"text={PAGE_TEXT}", state="attached", timeout=20_000)
    viewer.screenshot(path=str(artifact("player.png")), full_page=True)
