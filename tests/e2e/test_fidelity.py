"""The replay shows what the visitor saw, moment by moment: real recorder, real worker, the real player.

A page records with the real snippet; the test samples the live page's visible
state (bench/pagestate.js: structure, text, inline styles, input lengths,
scroll), then replays the stored recording in the dashboard's player (which
reads it through the events API) and compares at the same moments.
"""
import difflib
import gzip
import json
import re
from pathlib import Path

import pytest

from recorder.models import Session
from recorder.wire import steps_read
from sites.snippet import site_snippet
from tests.e2e.conftest import login, recorder_started
from tests.e2e.test_capture import html, make_site, stored_events
from tests.e2e.test_player import open_player

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

STATE_JS = (Path(__file__).resolve().parents[2] / "bench" / "pagestate.js").read_text()
SAMPLER_JS = STATE_JS + """
window.__samples = [];
setInterval(function () {
  // A sample at t must show what rrweb paused at t shows: every change the recorder stamped before t (a
  // pause applies the events before its moment) and none stamped t or later. (The player's seek to a moment
  // shows the events stamped at it too, as a page load's entry in the Pages panel must: its seek to t - 1.) The recorder stamps a DOM
  // change with Date.now() when its mutation observer runs, at the end of the task that made it, so each
  // change made before this task is stamped already, at most with the current millisecond. A change in that
  // same millisecond may have come just before this task or may come just after it, and a sample stamped
  // with it could not say which (the replay at t showed an `animation: none` the page had just taken back,
  // stamped t). So sample at the start of the next millisecond: all that shows was stamped before t, and
  // any later change is stamped t or after. And sample in a frame callback: an element scrolled by script
  // shows its new position, and fires the scroll event rrweb stamps, at the next rendering step (the
  // visitor saw the old one until then), which runs its scroll events before the frame callbacks.
  requestAnimationFrame(function () {
    const before = Date.now();
    let t = before;
    while (t === before) t = Date.now();
    window.__samples.push({ t: t, s: window.__hsState(document) });
  });
}, 400);
"""

COUNTER = """<h1>Visitors online</h1><p id="count">0</p>
<script>
window.__values = [];
let n = 0;
setInterval(() => { n++; document.getElementById('count').textContent = String(n); window.__values.push([n, Date.now()]); }, 250);
</script>"""

# A list rendered as a string on every change, no keys: each render removes every
# item and creates new ones, most of them identical to what they replace.
UNKEYED = """<h1>Departures</h1><ul id="list"></ul>
<script>
let tick = 0;
function render() {
  const rows = [];
  for (let i = 0; i < 12; i++) {
    const k = (i + tick) % 12;
    rows.push('<li class="row ' + (k % 3 ? 'ok' : 'late') + '" style="padding-left:' + (k * 2) + 'px">Flight ' + (100 + k) +
      ' <b>' + (k === tick % 12 ? 'boarding' : 'on time') + '</b> <span class="hindsight-mask">Secret-' + (4700 + k) + '</span></li>');
  }
  document.getElementById('list').innerHTML = rows.join('');
}
render();
setInterval(() => { tick++; render(); }, 300);
</script>"""

# Inline styles changed through the CSSOM, as UI libraries do: a style set and taken back a moment later (a
# popover's `animation: none`), and a shorthand and its longhands written in turn.
STYLES = """<div id="menu"></div>
<script>
const menu = document.getElementById('menu');
let k = 0;
setInterval(() => {
  k++;
  const pop = document.createElement('div');
  pop.setAttribute('style', 'max-height: min(200px, -100px + 100vh); --popover-content-transform-origin: ' +
    'var(--popper-transform-origin); --popover-content-available-width: var(--popper-available-width); ' +
    '--popover-content-available-height: var(--popper-available-height); --popover-trigger-width: ' +
    'var(--popper-anchor-width); --popover-trigger-height: var(--popper-anchor-height); ' +
    'animation: none; margin: 4px; left: ' + k + 'px');
  pop.textContent = 'Popover ' + k;
  menu.replaceChildren(pop);
  setTimeout(() => { pop.style.animation = ''; pop.style.marginRight = ''; }, 40);
}, 350);
</script>"""

