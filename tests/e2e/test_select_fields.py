"""<select> fields in real Chromium: which options are chosen never leaks where the privacy rules mask the
field, and the replay shows the options the visitor saw chosen, moment by moment.

Pages record with the real snippet; what left the browser is read back through the DevTools protocol and
decoded as the server decodes it, what was stored through the worker, and the replay through the player's
own Replayer reading the events API.
"""
import json

import pytest

from recorder.models import Session
from recorder.processing import events_restore
from sites.snippet import site_snippet
from tests.e2e.conftest import UploadSpy, flush_now, login, recorder_started
from tests.e2e.test_capture import html, make_site, stored_events
from tests.e2e.test_player import open_player

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# Every 100 ms, the options chosen in each select of the page (their texts; a masked select's value length), as
# the visitor sees them. A sample is taken at the start of a millisecond: every change it shows was stamped
# before it (test_fidelity.py).
CHOSEN_JS = """
window.__chosen = function (doc) {
  const out = {};
  for (const s of doc.querySelectorAll('select[id]')) {
    // A masked select shows a mask of its value's length; another, its chosen options.
    out[s.id] = s.classList.contains('hindsight-unmask') ?
      Array.from(s.options).filter((o) => o.selected && !o.hasAttribute('data-hindsight-mask')).map((o) => o.text) :
      '#' + s.value.length;
  }
  return out;
};
window.__selectSamples = [];
setInterval(function () {
  const before = Date.now();
  let t = before;
  while (t === before) t = Date.now();
  window.__selectSamples.push({ t: t, chosen: window.__chosen(document) });
}, 100);
"""


def sent_events(uploads: UploadSpy) -> list[dict]:
    """What left the browser, decoded as the server decodes it (node ids, columns), before any scrubbing."""
    events = []
    for body in uploads.bodies():
        events += events_restore(json.loads(body)["events"])
    return events


def nodes(events: list[dict]):
    """Every serialized node of the events' snapshots and added nodes."""
    for event in events:
        data = event["data"]
        stack = [data["node"]] if event["type"] == 2 else [a["node"] for a in data.get("adds", [])] if data.get("source") == 0 else []
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.get("childNodes", []))


def field_ids(events: list[dict], field: str) -> tuple[int, set[int]]:
    """The id of the select whose id attribute is `field` in the first snapshot, and its options' ids."""
    snapshot = next(e for e in events if e["type"] == 2)
    select = next(n for n in nodes([snapshot]) if n.get("tagName") == "select" and n["attributes"].get("id") == field)
    options = {n["id"] for n in nodes([{"type": 2, "data": {"node": select}}]) if n.get("tagName") == "option"}
    return select["id"], options


def attribute_changes(events: list[dict]) -> list[dict]:
    return [c for e in events if e["type"] == 3 and e["data"]["source"] == 0 for c in e["data"]["attributes"]]


def inputs(events: list[dict], node_id: int) -> list[str]:
    return [e["data"]["text"] for e in events if e["type"] == 3 and e["data"]["source"] == 5 and e["data"]["id"] == node_id]


CHECKOUT = """<h1>Checkout</h1>
<select id="plan"><option value="basic">Basic</option><option value="gold">Gold</option>
  <optgroup label="Top"><option value="platinum">Platinum</option></optgroup></select>
<select id="month" name="cc-exp-month"><option>01</option><option>02</option><option>03</option><option>04</option>
  <option>05</option><option>06</option><option>07</option><option>08</option><option>09</option><option>10</option>
  <option>11</option><option>12</option></select>
<select id="size"><option>S</option><option>M</option><option>L</option></select>
<select id="ignored" class="hindsight-ignore"><option>IgnoredOne</option><option>IgnoredTwo</option></select>"""


