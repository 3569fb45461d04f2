"""What the dashboard says, as Chromium lays it out and exposes it: visitors' text that reorders, messages a
screen reader hears."""
import pytest

from tests.e2e.conftest import wait_for_js
from tests.e2e.test_dashboard_phone import DESKTOP, dashboard  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("dashboard", [DESKTOP], indirect=True)]

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: what follows it shows reversed, to the end of its paragraph


# The left edges of where `text` shows inside `chip`, searched in its text nodes in order.
LEFT_OF = """(chip, texts) => {
    const nodes = [], walker = document.createTreeWalker(chip, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return texts.map((text) => {
        for (const node of nodes) {
            const at = node.data.indexOf(text);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + text.length);
            return Math.min(...[...range.getClientRects()].map((r) => r.left));
        }
        return null;
    });
}"""


def test_a_right_to_left_override_in_a_filter_value_reorders_nothing_outside_it(dashboard, live_server):
    """A tag key with a right-to-left override showed its chip as "Tag orp = nalp": the override ran on over
    the chip's own words and the other value."""
    page, site = dashboard
    page.goto(f"{live_server.url}/sites/{site.pk}/?tag={RLO}plan&tag_value=pro&identity=abc{RLO}def")

    chip = page.locator(".chip").filter(has_text="Tag")
    tag, equals, value = chip.evaluate(LEFT_OF, ["Tag", "=", "pro"])
    assert tag < equals < value, "the chip's words are out of order"
    for chip in page.locator(".chip").all():
        right_of_text = chip.evaluate("""(c) => {
            const range = document.createRange();
            range.setStartBefore(c.firstChild);
            range.setEndBefore(c.querySelector('.chip-x'));
            return Math.max(...[...range.getClientRects()].map((r) => r.right));
        }""")
        assert chip.locator(".chip-x").bounding_box()["x"] >= right_of_text, "the × is not at the chip's end"
    assert page.locator(".chip bdi").all_inner_texts() == [f"abc{RLO}def", f"{RLO}plan", "pro"]


# Records the text put into a live region once the page has loaded: what a screen reader hears (the text the
# page was parsed with is not).
HEARD = """
window.__heard = [];
let loaded = false;
window.addEventListener('load', () => { loaded = true; });
new MutationObserver((changes) => {
    if (!loaded) return;
    for (const change of changes) {
        const region = change.target.closest && change.target.closest('[aria-live], [role=status], [role=alert]');
        if (!region) continue;
        for (const node of change.addedNodes) window.__heard.push(node.textContent);
    }
}).observe(document, {childList: true, subtree: true});
"""


def test_a_message_after_a_redirect_is_in_a_polite_live_region_and_put_there_after_the_page_loads(dashboard, live_server):
    """"Settings saved." came with the page after the redirect: in no live region, and none hears what a page
    loads with."""
    page, site = dashboard
    page.goto(f"{live_server.url}/sites/{site.pk}/settings/")
    page.add_init_script(HEARD)
    page.fill("#id_name", "Tea shop")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(f"{live_server.url}/sites/{site.pk}/settings/")

    region = page.get_by_role("status")
    assert region.get_attribute("aria-live") == "polite"
    wait_for_js(page, "document.querySelector('[data-announce]').dataset.announce === 'said'")
    assert region.inner_text() == "Settings saved."
    assert "Settings saved." in page.evaluate("window.__heard")
