"""More pages nobody wrote for us: Trusted Types and CSP, the back-forward cache, frozen and patched
built-ins, odd documents (a <base>, quirks mode, XHTML, SVG, frames), a root replaced wholesale, and
megabyte texts and attributes.

Each visit is recorded by the real recorder from the site's snippet in Chromium, stored by a real
worker, and replayed in the player.
"""
import json

import pytest

from recorder.models import Chunk, Session
from sites.snippet import site_snippet
from tests.e2e.conftest import (
    CHROMIUM, CHROMIUM_ARGS, UploadSpy, flush_now, login, recorder_started, stored_bytes_everywhere, wait_for_js,
)
from tests.e2e.test_capture import custom, element_ids, has, html, make_site, replayed_at_end, stored_events

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def text_of(events) -> str:
    return json.dumps(events)


def closed(*markers):
    """Until the visit's last batch is stored (the closing page's hs.visibility) and it holds the markers.
    (A marker may be in the page's markup already, an onclick's text: the snapshot alone is not enough.)"""
    return lambda events: all(m in text_of(events) for m in markers) and any(
        p["state"] == "hidden" for p in custom(events, "hs.visibility"))


def button_clicked_then_closed(page, site, marker: str) -> list[dict]:
    """Once the recorder runs, the page's button is clicked and the page closed; the stored events once the
    last batch, holding `marker`, is in."""
    recorder_started(page)
    page.click("button")
    page.wait_for_timeout(300)
    page.close()
    return stored_events(site, until=closed(marker))


def seqs(site) -> list[int]:
    return sorted(Chunk.objects.filter(site=site).values_list("seq", flat=True))


# ---- Trusted Types and CSP ----------------------------------------------------------------------

TT = "<meta http-equiv=\"Content-Security-Policy\" content=\"require-trusted-types-for 'script'\">"


@pytest.mark.parametrize("policy", ["pass", "strict"])
def test_a_page_enforcing_trusted_types_with_a_default_policy_records_from_the_snippet(
        live_server, celery_worker, customer, page, policy):
    site = make_site(customer)
    allow = "true" if policy == "pass" else f"u.startsWith({json.dumps(live_server.url)})"
    default = f"""<script>trustedTypes.createPolicy('default', {{
        createScriptURL: (u) => ({allow}) ? u : null, createHTML: (s) => s, createScript: () => null }})</script>"""
    customer.pages = {"/": html(TT + default + site_snippet(site, live_server.url),
                                '<h1>Ledger</h1><button onclick="this.textContent = \'paid\'">pay</button>')}
    thrown = []
    page.on("pageerror", lambda error: thrown.append(str(error)))
    page.goto(customer.url("/"))
    wait_for_js(page, "!!window.__insp && !Array.isArray(window.__insp)", timeout=10_000)  # the recorder runs
    page.click("button")
    page.wait_for_timeout(300)
    workers = len(page.workers)
    page.close()
    events = stored_events(site, until=closed("paid"))
    assert "Ledger" in text_of(events)
    assert (workers, thrown) == (1 if policy == "pass" else 0, [])


def test_a_page_whose_script_src_leaves_out_blob_records_every_batch_on_the_main_thread(
        live_server, celery_worker, customer, page):
    site = make_site(customer)
    csp = f"<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'unsafe-inline' {live_server.url}\">"
    customer.pages = {"/": html(csp + site_snippet(site, live_server.url), "<h1>Board</h1><ul></ul>")}
    page.goto(customer.url("/"))
    recorder_started(page)
    for i in range(5):
        page.evaluate(f"""() => {{ const li = document.createElement('li'); li.textContent = 'row-{i} ' + 'x'.repeat(20000);
            document.querySelector('ul').appendChild(li) }}""")
        page.wait_for_timeout(300)
        flush_now(page)
        page.evaluate("""() => { Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
            document.dispatchEvent(new Event('visibilitychange')) }""")
    workers = len(page.workers)
    page.close()
    events = stored_events(site, until=closed(*(f"row-{i} " for i in range(5))))
    assert workers == 0
    assert seqs(site) == list(range(len(seqs(site))))


