"""What the player gives a replayed page on top of rrweb, where it was missed: the visitor's media answers on
the heatmaps page, the `scripting` feature in every place CSS asks it.

Each visit is recorded by the real recorder from the site's snippet in Chromium, stored by a real worker, and
replayed in the dashboard's player (or its heatmaps page) in Chromium.
"""
import json

import pytest

from sites.snippet import site_snippet
from tests.e2e.conftest import flush_now, login, recorder_started
from tests.e2e.test_capture import html, make_site, stored_events
from tests.e2e.test_fidelity import assert_replays_as_seen, open_replay, player_at, record, viewer  # noqa: F401 (a fixture)
from tests.e2e.test_frustration import settled
from tests.e2e.test_heatmaps import heatmap_page

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


# A page that follows its visitor's dark setting and touch screen, with a button to click.
DARK_PHONE = """<style>
h1 { color: rgb(20, 20, 20) } @media (prefers-color-scheme: dark) { h1 { color: rgb(230, 230, 230) } }
@media (pointer: coarse) { #buy { padding: 30px } }
</style><h1>Plans</h1><button id="buy">Join</button>"""


def test_the_heatmap_draws_a_dark_phone_visitors_page_as_they_saw_it_for_a_viewer_on_a_light_desktop(
        live_server, celery_worker, customer, browser):
    """The heatmaps page rebuilt the page view without the Meta event's media answers: the page under the
    heatmap was drawn in the viewer's scheme and with a mouse's layout, and the clicks landed on a button of
    another size than the one the visitor clicked."""
    site = make_site(customer)
    customer.pages = {"/plans": html(site_snippet(site, live_server.url), DARK_PHONE)}
    phone = browser.new_context(color_scheme="dark", has_touch=True)
    page = phone.new_page()
    page.goto(customer.url("/plans"))
    recorder_started(page)
    seen = page.evaluate("[getComputedStyle(document.querySelector('h1')).color, getComputedStyle(buy).paddingTop]")
    assert seen == ["rgb(230, 230, 230)", "30px"]
    page.click("#buy")
    flush_now(page)
    settled(site, 1)
    phone.close()

    desktop = browser.new_context(viewport={"width": 1400, "height": 1000})
    owner = desktop.new_page()
    login(owner, live_server, "owner")
    frame = heatmap_page(owner, live_server, site, customer)
    frame.locator("[data-testid=click-dot]").first.wait_for(state="attached")
    shown = frame.locator("body").evaluate(
        "b => [getComputedStyle(b.querySelector('h1')).color, getComputedStyle(b.querySelector('#buy')).paddingTop]")
    assert shown == seen
    desktop.close()


# Rules for pages with and without scripts, where pages keep them: a <style> whose `media` attribute asks,
# and rules a CSS-in-JS library inserts later.
SCRIPTING = """<style media="(scripting: none)">#no-js { color: rgb(200, 0, 0) }</style><style id="css-in-js"></style>
<p id="no-js" data-probe>Please turn on JavaScript</p><p id="price" data-probe>From 9.99</p><p id="later" data-probe>Offers</p>
<script>
setTimeout(() => {
  const sheet = document.getElementById('css-in-js').sheet;
  sheet.insertRule('@media (scripting: none) { #later { color: rgb(200, 0, 0) } }');
  sheet.insertRule('@media (scripting: enabled) { #price { color: rgb(0, 128, 0) } }');
}, 500);
</script>"""


def test_rules_for_pages_with_and_without_scripts_replay_as_for_the_page_that_ran_them_wherever_they_are(
        live_server, celery_worker, customer, page, viewer):
    """The replay's frame runs no scripts, and the `scripting` media feature was answered as the visitor's page
    answered it only in stylesheets rrweb rewrites: a <style media="(scripting: none)"> and rules inserted by
    script applied as for a page without scripts."""
    site, samples, _ = record(live_server, customer, page, SCRIPTING, seconds=1.5)
    last = samples[-1]["s"]["dom"]
    assert "<p#no-js color=rgb(0, 0, 0)" in last and "<p#later color=rgb(0, 0, 0)" in last, last
    assert "<p#price color=rgb(0, 128, 0)" in last, last
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    assert_replays_as_seen(viewer, [s for s in samples if s["t"] > start + 20], fresh=False)


# A component whose shadow root holds a modal dialog (a confirmation), opened and closed by its script: the
# dialog has focus while it is open, with the page's focus ring.
SHADOW_DIALOG = """<confirm-box></confirm-box><button id="other">Other</button>
<script>
customElements.define('confirm-box', class extends HTMLElement {
  connectedCallback() {
    this.attachShadow({ mode: 'open' }).innerHTML = '<style>dialog:focus { outline: 3px solid rgb(200, 0, 0) }</style>'
      + '<dialog id="dlg">Sure? <span>Yes</span></dialog>';
  }
});
const dlg = () => document.querySelector('confirm-box').shadowRoot.getElementById('dlg');
setTimeout(() => dlg().showModal(), 600);
setTimeout(() => dlg().close(), 1400);
</script>"""