# A live price board: numbers change in place (text nodes' values), some masked, one at times a card number.
TICKER = """<h1>Board</h1><p>Price <b id="price">264.87</b> <span id="chg">+0.00%</span>
<span class="hindsight-mask" id="secret">1200.00</span> <i id="ref">Ref 2000</i> <u id="vol">118.86M</u>
<s id="trades">1,204 trades</s></p>
<script>
const text = (id) => document.getElementById(id).firstChild;
let p = 264.87, k = 0;
setInterval(() => {
  k++;
  p += ((k * 7) % 5 - 2) * 0.37;
  text('price').nodeValue = p.toFixed(2);
  text('chg').nodeValue = (k % 2 ? '+' : '-') + (k * 0.13).toFixed(2) + '%';
  text('secret').nodeValue = (1200 + k).toFixed(2);
  text('ref').nodeValue = k % 3 === 1 ? 'Ref 4111 1111 1111 1111' : 'Ref ' + (2000 + k);  // a card number at times
  text('vol').nodeValue = (118.86 + k * 0.07).toFixed(2) + 'M';
  document.getElementById('trades').textContent = (1204 + k * 3).toLocaleString('en') + ' trades';  // a new text node
}, 250);
</script>"""

# A long page that changes while the visitor scrolls it.
SCROLLING = """<h1>Log</h1><p id="status">0</p><div id="feed"></div><input id="note" value="">
<script>
const feed = document.getElementById('feed');
for (let i = 0; i < 80; i++) { const p = document.createElement('p'); p.textContent = 'Line ' + i; feed.appendChild(p); }
let k = 0;
setInterval(() => {
  k++;
  document.getElementById('status').textContent = String(k);
  feed.children[k % 80].textContent = 'Line ' + (k % 80) + ' seen ' + k;
  if (k % 4 === 0) feed.children[(k * 7) % 80].style.color = k % 8 ? 'red' : 'blue';
}, 200);
</script>"""


# Widgets built as current front ends build them: a custom element whose open shadow root is styled by
# an adopted sheet and ticks 4 times a second, a masked component, a theme inserted as a CSSOM rule,
# and a same-origin iframe that changes.
WIDGETS = """<h1>Ops</h1><live-clock></live-clock> <span id="probe" data-probe>theme</span>
<div class="hindsight-mask"><live-clock id="masked"></live-clock></div>
<style id="theme"></style>
<iframe id="frame" srcdoc="<p>Depth <b id=d>0</b></p>"></iframe>
<script>
const sheet = new CSSStyleSheet();
sheet.replaceSync('b { color: rgb(11, 61, 92) }');
customElements.define('live-clock', class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [sheet];
    root.innerHTML = 'Ticks <b data-probe>0</b>';
    let n = 0;
    setInterval(() => { root.querySelector('b').textContent = String(++n); }, 250);
  }
});
let k = 0;
setInterval(() => {
  k++;
  const rules = document.getElementById('theme').sheet;
  if (rules.cssRules.length) rules.deleteRule(0);
  rules.insertRule('#probe { color: ' + (k % 2 ? 'rgb(255, 200, 0)' : 'rgb(0, 0, 200)') + ' }', 0);
  const d = document.getElementById('frame').contentDocument;
  if (d && d.getElementById('d')) d.getElementById('d').textContent = String(k * 3);
}, 600);
</script>"""


# Form controls set by the visitor and by script: checkboxes, radios, selects (a masked value cannot select an
# option: the player gives each select hidden options that show the mask), a textarea, a rich-text editor (an
# input to the visitor: masked), <details> and <dialog>, an inner scrolling box, a progress bar, `hidden`.
FORMS = """<h1>Settings</h1>
<label><input type="checkbox" id="news"> News</label> <label><input type="checkbox" id="auto" checked> Auto</label>
<label><input type="radio" name="plan" id="free" checked> Free</label> <label><input type="radio" name="plan" id="pro"> Pro</label>
<select id="size"><option>S</option><option>M</option><option>L</option></select>
<select id="auto-size"><option>one</option><option>three</option><option>eleven</option></select>
<select id="city"></select> <span id="later"></span>
<textarea id="bio"></textarea>
<div id="ed" contenteditable="true">Edit me</div>
<details id="more"><summary>More</summary><p>Hidden text</p></details>
<dialog id="dlg"><p>Dialog</p></dialog>
<div id="box" style="height:60px;overflow:auto"><p>a</p><p>b</p><p>c</p><p>d</p><p>e</p><p>f</p><p>g</p></div>
<progress id="prog" max="100" value="10"></progress> <input id="scripted" value="">
<p id="toggled">Now you see me</p>
<script>
let k = 0;
setInterval(() => {
  k++;
  document.getElementById('auto').checked = k % 2 === 0;
  document.getElementById('auto-size').selectedIndex = k % 3;
  if (k === 2) {  // a list filled by script, as a form fills a second list from the first one's choice
    for (const name of ['Oslo', 'Lisbon', 'Reykjavik']) document.getElementById('city').add(new Option(name));
  }
  if (k > 2) document.getElementById('city').selectedIndex = k % 3;
  if (k === 3) document.getElementById('later').innerHTML = '<select id="late"><option>no</option><option>maybe</option></select>';
  if (k > 3) document.getElementById('late').selectedIndex = k % 2;
  document.getElementById('prog').value = (k * 7) % 100;
  document.getElementById('scripted').value = 'v'.repeat(k % 5);
  document.getElementById('toggled').hidden = k % 2 === 1;
  const d = document.getElementById('dlg');
  if (k % 3 === 0) d.show(); else if (d.open) d.close();
  document.getElementById('box').scrollTop = (k * 9) % 80;
}, 300);
</script>"""