# ---- the back-forward cache ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def bfcache_browser(browser):
    """A second Chromium, with its back-forward cache (Playwright turns it off by default)."""
    cached = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         ignore_default_args=["--disable-back-forward-cache"])
    yield cached
    cached.close()


@pytest.mark.parametrize("other", ["recorded", "elsewhere"])
def test_a_page_back_from_the_back_forward_cache_goes_on_recording_in_its_session(
        live_server, celery_worker, customer, bfcache_browser, other):
    """Left for another page and restored from the back-forward cache (pageshow with persisted), a page
    goes on recording in the same session, whether the page between was recorded too or not."""
    site = make_site(customer)
    snippet = site_snippet(site, live_server.url)
    shows = "<script>addEventListener('pageshow', (e) => { window.restored = e.persisted })</script>"
    customer.pages = {
        "/": html(snippet + shows, "<h1>Home</h1><a href='/next'>next</a>"
                  "<button onclick=\"this.textContent = 'clicked-after-back'\">b</button>"),
        "/next": html(snippet if other == "recorded" else "", "<h1>Next page</h1>"),
    }
    context = bfcache_browser.new_context()
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(500)
    page.click("a")
    page.wait_for_url("**/next")
    if other == "recorded":
        recorder_started(page)
    page.wait_for_timeout(500)
    page.go_back(wait_until="commit")
    for _ in range(50):
        if page.evaluate("window.restored !== undefined"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.restored") is True, "not restored from the back-forward cache"
    page.wait_for_timeout(300)
    page.click("button")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p>added-after-back</p>')")
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=lambda events: "added-after-back" in text_of(events)
                           and "clicked-after-back" in text_of(events))
    assert Session.objects.filter(site=site).count() == 1
    pages = [(p["url"], p["kind"]) for p in custom(events, "hs.page")]
    seen = [p["state"] for p in custom(events, "hs.visibility")]
    if other == "recorded":
        # The page in front changed twice: each time a full snapshot of the page now in front.
        assert pages == [(customer.url("/"), "load"), (customer.url("/next"), "load"), (customer.url("/"), "back")]
        assert sum(1 for e in events if e["type"] == 2) == 3
    else:
        # Away and back, the page is as it was left: its recording goes on, no page view, no snapshot.
        assert pages == [(customer.url("/"), "load")] and seen[:2] == ["hidden", "visible"]
    assert seqs(site) == list(range(len(seqs(site))))
    context.close()


# ---- frozen and patched built-ins ---------------------------------------------------------------

HARDENED = {
    "frozen": "<script>Object.freeze(Object.prototype); Object.freeze(Array.prototype); Object.freeze(Function.prototype)</script>",
    "wrapped": """<script>
      const F = window.fetch; window.fetch = function (input, init) { return F.call(this, input, init) };
      const X = XMLHttpRequest; window.XMLHttpRequest = function () { return new X() };
      const M = MutationObserver; window.MutationObserver = class extends M { constructor(cb) { super((r, o) => cb(r, o)) } };
      const P = Promise; window.Promise = class ZoneAwarePromise extends P {};
      const S = JSON.stringify; JSON.stringify = function (v, r, s) { return S.call(JSON, v, r, s) };
      for (const T of [EventTarget.prototype]) {
        const add = T.addEventListener, remove = T.removeEventListener, wrapped = new WeakMap();
        T.addEventListener = function (type, fn, opts) {
          if (typeof fn !== 'function') return add.call(this, type, fn, opts);
          if (!wrapped.has(fn)) wrapped.set(fn, function (e) { return fn.call(this, e) });
          return add.call(this, type, wrapped.get(fn), opts);
        };
        T.removeEventListener = function (type, fn, opts) { return remove.call(this, type, wrapped.get(fn) || fn, opts) };
      }
      const st = window.setTimeout, si = window.setInterval;
      window.setTimeout = function (fn, ms, ...a) { return st.call(window, function () { return fn.apply(this, a) }, ms) };
      window.setInterval = function (fn, ms, ...a) { return si.call(window, function () { return fn.apply(this, a) }, ms) };
      window.requestAnimationFrame = ((raf) => (fn) => raf.call(window, (t) => fn(t)))(window.requestAnimationFrame);
    </script>""",
}


