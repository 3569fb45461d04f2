"""The settings form in real Chromium."""
import pytest
from playwright.sync_api import expect

from sites.models import Site
from tests.e2e.conftest import login
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_a_mask_selector_the_browser_cannot_read_is_pointed_out_and_not_saved(live_server, page):
    """The form took `.card-number {` and said "Settings saved."; the recorder leaves out a selector it cannot
    read, so the card numbers it was meant to mask were recorded, and nothing said so."""
    site = SiteFactory(owner=UserFactory(username="owner"))
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}/sites/{site.pk}/settings/")
    masked = page.get_by_label("Mask these elements")

    masked.fill(".account-number\n.card-number {")
    page.get_by_role("button", name="Save settings").click()

    alert = page.locator(".field", has=masked).get_by_role("alert")
    expect(alert).to_contain_text("Not a CSS selector: “.card-number {”")
    expect(masked).to_be_focused()
    assert masked.get_attribute("aria-invalid") == "true"
    assert Site.objects.get(pk=site.pk).mask_selectors == ""

    masked.fill(".account-number\n.card-number")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    assert Site.objects.get(pk=site.pk).mask_selectors == ".account-number\n.card-number"


def test_a_selector_saved_before_that_the_browser_cannot_read_is_pointed_out_when_the_page_opens(live_server, page):
    site = SiteFactory(owner=UserFactory(username="owner"), ignore_selectors="#chat\n..private")
    login(page, live_server, "owner")

    page.goto(f"{live_server.url}/sites/{site.pk}/settings/")

    ignored = page.get_by_label("Ignore these elements")
    expect(page.locator(".field", has=ignored).get_by_role("alert")).to_contain_text("“..private”")
    expect(page.locator(".selector-error")).to_have_count(1)