# A form emptied by its reset button, then filled and emptied again by script (as a page does after sending it):
# a reset fires no input or change event on the fields.
RESET = """<form id="f"><input id="name"> <textarea id="msg"></textarea> <input type="checkbox" id="ok">
<select id="pick"><option>a</option><option>bbb</option></select>
<select id="many" multiple><option>x</option><option>yy</option><option>zzz</option></select>
<label><input type="radio" name="r" id="r1" checked>1</label><label><input type="radio" name="r" id="r2">2</label>
<input type="range" id="vol" value="50"> <button type="reset" id="clear" onclick="busy()">Clear</button></form>
<button id="send" onclick="busy(); document.getElementById('f').reset()">Send</button>
<script>
// Each reset is followed by a task of the page's that holds the thread 300 ms (a re-render), queued
// before the recorder hears of the reset; __values: when each reset happened.
window.__values = [];
function busy() {
  __values.push(Date.now());
  setTimeout(() => { const end = Date.now() + 300; while (Date.now() < end); });
}
</script>"""


# Popovers and a modal dialog: a popover open before the recorder starts (in the first snapshot), one
# the visitor opens with its button, one the page adds and shows; none of them has an attribute that says so.
POPOVERS = """<h1>Menu</h1><div id="early" popover="manual">Shown from the start</div>
<script>document.getElementById('early').showPopover();</script>
<button id="open" popovertarget="menu">Menu</button>
<div id="menu" popover><a href="#">One</a> <a href="#">Two</a></div>
<dialog id="dlg">Sure? <button>OK</button></dialog>
<script>
const menu = document.getElementById('menu'), dlg = document.getElementById('dlg');
setTimeout(() => menu.hidePopover(), 1700);
setTimeout(() => dlg.showModal(), 2100);
setTimeout(() => dlg.close(), 2500);
setTimeout(() => document.getElementById('early').hidePopover(), 2900);
setTimeout(() => {
  const late = document.createElement('div');
  late.id = 'late';
  late.popover = 'manual';
  late.textContent = 'Added and shown';
  document.body.appendChild(late);
  late.showPopover();
}, 3300);
</script>"""

# A page still being parsed when the snippet runs (a slow script holds the parser), whose load event then
# waits for a slow image: the visitor reads, types and scrolls meanwhile.
LOADING = """<h1>News</h1><img src="/slow.png" width="40" height="40" alt="">
<p id="status">Loading</p><input id="q">
<script>
setTimeout(() => { document.getElementById('status').textContent = 'Half way'; }, 700);
window.addEventListener('load', () => { document.getElementById('status').textContent = 'Loaded'; });
</script>
<script src="/slow.js"></script>
<p id="rest">The rest of the page</p><div style="height:3000px"></div>"""

# A search box that widens while in use, a menu shown while focus is in it: styles of :focus and
# :focus-within; a field focused before the recorder starts (autofocus), focus moved by a click, the Tab
# key and scripts (one focuses a field it has just added).
FOCUS = """<style>
#q { width: 8em; color: rgb(0, 0, 0); } #q:focus { width: 20em; color: rgb(200, 0, 0); }
.menu .list { color: rgb(0, 0, 0); } .menu:focus-within .list { color: rgb(0, 120, 0); }
</style>
<input id="name" autofocus> <input id="q" data-probe> <div class="menu"><button id="m">Menu</button><p class="list" data-probe>Items</p></div>
<button id="other">Other</button>
<script>
window.later = () => {  // called by the test once the visitor has tabbed on, so that each focus lasts
  setTimeout(() => {  // an element added and focused in one script, before rrweb has given it an id
    const made = document.createElement('input');
    made.id = 'made';
    document.body.appendChild(made);
    made.focus();
  }, 700);
  setTimeout(() => document.getElementById('other').focus(), 1500);
};
</script>"""

