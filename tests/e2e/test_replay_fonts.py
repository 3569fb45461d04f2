"""A site's own web fonts in replays: its server answers no CORS, which a replay's frame (of the dashboard's
origin) needs to load a font, so the player and the heatmap ask the dashboard's relay for them.

Recorded by the real recorder from the site's snippet in Chromium, stored by a real worker, replayed in the
dashboard's player and heatmap in Chromium; the font is a real one, served by the site without CORS.
"""
from pathlib import Path

import pytest

from sites.snippet import site_snippet
from tests.e2e.conftest import recorder_started, wait_for_js
from tests.e2e.test_capture import html, make_site
from tests.e2e.test_fidelity import open_replay, viewer  # noqa: F401 (a fixture)
from tests.e2e.test_heatmaps import heatmap_page

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# A font of the machine's (Chromium draws with fontconfig's, so there is one), as the site's own typeface.
FONTS = sorted(Path("/usr/share/fonts").rglob("*.ttf"))
CSS = '@font-face { font-family: Brand; src: url(/brand.ttf) format("truetype") } h1 { font: 700 40px Brand, monospace }'
PAGE = '<link rel="stylesheet" href="/brand.css"><h1 id="h">Checkout in our own typeface</h1><button id="go">Pay</button>'
# The font faces' states and the heading's text width, in a document.
MEASURE = """(doc) => {
    const r = doc.createRange();
    r.selectNodeContents(doc.getElementById('h'));
    return [[...doc.fonts].map((f) => f.family + ' ' + f.status).join(), Math.round(r.getBoundingClientRect().width)];
}"""


def test_a_sites_own_web_font_replays_in_the_player_and_the_heatmap_as_the_visitor_saw_it(
        live_server, celery_worker, customer, page, viewer):
    assert FONTS, "no TrueType font on this machine"
    site = make_site(customer)
    assert site.replay_resources
    customer.pages = {"/plans": html(site_snippet(site, live_server.url), PAGE), "/brand.css": CSS,
                      "/brand.ttf": FONTS[0].read_bytes()}
    customer.types = {"/brand.css": "text/css", "/brand.ttf": "font/ttf"}
    page.goto(customer.url("/plans"))
    recorder_started(page)
    page.wait_for_function("document.fonts.status === 'loaded' && [...document.fonts].some((f) => f.status === 'loaded')")
    seen = page.evaluate(f"({MEASURE})(document)")
    assert seen[0] == "Brand loaded", seen
    last = page.evaluate("Date.now()")
    page.click("#go")
    page.close()

    open_replay(viewer, live_server, site, last)
    replay = f"({MEASURE})(document.querySelector('#hs-player iframe').contentDocument)"
    wait_for_js(viewer, f"{replay}[0] !== 'Brand unloaded' && {replay}[0] !== 'Brand loading'", timeout=10_000)
    assert viewer.evaluate(replay) == seen  # without the relay: "Brand error" (CORS) and a narrower fallback

    heatmap_page(viewer, live_server, site, customer)
    drawn = f"({MEASURE})(document.querySelector('.heatmap-stage iframe').contentDocument)"
    wait_for_js(viewer, f"{drawn}[0] !== 'Brand unloaded' && {drawn}[0] !== 'Brand loading'", timeout=10_000)
    assert viewer.evaluate(drawn) == seen
