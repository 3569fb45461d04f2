"""The install page in real Chromium: it notices the first visit by itself, its copy button copies, and a
visit it refused shows with its reason and what to do."""
import pytest

from recorder.models import Session
from sites.snippet import site_snippet
from tests.e2e.conftest import (
    CHROMIUM, CHROMIUM_ARGS, artifact, flush_now, login, recorder_started, wait_for, wait_for_js,
)
from tests.factories import SiteFactory, UserFactory

def open_install(context, live_server, site):
    """The owner's install page, still waiting for the first session."""
    install = context.new_page()
    login(install, live_server, "owner")
    install.goto(f"{live_server.url}/sites/{site.pk}/install/")
    assert install.get_by_test_id("install-status").inner_text() == "Waiting for the first session"
    return install


@pytest.mark.e2e
@pytest.mark.worker
def test_the_install_page_turns_to_recording_after_the_first_visit(live_server, celery_worker, customer, browser):
    site = SiteFactory(owner=UserFactory(username="owner"), name="Tea shop", domains=[customer.domain])
    owner_context = browser.new_context(viewport={"width": 1280, "height": 800})
    visitor_context = browser.new_context()
    try:
        install = open_install(owner_context, live_server, site)
        status = install.get_by_test_id("install-status")
        assert "status-waiting" in status.get_attribute("class")

        # The snippet exactly as the install page shows it, pasted into a customer's page.
        snippet = install.locator("#snippet").inner_text()
        assert snippet == site_snippet(site, live_server.url)
        customer.pages = {"/": f"<!doctype html><html><head><title>Tea</title>{snippet}</head>"
                               "<body><h1>Our teas</h1><button id='b'>Buy</button></body></html>"}
        visit = visitor_context.new_page()
        visit.goto(customer.url("/"))
        recorder_started(visit)
        visit.click("#b")

        wait_for_js(
            install,
            "document.querySelector('[data-testid=install-status]').textContent.trim() === 'Recording'",
            timeout=30_000,
        )
        assert "status-recording" in status.get_attribute("class")
        assert install.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded
    finally:
        owner_context.close()
        visitor_context.close()


@pytest.mark.e2e
def test_the_copy_button_puts_the_snippet_on_the_clipboard(live_server, browser):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=["shop.example.com"])
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        login(page, live_server, "owner")
        page.goto(f"{live_server.url}/sites/{site.pk}/install/")

        page.get_by_test_id("copy-snippet").click()

        wait_for_js(page, "document.querySelector('[data-testid=copy-snippet]').textContent === 'Copied'")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == site_snippet(site, live_server.url)
        assert f"__insp.push(['wid', {site.pk}]);" in copied

        # Served over plain HTTP (not localhost), a page has no navigator.clipboard: the button copies all the same.
        page.evaluate("navigator.clipboard.writeText('')")
        insecure = context.new_page()
        insecure.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})")
        insecure.goto(f"{live_server.url}/sites/{site.pk}/install/")
        insecure.get_by_test_id("copy-snippet").click()
        wait_for_js(insecure, "document.querySelector('[data-testid=copy-snippet]').textContent === 'Copied'")
        page.bring_to_front()
        assert page.evaluate("navigator.clipboard.readText()").strip() == site_snippet(site, live_server.url).strip()
    finally:
        context.close()


@pytest.mark.django_db
def test_an_outsider_cannot_see_the_install_page_or_its_status(client, site):
    outsider = UserFactory(username="outsider")
    SiteFactory(owner=outsider)
    client.force_login(outsider)

    assert client.get(f"/sites/{site.pk}/install/").status_code == 404
    assert client.get(f"/sites/{site.pk}/install/status/").status_code == 404


@pytest.fixture
def shop_browser(browser):
    """Chromium that finds www.shop.test and shop.test on this machine, as a customer's real domains."""
    rules = "MAP www.shop.test 127.0.0.1, MAP shop.test 127.0.0.1"
    shop = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rules}"])
    yield shop
    shop.close()


@pytest.mark.e2e
@pytest.mark.worker
def test_a_page_on_a_domain_the_site_lacks_shows_on_the_install_page_with_its_fix(live_server, celery_worker,
                                                                               customer, shop_browser):
    site = SiteFactory(owner=UserFactory(username="owner"), name="Tea shop", domains=["shop.test"])
    owner_context = shop_browser.new_context(viewport={"width": 1280, "height": 900})
    visitor_context = shop_browser.new_context()
    try:
        install = open_install(owner_context, live_server, site)
        assert not install.get_by_test_id("install-refusals").is_visible()

        # The customer's shop answers on www.shop.test too, and the snippet is on it.
        customer.pages = {"/": f"<!doctype html><html><head><title>Tea</title>{site_snippet(site, live_server.url)}"
                               "</head><body><h1>Our teas</h1><button id='b'>Buy</button></body></html>"}
        visit = visitor_context.new_page()
        visit.goto(f"http://www.shop.test:{customer.port}/")
        recorder_started(visit)
        visit.click("#b")
        flush_now(visit)  # send the batch now rather than in 10 s

        # The open install page says what happened and what to do, without a reload.
        wait_for_js(install, "!document.querySelector('[data-testid=install-refusals]').hidden", timeout=20_000)
        refusal = install.get_by_test_id("install-refusals").locator(".refusal")
        assert refusal.count() == 1
        assert refusal.locator(".refusal-what").inner_text() == (
            f"A page on http://www.shop.test:{customer.port} sent a recording, but the site's domains are shop.test.")
        assert refusal.locator(".refusal-fix").inner_text() == (
            "Add www.shop.test to the site's domains in Settings (or *.shop.test for all its subdomains). Open Settings")
        assert install.get_by_test_id("install-status").inner_text() == "Visits arrive but are refused: see why below"
        assert "status-refused" in install.get_by_test_id("install-status").get_attribute("class")
        assert install.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded
        install.screenshot(path=str(artifact("install-refused.png")), full_page=True)

        # The owner follows the fix; the next visit records.
        refusal.get_by_role("link", name="Open Settings").click()
        install.wait_for_url("**/settings/#id_domains")
        install.locator("#id_domains").fill("shop.test\nwww.shop.test")
        install.get_by_role("button", name="Save settings").click()
        install.wait_for_load_state()
        visit.close()
        visit = shop_browser.new_context().new_page()
        visit.goto(f"http://www.shop.test:{customer.port}/")
        recorder_started(visit)
        visit.click("#b")
        flush_now(visit)
        wait_for(lambda: Session.objects.filter(site=site).exists(), timeout=20, message="the visit to be recorded")
        install.goto(f"{live_server.url}/sites/{site.pk}/install/")
        assert install.get_by_test_id("install-status").inner_text() == "Recording"
        visit.context.close()
    finally:
        owner_context.close()
        visitor_context.close()
