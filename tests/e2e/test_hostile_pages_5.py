"""Pages nobody wrote for us, a fifth lot: states that only pseudo-classes show. A form whose fields turn red
once the visitor has left them wrong (`:user-invalid`), and custom elements styled by their states
(`:state()`).

Each visit is recorded by the real recorder from the site's snippet in Chromium, stored by a real worker,
and replayed in the player, seeked to each moment the visitor's page was sampled at.
"""
import json

import pytest

from sites.snippet import site_snippet
from tests.e2e.conftest import recorder_started
from tests.e2e.test_capture import element_ids, html, make_site, replayed_at_end
from tests.e2e.test_hostile_pages_2 import button_clicked_then_closed
from tests.e2e.test_hostile_pages_4 import replayed_at, visiting
from tests.e2e.test_periodic_snapshot import CHECKOUT_MS, shorten_checkout

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

VALID = "data-hindsight-valid"


def sample(page, read: str):
    """The time and `read(document)` on the visitor's page, once what the recorder looks at a task after an
    event (a field's validity) is written: a timer set now runs after the recorder's."""
    return page.evaluate(f"""() => new Promise((done) => setTimeout(() => done([Date.now(), ({read})(document)])))""")


def attribute_changes(events, name: str) -> dict:
    """Node id -> the values of attribute `name` the DOM changes gave it, in order."""
    found = {}
    for e in events:
        if e["type"] == 3 and e["data"]["source"] == 0:
            for change in e["data"]["attributes"]:
                if name in change["attributes"]:
                    found.setdefault(change["id"], []).append(change["attributes"][name])
    return found


# A sign-up form (every field masked, as the site's default masks every input, but the name) whose fields are
# outlined red or green once the visitor has left them (:user-invalid, :user-valid), and whose e-mail field
# is shaded while it is invalid (:invalid); a password and a card number, secrets, styled the same way.
SIGNUP = """<style>
input { border: 2px solid rgb(0, 0, 0); background: rgb(255, 255, 255) }
input:user-invalid { border-color: rgb(255, 0, 0) } input:user-valid { border-color: rgb(0, 128, 0) }
#email:invalid { background-color: rgb(255, 200, 200) }
</style><h1>Sign up</h1><form id="signup" onsubmit="event.preventDefault()">
<input id="email" type="email" required> <input id="name" class="hindsight-unmask" required minlength="3">
<input id="password" type="password" required minlength="8"> <input id="card" autocomplete="cc-number" required pattern="[0-9]{16}">
<input id="secret-code" class="hindsight-ignore" required> <span class="hindsight-ignore"><input id="inner-code" required></span>
<button id="send">Send</button> <button id="clear" type="reset">Clear</button></form>
<button onclick="this.textContent = 'signup-done'">b</button>"""
FIELDS = ["email", "name", "password", "card"]
LOOKS = f"""(d) => {json.dumps(FIELDS)}.map((id) => {{
    const style = d.defaultView.getComputedStyle(d.getElementById(id));
    return [style.borderTopColor, style.backgroundColor]; }})"""