BUTTON_BODY = """<h1>Hardened</h1><input id="name"><ul></ul>
  <button onclick="const li = document.createElement('li'); li.textContent = 'added-' + document.querySelector('ul').children.length;
    document.querySelector('ul').appendChild(li); fetch('/api?q=1').catch(() => {})">add</button>"""


def button_visit(live_server, customer, context, site, head: str, between=lambda page: None):
    """A visit of BUTTON_BODY, `head` before the snippet: the button clicked, `between(page)`, and the button
    clicked again a second later. The page, and what it threw."""
    customer.pages = {"/": html(head + site_snippet(site, live_server.url), BUTTON_BODY), "/api": "{}"}
    thrown = []
    page = context.new_page()
    page.on("pageerror", lambda error: thrown.append(str(error)))
    page.goto(customer.url("/"))
    recorder_started(page)
    page.click("button")
    between(page)
    page.wait_for_timeout(1200)
    page.click("button")
    return page, thrown


@pytest.mark.parametrize("kind", list(HARDENED))
def test_a_page_that_freezes_or_wraps_built_ins_first_is_recorded(live_server, celery_worker, customer, context, kind):
    site = make_site(customer)
    page, thrown = button_visit(live_server, customer, context, site, HARDENED[kind], lambda page: page.fill("#name", "Ada"))
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=closed("added-1", "hs.net"))
    assert thrown == []
    assert sum(1 for e in events if e["type"] == 2) == 1
    assert any(e["type"] == 3 and e["data"]["source"] == 5 and e["data"].get("text") == "***" for e in events)
    frame = replayed_at_end(context, live_server, site, "li:nth-child(2)")
    assert frame.eval_on_selector("ul", "ul => ul.textContent") == "added-0added-1"


# An old store's Prototype.js: its JSON.stringify (here one that adds a comment) and a toJSON for every
# array and object; a fetch wrapper that drops requests to other origins, and a sendBeacon that drops all
# while saying it sent them (a monitoring tool, an ad blocker's shim); a Date.now frozen at one moment (a
# test's fake clock).
REPLACED = """<script>
  const S = JSON.stringify; JSON.stringify = function () { const t = S.apply(JSON, arguments); return t === undefined ? t : t + '/* page */' };
  Array.prototype.toJSON = function () { return 'array:' + this.length };
  Object.defineProperty(Object.prototype, 'toJSON', { value() { return 'object' }, writable: true, configurable: true });
  const F = window.fetch;
  window.fetch = function (input, init) {
    if (new URL(input.url || input, location.href).origin !== location.origin) return Promise.reject(new TypeError('dropped'));
    return F.call(this, input, init);
  };
  navigator.sendBeacon = () => true;
  Date.now = () => 1000000000000;
</script>"""


def test_a_page_that_replaced_json_fetch_beacon_and_the_clock_is_recorded_and_keeps_its_versions(
        live_server, celery_worker, customer, context):
    """The recorder wrote its batches with the page's JSON.stringify (a comment after each: refused with
    400), sent them through the page's fetch and sendBeacon (dropped), and stamped them with its clock."""
    site = make_site(customer)
    page, thrown = button_visit(live_server, customer, context, site, REPLACED)
    # The page's own code still has its versions.
    assert page.evaluate("""async () => [JSON.stringify([1]), JSON.stringify({}), Date.now(),
      await fetch('https://elsewhere.invalid/').then(() => 'sent', (e) => e.message), navigator.sendBeacon('/b')]""") == [
        '"array:1"/* page */', '"object"/* page */', 1000000000000, "dropped", True]
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=closed("added-1"))
    assert thrown == []
    assert sum(1 for e in events if e["type"] == 2) == 1 and events[0]["timestamp"] > 1700000000000
    assert len({e["timestamp"] for e in events}) > 3
    # The page's requests are recorded (the wrapper's refusal too); the recorder's uploads are not.
    assert sorted(p["url"] for p in custom(events, "hs.net")) == sorted(
        [customer.url("/api?q=*")] * 2 + ["https://elsewhere.invalid/", customer.url("/b")])
    frame = replayed_at_end(context, live_server, site, "li:nth-child(2)")
    assert frame.eval_on_selector("ul", "ul => ul.textContent") == "added-0added-1"