def test_which_option_a_script_marks_selected_in_a_masked_select_never_leaves_the_browser(
    live_server, celery_worker, customer, context
):
    """A script choosing an option by its `selected` attribute (setAttribute, toggleAttribute, removeAttribute)
    changes no property that rrweb watches: the change went out as the option's attribute, unmasked, naming
    the chosen option of a select the owner masks, or of a card field's. The select's value goes instead,
    masked as its value (the unmasked select's as it is)."""
    site = make_site(customer, mask_all_inputs=False, mask_selectors="#plan")
    customer.pages = {"/": html(site_snippet(site, live_server.url), CHECKOUT)}
    page = context.new_page()
    uploads = UploadSpy(page)
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    page.evaluate("""() => {
        const option = (id, i) => document.getElementById(id).options[i];
        option('plan', 2).setAttribute('selected', '');
        option('month', 8).setAttribute('selected', 'selected');
        option('size', 2).setAttribute('selected', '');
        option('ignored', 1).setAttribute('selected', '');
    }""")
    page.wait_for_timeout(300)
    page.evaluate("""() => {
        const option = (id, i) => document.getElementById(id).options[i];
        option('plan', 2).removeAttribute('selected');
        option('plan', 1).toggleAttribute('selected');
        option('month', 8).removeAttribute('selected');
        option('month', 10).toggleAttribute('selected');
        document.getElementById('month').setAttribute('value', '11');
    }""")
    page.wait_for_timeout(300)
    page.evaluate("""() => {  // options added and taken away: each select's value goes after them (masked)
        document.getElementById('plan').add(new Option('Diamond', 'diamond'));
        document.getElementById('month').remove(0);
    }""")
    page.wait_for_timeout(300)
    page.click("h1")
    flush_now(page)
    uploads.wait(page)
    sent = sent_events(uploads)
    assert not [body for body in uploads.bodies() if b"Ignored" in body]  # an ignored select: nothing of it
    page.close()
    stored = stored_events(site, until=lambda events: len(attribute_changes(events)) >= 1)

    for events, where in ((sent, "sent"), (stored, "stored")):
        plan, plan_options = field_ids(events, "plan")
        month, month_options = field_ids(events, "month")
        size, _ = field_ids(events, "size")
        secret = plan_options | month_options
        chosen = [c for c in attribute_changes(events) if c["id"] in secret and "selected" in c["attributes"]]
        assert not chosen, f"{where}: which masked option is chosen: {chosen}"
        assert not [n for n in nodes(events) if n["id"] in secret and "selected" in n.get("attributes", {})], where
        assert all(set(text) <= {"*"} for text in inputs(events, plan) + inputs(events, month)), where
        for field in (plan, month):
            values = [c["attributes"]["value"] for c in attribute_changes(events) if c["id"] == field and "value" in c["attributes"]]
            assert values and all(set(v) == {"*"} for v in values), f"{where}: a masked select's value attribute: {values}"
        # The select nobody masks: the value the script chose goes as it is.
        assert "L" in [c["attributes"].get("value") for c in attribute_changes(events) if c["id"] == size], where


def record_visit(live_server, customer, page, site, body: str, act) -> list[dict]:
    """Records a visit while `act(page)` runs; returns the samples of the options chosen."""
    customer.pages = {"/": html(site_snippet(site, live_server.url), body)}
    page.add_init_script(CHOSEN_JS)
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    act(page)
    page.wait_for_timeout(500)
    samples = page.evaluate("window.__selectSamples")
    page.close()  # pagehide sends the rest
    return samples


def replayed_choices(viewer, live_server, site, samples: list[dict]) -> list[tuple]:
    """The stored recording in the owner's player: for each sample, the options chosen when the player seeks
    to its moment, and in a fresh Replayer (the player's class) paused there."""
    login(viewer, live_server, "owner")
    open_player(viewer, live_server, site, Session.objects.get(site=site))
    viewer.evaluate(CHOSEN_JS.split("window.__selectSamples")[0] + "void 0;")
    return viewer.evaluate("""async (moments) => {
        const P = window.__hsPlayer;
        const events = P.replayer.service.state.context.events;
        const seeked = moments.map((t) => {
            P.controller.seek(t - 1 - events[0].timestamp);
            return window.__chosen(P.replayer.iframe.contentDocument);
        });
        const fresh = [];
        for (const t of moments) {
            const root = document.createElement('div');
            root.style.cssText = 'position:absolute;left:-20000px;top:0;width:1280px;height:800px';
            document.body.appendChild(root);
            const r = new P.replayer.constructor(JSON.parse(JSON.stringify(events)), { root, showWarning: false, triggerFocus: false, mouseTail: false });
            r.pause(t - events[0].timestamp);  // (rrweb's pause applies what was stamped before it; the seek, at it too)
            await new Promise((done) => setTimeout(done, 20));
            fresh.push(window.__chosen(r.iframe.contentDocument));
            r.destroy();
            root.remove();
        }
        return seeked.map((s, i) => [s, fresh[i]]);
    }""", [s["t"] for s in samples])