def test_fields_the_visitor_left_invalid_replay_outlined_and_masked_fields_replay_their_own_validity(
        live_server, celery_worker, customer, context):
    """`:user-invalid` and `:user-valid` match once the visitor has interacted with a field, and no attribute
    says so: the replay showed every field unmarked. And the replay judged a masked field by its mask (a
    masked e-mail address is never a valid one there): the e-mail field stayed shaded as invalid. The
    password's and the card's validity never leave the browser, nor anything of an ignored field."""
    site, page = visiting(context, live_server, customer, SIGNUP)
    moments = [sample(page, LOOKS)]

    def typed(field: str, text: str):
        page.click(f"#{field}")
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
        page.keyboard.press("Tab")  # left: the browser judges the field now
        moments.append(sample(page, LOOKS))
        page.wait_for_timeout(100)  # (each moment its own millisecond)

    typed("email", "ab")
    typed("email", "ab@shop.example")
    typed("name", "Jo")
    typed("password", "hunter2")
    typed("card", "4111")
    page.click("#clear")  # a reset: no field left by the visitor any more
    moments.append(sample(page, LOOKS))
    page.wait_for_timeout(100)
    typed("name", "Joan")
    page.click("#send")  # a submit tried: every field judged
    moments.append(sample(page, LOOKS))
    events = button_clicked_then_closed(page, site, "signup-done")

    red, green, black, white, shaded = "rgb(255, 0, 0)", "rgb(0, 128, 0)", "rgb(0, 0, 0)", "rgb(255, 255, 255)", "rgb(255, 200, 200)"
    looks = [seen for _, seen in moments]
    assert looks[1][0] == [red, shaded] and looks[2][0] == [green, white] and looks[3][1] == [red, white]
    assert looks[6] == [[black, shaded]] + [[black, white]] * 3 and looks[-1][0] == [red, shaded]
    text = json.dumps(events)
    assert "shop.example" not in text and "hunter2" not in text and "4111" not in text
    ids = element_ids(next(e for e in events if e["type"] == 2)["data"]["node"])
    noted = attribute_changes(events, VALID)
    assert noted[ids["email"]][-1] == "invalid user"
    assert set(noted) == {ids["signup"], ids["email"], ids["name"]}  # secrets: not even valid or invalid; ignored: nothing

    frame = replayed_at_end(context, live_server, site, "#card")
    start = events[0]["timestamp"]
    # (A secret field is not noted: the replay judges it itself, and no visitor interacted with it there.)
    replayed = [replayed_at(frame, at - start, LOOKS) for at, _ in moments]
    expected = [seen[:2] + [[black, white]] * 2 for seen in looks]
    assert replayed == expected


# A settings page of custom elements whose look follows their states, in Fluent UI's manner: toggles turned on
# by a click, one of them also busy (a rule a script inserted, as CSS-in-JS does), one made and turned on
# before it is added; and a card open from its start, styled by its shadow root's adopted stylesheet
# (`:host(:state(open))`). The components are defined after the recorder started, as a page's bundle does.
STATES = """<style id="look">
x-toggle { display: inline-block; width: 40px; height: 20px; background: rgb(200, 200, 200) }
x-toggle:state(on) { background-color: rgb(0, 128, 0) }
</style><h1>Settings</h1><x-toggle id="wifi"></x-toggle> <x-toggle id="sound"></x-toggle> <span id="later"></span>
<x-card id="card"></x-card><button onclick="this.textContent = 'states-done'">b</button>
<script>
window.define = () => {
  customElements.define('x-toggle', class extends HTMLElement {
    constructor() { super(); this.i = this.attachInternals(); this.onclick = () => this.i.states[this.i.states.has('on') ? 'delete' : 'add']('on'); }
  });
  customElements.define('x-card', class extends HTMLElement {
    constructor() {
      super(); this.i = this.attachInternals(); this.i.states.add('open');
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(':host { display: block; height: 20px; background: rgb(128, 128, 128) } :host(:state(open)) { background: rgb(0, 0, 255) }');
      const root = this.attachShadow({ mode: 'open' });
      root.innerHTML = '<b>Card</b>';
      root.adoptedStyleSheets = [sheet];
    }
  });
};
window.busy = () => {
  document.getElementById('look').sheet.insertRule('x-toggle:state(on):state(busy) { background-color: rgb(255, 165, 0) }', 2);
  document.getElementById('wifi').i.states.add('busy');
};
window.addLater = () => {
  const toggle = document.createElement('x-toggle');
  toggle.id = 'new';
  toggle.i.states.add('on');
  setTimeout(() => document.getElementById('later').append(toggle), 50);
};
window.closeAll = () => { document.getElementById('wifi').i.states.clear(); document.getElementById('card').i.states.delete('open'); };
</script>"""
COLOURS = """(d) => ['wifi', 'sound', 'new', 'card'].map((id) => {
    const el = d.getElementById(id);
    return el && d.defaultView.getComputedStyle(el).backgroundColor; })"""