# ---- odd documents ------------------------------------------------------------------------------

def test_a_page_with_a_base_elsewhere_records_and_replays(live_server, celery_worker, customer, context):
    site = make_site(customer)
    page_html = ("<!doctype html><html><head><title>Based</title><base href='https://cdn.example.com/assets/'>"
                 + site_snippet(site, live_server.url) + "</head><body><h1>Based</h1>"
                 "<a id='rel' href='page.html'>rel</a><img id='pic' src='pic.png'>"
                 "<button onclick=\"this.textContent = 'based-click'\">b</button></body></html>")
    customer.pages = {"/": page_html}
    page = context.new_page()
    page.goto(customer.url("/"))
    events = button_clicked_then_closed(page, site, "based-click")
    assert [p["url"] for p in custom(events, "hs.page")] == [customer.url("/")]
    frame = replayed_at_end(context, live_server, site, "#rel")
    assert frame.eval_on_selector("#rel", "a => a.href") == "https://cdn.example.com/assets/page.html"
    assert frame.eval_on_selector("button", "b => b.textContent") == "based-click"


def test_a_page_in_quirks_mode_replays_in_quirks_mode(live_server, celery_worker, customer, context):
    site = make_site(customer)
    customer.pages = {"/": "<html><head><title>Old</title>" + site_snippet(site, live_server.url)
                      + "</head><body><table><tr><td id='cell'>quirky</td></tr></table>"
                      "<button onclick=\"this.textContent = 'quirk-click'\">b</button></body></html>"}
    page = context.new_page()
    page.goto(customer.url("/"))
    assert page.evaluate("document.compatMode") == "BackCompat"
    button_clicked_then_closed(page, site, "quirk-click")
    frame = replayed_at_end(context, live_server, site, "#cell")
    assert frame.evaluate("document.compatMode") == "BackCompat"
    assert frame.eval_on_selector("button", "b => b.textContent") == "quirk-click"