@pytest.fixture
def viewer(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


def assert_replays_chosen(viewer, live_server, site, samples: list[dict]) -> None:
    """Each sample taken while the recorder ran against the replay at its moment."""
    events = stored_events(site, until=lambda events: events[-1]["timestamp"] >= samples[-1]["t"] - 600)
    samples = [s for s in samples if s["t"] > events[0]["timestamp"] + 20]  # (the recorder loads asynchronously)
    assert len(samples) >= 10
    replayed = replayed_choices(viewer, live_server, site, samples)
    wrong = [(i, s["chosen"], r) for i, (s, r) in enumerate(zip(samples, replayed)) if r != [s["chosen"], s["chosen"]]]
    assert not wrong, f"{len(wrong)} of {len(samples)} samples differ (live, [seeked, fresh]): {wrong[:3]}"


MENU = """<h1>Pizza</h1>
<select id="toppings" class="hindsight-unmask" multiple size="7"><option>Olives</option><option value="basil">Basil</option>
  <optgroup label="Cheese"><option>Feta</option><option value="brie, aged">Brie</option></optgroup><option>Ham</option></select>
<select id="sizes" multiple><option>S</option><option>XL</option><option>XXL</option></select>"""


def test_the_options_chosen_in_a_multiple_select_replay_as_the_visitor_saw_them(
    live_server, celery_worker, customer, page, viewer
):
    """A `<select multiple>` was recorded by its value, its first chosen option's: the replay showed that one
    alone, and an option added to the choice (the first staying) was never recorded. A masked one shows the
    mask of its first chosen option's value, as before."""
    site = make_site(customer)

    def act(p):
        p.select_option("#toppings", ["basil", "brie, aged"])
        p.select_option("#sizes", ["XL", "XXL"])
        p.wait_for_timeout(300)
        p.click("#toppings >> text=Ham", modifiers=["Control"])  # the visitor adds one; the first stays
        p.wait_for_timeout(300)
        p.evaluate("document.getElementById('toppings').options[0].selected = true")  # a script adds the first
        p.wait_for_timeout(300)
        p.evaluate("document.getElementById('toppings').options[1].selected = false")
        p.wait_for_timeout(300)
        p.select_option("#toppings", ["Feta"])
        p.wait_for_timeout(300)
        p.evaluate("document.getElementById('toppings').selectedIndex = -1")  # nothing chosen

    samples = record_visit(live_server, customer, page, site, MENU, act)
    seen = [s["chosen"]["toppings"] for s in samples]
    for chosen in (["Basil", "Brie"], ["Basil", "Brie", "Ham"], ["Olives", "Basil", "Brie", "Ham"], ["Feta"], []):
        assert chosen in seen, (chosen, seen)
    assert_replays_chosen(viewer, live_server, site, samples)
    sizes, _ = field_ids(stored_events(site), "sizes")
    assert inputs(stored_events(site), sizes) == ["**,***"]  # each chosen value masked on its own


# A second list filled from the first one's choice (country, then region), one of them masked; a multiple select
# a form's reset takes back to its markup's choice.
DEPENDENT = """<h1>Address</h1><form id="address">
<select id="country" class="hindsight-unmask"><option value="">Choose</option><option>France</option><option>Japan</option></select>
<select id="region" class="hindsight-unmask"><option>-</option></select> <select id="secret-region"><option>-</option></select>
<select id="extras" class="hindsight-unmask" multiple><option selected>Bag</option><option>Gift</option><option>Card</option></select>
</form>
<script>
const regions = { France: ['Alsace', 'Brittany', 'Provence'], Japan: ['Kanto', 'Kansai'] };
document.getElementById('country').addEventListener('change', (e) => {
  for (const id of ['region', 'secret-region']) {
    document.getElementById(id).innerHTML = (regions[e.target.value] || ['-']).map((r) => '<option>' + r + '</option>').join('');
  }
});
</script>"""


def test_lists_refilled_after_the_visitor_chose_and_a_form_reset_replay_as_the_visitor_saw_them(
    live_server, celery_worker, customer, page, viewer
):
    """A script refilling a select's options changes its value without an event: the replay kept the old
    value (a masked one, its old mask), and a seek, which rrweb ends with each field's last input, showed the
    refilled list with nothing chosen. A form's reset takes a multiple select back to its markup's choice, and
    a script may then choose by an option's `selected` attribute."""
    site = make_site(customer)

    def act(p):
        p.select_option("#country", "France")
        p.wait_for_timeout(300)
        p.select_option("#region", "Provence")
        p.select_option("#secret-region", "Brittany")
        p.select_option("#extras", ["Gift", "Card"])
        p.wait_for_timeout(300)
        p.select_option("#country", "Japan")  # both regions refilled: their first option shows
        p.wait_for_timeout(300)
        p.evaluate("document.getElementById('address').reset()")
        p.wait_for_timeout(300)
        # A script chooses by the attribute (the reset left every option as its markup has it): no event.
        p.evaluate("for (const id of ['region', 'secret-region']) document.getElementById(id).options[1].setAttribute('selected', '')")
        p.wait_for_timeout(300)

    samples = record_visit(live_server, customer, page, site, DEPENDENT, act)
    seen = [s["chosen"] for s in samples]
    assert {"country": ["Japan"], "region": ["Kanto"], "secret-region": "#5", "extras": ["Gift", "Card"]} in seen, seen
    assert {"country": ["Choose"], "region": ["Kanto"], "secret-region": "#5", "extras": ["Bag"]} in seen, seen
    assert seen[-1] == {"country": ["Choose"], "region": ["Kansai"], "secret-region": "#6", "extras": ["Bag"]}, seen[-1]
    assert_replays_chosen(viewer, live_server, site, samples)