def test_custom_elements_replay_styled_by_their_states(live_server, celery_worker, customer, context):
    """A custom element's states (`attachInternals().states`) are no attribute, and rrweb records none: the
    replay showed every toggle off and the card closed, whatever the visitor saw."""
    site, page = visiting(context, live_server, customer, STATES)
    page.evaluate("define()")
    moments = [sample(page, COLOURS)]
    for act in ("document.getElementById('wifi').click()", "busy()", "addLater()",
                "document.getElementById('wifi').click()", "closeAll()"):
        page.evaluate(act)
        if act == "addLater()":
            page.wait_for_selector("#new", state="attached")
        moments.append(sample(page, COLOURS))
        page.wait_for_timeout(100)  # (each moment its own millisecond)
    events = button_clicked_then_closed(page, site, "states-done")

    grey, green, orange, blue, dark = "rgb(200, 200, 200)", "rgb(0, 128, 0)", "rgb(255, 165, 0)", "rgb(0, 0, 255)", "rgb(128, 128, 128)"
    assert [seen for _, seen in moments] == [
        [grey, grey, None, blue], [green, grey, None, blue], [orange, grey, None, blue], [orange, grey, green, blue],
        [grey, grey, green, blue], [grey, grey, green, dark]]

    frame = replayed_at_end(context, live_server, site, "#card")
    start = events[0]["timestamp"]
    assert [replayed_at(frame, at - start, COLOURS) for at, _ in moments] == [seen for _, seen in moments]


# A field the visitor left wrong and a toggle turned on, then a page that goes on changing (a clock) until the
# recorder takes its periodic full snapshot.
LATER = STATES + """<form><input id="email" type="email" required></form><p id="clock">0</p>
<style>input { border: 2px solid rgb(0, 0, 0) } input:user-invalid { border-color: rgb(255, 0, 0) }</style>"""
BOTH = """(d) => [d.defaultView.getComputedStyle(d.getElementById('wifi')).backgroundColor,
    d.defaultView.getComputedStyle(d.getElementById('email')).borderTopColor]"""