XHTML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Strict</title>%s</head><body>
<h1>Strict</h1><form><input type="password" id="pw" /><input id="who" /><input type="file" id="doc" /></form>
<textarea id="note"></textarea><select id="region"><option>north</option></select><dialog id="dlg">hi</dialog>
<button onclick="this.textContent = 'xhtml-click'">b</button></body></html>"""
# What a page's script then changes: rrweb told a textarea, a select, a dialog, a style and the title by an
# upper-case tagName, which an XHTML page's are not.
XHTML_SCRIPT = """() => {
    const el = (id) => document.getElementById(id)
    el('note').textContent = 'draft-note-secret'
    el('region').innerHTML = '<option>east</option><option selected="selected">west</option>'
    const style = document.createElementNS('http://www.w3.org/1999/xhtml', 'style')
    style.textContent = '#dlg { color: teal }'
    document.head.appendChild(style)
    document.title = 'Retitled'
    el('dlg').showModal()
}"""


def test_an_xhtml_page_served_as_xml_records_what_is_typed_masked_and_replays_it(
        live_server, celery_worker, customer, context):
    """An XHTML document names its tags in lower case (`input`, not `INPUT`): rrweb's input observer
    took no field for one, and the replay showed every field as the page was served. Its DOM changes
    compared tags in upper case too: a textarea's text set by script went out as a text node, in clear
    where its value is masked (the replay's textarea showed it so); a refilled select's value was not
    written; a dialog opened modal was not said to be; a style's CSS went twice; and the title's changes
    went out, which rrweb leaves out of an HTML page's."""
    site = make_site(customer)
    snippet = site_snippet(site, live_server.url)
    body = XHTML % snippet.replace('<script type="text/javascript">', "<script><![CDATA[").replace("</script>", "]]></script>")
    customer.pages, customer.types = {"/": body}, {"/": "application/xhtml+xml"}
    page = context.new_page()
    thrown = []
    page.on("pageerror", lambda error: thrown.append(str(error)))
    page.goto(customer.url("/"))
    assert page.evaluate("document.contentType") == "application/xhtml+xml"
    recorder_started(page)
    page.fill("#pw", "hunter2-secret")
    page.fill("#who", "Ada")
    # (Playwright sets files on an HTML document's inputs only: a choice of none says as much.)
    page.dispatch_event("#doc", "change")
    page.click("button")
    page.evaluate(XHTML_SCRIPT)
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=closed("xhtml-click"))
    typed = [e["data"]["text"] for e in events if e["type"] == 3 and e["data"]["source"] == 5 and "text" in e["data"]]
    assert "***" in typed and "*" * len("hunter2-secret") in typed
    assert custom(events, "hs.file") == [{"chosen": 0}]
    assert [c["s"] for c in custom(events, "hs.click")] == ["button"]  # (the path stops at the body, as on HTML)
    stored = stored_bytes_everywhere(site.pk)
    assert b"hunter2" not in stored and b"draft-note" not in stored
    assert thrown == []
    ids = element_ids(next(e for e in events if e["type"] == 2)["data"]["node"])
    changes = [e["data"] for e in events if e["type"] == 3 and e["data"]["source"] == 0]
    changed = {(a["id"], k): v for d in changes for a in d["attributes"] for k, v in a["attributes"].items()}
    assert changed[ids["note"], "value"] == "*" * len("draft-note-secret")
    assert changed[ids["region"], "value"] == "****"  # (west, masked as the select's value)
    assert changed[ids["dlg"], "rr_open_mode"] == "modal"
    style = next(a["node"] for d in changes for a in d["adds"] if a["node"].get("tagName") == "style")
    assert "teal" in style["attributes"]["_cssText"]
    assert [a["node"]["textContent"] for d in changes for a in d["adds"] if a["parentId"] == style["id"]] == [""]
    assert "Retitled" not in text_of(changes)
    frame = replayed_at_end(context, live_server, site, "#pw")
    assert frame.eval_on_selector("#who", "i => i.value") == "***"
    assert frame.eval_on_selector("#note", "t => t.value") == "*" * len("draft-note-secret")
    assert frame.eval_on_selector("button", "b => b.textContent") == "xhtml-click"


SVG = """<h1>Chart</h1><svg id="chart" width="400" height="200" viewBox="0 0 400 200" xmlns:xlink="http://www.w3.org/1999/xlink">
  <defs><linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient>
  <symbol id="dot"><circle cx="5" cy="5" r="5"/></symbol></defs>
  %s
  <use id="used" xlink:href="#dot" x="10" y="10"/>
  <foreignObject x="0" y="150" width="200" height="40"><div xmlns="http://www.w3.org/1999/xhtml" id="fo">inside svg</div></foreignObject>
  <text id="label" x="300" y="20">label</text></svg>
<button onclick="document.getElementById('bar0').setAttribute('height', '77');
  document.getElementById('label').textContent = 'svg-changed';
  const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle'); c.id = 'added'; c.setAttribute('r', '9');
  document.getElementById('chart').appendChild(c)">b</button>"""


def test_an_svg_heavy_page_replays_its_changes(live_server, celery_worker, customer, context):
    site = make_site(customer)
    bars = "".join(f'<rect id="bar{i}" x="{i * 2}" y="0" width="2" height="{i % 50}" fill="url(#g)"/>' for i in range(2000))
    customer.pages = {"/": html(site_snippet(site, live_server.url), SVG % bars)}
    page = context.new_page()
    page.goto(customer.url("/"))
    button_clicked_then_closed(page, site, "svg-changed")
    frame = replayed_at_end(context, live_server, site, "#added")
    assert frame.eval_on_selector("#added", "c => c.namespaceURI") == "http://www.w3.org/2000/svg"
    assert frame.eval_on_selector("#bar0", "r => r.getAttribute('height')") == "77"
    assert frame.eval_on_selector("#label", "t => t.textContent") == "svg-changed"
    assert frame.eval_on_selector("#fo", "d => d.namespaceURI") == "http://www.w3.org/1999/xhtml"
    assert frame.eval_on_selector("#used", "u => u.getAttribute('xlink:href') || u.getAttribute('href')") == "#dot"


