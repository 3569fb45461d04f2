"""Pages nobody wrote for us, a fourth lot: fields a script sets without their `value`, a page that
scrolls smoothly, Web Animations that hold their end, and an old store's broken Array.from.

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
from tests.e2e.test_capture import html, make_site, replayed_at_end
from tests.e2e.test_hostile_pages_2 import button_clicked_then_closed

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def visiting(context, live_server, customer, body: str, **settings):
    """A site (with `settings`) and a page of it (`body`, with the site's snippet) whose recorder has started."""
    site = make_site(customer, **settings)
    customer.pages = {"/": html(site_snippet(site, live_server.url), body)}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    return site, page


def replayed_at(frame, ms: int, read: str):
    """The player seeked to `ms` into the recording; `read`, a function of the replay's document, there."""
    return frame.page.evaluate(f"""(t) => {{
        window.__hsPlayer.controller.seek(t);
        return ({read})(window.__hsPlayer.replayer.iframe.contentDocument);
    }}""", ms)

# A basket: quantity buttons that step the field, a slider and a date set by number and by date, a size
# chosen through the select's list of options, a coupon and a message written into by a picker
# (setRangeText), and a masked code field written into the same way; and two lists' "select all" boxes
# shown partly checked (`indeterminate`), one as the page loads, one later, which the visitor then clicks.
FIELDS = """<h1>Basket</h1>
<input id="qty" type="number" value="1" min="1"> <input id="volume" type="range" value="10">
<input id="when" type="date"> <input id="coupon" value="SALE"> <textarea id="msg">Hello</textarea>
<input id="code" class="hindsight-mask" value="ab"> <select id="size"><option>S</option><option>M</option><option>L</option></select>
<input type="checkbox" id="some"> <input type="checkbox" id="all">
<button onclick="this.textContent = 'fields-done'">b</button>
<script>
const $ = (id) => document.getElementById(id);
$('some').indeterminate = true;
window.step = () => { $('qty').stepUp(2); $('volume').valueAsNumber = 70; $('when').valueAsDate = new Date(Date.UTC(2026, 11, 24));
  $('size').options.selectedIndex = 2; $('all').indeterminate = true; };
window.write = () => {
  $('qty').stepDown(); $('coupon').setRangeText('XMAS-', 0, 0); $('msg').setRangeText(' there', 5, 5);
  $('code').setRangeText('cd-secret-9', 2, 2);
};
</script>"""
VALUES = "(d) => ['qty', 'volume', 'when', 'size', 'coupon', 'msg', 'code'].map((id) => d.getElementById(id).value)"
BOXES = "(d) => ['some', 'all'].map((id) => [d.getElementById(id).indeterminate, d.getElementById(id).checked])"


def test_fields_a_script_steps_or_sets_by_number_date_or_range_replay_their_values(
        live_server, celery_worker, customer, context):
    """stepUp(), stepDown(), valueAsNumber, valueAsDate, setRangeText() and options.selectedIndex change a
    field's value without its setter or an event: the replay kept each field as it was served (a quantity
    of 1, no date, the first size). And a checkbox's `indeterminate` is no attribute: the replay showed the
    boxes empty."""
    site, page = visiting(context, live_server, customer, FIELDS, mask_all_inputs=False)
    stepped_at = page.evaluate("step(), Date.now()")
    stepped, boxes = page.evaluate(f"[({VALUES})(document), ({BOXES})(document)]")
    page.wait_for_timeout(400)
    written_at = page.evaluate("Date.now()")
    page.click("#all")
    page.evaluate("write()")
    written, clicked = page.evaluate(f"[({VALUES})(document), ({BOXES})(document)]")
    events = button_clicked_then_closed(page, site, "fields-done")
    assert stepped == ["3", "70", "2026-12-24", "L", "SALE", "Hello", "ab"]
    assert written == ["2", "70", "2026-12-24", "L", "XMAS-SALE", "Hello there", "abcd-secret-9"]
    assert boxes == [[True, False], [True, False]] and clicked == [[True, False], [False, True]]
    assert "cd-secret-9" not in json.dumps(events)

    frame = replayed_at_end(context, live_server, site, "#code")
    assert frame.evaluate(f"[({VALUES})(document), ({BOXES})(document)]") == [written[:6] + ["*" * len(written[6])], clicked]
    middle = (stepped_at + written_at) // 2 - events[0]["timestamp"]
    assert replayed_at(frame, middle, f"(d) => [({VALUES})(d), ({BOXES})(d)]") == [stepped[:6] + ["**"], boxes]


# A documentation page in Bootstrap's manner: the page and its sidebar scroll smoothly (a link to a
# section glides there); here a script jumps them (`behavior: 'instant'`), as the visitor's own scrolls do.
SMOOTH = """<style>:root { scroll-behavior: smooth } #toc { scroll-behavior: smooth; height: 150px; overflow: auto }
section { height: 400px }</style><h1>Docs</h1><nav id="toc">""" + "".join(f"<p>Topic {i}</p>" for i in range(40)) + \
    "</nav>" + "".join(f"<section>Section {i}</section>" for i in range(10)) + \
    """<button onclick="this.textContent = 'smooth-done'">b</button><script>
window.jump = (page, toc) => { scrollTo({ top: page, behavior: 'instant' });
  document.getElementById('toc').scrollTo({ top: toc, behavior: 'instant' }); return Date.now() };
</script>"""
SCROLLED = "(d) => [d.scrollingElement.scrollTop, d.getElementById('toc').scrollTop]"


def test_a_page_that_scrolls_smoothly_replays_each_moment_at_its_place(live_server, celery_worker, customer, context):
    """The page's `scroll-behavior: smooth` applied to the replay's own scrolling: a seek glided from where
    the replay was, and the replay paused at a moment showed the page, for some frames, where it was at another."""
    site, page = visiting(context, live_server, customer, SMOOTH)
    moments = []
    for where in ([1200, 300], [600, 40], [2000, 500]):
        at = page.evaluate("([a, b]) => jump(a, b)", where)
        page.wait_for_timeout(400)
        moments.append((at + 200, where, page.evaluate(f"({SCROLLED})(document)")))
    events = button_clicked_then_closed(page, site, "smooth-done")
    assert [seen for _, where, seen in moments] == [where for _, where, _ in moments]

    frame = replayed_at_end(context, live_server, site, "#toc")
    for at, where, _ in moments + moments[::-1]:
        assert replayed_at(frame, at - events[0]["timestamp"], SCROLLED) == where, (at, where)


# A shop's header in the Web Animations manner: a banner faded in as the page loads (before the recorder
# starts), a menu that fades in and a drawer that slides in when opened and the menu fading out again, each
# holding its end (fill: forwards) over the stylesheet's hidden state; a toast shown the same way whose
# animation is cancelled (it is hidden again); a note shown by an Animation the page builds of a
# KeyframeEffect; and a button that pulses, holding nothing.
FILLS = """<style>#banner, #menu, #toast, #note { opacity: 0 } #drawer { transform: translateX(-300px) }</style>
<h1>Shop</h1><p id="banner">Free delivery</p><div id="menu">Menu</div><div id="drawer">Basket</div><p id="toast">Added</p><p id="note">In stock</p>
<button id="pulse" onclick="this.textContent = 'fills-done'">b</button>
<script>
const $ = (id) => document.getElementById(id);
const show = (id, frames) => $(id).animate(frames, { duration: 150, fill: 'forwards' });
const pulse = () => $('pulse').animate({ scale: [1, 1.1, 1] }, 50);
show('banner', [{ opacity: 0 }, { opacity: 1 }]);
window.openAll = () => { show('menu', [{ opacity: 0 }, { opacity: 1 }]); show('drawer', { transform: ['translateX(-300px)', 'none'] });
  window.toast = show('toast', [{ opacity: 0 }, { opacity: 1 }]); pulse();
  new Animation(new KeyframeEffect($('note'), { opacity: [0, 1] }, { duration: 150, fill: 'forwards' })).play(); };
window.closeMenu = () => { show('menu', [{ opacity: 1 }, { opacity: 0 }]); window.toast.cancel(); pulse(); };
</script>"""
FILL = "data-hindsight-fill"
HELD = "(d) => ['banner', 'menu', 'toast', 'note'].map((id) => getComputedStyle(d.getElementById(id)).opacity).concat(getComputedStyle(d.getElementById('drawer')).transform)"


def test_what_web_animations_hold_at_their_end_replays_as_the_visitor_saw_it(live_server, celery_worker, customer, context):
    """element.animate() with fill 'forwards' styles an element beyond its attributes and stylesheets:
    the menu, drawer and banner the visitor saw replayed hidden, as the stylesheet has them."""
    site, page = visiting(context, live_server, customer, FILLS)
    moments = []
    for act in ("openAll()", "closeMenu()"):
        page.evaluate(act)
        page.wait_for_timeout(400)
        moments.append((page.evaluate("Date.now()"), page.evaluate(f"({HELD})(document)")))
    events = button_clicked_then_closed(page, site, "fills-done")
    slid = "matrix(1, 0, 0, 1, 0, 0)"  # (the drawer where it slid to)
    assert [seen for _, seen in moments] == [["1", "1", "1", "1", slid], ["1", "0", "0", "1", slid]]
    said = [a["attributes"][FILL] for e in events if e["type"] == 3 and e["data"]["source"] == 0
            for a in e["data"]["attributes"] if FILL in a["attributes"]]
    assert said.count(None) == 1  # the toast's: what holds nothing (the pulses) goes out only as a change

    frame = replayed_at_end(context, live_server, site, "#drawer")
    for at, seen in moments + moments[::-1]:
        assert replayed_at(frame, at - events[0]["timestamp"], HELD) == seen, (at, seen)


# An old store's page: Magento 1 ships Prototype.js 1.7, whose Array.from is its $A (a map function is
# ignored, a Set becomes []); a MutationObserver wrapped as zone.js wraps it (each callback would run
# Angular's change detection), which notes whether anything observes text as rrweb does; no
# document.getAnimations, as in a browser older than Safari 13.1; and a slow script in its head, so that
# the recorder starts before the page has a body.
PROTOTYPE_FROM = """<script>
function $A(iterable) { if (!iterable) return []; if ('toArray' in Object(iterable)) return iterable.toArray();
  var length = iterable.length || 0, results = new Array(length); while (length--) results[length] = iterable[length]; return results; }
Array.from = $A;
const MO = MutationObserver;
window.MutationObserver = class extends MO {
  observe(target, options) { if (options && options.characterDataOldValue) window.rrwebObserved = true; return super.observe(target, options) }
};
delete Document.prototype.getAnimations;
</script>"""
STORE = """<h1>Store</h1><select id="size"><option>S</option><option>M</option><option>L</option></select>
<div id="guide" popover>Sizes run small</div>
<button onclick="this.textContent = 'store-done'">Add to cart</button>"""


def test_a_page_that_patched_array_from_and_mutation_observers_is_recorded_from_before_its_body(
        live_server, celery_worker, customer, context):
    """rrweb takes a clean Array.from, and a clean MutationObserver, from a frame it adds to the body: with
    no body yet, the page's stayed. The select's choice was written as "[object HTMLOptionElement]", the
    closing page's last batch, compressed with tables built by that Array.from, was lost with everything in
    it, and rrweb observed the page through the zone's MutationObserver. (And without getAnimations the
    recorder's start stopped half way: popovers, for one, were not followed.) Where rrweb did take a clean
    Array.from, it put it in the page's place: the page's own code lost its $A."""
    site = make_site(customer, mask_all_inputs=False)
    head = PROTOTYPE_FROM + site_snippet(site, live_server.url) + '<script src="/slow.js"></script>'
    customer.pages = {"/": html(head, STORE), "/slow.js": "window.slow = 1"}
    customer.types = {"/slow.js": "text/javascript"}
    customer.delays = {"/slow.js": 1}
    page = context.new_page()
    page.goto(customer.url("/"))
    page.select_option("#size", "L")
    page.evaluate("document.getElementById('guide').showPopover()")
    assert page.evaluate("window.rrwebObserved") is None
    assert page.evaluate("Array.from === $A"), "the page's own code lost its Array.from"
    events = button_clicked_then_closed(page, site, "store-done")
    assert [e["data"]["text"] for e in events if e["type"] == 3 and e["data"]["source"] == 5] == ["L"]
    assert any(a["attributes"].get("data-hindsight-popover") == "" for e in events if e["type"] == 3 and e["data"]["source"] == 0
               for a in e["data"]["attributes"])
