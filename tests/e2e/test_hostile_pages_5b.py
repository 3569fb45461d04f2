"""Pages nobody wrote for us, another lot: frames a script writes into again and again, themes switched by
turning stylesheets off, card numbers in attributes and in other scripts' digits, a page that follows its
visitor's dark setting and touch screen.

Each visit is recorded by the real recorder from the site's snippet in Chromium, stored by a real worker,
and replayed in the player.

Checked by hand and replayed as the visitor saw them (or masked as they should be), so not kept as tests:
constructable stylesheets adopted by the document and by shadow roots and changed later (replaceSync(),
replace(), insertRule(), deleteRule(), a new list adopted), a CSS-in-JS <style> filled by insertRule() in
"speedy" mode, a <style> with text and rules inserted before the recorder started (in a shadow root too), a
theme class and custom properties set on :root; a modal dialog, <details> toggled by script and an exclusive
accordion (<details name>), a popover toggled; a virtualised list recycling its rows; an input method's
composition in a rich-text editor and a field, emoji, ZWJ sequences and RTL text; a textarea resized by the
visitor; a frame's srcdoc changed later; show-password toggles that set the type and then the value in one
task, in the page, in a shadow root and in a same-origin frame (never sent in clear, with "mask all inputs"
off).
"""
import json

import pytest

from sites.snippet import site_snippet
from tests.e2e.conftest import recorder_started
from tests.e2e.test_capture import html, make_site, stored_events
from tests.e2e.test_hostile_pages_2 import button_clicked_then_closed
from tests.e2e.test_fidelity import assert_replays_as_seen, open_replay, record, viewer  # noqa: F401 (a fixture)
from tests.e2e.test_periodic_snapshot import CHECKOUT_MS, shorten_checkout
from tests.e2e.test_privacy_holes import card_pattern, record as record_privately

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def mutations(events) -> list[dict]:
    return [e for e in events if e["type"] == 3 and e["data"]["source"] == 0]


# An ad slot filled the old way: the ad script makes a frame and writes the advert into it (document.open(),
# write(), close()), then writes the next one into the same frame at each rotation (the last one a sign-up
# form, which the visitor fills in), and at last adds a line to the one it shows.
AD_SLOT = """<h1>News</h1><p>The story</p><div id="slot"></div>
<script>
const frame = document.createElement('iframe');
document.getElementById('slot').appendChild(frame);
const fill = (n, more) => { const d = frame.contentDocument; d.open(); d.write('<p id="ad">Advert ' + n + '</p>' + more); d.close(); };
fill(1, '');
let n = 1;
setInterval(() => {
  n++;
  if (n <= 4) fill(n, n === 4 ? '<input id="email">' : '');
  else if (n === 5) frame.contentDocument.body.insertAdjacentHTML('beforeend', '<b>Buy now</b>');
}, 600);
</script>"""


def test_a_frame_a_script_writes_into_again_replays_each_page_it_wrote(live_server, celery_worker, customer, page, viewer):
    """document.open() keeps the frame's document, which loads again: rrweb wrote the new page under the
    document's old id, and the player kept the first advert for good. Each load also observed the document
    once more: every change in it went out twice, then three times. (And what was typed into a page written
    then would have gone unrecorded: document.open() takes the document's listeners.)"""
    def sign_up(p):
        p.frame_locator("iframe").locator("#email").click()
        p.keyboard.type("ann@example.org", delay=40)

    site, samples, _ = record(live_server, customer, page, AD_SLOT, act=sign_up, seconds=3)
    open_replay(viewer, live_server, site, samples[-1]["t"])
    events = stored_events(site)
    # rrweb writes a frame's document a timer after the snapshot that holds the frame: compare from then on.
    ready = min(e["timestamp"] for e in mutations(events) if any(a["node"]["type"] == 0 for a in e["data"]["adds"]))
    samples = [s for s in samples if s["t"] > ready]
    states = [s["s"]["dom"] for s in samples]
    assert any('"Advert 2' in dom for dom in states) and '"Advert 4' in states[-1] and '"Buy now' in states[-1], states
    assert "<input#email focused value#15" in states[-1], states[-1]
    assert_replays_as_seen(viewer, samples, fresh=False)
    assert sum(json.dumps(e).count("Buy now") for e in mutations(events)) == 1


# A theme switcher as sites write them: the light theme a stylesheet of the site's, the dark one a <style> a
# CSS-in-JS library wrote, each turned off by script when the visitor picks the other (`link.disabled`,
# `style.disabled`, `sheet.disabled`); and a sheet turned off before the recorder started (a banner's).
THEMES = """<h1 data-probe>Docs</h1><p class="card" data-probe>A card</p><p class="note" data-probe>A note</p>
<link rel="stylesheet" id="light" href="/light.css">
<style id="dark">.card { color: rgb(230, 230, 230) }</style>
<style id="banner">.note { color: rgb(200, 0, 0) }</style>
<script>
document.getElementById('banner').disabled = true;
document.getElementById('dark').disabled = true;
window.theme = (name) => {
  document.getElementById('dark').disabled = name !== 'dark';
  if (name === 'contrast') document.getElementById('light').sheet.disabled = true;
  else document.getElementById('light').disabled = name === 'dark';
};
</script>"""
LIGHT_CSS = "h1 { color: rgb(10, 20, 30) } .card { color: rgb(40, 50, 60) }"

