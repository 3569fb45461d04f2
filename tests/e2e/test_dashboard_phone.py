"""The dashboard's pages at a phone's width (390 px) in real Chromium, measured by their boxes."""
import pytest

from tests.e2e.conftest import login
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_a_long_site_name_leaves_the_sites_link_whole_in_the_top_bar(live_server, browser):
    """The site's name took the top bar's room and cut "Sites", the way back to the other sites, to "S"."""
    site = SiteFactory(owner=UserFactory(username="owner"), name="Tea & Leaf shop with a name that goes on " * 3)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        login(page, live_server, "owner")
        page.goto(f"{live_server.url}/sites/{site.pk}/")

        links = page.locator(".topnav a")
        sites, name = links.nth(0), links.nth(1)
        assert sites.evaluate("a => a.scrollWidth <= a.clientWidth"), "the Sites link is cut short"
        assert sites.inner_text() == "Sites"
        assert name.evaluate("a => a.scrollWidth > a.clientWidth")  # the name is the one cut, with an ellipsis
        logout = page.get_by_role("button", name="Log out").bounding_box()
        assert logout["x"] + logout["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_the_current_tab_of_a_site_is_in_sight_on_a_phone(live_server, browser):
    """The tabs' row scrolls sideways on a phone; on Settings, Team, Privacy or Audit the row showed Overview to
    Install, and nothing said which page this was."""
    site = SiteFactory(owner=UserFactory(username="owner"))
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        login(page, live_server, "owner")
        for path in ("audit/", "privacy/", "team/", "settings/", ""):
            page.goto(f"{live_server.url}/sites/{site.pk}/{path}")
            current = page.locator("nav.tabs [aria-current=page]")
            page.wait_for_load_state("load")
            box = current.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (path, box)
            assert page.evaluate("window.scrollY") == 0  # the page itself stays where it was
    finally:
        context.close()


OVERLAPS = """(button) => {
    const pre = button.parentElement.querySelector('pre');
    const range = document.createRange();
    range.selectNodeContents(pre);
    const b = button.getBoundingClientRect(), p = pre.getBoundingClientRect();
    return [...range.getClientRects()].filter((r) => r.width && r.right > p.left && r.left < p.right)
      .some((r) => Math.min(r.right, p.right) > b.left && Math.max(r.left, p.left) < b.right
                   && r.bottom > b.top && r.top < b.bottom);
}"""


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_the_copy_buttons_of_the_install_page_hide_none_of_the_snippet(live_server, browser, viewport):
    """On a phone the Copy button sat over the snippet's first line, `<script type="text/javascript">`."""
    site = SiteFactory(owner=UserFactory(username="owner"))
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        login(page, live_server, "owner")
        page.goto(f"{live_server.url}/sites/{site.pk}/install/")
        page.locator(".snippet-alternative summary").click()
        buttons = page.locator(".snippet button")
        assert buttons.count() == 2
        for n in range(2):
            assert not buttons.nth(n).evaluate(OVERLAPS), f"Copy button {n} covers text of its snippet"
    finally:
        context.close()


CORNER_OUTSIDE = """(chip) => {
    const b = chip.getBoundingClientRect(), s = getComputedStyle(chip);
    const r = Math.min(parseFloat(s.borderTopLeftRadius), b.height / 2, b.width / 2);
    const range = document.createRange();
    range.selectNodeContents(chip.firstChild);
    const first = range.getClientRects()[0];
    const dx = b.left + r - first.left, dy = b.top + r - first.top;
    return dx > 0 && dy > 0 && Math.hypot(dx, dy) > r;
}"""


def test_a_long_filter_chip_keeps_its_words_inside_it(live_server, browser):
    """An overview page's link filters on a whole address: its chip ran over eight lines, round as a pill, and
    its first word stood outside the chip's curve."""
    site = SiteFactory(owner=UserFactory(username="owner"))
    url = "https://shop.example.com/products/" + "very-long-slug-" * 30
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        login(page, live_server, "owner")
        page.goto(f"{live_server.url}/sites/{site.pk}/?page_url={url}")
        chip = page.locator(".chip")
        line = chip.evaluate("c => parseFloat(getComputedStyle(c).lineHeight)")
        assert chip.bounding_box()["height"] <= 5 * line
        assert not chip.evaluate(CORNER_OUTSIDE), "the chip's first word is outside its rounded corner"
        assert chip.get_attribute("aria-label") == f"Remove filter: Visited {url}"  # whole for a screen reader
    finally:
        context.close()
