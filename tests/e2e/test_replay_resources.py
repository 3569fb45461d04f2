"""A site's resources in replays, where the replay's frame (of the dashboard's origin) is not the site: its own
web fonts (its server answers no CORS, which a font needs) and SVG sprites (a `<use>` takes no other origin's
file), which the player and the heatmap ask the dashboard's relay for, and files it loads with CORS (allowed
for the site's origin only).

Recorded by the real recorder from the site's snippet in Chromium, stored by a real worker, replayed in the
dashboard's player and heatmap in Chromium; the font is a real one, served by the site without CORS; the
image's server is another origin.
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
SPRITE = '<svg xmlns="http://www.w3.org/2000/svg"><symbol id="box" viewBox="0 0 10 10"><rect width="10" height="10"/></symbol></svg>'
# A 16 x 16 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000010000000100802000000909168360000001649444154789c63fccfc0c0"
    "4002a2489d4a140300a6dd011f22f35aed0000000049454e44ae426082")
PAGE = """<link rel="stylesheet" href="/brand.css"><h1 id="h">Checkout in our own typeface</h1>
<svg id="s" width="32" height="32"><use href="/icons.svg#box"></use></svg>
<img id="i" crossorigin="anonymous" src="{image}" width="64" height="64"><button id="go">Pay</button>"""
# What each of the three shows in a document: the font faces' states and the heading's text width, the
# icon's width, the image's.
MEASURE = """(doc) => {
    const h = doc && doc.getElementById('h');
    if (!h || !doc.querySelector('svg') || !doc.querySelector('img')) return ['(not built yet)'];
    const r = doc.createRange();
    r.selectNodeContents(h);
    return [[...doc.fonts].map((f) => f.family + ' ' + f.status).join(), Math.round(r.getBoundingClientRect().width),
            doc.querySelector('svg').getBBox().width, doc.querySelector('img').naturalWidth];
}"""
# (once the font has loaded or failed, and the image has come or failed)
SETTLED = "((m) => /^Brand (loaded|error)$/.test(m[0]) && {img}.complete)"


def shown(viewer, frame: str) -> list:
    """What the replayed page in `frame` (a selector of the dashboard's page) shows, once it has settled."""
    doc = f"document.querySelector({frame!r}).contentDocument"
    measure = f"({MEASURE})({doc})"
    try:
        wait_for_js(viewer, f"{SETTLED.format(img=doc + '.querySelector(`img`)')}({measure})", timeout=20_000)
    except AssertionError:
        pass  # (the caller's assertion says what the replay shows)
    return viewer.evaluate(measure)


def test_a_sites_fonts_icons_and_cors_images_replay_in_the_player_and_the_heatmap_as_the_visitor_saw_them(
        live_server, celery_worker, customer, page, viewer):
    """The replay's frame is of the dashboard's origin. The site's own web font (its server answers no CORS)
    replayed in a fallback font, "Brand error" and another width; the icon of its SVG sprite was missing (a
    `<use>` takes no other origin's file); an image it loads with CORS, allowed for the site's origin only,
    was broken. The first two come through the dashboard's relay, the third loads as a plain image."""
    assert FONTS, "no TrueType font on this machine"
    cdn = CustomerSite()
    try:
        cdn.pages = {"/p.png": PNG}
        cdn.types = {"/p.png": "image/png"}
        cdn.headers = {"/p.png": {"Access-Control-Allow-Origin": customer.origin}}
        site = make_site(customer)
        assert site.replay_resources
        customer.pages = {"/plans": html(site_snippet(site, live_server.url), PAGE.format(image=cdn.url("/p.png"))),
                          "/brand.css": CSS, "/brand.ttf": FONTS[0].read_bytes(), "/icons.svg": SPRITE}
        customer.types = {"/brand.css": "text/css", "/brand.ttf": "font/ttf", "/icons.svg": "image/svg+xml"}
        page.goto(customer.url("/plans"))
        recorder_started(page)
        page.wait_for_function("[...document.fonts].some((f) => f.status === 'loaded') && i.complete"
                               " && document.getElementById('s').getBBox().width > 0")
        seen = page.evaluate(f"({MEASURE})(document)")
        assert seen[0] == "Brand loaded" and seen[2:] == [32, 16], seen
        last = page.evaluate("Date.now()")
        page.click("#go")
        page.close()

        open_replay(viewer, live_server, site, last)
        assert shown(viewer, "#hs-player iframe") == seen
        heatmap_page(viewer, live_server, site, customer)
        assert shown(viewer, ".heatmap-stage iframe") == seen
    finally:
        cdn.close()