# A page whose own observer of its DOM takes a while over each change (a framework's dev tools, a slow
# analytics tag): what runs after the recorder's in the same task runs before the recorder's next microtask.
SLOW_OBSERVER = """<h1>Docs</h1><style id="banner">h1 { color: rgb(200, 0, 0) }</style><p id="clock">0</p>
<button onclick="this.textContent = 'slow-done'">b</button>
<script>document.getElementById('banner').disabled = true;
window.observe = () => new MutationObserver(() => { const until = Date.now() + 30; while (Date.now() < until); })
  .observe(document.body, { subtree: true, childList: true, characterData: true });</script>"""


def test_a_theme_switched_by_turning_stylesheets_off_replays_as_the_visitor_saw_it(
        live_server, celery_worker, customer, page, viewer):
    """A sheet turned off by script has no attribute that says so (a <link>'s `disabled` is one, but rrweb
    rebuilds a <link> it recorded as a <style>, which the attribute does not turn off): the replay kept
    every theme on at once."""
    customer.types["/light.css"] = "text/css"

    def switch(p):
        for name in ("dark", "light", "contrast", "dark", "light"):
            p.evaluate("(name) => theme(name)", name)
            p.wait_for_timeout(1000)  # (each theme shows for two samples or more, also on a loaded machine)

    site, samples, _ = record(live_server, customer, page, THEMES, act=switch, seconds=0.5,
                              files={"/light.css": LIGHT_CSS})
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    states = [s["s"]["dom"] for s in samples]
    for card in ("rgb(230, 230, 230)", "rgb(40, 50, 60)", "rgb(0, 0, 0)"):  # dark, light, neither
        assert any(f"<p.card color={card}" in dom for dom in states), (card, states)
    assert all("<p.note color=rgb(0, 0, 0)" in dom for dom in states), states
    # (A sample from before the recording started, as the recorder loads late on a loaded machine, is of
    # nothing a replay holds.)
    assert_replays_as_seen(viewer, [s for s in samples if s["t"] > start + 20], fresh=False)


# A shop's saved cards, as its templates write them: the number in a title, an image's alt, a button's
# label and a data-* attribute its script reads, and one more written in later; beside them a chart's line
# whose coordinates pass the Luhn check, and an order number.
SAVED_CARDS = """<h1>Saved cards</h1>
<div id="visa" title="Visa 4012 8888 8888 1881" data-pan="4111 1111 1111 1111"><img alt="Card 5555 5555 5555 4444" src="data:,"></div>
<button aria-label="Remove 4000 0566 5566 5556">Remove</button> <p id="later" data-order="Order 20240611">Order</p>
<svg width="200" height="40"><path id="line" d="M 186.87050846691456 12 L 190.5 14"/></svg>
<script>setTimeout(() => { document.getElementById('later').title = 'Amex 3714 496353 98431'; window.__shown = true; }, 300);</script>"""


def test_card_numbers_in_attributes_never_leave_the_browser(live_server, celery_worker, customer, context):
    """The recorder masked card numbers in the page's text and in typed values, and sent those in a title, an
    alt, a label or a data-* attribute as they were (the server masked them before storing)."""
    page_html = html("{snippet}", SAVED_CARDS)
    sent, stored = record_privately(live_server, customer, context, make_site(customer), page_html,
                                    lambda p: p.wait_for_function("window.__shown"))
    for number in ("4012 8888 8888 1881", "4111 1111 1111 1111", "5555 5555 5555 4444", "4000 0566 5566 5556",
                   "3714 496353 98431"):
        assert not card_pattern(number).search(sent) and not card_pattern(number).search(stored), number
    assert b"Visa **** **** **** ****" in sent and b"Amex **** ****** *****" in sent
    assert b"M 186.87050846691456 12" in sent and b"Order 20240611" in sent


# A page that follows its visitor's light or dark setting and device, as most sites now do: a media query,
# CSS's light-dark() under `color-scheme: light dark`, a rule a CSS-in-JS library inserts later, and hover
# effects and touch targets for a mouse or a finger (Tailwind wraps its hover styles in `(hover: hover)`).
FOLLOWS_VISITOR = """<style>
:root { color-scheme: light dark }
h1 { color: rgb(20, 20, 20) }
@media (prefers-color-scheme: dark) { h1 { color: rgb(230, 230, 230) } }
.card { color: light-dark(rgb(0, 0, 100), rgb(200, 200, 255)) }
@media (hover: hover) and (pointer: fine) { .tap { color: rgb(90, 0, 0) } }
@media (pointer: coarse) { .tap { color: rgb(0, 90, 0); padding: 12px } }
</style><style id="emotion"></style>
<h1 data-probe>Account</h1><p class="card" data-probe>Balance</p><p class="late" data-probe>Offers</p>
<button class="tap" data-probe>Pay</button>
<script>
setTimeout(() => document.getElementById('emotion').sheet.insertRule(
  '@media not (prefers-color-scheme: light) { .late { color: rgb(1, 200, 1) } }'), 700);
</script>"""


