"""The install page in real Chromium: it notices the first visit by itself, and its copy button copies."""
import pytest

from sites.snippet import site_snippet
from tests.e2e.conftest import login, recorder_started, wait_for_js
from tests.factories import SiteFactory, UserFactory

@pytest.mark.e2e
@pytest.mark.worker
def test_the_install_page_turns_to_recording_after_the_first_visit(live_server, celery_worker, customer, browser):
    site = SiteFactory(owner=UserFactory(username="owner"), name="Tea shop", domains=[customer.domain])
    owner_context = browser.new_context(viewport={"width": 1280, "height": 800})
    visitor_context = browser.new_context()
    try:
        install = owner_context.new_page()
        login(install, live_server, "owner")
        install.goto(f"{live_server.url}/sites/{site.pk}/install/")
        status = install.get_by_test_id("install-status")
        assert status.inner_text() == "Waiting for the first session"
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
    finally:
        context.close()


@pytest.mark.django_db
def test_an_outsider_cannot_see_the_install_page_or_its_status(client, site):
    outsider = UserFactory(username="outsider")
    SiteFactory(owner=outsider)
    client.force_login(outsider)

    assert client.get(f"/sites/{site.pk}/install/").status_code == 404
    assert client.get(f"/sites/{site.pk}/install/status/").status_code == 404