def record(live_server, customer, page, body: str, *, act=None, seconds: float = 4, wait_until: str = "load",
           files: dict | None = None) -> tuple:
    """Records a visit with the real snippet (and the site's other `files`, by path); returns (site, live
    samples, the page's own log)."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), body, title="Live"), **(files or {})}
    page.add_init_script(SAMPLER_JS)
    page.goto(customer.url("/"), wait_until=wait_until)
    recorder_started(page)
    page.wait_for_timeout(300)
    if act:
        act(page)
    page.wait_for_timeout(seconds * 1000)
    samples = page.evaluate("window.__samples")
    values = page.evaluate("window.__values || []")
    page.close()  # pagehide sends the rest
    return site, samples, values


@pytest.fixture
def viewer(browser, live_server):
    """The site owner's dashboard, in a browser context of its own."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def open_replay(viewer, live_server, site, last_t: int) -> int:
    """Opens the stored recording in the player; returns when the recording starts (epoch ms)."""
    events = stored_events(site, until=lambda events: events[-1]["timestamp"] >= last_t)
    login(viewer, live_server, "owner")
    open_player(viewer, live_server, site, Session.objects.get(site=site))
    viewer.evaluate(STATE_JS + "\nvoid 0;")
    return events[0]["timestamp"]


def player_at(viewer, epoch_ms: int) -> dict:
    """The player's controller seeks to just before a wall-clock moment of the visit (the changes stamped
    before it, as a sample at that moment holds: see SAMPLER_JS); the replayed state."""
    return viewer.evaluate("""(t) => {
        const P = window.__hsPlayer;
        P.controller.seek(t - 1 - P.replayer.service.state.context.events[0].timestamp);
        return window.__hsState(P.replayer.iframe.contentDocument);
    }""", epoch_ms)


def fresh_at(viewer, epoch_ms: int) -> dict:
    """A new Replayer (the player's own class, its own copy of the events) paused at the moment."""
    return viewer.evaluate("""async (t) => {
        const P = window.__hsPlayer;
        const events = JSON.parse(JSON.stringify(P.replayer.service.state.context.events));
        const root = document.createElement('div');
        root.style.cssText = 'position:absolute;left:-20000px;top:0;width:1280px;height:800px';
        document.body.appendChild(root);
        const r = new P.replayer.constructor(events, { root, showWarning: false, triggerFocus: false, mouseTail: false });
        // Before the constructor's own timers build the first snapshot: the seek builds the page.
        r.pause(t - events[0].timestamp);
        await new Promise((done) => setTimeout(done, 50));
        P.popoversSync(r.iframe.contentDocument);  // what the player does on top of rrweb (popover.js, focus.js)
        P.showFocusAt(r, t);
        const state = window.__hsState(r.iframe.contentDocument);
        r.destroy();
        root.remove();
        return state;
    }""", epoch_ms)


def batches_sent(page, live_server) -> list[bytes]:
    """Has the recorder send a batch a second (flushMs: 1000); returns the list the bodies it sends go into."""
    bodies = []
    page.on("request", lambda r: "/api/v1/ingest" in r.url and r.post_data_buffer and bodies.append(r.post_data_buffer))

    def every_second(route):
        response = route.fetch()
        body = re.sub(r'\n\}\)\(\{"wid":', '\n})({"flushMs":1000,"wid":', response.text(), count=1)
        assert body != response.text()
        route.fulfill(response=response, body=body)

    page.route(re.compile(re.escape(live_server.url) + r"/recorder\.js\?"), every_second)
    return bodies


def state_diff(live: dict, replayed: dict) -> str:
    """How a replayed state differs from the live one, line by line, for a failure's message."""
    lines = difflib.unified_diff(live["dom"].split("\n"), replayed["dom"].split("\n"), "live", "replayed", lineterm="")
    return "\n".join(lines) + f"\nscroll: live {live.get('scroll')}, replayed {replayed.get('scroll')}"


def assert_replays_as_seen(viewer, samples: list[dict], *, fresh: bool = True) -> None:
    """Each live sample against the player seeked to its moment; with `fresh`, also the player against a new
    Replayer at that moment (seeking forward lands where a rebuild does)."""
    replayed = [player_at(viewer, s["t"]) for s in samples]
    wrong = [i for i, s in enumerate(samples) if replayed[i] != s["s"]]
    assert not wrong, f"{len(wrong)} of {len(samples)} samples differ: {wrong}\n" + state_diff(samples[wrong[0]]["s"],
                                                                                            replayed[wrong[0]])
    if fresh:
        unlike_fresh = [i for i, s in enumerate(samples) if fresh_at(viewer, s["t"]) != replayed[i]]
        assert not unlike_fresh, unlike_fresh