def test_a_page_that_follows_the_visitors_dark_setting_and_touch_screen_replays_so_for_a_viewer_on_a_light_desktop(
        live_server, celery_worker, customer, browser, viewer):
    """The replay's frame answers media queries with the viewer's browser: a dark visitor's page replayed
    light, and a phone's as on a desktop, for a viewer in light mode with a mouse."""
    phone = browser.new_context(color_scheme="dark", has_touch=True)
    site, samples, _ = record(live_server, customer, phone.new_page(), FOLLOWS_VISITOR, seconds=1.5)
    phone.close()
    assert viewer.evaluate("matchMedia('(prefers-color-scheme: dark)').matches || matchMedia('(pointer: coarse)').matches") is False
    last = samples[-1]["s"]["dom"]
    assert "<h1 color=rgb(230, 230, 230)" in last and "<p.card color=rgb(200, 200, 255)" in last, last
    assert "<p.late color=rgb(1, 200, 1)" in last and "<button.tap color=rgb(0, 90, 0)" in last, last
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    assert_replays_as_seen(viewer, [s for s in samples if s["t"] > start + 20], fresh=False)


# A shop in Persian: the saved card shown in Persian digits, an Arabic-Indic one written in later, and
# fields the visitor types into with a Persian keyboard and a Japanese input method (full-width digits).
OTHER_DIGITS = """<h1>فروشگاه</h1><p>کارت ۴۱۱۱ ۱۱۱۱ ۱۱۱۱ ۱۱۱۱</p><p id="later"></p>
<input id="phone"> <input id="q" type="search">
<script>setTimeout(() => { document.getElementById('later').textContent = 'بطاقة ٤٠١٢٨٨٨٨٨٨٨٨١٨٨١'; window.__shown = true; }, 300);</script>"""


def test_card_and_phone_numbers_in_other_scripts_digits_are_masked(live_server, celery_worker, customer, context):
    """The card-number and long-number rules read ASCII digits only: a number in Persian, Arabic-Indic or
    full-width digits, in the page's text or typed (with "mask all inputs" off), was sent and stored in clear."""
    def act(p):
        p.wait_for_function("window.__shown")
        p.click("#phone")
        p.keyboard.insert_text("۰۹۱۲۳۴۵۶۷۸۹")
        p.click("#q")
        p.keyboard.type("４２４２ ４２４２ ４２４２ ４２４２", delay=20)

    sent, stored = record_privately(live_server, customer, context, make_site(customer, mask_all_inputs=False),
                                    html("{snippet}", OTHER_DIGITS), act)
    for number in ("۴۱۱۱ ۱۱۱۱ ۱۱۱۱ ۱۱۱۱", "٤٠١٢٨٨٨٨٨٨٨٨١٨٨١", "۰۹۱۲۳۴۵۶۷", "４２４２ ４２４２"):
        for blob in (sent, stored):
            assert number.encode() not in blob and json.dumps(number)[1:-1].encode() not in blob, number
    assert "کارت **** **** **** ****".encode() in sent or json.dumps("کارت **** **** **** ****")[1:-1].encode() in sent


def test_what_a_snapshot_notes_is_stamped_with_the_snapshot(live_server, celery_worker, customer, context):
    """The states the DOM does not carry (a sheet turned off, a field's validity...) are noted as a DOM change
    after each full snapshot, stamped when the recorder's microtask ran: a moment sought between the two
    showed the page without them (every theme on at once; the full suite's theme test failed so, its first
    sample taken as the recording began)."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), SLOW_OBSERVER)}
    page = context.new_page()
    shorten_checkout(page, live_server)
    page.goto(customer.url("/"))
    recorder_started(page)
    page.evaluate("observe()")
    page.wait_for_timeout(CHECKOUT_MS + 200)
    page.evaluate("document.getElementById('clock').textContent = '1'")  # a change: rrweb's snapshot is due
    events = button_clicked_then_closed(page, site, "slow-done")

    snapshots = [i for i, e in enumerate(events) if e["type"] == 2]
    assert len(snapshots) >= 2
    for i in snapshots:
        noted = next(e for e in events[i:] if e["type"] == 3 and e["data"]["source"] == 0
                     and any("disabled" in a["attributes"] for a in e["data"]["attributes"]))
        assert noted["timestamp"] == events[i]["timestamp"]