def test_a_dialog_in_a_shadow_root_replays_unfocused_once_closed_and_never_takes_the_viewers_keyboard(
        live_server, celery_worker, customer, page, viewer):
    """rrweb replays a modal dialog with showModal(), which in a shadow root took the viewer's keyboard focus
    into the replay. And the player shows focus with classes of its own, and took them back from the elements the document's
    query found and from those it had marked; a seek rebuilds the page and carried the classes onto the new
    elements, and in a shadow root the query did not find them: a dialog of a component replayed focused,
    with its focus ring, from a seek after it closed (and so did any element of a shadow root focused once)."""
    site, samples, _ = record(live_server, customer, page, SHADOW_DIALOG, seconds=2)
    states = [s["s"]["dom"] for s in samples]
    assert any("<dialog#dlg focused open modal" in dom for dom in states), states
    assert "<dialog#dlg\n" in states[-1], states[-1]
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    assert_replays_as_seen(viewer, [s for s in samples if s["t"] > start + 20], fresh=False)

    # The viewer's keyboard stays with the player, the dialog sought to and played to alike.
    opened = next(s["t"] for s in samples if "open modal" in s["s"]["dom"])
    player_at(viewer, opened)
    assert viewer.evaluate("document.activeElement.tagName") != "IFRAME"
    viewer.evaluate("window.__hsPlayer.controller.playFrom(0)")
    viewer.wait_for_function("""() => window.__hsPlayer.replayer.iframe.contentDocument.querySelector('confirm-box')
        .shadowRoot.querySelector('dialog').open""")
    assert viewer.evaluate("document.activeElement.tagName") != "IFRAME"


# A component whose script, once shown, turns its theme's stylesheet off, shows a "select all" checkbox
# partly checked and gives a badge its colour with a held Web Animation: all in its shadow root.
SHADOW_MARKS = """<order-list></order-list>
<script>
customElements.define('order-list', class extends HTMLElement {
  connectedCallback() {
    this.attachShadow({ mode: 'open' }).innerHTML = '<style>label { color: rgb(0, 0, 0) } '
      + 'input:indeterminate + label { color: rgb(0, 0, 180) }</style><style id="theme">h2 { color: rgb(200, 0, 0) }</style>'
      + '<h2 data-probe>Orders</h2><input type="checkbox" id="all"><label for="all" data-probe>All</label>'
      + '<b id="badge" data-probe>3 new</b>';
  }
});
setTimeout(() => {
  const root = document.querySelector('order-list').shadowRoot;
  root.getElementById('theme').disabled = true;
  root.getElementById('all').indeterminate = true;
  root.getElementById('badge').animate([{ color: 'rgb(0, 140, 0)' }], { duration: 0, fill: 'forwards' });
}, 700);
</script>"""


def test_a_components_sheet_turned_off_checkbox_partly_checked_and_held_animation_replay_in_its_shadow_root(
        live_server, celery_worker, customer, page, viewer):
    """The recorder writes each of these states as an attribute of ours on the element's node, also in a
    shadow root, and the player gave the state to the elements its document's query found: inside a shadow
    root the theme stayed on, the checkbox empty and the badge in its colour before."""
    site, samples, _ = record(live_server, customer, page, SHADOW_MARKS, seconds=1.5)
    last = samples[-1]["s"]["dom"]
    assert "<h2 color=rgb(0, 0, 0)" in last and "<label color=rgb(0, 0, 180)" in last, last
    assert "<b#badge color=rgb(0, 140, 0)" in last, last
    assert "<h2 color=rgb(200, 0, 0)" in samples[0]["s"]["dom"], samples[0]
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    assert_replays_as_seen(viewer, [s for s in samples if s["t"] > start + 20], fresh=False)


# The same component, its states set (and a popover of its shown) by the page's own script, before the
# recorder, loaded asynchronously, starts.
SHADOW_MARKS_EARLY = SHADOW_MARKS.replace("setTimeout(() => {", "(() => {").replace("}, 700);", "})();").replace(
    "'<b id=\"badge\" data-probe>3 new</b>'", "'<b id=\"badge\" data-probe>3 new</b><div id=\"tip\" popover>Filtered</div>'").replace(
    "fill: 'forwards' });", "fill: 'forwards' });\n  root.getElementById('tip').showPopover();")