def test_frames_added_after_load_and_srcdoc_frames_are_recorded_and_replayed(
        live_server, celery_worker, customer, context):
    site = make_site(customer)
    snippet = site_snippet(site, live_server.url)
    customer.pages = {
        "/": html(snippet, "<h1>Parent</h1><iframe id='doc' srcdoc=\"<p id='s'>from srcdoc</p><button id='sb' onclick='this.textContent=&quot;srcdoc-click&quot;'>s</button>\"></iframe>"),
        "/child": html("", "<p id='c'>child page</p><button id='cb' onclick=\"this.textContent='child-click'\">c</button>"),
    }
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(500)
    page.evaluate("""() => new Promise((done) => {
        const f = document.createElement('iframe'); f.id = 'late'; f.src = '/child'; f.onload = done;
        document.body.appendChild(f) })""")
    page.wait_for_timeout(300)
    page.frame_locator("#late").locator("#cb").click()
    page.frame_locator("#doc").locator("#sb").click()
    page.wait_for_timeout(300)
    page.close()
    stored_events(site, until=closed("child-click", "srcdoc-click"))
    frame = replayed_at_end(context, live_server, site, "#late")
    late = frame.wait_for_selector("#late").content_frame()
    late.wait_for_selector("#c", state="attached")
    assert late.eval_on_selector("#cb", "b => b.textContent") == "child-click"
    srcdoc = frame.wait_for_selector("#doc").content_frame()
    assert srcdoc.eval_on_selector("#sb", "b => b.textContent") == "srcdoc-click"


# ---- a root replaced wholesale ------------------------------------------------------------------

REPLACE = {
    "html": """() => { const root = document.createElement('html'); root.innerHTML = '<head><title>New</title></head>'
        + '<body><h2 id="fresh">fresh-root</h2><button onclick="this.textContent = \\'after-new-root\\'">b</button></body>';
        document.documentElement.replaceWith(root) }""",
    "body": """() => { const body = document.createElement('body'); body.innerHTML = '<h2 id="fresh">fresh-root</h2>'
        + '<button onclick="this.textContent = \\'after-new-root\\'">b</button>'; document.body = body }""",
}


@pytest.mark.parametrize("part", list(REPLACE))
def test_a_root_replaced_wholesale_is_recorded_and_replayed(live_server, celery_worker, customer, context, part):
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Old root</h1>")}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    page.evaluate(REPLACE[part])
    page.wait_for_timeout(300)
    page.click("button")
    page.wait_for_timeout(300)
    page.close()
    stored_events(site, until=closed("after-new-root"))
    frame = replayed_at_end(context, live_server, site, "#fresh")
    assert frame.eval_on_selector("button", "b => b.textContent") == "after-new-root"
    assert frame.query_selector("h1") is None


# ---- megabytes in one node ----------------------------------------------------------------------

@pytest.mark.parametrize("where", ["text", "img", "style"])
def test_a_megabyte_text_or_data_url_is_stored_whole_and_recording_goes_on(
        live_server, celery_worker, customer, context, where):
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Big</h1><div id='box'></div>")}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    # Random base64 (as an image's is): gzip cannot make it small.
    page.evaluate("""(where) => {
        const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', out = [];
        for (let i = 0; i < (where === 'text' ? 1e6 : 2e6); i++) out.push(digits[Math.random() * 64 | 0]);
        const b64 = out.join('');
        const url = 'data:image/png;base64,' + b64 + 'END';
        const box = document.getElementById('box');
        if (where === 'text') box.textContent = 'big-text ' + b64 + 'END';
        else if (where === 'img') { const img = document.createElement('img'); img.id = 'big'; img.src = url; box.appendChild(img) }
        else box.style.backgroundImage = 'url("' + url + '")';
    }""", where)
    page.wait_for_timeout(500)
    page.click("h1")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p id=after>after-big</p>')")
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=closed("after-big"), timeout=60)
    assert "END" in text_of(events)
    assert seqs(site) == list(range(len(seqs(site))))
    replayed_at_end(context, live_server, site, "#after")