def test_states_and_validity_noted_before_a_periodic_snapshot_replay_after_it(
        live_server, celery_worker, customer, context):
    """The replay seeks from the last full snapshot before a moment, whose DOM holds no attribute of ours:
    each is noted again after every snapshot."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), LATER)}
    page = context.new_page()
    served = shorten_checkout(page, live_server)
    page.goto(customer.url("/"))
    recorder_started(page)
    assert '"checkoutMs":%d' % CHECKOUT_MS in served[0]
    page.evaluate("define(); document.getElementById('wifi').click()")
    page.click("#email")
    page.keyboard.type("ab")
    page.keyboard.press("Tab")
    before = sample(page, BOTH)
    page.wait_for_timeout(CHECKOUT_MS + 200)  # (the time the recorder's snapshots are apart)
    page.evaluate("document.getElementById('clock').textContent = '1'")  # a change: the snapshot is due
    after = sample(page, BOTH)
    events = button_clicked_then_closed(page, site, "states-done")

    snapshots = [e["timestamp"] for e in events if e["type"] == 2]
    # (one at the change at the latest, CHECKOUT_MS after the one before: on a slow machine, maybe one more before it)
    assert any(before[0] < at <= after[0] for at in snapshots), (snapshots, before[0], after[0])
    assert before[1] == after[1] == ["rgb(0, 128, 0)", "rgb(255, 0, 0)"]
    frame = replayed_at_end(context, live_server, site, "#email")
    assert [replayed_at(frame, at - events[0]["timestamp"], BOTH) for at, _ in (before, after)] == [before[1], after[1]]


# Switches a page's bundle defined before the recorder started (the snippet last on the page): their internals
# were attached before it could see them.
EARLY = """<style>x-switch { display: inline-block; width: 40px; height: 20px; background: rgb(200, 200, 200) }
x-switch:state(on) { background-color: rgb(0, 128, 0) }</style><h1>Settings</h1>
<x-switch id="wifi"></x-switch> <x-switch id="sound"></x-switch>
<script>
customElements.define('x-switch', class extends HTMLElement {
  constructor() {
    super(); this.i = this.attachInternals(); this.attachShadow({ mode: 'open' }).innerHTML = '<slot></slot>';
    this.onclick = () => this.i.states[this.i.states.has('on') ? 'delete' : 'add']('on');
  }
});
</script>"""
SWITCHES = """(d) => ['wifi', 'sound'].map((id) => d.defaultView.getComputedStyle(d.getElementById(id)).backgroundColor)"""


def test_components_made_before_the_recorder_started_replay_their_states_from_their_next_change(
        live_server, celery_worker, customer, context):
    """The recorder knew a custom element's states from its attachInternals() call only: the components of a
    bundle that ran before it were never followed."""
    site = make_site(customer)
    customer.pages = {"/": html("", EARLY + site_snippet(site, live_server.url) + "<button onclick=\"this.textContent = 'early-done'\">b</button>")}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    moments = []
    for switch in ("wifi", "sound", "wifi"):
        page.click(f"#{switch}")
        moments.append(sample(page, SWITCHES))
        page.wait_for_timeout(100)  # (each moment its own millisecond)
    events = button_clicked_then_closed(page, site, "early-done")

    grey, green = "rgb(200, 200, 200)", "rgb(0, 128, 0)"
    assert [seen for _, seen in moments] == [[green, grey], [green, green], [grey, green]]
    frame = replayed_at_end(context, live_server, site, "#sound")
    assert [replayed_at(frame, at - events[0]["timestamp"], SWITCHES) for at, _ in moments] == [seen for _, seen in moments]


# A shop whose components stay hidden until its bundle defines them, as component libraries advise.
UNDEFINED = """<style>:not(:defined) { visibility: hidden } x-badge:defined { color: rgb(0, 0, 255) }</style>
<h1>Shop</h1><x-badge id="badge">New</x-badge> <x-rating id="rating"><span>4.5</span></x-rating>
<button onclick="this.textContent = 'defined-done'">b</button>
<script>window.define = () => ['x-badge', 'x-rating'].forEach((name) => customElements.define(name, class extends HTMLElement {}));</script>"""
SHOWN = """(d) => ['badge', 'rating'].map((id) => {
    const style = d.defaultView.getComputedStyle(d.getElementById(id));
    return [style.visibility, style.color]; })"""


def test_components_a_rule_hides_until_they_are_defined_replay_shown(live_server, celery_worker, customer, context):
    """The replay's frame runs no script and defines no custom element: `:not(:defined)` matched every
    component there, and the page's components stayed hidden for the whole replay. (Now every element counts
    as defined in the replay: one the visitor saw before its definition shows.)"""
    site, page = visiting(context, live_server, customer, UNDEFINED)
    page.evaluate("define()")
    at, seen = sample(page, SHOWN)
    events = button_clicked_then_closed(page, site, "defined-done")

    assert seen == [["visible", "rgb(0, 0, 255)"], ["visible", "rgb(0, 0, 0)"]]
    frame = replayed_at_end(context, live_server, site, "#rating")
    assert replayed_at(frame, at - events[0]["timestamp"], SHOWN) == seen


# A search box styled by CSS-in-JS (rules inserted one by one, as styled-components and emotion do in
# production) once the page has rendered, after the recorder's snapshot.
STYLED = """<style id="css"></style><h1>Search</h1><input id="q"> <button onclick="this.textContent = 'styled-done'">b</button>
<script>window.style = () => { const sheet = document.getElementById('css').sheet;
  sheet.insertRule('#q { background-color: rgb(255, 255, 255) }', 0);
  sheet.insertRule('#q:focus { background-color: rgb(255, 255, 0) }', 1); };</script>"""
SEARCH = "(d) => d.defaultView.getComputedStyle(d.getElementById('q')).backgroundColor"


def test_focus_styles_a_script_inserted_after_the_snapshot_replay(live_server, celery_worker, customer, context):
    """rrweb makes a stylesheet's :focus (and :hover) rules match the classes the player gives the focused
    element, but inserts a rule a script inserted later as it is: a CSS-in-JS page's focus ring never showed."""
    site, page = visiting(context, live_server, customer, STYLED)
    page.evaluate("style()")
    page.click("#q")
    at, seen = sample(page, SEARCH)
    events = button_clicked_then_closed(page, site, "styled-done")

    assert seen == "rgb(255, 255, 0)"
    frame = replayed_at_end(context, live_server, site, "#q")
    assert replayed_at(frame, at - events[0]["timestamp"], SEARCH) == seen