def count_at(viewer, epoch_ms: int) -> str:
    return player_at(viewer, epoch_ms)["dom"].split('"')[-1]


def test_a_counter_changing_four_times_a_second_replays_each_value_at_its_moment(
    live_server, celery_worker, customer, page, viewer
):
    site, _, values = record(live_server, customer, page, COUNTER, seconds=5)
    start = open_replay(viewer, live_server, site, values[-1][1])
    values = [(n, t) for n, t in values if t > start + 20]  # the recorder loads asynchronously
    assert len(values) >= 12
    missed = []
    for (n, t), (_, next_t) in zip(values, values[1:]):
        # Just before its moment the previous value shows (never early); within 250 ms of it, and until
        # the next one, this one. (The recorder stamps a change when its observer runs, a few ms after.)
        shown = (count_at(viewer, t - 5), count_at(viewer, min(t + 125, next_t - 5)), count_at(viewer, min(t + 245, next_t - 5)))
        if shown != (str(n - 1), str(n), str(n)):
            missed.append((n, shown))
    assert not missed, missed


def test_an_unkeyed_list_recreated_on_every_render_replays_as_the_visitor_saw_it(
    live_server, celery_worker, customer, page, viewer
):
    site, samples, _ = record(live_server, customer, page, UNKEYED, seconds=4)
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    assert len(samples) >= 6
    for s in samples:  # the mask class: the replay shows one * per character
        s["s"]["dom"] = re.sub(r"Secret-\d+", lambda m: "*" * len(m.group()), s["s"]["dom"])
    assert_replays_as_seen(viewer, samples, fresh=False)
    # The masked text re-created on every render never left the browser; the replay shows placeholders.
    events = stored_events(site)
    assert "Secret-47" not in str(events)
    assert "boarding" in str(events)


def test_inline_styles_set_and_taken_back_or_written_as_shorthands_replay_as_the_visitor_saw_them(
    live_server, celery_worker, customer, page, viewer
):
    """Styles set and taken back within 40 ms, and longhands taken out of shorthands. (rrweb's own style diffs
    met a player bug here, mended by stage.js exactVirtualStyles; the recorder now sends a style change as the
    attribute's text, so this page's recordings no longer hold such diffs.)"""
    site, samples, _ = record(live_server, customer, page, STYLES, seconds=4)
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    assert len(samples) >= 6 and "animation" not in samples[-1]["s"]["dom"] and "margin-top: 4px" in samples[-1]["s"]["dom"]
    replayed = [player_at(viewer, s["t"]) for s in samples]
    wrong = [(i, r["dom"]) for i, (s, r) in enumerate(zip(samples, replayed)) if r != s["s"]]
    assert not wrong, f"{len(wrong)} of {len(samples)} samples differ: {wrong[:2]}"


def test_shadow_roots_adopted_sheets_cssom_rules_and_an_iframe_replay_as_the_visitor_saw_them(
    live_server, celery_worker, customer, page, viewer
):
    site, samples, _ = record(live_server, customer, page, WIDGETS, seconds=4)
    open_replay(viewer, live_server, site, samples[-1]["t"])
    # rrweb writes a shadow root's adopted sheets and a frame's document a timer after the full snapshot
    # (ShadowDomManager.addShadowRoot, onceIframeLoaded): under load 100 ms later, after a first sample that
    # already showed them. The replay cannot show them before they were recorded; compare from then on.
    events = stored_events(site)
    ready = max(e["timestamp"] for e in events if e["type"] == 3 and (
        e["data"]["source"] == 15 or e["data"]["source"] == 0 and any(a["node"]["type"] == 0 for a in e["data"]["adds"])))
    samples = [s for s in samples if s["t"] > ready]
    assert len(samples) >= 6
    dom = samples[-1]["s"]["dom"]  # the state walks into the shadow roots and the frame
    assert "color=rgb(11, 61, 92)" in dom and "<p" in dom.split("<iframe#frame", 1)[1]
    masked = re.compile(r'(<live-clock#masked\n2")Ticks(\n2<b [^\n]*\n3")(\d+)')
    for s in samples:  # the masked component: the replay shows one * per character
        s["s"]["dom"] = masked.sub(lambda m: m.group(1) + "*****" + m.group(2) + "*" * len(m.group(3)), s["s"]["dom"])
    assert_replays_as_seen(viewer, samples, fresh=False)