def test_a_change_too_large_to_record_is_marked_in_the_replay_and_the_next_page_records_again(
        live_server, celery_worker, customer, context):
    """A change of more than the 4 MB of JSON the recorder sends at once (a table of tens of thousands of rows
    rendered after load) stops the recording of that page, as README says; the replay only ended there,
    with nothing to tell its viewer why."""
    site = make_site(customer)
    customer.pages = {
        "/": html(site_snippet(site, live_server.url), "<h1>Orders</h1><table id='rows'></table><a href='/next'>next</a>"),
        "/next": html(site_snippet(site, live_server.url), "<h1>Next page</h1>"),
    }
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    page.evaluate("""() => { const rows = [];
        for (let i = 0; i < 50000; i++) rows.push(`<tr><td>Order ${i}</td><td>Widget ${i} blue</td><td>${i % 997}.00</td></tr>`);
        document.getElementById('rows').innerHTML = rows.join(''); }""")
    page.wait_for_timeout(500)
    page.evaluate("document.querySelector('h1').textContent = 'after-too-large'")  # not recorded
    page.click("a")
    page.wait_for_selector("text=Next page")
    page.evaluate("document.querySelector('h1').textContent = 'next-recorded'")
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=closed("next-recorded"), timeout=60)
    stop = [e for e in events if e["type"] == 5 and e["data"]["tag"] == "hs.stop"]
    assert len(stop) == 1 and stop[0]["data"]["payload"]["bytes"] > 4_000_000, stop
    assert "after-too-large" not in text_of(events) and "Order 49999" not in text_of(events)
    frame = replayed_at_end(context, live_server, site, "h1")
    assert frame.eval_on_selector("h1", "h => h.textContent") == "next-recorded"
    viewer = context.pages[-1]
    marker = viewer.locator("[data-testid=marker][data-kind=gap]")
    assert marker.count() == 1
    assert "Recording stopped on this page: a change of" in marker.get_attribute("aria-label")


@pytest.mark.parametrize("server", ["default", "larger batches"])
def test_a_page_whose_first_snapshot_is_too_large_says_so_in_the_player_or_records_where_the_server_takes_it(
        live_server, celery_worker, customer, context, settings, server):
    """(Its snapshot is the recording's first: the player waited for the visitor's page to load, or said
    there was no snapshot, for good.) A server whose operator lets a batch be larger once inflated has its
    pages send larger snapshots: 11 MB of JSON, recorded, stored and replayed."""
    if server == "larger batches":
        settings.INGEST_MAX_INFLATED_BYTES = 24 * 1024 * 1024
        settings.INGEST_MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), """<h1>Orders</h1><table id='rows'></table><script>
        const rows = [];
        for (let i = 0; i < 25000; i++) rows.push(`<tr><td>Order ${i}</td><td>Widget ${i} blue</td><td>${i % 997}.00</td></tr>`);
        document.getElementById('rows').innerHTML = rows.join('');</script>""")}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    if server == "larger batches":
        # (Its snapshot goes out on its own, seconds later: a page closed before cannot send that much.)
        stored_events(site, until=lambda events: any(e["type"] == 2 for e in events), timeout=60)
        page.evaluate("document.querySelector('h1').textContent = 'after-large'")
        page.wait_for_timeout(300)
        page.close()
        events = stored_events(site, until=closed("after-large"), timeout=60)
        assert not custom(events, "hs.stop") and "Order 24999" in text_of(events)
        frame = replayed_at_end(context, live_server, site, "h1")
        assert frame.eval_on_selector("h1", "h => h.textContent") == "after-large"
        assert frame.eval_on_selector("#rows", "t => t.rows.length") == 25000
        return
    page.close()
    events = stored_events(site, until=has("hs.stop"), timeout=30)
    assert not [e for e in events if e["type"] == 2]
    viewer = context.new_page()
    login(viewer, live_server, site.owner.username)
    viewer.goto(f"{live_server.url}/sites/{site.pk}/sessions/{Session.objects.get(site=site).pk}/")
    viewer.get_by_text("This page was too large to record: a change of").wait_for(timeout=20_000)