def test_a_components_states_set_before_the_recorder_started_replay_from_the_first_snapshot(
        live_server, celery_worker, customer, page, viewer):
    """A full snapshot noted the sheets turned off, partly checked boxes, held animations and open popovers
    of the document only: a component whose states were set before the recorder started (it loads after the
    page's own scripts) replayed with its theme on, its checkbox empty, its badge and its popover as before."""
    assert "showPopover" in SHADOW_MARKS_EARLY and "700" not in SHADOW_MARKS_EARLY
    site, samples, _ = record(live_server, customer, page, SHADOW_MARKS_EARLY, seconds=1)
    first = samples[0]["s"]["dom"]
    assert "<h2 color=rgb(0, 0, 0)" in first and "<label color=rgb(0, 0, 180)" in first, first
    assert "<b#badge color=rgb(0, 140, 0)" in first and "popover-open" in first, first
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    assert_replays_as_seen(viewer, [s for s in samples if s["t"] > start + 20], fresh=False)


# A component whose states the visitor changes after the snapshot, each by an event that stays in its shadow
# root: a click clears a partly checked box (`change`), leaving a field wrong marks it (`focusout` reaches the
# document with the host for its target), a button opens a popover (`beforetoggle`).
SHADOW_VISITOR = """<pay-form></pay-form>
<script>
customElements.define('pay-form', class extends HTMLElement {
  connectedCallback() {
    this.attachShadow({ mode: 'open' }).innerHTML = '<style>label, span { color: rgb(0, 0, 0) } '
      + 'input:checked + label { color: rgb(0, 140, 0) } input:indeterminate + label { color: rgb(0, 0, 180) } '
      + 'input:user-invalid + span { color: rgb(200, 0, 0) }</style>'
      + '<input type="checkbox" id="all"><label for="all" data-probe>All</label>'
      + '<input type="email" id="mail"><span data-probe>E-mail</span>'
      + '<button id="open" popovertarget="tip">Info</button><div id="tip" popover>Details</div>';
    this.shadowRoot.getElementById('all').indeterminate = true;
  }
});
</script>"""


def test_what_the_visitor_changes_inside_a_components_shadow_root_replays(
        live_server, celery_worker, customer, page, viewer):
    """The recorder heard these events on the document only, and none of them reaches it from inside a shadow
    root (or reaches it with the host for its target): the replay kept the box partly checked, the field
    without its red and the popover closed."""
    def act(p):
        p.click("#all")
        p.fill("#mail", "not an address")
        p.keyboard.press("Tab")
        p.click("#open")

    site, samples, _ = record(live_server, customer, page, SHADOW_VISITOR, act=act, seconds=1.5)
    first, last = samples[0]["s"]["dom"], samples[-1]["s"]["dom"]
    assert "<label color=rgb(0, 0, 180)" in first and "popover-open" not in first, first
    assert "<label color=rgb(0, 140, 0)" in last and "<span color=rgb(200, 0, 0)" in last, last
    assert "popover-open" in last, last
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    assert_replays_as_seen(viewer, [s for s in samples if s["t"] > start + 20], fresh=False)


# The same component defined only after the recorder started, as a page's lazily loaded module defines the
# elements already in its HTML: their shadow roots are attached to elements the snapshot holds.
SHADOW_VISITOR_LATE = SHADOW_VISITOR.replace("customElements.define('pay-form', class", "const define = () => customElements.define('pay-form', class").replace(
    "});\n</script>", "});\n(function later() {\n  window.__insp && !Array.isArray(window.__insp) ? setTimeout(define, 200) : setTimeout(later, 20);\n})();\n</script>")


def test_a_component_defined_after_the_snapshot_replays_what_the_visitor_changes_in_it(
        live_server, celery_worker, customer, page, viewer):
    """The recorder gave the document's listeners to the shadow roots of a snapshot and of hosts added
    later, not to a root attached to an element the snapshot already held: the replay kept the box partly
    checked, the field without its red and the popover closed."""
    assert "later()" in SHADOW_VISITOR_LATE and "const define" in SHADOW_VISITOR_LATE

    def act(p):
        p.wait_for_selector("#all")  # (open shadow roots are searched)
        p.click("#all")
        p.fill("#mail", "not an address")
        p.keyboard.press("Tab")
        p.click("#open")

    site, samples, _ = record(live_server, customer, page, SHADOW_VISITOR_LATE, act=act, seconds=1.5)
    last = samples[-1]["s"]["dom"]
    assert "<label color=rgb(0, 140, 0)" in last and "<span color=rgb(200, 0, 0)" in last, last
    assert "popover-open" in last, last
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    snapshot = json.dumps(next(e for e in stored_events(site) if e["type"] == 2))
    assert '"tagName": "pay-form"' in snapshot and "isShadowHost" not in snapshot, snapshot
    assert_replays_as_seen(viewer, [s for s in samples if s["t"] > start + 20], fresh=False)
