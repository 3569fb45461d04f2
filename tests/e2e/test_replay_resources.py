"""A site's resources in replays, where the replay's frame (of the dashboard's origin) is not the site: its own
web fonts (its server answers no CORS, which a font needs, so the player and the heatmap ask the dashboard's
relay for them) and files it loads with CORS (allowed for the site's origin only).

Recorded by the real recorder from the site's snippet in Chromium, stored by a real worker, replayed in the
dashboard's player and heatmap in Chromium; the font is a real one, served by the site without CORS; the image's server is another origin.
"""
from pathlib import Path

import pytest

from sites.snippet import site_snippet
from tests.e2e.conftest import CustomerSite, recorder_started, wait_for_js
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
    const h = doc && doc.getElementById('h');
    if (!h) return ['(not built yet)', 0];
    const r = doc.createRange();
    r.selectNodeContents(h);
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
    wait_for_js(viewer, f"/^Brand (loaded|error)$/.test({replay}[0])", timeout=20_000)
    assert viewer.evaluate(replay) == seen  # without the relay: "Brand error" (CORS) and a narrower fallback

    heatmap_page(viewer, live_server, site, customer)
    drawn = f"({MEASURE})(document.querySelector('.heatmap-stage iframe').contentDocument)"
    wait_for_js(viewer, f"/^Brand (loaded|error)$/.test({drawn}[0])", timeout=20_000)
    assert viewer.evaluate(drawn) == seen


# A 16 x 16 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000010000000100802000000909168360000001649444154789c63fccfc0c0"
    "4002a2489d4a140300a6dd011f22f35aed0000000049454e44ae426082")


def test_an_image_loaded_with_cors_for_the_site_shows_in_the_replay(
        live_server, celery_worker, customer, page, viewer):
    """The image's server allowed the site's origin, not the dashboard's, which the replay's frame is of: the
    replay showed it broken."""
    cdn = CustomerSite()
    try:
        cdn.pages = {"/p.png": PNG}
        cdn.types = {"/p.png": "image/png"}
        cdn.headers = {"/p.png": {"Access-Control-Allow-Origin": customer.origin}}
        site = make_site(customer)
        body = f'<img id="i" crossorigin="anonymous" src="{cdn.url("/p.png")}" width="64" height="64"><p>Shoes</p>'
        customer.pages = {"/": html(site_snippet(site, live_server.url), body)}
        page.goto(customer.url("/"))
        recorder_started(page)
        page.wait_for_function("i.complete")
        assert page.evaluate("i.naturalWidth") == 16
        last = page.evaluate("Date.now()")
        page.mouse.click(5, 5)
        page.close()
        open_replay(viewer, live_server, site, last)
        shown = "document.querySelector('#hs-player iframe').contentDocument.querySelector('img')"
        wait_for_js(viewer, f"{shown} && {shown}.complete")
        assert viewer.evaluate(f"{shown}.naturalWidth") == 16  # without the change: 0, and a CORS error
    finally:
        cdn.close()