NOTICE = ".hindsight-ignore[role=status]"


@pytest.mark.parametrize("part", ["body", "body content"])
def test_the_notice_stays_when_the_page_replaces_its_body(live_server, customer, page, part):
    """Turbo Drive (Rails) swaps in a new <body> at every navigation, and plain pages rewrite
    body.innerHTML: the visitor notice, appended to the body, went with it, and the rest of the visit
    was recorded without it."""
    site = make_site(customer, notice=True, notice_text="We record this visit")
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Old body</h1>")}
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_selector(NOTICE)
    page.evaluate(REPLACE["body"] if part == "body" else
                  "() => { document.body.innerHTML = '<h2 id=\"fresh\">fresh-root</h2><button>b</button>' }")
    page.wait_for_selector("#fresh")
    assert page.locator(NOTICE).count() == 1
    assert page.text_content(NOTICE).startswith("We record this visit")
    page.click(f"{NOTICE} button")  # its dismiss button still works
    assert page.locator(NOTICE).count() == 0


def test_a_srcdoc_frame_sends_what_its_ignore_and_mask_classes_cover_only_as_its_recorded_dom(
        live_server, celery_worker, customer, context):
    """A srcdoc frame's markup is an attribute of its <iframe>: written as it was, it carried what the
    frame's ignore and mask classes cover, around the frame's recorded (and masked) DOM. Webmail and
    previews show messages this way."""
    site = make_site(customer)
    inner = ("<p class='hindsight-ignore'>ignored-secret-words</p><p class='hindsight-mask'>masked-secret-words</p>"
             "<input type='password' value='served-password'><p id='plain'>plain words</p>")
    customer.pages = {"/": html(site_snippet(site, live_server.url), f"<h1>Mail</h1><iframe id='mail' srcdoc=\"{inner}\"></iframe>")}
    page = context.new_page()
    uploads = UploadSpy(page)
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(500)
    # The next message, as a mail client shows it.
    page.evaluate("""() => { document.getElementById('mail').srcdoc =
        '<p class=hindsight-ignore>ignored-later-words</p><p id=later>later words</p>' }""")
    page.frame_locator("#mail").locator("#later").wait_for()
    page.wait_for_timeout(500)
    flush_now(page)
    uploads.wait(page)
    sent = b"".join(uploads.bodies())
    page.close()
    stored_events(site, until=closed("later words"))
    stored = stored_bytes_everywhere(site.pk)
    for secret in (b"ignored-secret-words", b"masked-secret-words", b"served-password", b"ignored-later-words"):
        assert secret not in sent and secret not in stored
    frame = replayed_at_end(context, live_server, site, "#mail")
    mail = frame.wait_for_selector("#mail").content_frame()
    mail.wait_for_selector("#later", state="attached")
    assert mail.eval_on_selector("#later", "p => p.textContent") == "later words"


def test_a_request_by_a_relative_address_on_a_page_with_a_base_is_recorded_where_it_went(
        live_server, celery_worker, customer, page):
    """The browser resolves fetch's, XHR's and sendBeacon's relative addresses against the page's <base>
    (its base URL), not its own address: the Network panel showed requests to addresses never asked."""
    site = make_site(customer)
    customer.pages = {"/shop/cart": "<!doctype html><html><head><title>Cart</title><base href='/api/v2/'>"
                      + site_snippet(site, live_server.url) + "</head><body><h1>Cart</h1></body></html>"}
    sent = []
    page.on("request", lambda request: "/api/v2/" in request.url and sent.append(request.url))
    page.goto(customer.url("/shop/cart"))
    recorder_started(page)
    page.evaluate("""() => new Promise((done) => { fetch('orders').catch(() => {}).then(() => {
        const x = new XMLHttpRequest(); x.open('GET', 'items'); x.onloadend = done; x.send() }) })""")
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=lambda events: closed()(events) and len(custom(events, "hs.net")) >= 2)
    assert sent == [customer.url("/api/v2/orders"), customer.url("/api/v2/items")]
    assert [p["url"] for p in custom(events, "hs.net")] == sent