def test_numbers_changing_in_place_replay_exactly_and_masks_hold(live_server, celery_worker, customer, page, viewer):
    """The recorder writes a number's change as a step from the text before (docs/protocol.md, "Text
    changes"); the server gives back each text as shown, and masking happens before either."""
    bodies = batches_sent(page, live_server)  # steps must not reach across batches
    site, samples, _ = record(live_server, customer, page, TICKER, seconds=4)
    sent = [json.loads(gzip.decompress(b) if b[:2] == b"\x1f\x8b" else b) for b in bodies]
    steps = [step for batch in sent for e in batch["events"] if e["type"] == 3 and e["data"]["source"] == 0
             for step in [t for t in e["data"]["texts"] if "n" in t] + steps_read(e["data"].get("textSteps", [[], ""])[1])]
    assert len(sent) >= 3 and len(steps) >= 20, "the recorder did not write the numbers' changes as steps"
    # (what a closing page sends last may hold events the worker never had: those go plain)
    nodes = [e for batch in sent[:-1] for e in batch["events"] if e["type"] == 2 or e["type"] == 3 and e["data"]["source"] == 0]
    assert nodes and all(e.get("ids") == "delta" for e in nodes), "the gzip worker did not write ids as differences"
    added = [a for batch in sent for e in batch["events"] if e["type"] == 3 and e["data"]["source"] == 0
             for a in e["data"]["adds"] if "n" in a["node"]]
    assert len(added) >= 5, "no step for the text node set by textContent"
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    assert len(samples) >= 6
    for s in samples:  # the mask class and the card number: the replay shows one * per digit
        s["s"]["dom"] = re.sub(r"120\d\.\d\d|1[12]\d\d\.00", lambda m: "*" * len(m.group()), s["s"]["dom"])
        s["s"]["dom"] = s["s"]["dom"].replace("4111 1111 1111 1111", "**** **** **** ****")
    assert_replays_as_seen(viewer, samples, fresh=False)
    stored = json.dumps(stored_events(site))
    assert "4111 1111 1111 1111" not in stored and not re.search(r"12\d\d\.00", stored)
    assert "Ref 2005" in stored and "1,228 trades" in stored and re.search(r'"value": "[+-]\d\.\d\d%"', stored)
    assert '"n":' not in stored and '"n": ' not in stored


# Cells whose class, style or hidden flag changes 4 times a second (one attribute per cell per tick, as a
# heat map or a status board does), a password field whose value a script sets, and a title inside a
# masked area that changes with them.
HEATMAP = """<h1>Heat</h1><div id="grid"></div><input type="password" id="pin">
<p class="hindsight-mask"><span id="hint" title="Hint"></span></p>
<script>
const grid = document.getElementById('grid');
for (let i = 0; i < 18; i++) { const c = document.createElement('span'); c.textContent = 'c' + i + ' '; grid.appendChild(c); }
let k = 0;
setInterval(() => {
  k++;
  for (let i = 0; i < 18; i++) {
    const c = grid.children[i];
    if (i % 3 === 0) c.className = (i + k) % 4 ? 'up' : 'down';
    else if (i % 3 === 1) c.style.width = ((i * 7 + k * 3) % 50) + 'px';
    else c.hidden = (i + k) % 5 === 0;
  }
  document.getElementById('pin').setAttribute('value', 'PinSecret-' + (1000 + k));
  document.getElementById('hint').title = 'HintSecret-' + (2000 + k);
}, 250);
</script>"""


def test_attribute_changes_in_columns_replay_exactly_and_masks_hold(live_server, celery_worker, customer, page, viewer):
    """The recorder writes a change's attributes in columns by name (docs/protocol.md, "Attribute changes");
    the server gives back rrweb's list, and masking happens before either."""
    bodies = batches_sent(page, live_server)
    site, samples, _ = record(live_server, customer, page, HEATMAP, seconds=4)
    sent = [json.loads(gzip.decompress(b) if b[:2] == b"\x1f\x8b" else b) for b in bodies]
    columns = [c for batch in sent for e in batch["events"] if e["type"] == 3 and e["data"]["source"] == 0
               for c in e["data"].get("attrColumns", [])]
    assert {"class", "style", "hidden"} <= {c[0] for c in columns}, "the recorder did not write attributes in columns"
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    assert len(samples) >= 6
    assert_replays_as_seen(viewer, samples, fresh=False)
    stored = json.dumps(stored_events(site))
    assert "attrColumns" not in stored and '"style": "width: ' in stored and '"class": "down"' in stored
    for secret in ("PinSecret", "HintSecret"):
        assert not any(secret.encode() in b for b in bodies) and secret not in stored, secret


