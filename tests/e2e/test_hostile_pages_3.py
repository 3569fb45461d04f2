"""Still more pages nobody wrote for us: what a page shows through CSS animations, media, rules for scripts
and its address's fragment, in a replay held still, that runs no scripts and has no address.

Each visit is recorded by the real recorder from the site's snippet in Chromium, stored by a real worker,
and replayed in the player.

Checked by hand and replayed as the visitor saw them, so not kept as tests: custom elements with slots,
declarative shadow DOM, :has(), container queries, CSS nesting, @layer, @import in a <style> (same origin
and not), custom properties set from script, a <style> whose text a script swaps, a <link> added late and
removed, adoptedStyleSheets replaced; a rich-text editor (bold, paste), range, colour, date and file inputs,
a value set through the prototype's setter, emoji and combining characters in fields and text, RTL and
vertical text, <pre>, &nbsp; runs; 5,000 table rows, a virtualised list, scroll-snap, nested, sticky,
horizontal and RTL scrolling, a scrolled iframe; <picture> and srcset, videos played and paused (from a
server that answers byte ranges), <noscript> tags, :not(:defined) components; fetch and XHR wrapped after
the snippet, sendBeacon, 200 pushState calls, a hash change.
"""
import base64

import pytest

from sites.snippet import site_snippet
from tests.e2e.conftest import recorder_started, wait_for
from tests.e2e.test_capture import html, make_site, replayed_at_end, stored_events
from tests.e2e.test_hostile_pages_2 import closed

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def share_of(context, png: bytes, rgb: tuple) -> float:
    """The share of a screenshot's pixels that are of the colour `rgb` (or close), as a browser decodes it."""
    blank = context.new_page()
    share = blank.evaluate("""async ([png, rgb]) => {
        const img = new Image();
        img.src = 'data:image/png;base64,' + png;
        await img.decode();
        const canvas = new OffscreenCanvas(img.width, img.height), g = canvas.getContext('2d');
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, img.width, img.height).data;
        let near = 0;
        for (let i = 0; i < d.length; i += 4) near += Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) < 30;
        return near / (d.length / 4);
    }""", [base64.b64encode(png).decode(), list(rgb)])
    blank.close()
    return share


def recording(context, live_server, customer, body: str):
    """A site and a page of it (`body`, with the site's snippet) whose recorder has started."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), body)}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    return site, page


# A shop's page in motion: a hero that fades in as the page loads, a promotion video that plays without
# controls (here a green box: no source), rules for pages with and without scripts, a CSS-only modal opened by
# a link to its id (:target), and, once the visitor acts, a toast that
# fades in, a drawer that slides in, a panel whose class starts its animation, a component whose shadow root
# animates, and a progress bar that fills over twenty seconds.
MOTION = """<style>
@keyframes fade { from { opacity: 0 } to { opacity: 1 } }
@keyframes slide { from { transform: translateX(-300px) } to { transform: none } }
@keyframes fill { from { width: 0 } to { width: 400px } }
#hero { animation: fade .4s ease-out both }
.toast { animation: fade .4s ease-out both }
.drawer { animation: slide .3s ease-out; width: 200px }
.panel.open { animation: fade .3s both }
.bar { animation: fill 20s linear forwards; height: 10px; background: red }
#no-js { display: none } @media (scripting: none) { #no-js { display: block } }
@media (scripting: enabled) { #price { color: rgb(0, 128, 0) } } @media (scripting) { #price { font-weight: 700 } }
.modal { display: none } .modal:target { display: block }
</style>
<h1 id="hero">Spring sale</h1><video id="promo" width="320" height="180" muted loop style="background: rgb(0, 200, 0)"></video>
<a id="guide-link" href="#size-guide">Size guide</a><div class="modal" id="size-guide">Sizes S to XL</div>
<p id="no-js">Please turn on JavaScript</p><p id="price">From 9.99</p><div class="panel" id="panel">Filters</div><div id="host"></div><sale-badge></sale-badge>
<button onclick="this.textContent = 'motion-done'">b</button>
<script>
customElements.define('sale-badge', class extends HTMLElement {
  connectedCallback() {
    this.attachShadow({ mode: 'open' }).innerHTML = '<style>@keyframes pop { from { opacity: 0 } to { opacity: 1 } }'
      + ' b { animation: pop .3s both }</style><b>-20%</b>';
  }
});
window.act = () => {
  document.getElementById('host').innerHTML = '<p class="toast" id="toast">Added to basket</p>'
    + '<div class="drawer" id="drawer">Basket</div><div class="bar" id="bar"></div>';
  document.getElementById('panel').classList.add('open');
};
</script>"""

SHOWN = """() => {
    const style = (el) => getComputedStyle(el);
    const shadow = document.querySelector('sale-badge').shadowRoot.querySelector('b');
    return [...['hero', 'toast', 'panel'].map((id) => style(document.getElementById(id)).opacity), style(shadow).opacity,
            style(document.getElementById('drawer')).transform, style(document.getElementById('no-js')).display,
            style(document.getElementById('price')).color, style(document.getElementById('price')).fontWeight,
            style(document.getElementById('size-guide')).display];
}"""


def test_a_page_in_motion_replays_as_the_visitor_saw_it(live_server, celery_worker, customer, context):
    """A seek builds all that the page added before the moment at once, and rrweb holds every animation
    while the replay is paused: each entrance animation stayed on its first frame, and the paused replay (a
    deep link, every seek) showed nothing where the visitor saw the toast, the panel and the hero. And the
    replay's frame runs no scripts: the page's rules for a browser without them applied there, and those for
    one with them did not; nor has it the visitor's address, whose fragment names the element :target
    rules match (the modal stayed shut)."""
    site, page = recording(context, live_server, customer, MOTION)
    page.click("#guide-link")
    page.evaluate("act()")
    page.wait_for_timeout(1500)
    seen = page.evaluate(SHOWN)
    at, width = page.evaluate("[Date.now(), document.getElementById('bar').getBoundingClientRect().width]")
    page.click("button")
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=closed("motion-done"))
    assert seen == ["1", "1", "1", "1", "none", "none", "rgb(0, 128, 0)", "700", "block"]

    frame = replayed_at_end(context, live_server, site, "#toast")
    # (until the player has loaded the whole recording: a part loaded late rebuilds the replay)
    wait_for(lambda: frame.evaluate(SHOWN) == seen, timeout=10, message=f"the replay to show {seen}")
    # A browser shows a video's own controls where scripts cannot run, as in the replay, unless told not to.
    assert share_of(context, frame.locator("#promo").screenshot(), (0, 200, 0)) > 0.9, "the replay shows controls"
    # Half way through the bar's fill, the replay shows it as far on as the visitor saw it.
    frame.page.evaluate("(t) => window.__hsPlayer.controller.seek(t)", at - events[0]["timestamp"])
    replayed = frame.eval_on_selector("#bar", "bar => bar.getBoundingClientRect().width")
    assert 20 < width < 380 and abs(replayed - width) < 15, (width, replayed)