# A list whose rows a script reorders (moves) after their states were set: a row faded in by a Web Animation
# that holds its end, and a group's "select all" box shown partly checked.
MOVED = """<style>.row { opacity: 0 }</style><h1>Tasks</h1><ul id="list">
<li id="first" class="row">Write</li><li id="second" class="row">Test <input type="checkbox" id="all"></li></ul>
<button onclick="this.textContent = 'moved-done'">b</button>
<script>
window.show = () => { for (const row of document.querySelectorAll('.row')) row.animate({ opacity: [0, 1] }, { duration: 50, fill: 'forwards' });
  document.getElementById('all').indeterminate = true; };
window.reorder = () => document.getElementById('list').prepend(document.getElementById('second'));
</script>"""
ROWS = """(d) => [...d.querySelectorAll('.row')].map((row) => [row.id, d.defaultView.getComputedStyle(row).opacity])
    .concat([d.getElementById('all').indeterminate])"""


def test_rows_moved_after_their_states_were_set_replay_with_them(live_server, celery_worker, customer, context):
    """A node a script moves is built anew in the replay, without the attributes of ours its element had: a
    row held visible by its animation vanished as it moved, and a partly checked box showed empty."""
    site, page = visiting(context, live_server, customer, MOVED)
    page.evaluate("show()")
    page.wait_for_function("document.getAnimations().every((a) => a.playState === 'finished')")
    shown = sample(page, ROWS)
    page.wait_for_timeout(100)  # (each moment its own millisecond)
    page.evaluate("reorder()")
    moved = sample(page, ROWS)
    events = button_clicked_then_closed(page, site, "moved-done")

    assert shown[1] == [["first", "1"], ["second", "1"], True] and moved[1] == [["second", "1"], ["first", "1"], True]
    frame = replayed_at_end(context, live_server, site, "#all")
    assert [replayed_at(frame, at - events[0]["timestamp"], ROWS) for at, _ in (shown, moved)] == [shown[1], moved[1]]


# A widget whose own `elements` property is no list (a component's API), focused and left by the visitor.
ODD = """<h1>Odd</h1><x-group id="group" tabindex="0">Group</x-group> <input id="q">
<button onclick="this.textContent = 'odd-done'">b</button>
<script>customElements.define('x-group', class extends HTMLElement { get elements() { return 3; } });</script>"""


def test_leaving_an_element_with_an_odd_elements_property_throws_nothing_into_the_page(
        live_server, celery_worker, customer, context):
    """The recorder looks at what the visitor left a task later, with each of `elements`: an element whose
    `elements` is a number made that timer of ours throw, an uncaught error in the visitor's page."""
    site, page = visiting(context, live_server, customer, ODD)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.click("#group")
    page.click("#q")
    sample(page, "(d) => 0")  # (after the recorder's timer)
    events = button_clicked_then_closed(page, site, "odd-done")
    assert errors == [] and not [e for e in events if e["type"] == 5 and e["data"]["tag"] == "hs.error"]


# A sign-in form whose button lights up once the form is valid (`form:valid`): its one required field a
# password of 8 characters or more, a secret, whose own validity never leaves the browser.
SIGNIN = """<style>#go { background: rgb(128, 128, 128) } form:valid #go { background: rgb(0, 128, 0) }</style>
<form id="signin" onsubmit="event.preventDefault()"><input id="pass" type="password" required minlength="8">
<button id="go">Sign in</button></form><button onclick="this.textContent = 'signin-done'">b</button>"""
BUTTON = """(d) => d.defaultView.getComputedStyle(d.getElementById('go')).backgroundColor"""


def test_a_form_made_valid_by_a_secret_field_replays_valid_at_that_keystroke(
        live_server, celery_worker, customer, context):
    """A form's validity is noted again only when one of its fields' changed (not at every keystroke): a
    password's changes too, though the password's own is never noted."""
    site, page = visiting(context, live_server, customer, SIGNIN)
    page.click("#pass")
    page.keyboard.type("hunter2")
    short = sample(page, BUTTON)
    page.wait_for_timeout(100)
    page.keyboard.type("!")  # the 8th character, the visitor still in the field
    whole = sample(page, BUTTON)
    events = button_clicked_then_closed(page, site, "signin-done")

    assert [short[1], whole[1]] == ["rgb(128, 128, 128)", "rgb(0, 128, 0)"]
    ids = element_ids(next(e for e in events if e["type"] == 2)["data"]["node"])
    assert set(attribute_changes(events, VALID)) == {ids["signin"]}
    frame = replayed_at_end(context, live_server, site, "#go")
    assert [replayed_at(frame, at - events[0]["timestamp"], BUTTON) for at, _ in (short, whole)] == [short[1], whole[1]]
