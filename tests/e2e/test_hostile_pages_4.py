"""Pages nobody wrote for us, a fourth lot: fields a script sets without their `value`, and a page that
scrolls smoothly.

Each visit is recorded by the real recorder from the site's snippet in Chromium, stored by a real worker,
and replayed in the player.

Checked by hand and replayed as the visitor saw them (or masked as they should be), so not kept as tests:
text in SVG <title>, <desc>, <text>, <tspan>, <textPath> and <foreignObject> inside a masked area, when
first recorded and when changed; declarative shadow roots (<template shadowrootmode>) in the markup and
from setHTMLUnsafe(), inside masked and ignored areas; a rich-text editor's typing, bold (Ctrl+B), pasted
HTML and undo; a page that gives Object.prototype and Array.prototype enumerable methods, replaces
Array.from as MooTools does, Object.prototype.toString, Function.prototype.bind, Array.prototype.indexOf,
and wraps Node's appendChild and insertBefore and Element's setAttribute.
"""
import json

import pytest

from sites.snippet import site_snippet
from tests.e2e.conftest import recorder_started
from tests.e2e.test_capture import html, make_site, replayed_at_end, stored_events
from tests.e2e.test_hostile_pages_2 import closed

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# A basket: quantity buttons that step the field, a slider and a date set by number and by date, a size
# chosen through the select's list of options, a coupon and a message written into by a picker
# (setRangeText), and a masked code field written into the same way.
FIELDS = """<h1>Basket</h1>
<input id="qty" type="number" value="1" min="1"> <input id="volume" type="range" value="10">
<input id="when" type="date"> <input id="coupon" value="SALE"> <textarea id="msg">Hello</textarea>
<input id="code" class="hindsight-mask" value="ab"> <select id="size"><option>S</option><option>M</option><option>L</option></select>
<button onclick="this.textContent = 'fields-done'">b</button>
<script>
const $ = (id) => document.getElementById(id);
window.step = () => { $('qty').stepUp(2); $('volume').valueAsNumber = 70; $('when').valueAsDate = new Date(Date.UTC(2026, 11, 24));
  $('size').options.selectedIndex = 2; };
window.write = () => {
  $('qty').stepDown(); $('coupon').setRangeText('XMAS-', 0, 0); $('msg').setRangeText(' there', 5, 5);
  $('code').setRangeText('cd-secret-9', 2, 2);
};
</script>"""
VALUES = "() => ['qty', 'volume', 'when', 'size', 'coupon', 'msg', 'code'].map((id) => document.getElementById(id).value)"


def test_fields_a_script_steps_or_sets_by_number_date_or_range_replay_their_values(
        live_server, celery_worker, customer, context):
    """stepUp(), stepDown(), valueAsNumber, valueAsDate, setRangeText() and options.selectedIndex change a
    field's value without its setter or an event: the replay kept each field as it was served (a quantity
    of 1, no date, the first size)."""
    site = make_site(customer, mask_all_inputs=False)
    customer.pages = {"/": html(site_snippet(site, live_server.url), FIELDS)}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    stepped_at = page.evaluate("step(), Date.now()")
    stepped = page.evaluate(VALUES)
    page.wait_for_timeout(400)
    written_at = page.evaluate("Date.now()")
    page.evaluate("write()")
    written = page.evaluate(VALUES)
    page.click("button")
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=closed("fields-done"))
    assert stepped == ["3", "70", "2026-12-24", "L", "SALE", "Hello", "ab"]
    assert written == ["2", "70", "2026-12-24", "L", "XMAS-SALE", "Hello there", "abcd-secret-9"]
    assert "cd-secret-9" not in json.dumps(events)

    frame = replayed_at_end(context, live_server, site, "#code")
    assert frame.evaluate(VALUES) == written[:6] + ["*" * len(written[6])]
    frame.page.evaluate("(t) => window.__hsPlayer.controller.seek(t)", (stepped_at + written_at) // 2 - events[0]["timestamp"])
    assert frame.evaluate(VALUES) == stepped[:6] + ["**"]


# A documentation page in Bootstrap's manner: the page and its sidebar scroll smoothly (a link to a
# section glides there); here a script jumps them (`behavior: 'instant'`), as the visitor's own scrolls do.
SMOOTH = """<style>:root { scroll-behavior: smooth } #toc { scroll-behavior: smooth; height: 150px; overflow: auto }
section { height: 400px }</style><h1>Docs</h1><nav id="toc">""" + "".join(f"<p>Topic {i}</p>" for i in range(40)) + \
    "</nav>" + "".join(f"<section>Section {i}</section>" for i in range(10)) + \
    """<button onclick="this.textContent = 'smooth-done'">b</button><script>
window.jump = (page, toc) => { scrollTo({ top: page, behavior: 'instant' });
  document.getElementById('toc').scrollTo({ top: toc, behavior: 'instant' }); return Date.now() };
</script>"""
SCROLLED = "() => [document.scrollingElement.scrollTop, document.getElementById('toc').scrollTop]"


def test_a_page_that_scrolls_smoothly_replays_each_moment_at_its_place(live_server, celery_worker, customer, context):
    """The page's `scroll-behavior: smooth` applied to the replay's own scrolling: a seek glided from where
    the replay was, and the replay paused at a moment showed the page, for some frames, where it was at another."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), SMOOTH)}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    moments = []
    for where in ([1200, 300], [600, 40], [2000, 500]):
        at = page.evaluate("([a, b]) => jump(a, b)", where)
        page.wait_for_timeout(400)
        moments.append((at + 200, where, page.evaluate(SCROLLED)))
    page.click("button")
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=closed("smooth-done"))
    assert [seen for _, where, seen in moments] == [where for _, where, _ in moments]

    frame = replayed_at_end(context, live_server, site, "#toc")
    for at, where, _ in moments + moments[::-1]:
        shown = frame.page.evaluate("""(t) => {
            window.__hsPlayer.controller.seek(t);
            const d = window.__hsPlayer.replayer.iframe.contentDocument;
            return [d.scrollingElement.scrollTop, d.getElementById('toc').scrollTop];
        }""", at - events[0]["timestamp"])
        assert shown == where, (at, where, shown)