def test_seeking_forward_and_backward_lands_where_a_fresh_replay_does(live_server, celery_worker, customer, page, viewer):
    def scroll_and_type(p):
        for dy in (400, 400, 300, -200, 600, -500, 300):
            p.mouse.wheel(0, dy)
            p.wait_for_timeout(350)
        p.click("#note")
        p.keyboard.type("hello there", delay=60)

    site, samples, _ = record(live_server, customer, page, SCROLLING, act=scroll_and_type, seconds=2)
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    n = len(samples)
    order = [n // 2, n // 5, n - 2, n // 3, 3 * n // 4, 1, n - 1, n // 2 + 1]
    for i in order:
        t = samples[i]["t"]
        seeked = player_at(viewer, t)
        fresh = fresh_at(viewer, t)
        assert seeked == fresh, f"sample {i}: the player's seek differs from a fresh replay (live scroll {samples[i]['s']['scroll']})"
        # Scroll positions are recorded at most every 150 ms: compare with the live page where it was still.
        still = samples[max(0, i - 1)]["s"]["scroll"] == samples[i]["s"]["scroll"] == samples[min(n - 1, i + 1)]["s"]["scroll"]
        assert seeked == samples[i]["s"] or not still, f"sample {i}: the replay differs from the live page"
    assert len({samples[i]["s"]["scroll"] for i in order}) >= 3, "the visit scrolled"


def test_a_wheel_scroll_replays_where_the_page_was_at_each_moment(live_server, celery_worker, customer, page, viewer):
    """Wheel notches 50-70 ms apart, as a visitor reads: rrweb's default (a scroll position per 100 ms at
    most) left the replay behind the page while it moved. Every scroll event is recorded now (the browser
    sends at most one a frame)."""
    def wheel(p):
        for k in range(40):
            p.mouse.wheel(0, 100 if k % 10 < 7 else -100)
            p.wait_for_timeout(50 + (k * 7) % 20)

    site, samples, _ = record(live_server, customer, page, SCROLLING, act=wheel, seconds=1)
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    assert len({s["s"]["scroll"] for s in samples}) >= 4, "the visit scrolled"
    assert_replays_as_seen(viewer, samples)


def test_a_masked_number_field_replays_its_mask_not_an_empty_field(live_server, celery_worker, customer, page, viewer):
    """`<input type=number>` cannot hold a *: the player shows it as a text field holding the mask."""
    body = '<h1>Basket</h1><label>Qty <input id="qty" type="number" value="1"></label><input id="when" type="date">'

    def act(p):
        p.fill("#qty", "42")
        p.fill("#when", "2026-12-24")
        p.locator("#qty").blur()

    site, samples, _ = record(live_server, customer, page, body, act=act, seconds=1.5)
    open_replay(viewer, live_server, site, samples[-1]["t"])
    fields = viewer.evaluate("""(t) => {
        const P = window.__hsPlayer;
        P.controller.seek(t - P.replayer.service.state.context.events[0].timestamp);
        const doc = P.replayer.iframe.contentDocument;
        return ['qty', 'when'].map((id) => [doc.getElementById(id).type, doc.getElementById(id).value]);
    }""", samples[-1]["t"])
    assert fields == [["text", "**"], ["text", "**********"]]
    assert b"42" not in b"".join(e["data"].get("text", "").encode() for e in stored_events(site) if e["type"] == 3)


def test_form_controls_replay_as_the_visitor_saw_them_masked(live_server, celery_worker, customer, page, viewer):
    def act(p):
        p.click("#news")
        p.click("#pro")
        p.select_option("#size", "L")
        p.click("#bio")
        p.keyboard.type("about me", delay=40)
        p.click("#ed")
        p.keyboard.press("End")
        p.keyboard.type(" now", delay=40)
        p.click("#more summary")

    site, samples, _ = record(live_server, customer, page, FORMS, act=act, seconds=3)
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    assert len(samples) >= 8
    last = samples[-1]["s"]["dom"]  # (the dialog takes the focus when shown: some keys typed go nowhere)
    assert "<select#size value#1" in last and "<select#city value#" in last and "<select#late value#" in last
    assert "<textarea#bio value#0" not in last
    for s in samples:  # the rich-text editor is masked: the replay shows a * for each character but spaces
        s["s"]["dom"] = re.sub(r'(<div#ed[^\n]*\n1")([^\n]*)', lambda m: m.group(1) + re.sub(r"\S", "*", m.group(2)), s["s"]["dom"])
    assert_replays_as_seen(viewer, samples)
    shown = viewer.evaluate("""() => {
        const d = window.__hsPlayer.replayer.iframe.contentDocument;
        return ['size', 'auto-size', 'city', 'late'].map((id) => {
            const select = d.getElementById(id);
            return [select.value, select.selectedOptions[0] && select.selectedOptions[0].textContent];
        });
    }""")
    assert all(value and set(value) == {"*"} and text == value for value, text in shown), shown
    assert "about me" not in json.dumps(stored_events(site))


def test_a_form_reset_by_its_button_or_by_script_replays_emptied(live_server, celery_worker, customer, page, viewer):
    def fill(p):
        p.fill("#name", "Alice Smith")
        p.fill("#msg", "Hello there")
        p.check("#ok")
        p.select_option("#pick", "bbb")
        p.select_option("#many", ["yy", "zzz"])
        p.check("#r2")
        p.fill("#vol", "80")
        p.wait_for_timeout(500)

    def act(p):
        fill(p)
        p.click("#clear")
        p.wait_for_timeout(500)
        fill(p)  # the same values again: each must show again in the replay
        p.click("#send")

    site, samples, resets = record(live_server, customer, page, RESET, act=act, seconds=1.5)
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    states = [s["s"]["dom"] for s in samples]
    filled = [i for i, dom in enumerate(states) if "<input#name value#11" in dom and "<input#ok value#2 checked" in dom]
    emptied = [i for i, dom in enumerate(states) if "<input#name value#0" in dom and "<input#ok value#2\n" in dom]
    assert filled and emptied and emptied[-1] == len(states) - 1 and any(filled[0] < i < filled[-1] for i in emptied), states
    assert_replays_as_seen(viewer, samples)
    # The fields are read after the page's busy task, and stamped with the moment of the reset, which the
    # page may have shown in a frame before then.
    emptying = [e["timestamp"] for e in stored_events(site) if e["type"] == 3 and e["data"].get("source") == 5 and e["data"].get("text") == ""]
    assert len(resets) == 2 and all(any(0 <= t - reset < 150 for t in emptying) for reset in resets), (resets, emptying)


def test_popovers_and_modal_dialogs_replay_open_when_the_visitor_saw_them_open(
    live_server, celery_worker, customer, page, viewer
):
    """An open popover (showPopover(), a popovertarget button) has no attribute that says so, and rrweb
    records none: the recorder writes it as an attribute of ours, which the player applies."""
    site, samples, _ = record(live_server, customer, page, POPOVERS, act=lambda p: p.click("#open"), seconds=4.5)
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    states = [s["s"]["dom"] for s in samples]
    for marker in ("<div#early popover-open", "<div#menu popover-open", "<dialog#dlg open modal", "<div#late popover-open"):
        assert any(marker in dom for dom in states) and not all(marker in dom for dom in states), (marker, states)
    assert_replays_as_seen(viewer, samples)


def test_what_the_visitor_saw_and_did_before_the_page_finished_loading_replays(
    live_server, celery_worker, customer, page, viewer
):
    """rrweb waits for the load event before its first snapshot and observes nothing until then; a page
    with a slow image showed its loaded state from the start, and the visitor's typing and scrolling
    before it was lost."""
    customer.delays.update({"/slow.js": 1.5, "/slow.png": 3})

    def act(p):
        p.click("#q")
        p.keyboard.type("early bird", delay=60)
        p.mouse.wheel(0, 400)

    site, samples, _ = record(live_server, customer, page, LOADING, act=act, seconds=3.5, wait_until="commit")
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    states = [s["s"]["dom"] for s in samples]
    loading = [i for i, dom in enumerate(states) if '"Half way' in dom]
    assert loading and '"Loaded' in states[-1], states
    assert any("<input#q focused value#10" in states[i] for i in loading), "the typing ended after the page had loaded"
    assert_replays_as_seen(viewer, samples)



def test_focus_replays_with_the_styles_the_page_gives_it(live_server, celery_worker, customer, page, viewer):
    """The replay cannot take real focus (it would take the viewer's keyboard): the player marks the focused
    element, and the replayed stylesheets' :focus and :focus-within rules match the marks."""
    def act(p):
        p.click("#q")
        p.keyboard.type("abc", delay=50)
        p.wait_for_timeout(600)
        p.keyboard.press("Tab")
        p.evaluate("later()")

    site, samples, _ = record(live_server, customer, page, FOCUS, act=act, seconds=3)
    start = open_replay(viewer, live_server, site, samples[-1]["t"])
    samples = [s for s in samples if s["t"] > start + 20]
    states = [s["s"]["dom"] for s in samples]
    for marker in ("<input#name focused", "<input#q focused value#3 color=rgb(200, 0, 0)", '<button#m focused\n2"Menu\n1<p.list color=rgb(0, 120, 0)',
                   "<input#made focused", "<button#other focused"):
        assert any(marker in dom for dom in states), (marker, states)
    assert_replays_as_seen(viewer, samples)
