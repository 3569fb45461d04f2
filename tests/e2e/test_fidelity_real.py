"""Pages built the way real sites build them replay as the visitor saw them: real recorder, worker and player.

As in test_fidelity.py, the live page is sampled (bench/pagestate.js) and the player seeks to each sample's
moment; here an element marked `data-p="color,rect"` also gives those computed values or its box, for what
the markup does not show (rules from the CSSOM, layout).
"""
from pathlib import Path

import pytest

from recorder.models import Session
from sites.snippet import site_snippet
from tests.e2e.conftest import login, recorder_started
from tests.e2e.test_capture import html, make_site, stored_events
from tests.e2e.test_player import open_player

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

STATE_JS = (Path(__file__).resolve().parents[2] / "bench" / "pagestate.js").read_text() + r"""
window.__realState = function (doc) {
  var state = window.__hsState(doc), probes = [];
  (function walk(root) {
    root.querySelectorAll('[data-p], *').forEach(function (el) {
      if (el.hasAttribute('data-p')) {
        var style = el.ownerDocument.defaultView.getComputedStyle(el);
        probes.push((el.id || el.tagName) + ': ' + el.getAttribute('data-p').split(',').map(function (p) {
          if (p !== 'rect') return p + '=' + style.getPropertyValue(p);
          var r = el.getBoundingClientRect();
          return 'rect=' + [r.left, r.top, r.width, r.height].map(Math.round).join(',');
        }).join('; '));
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    });
  })(doc);
  state.probes = probes.join('\n');
  return state;
};
"""
SAMPLER_JS = STATE_JS + """
window.__samples = [];
setInterval(function () {
  // In a frame, at the start of a millisecond, as in test_fidelity.py: the sample holds what the visitor is
  // shown and the changes stamped before t, as the player's seek to t - 1 shows them.
  requestAnimationFrame(function () {
    const before = Date.now();
    let t = before;
    while (t === before) t = Date.now();
    window.__samples.push({ t: t, s: window.__realState(document) });
  });
}, 400);
"""


def record(live_server, customer, page, body: str, *, seconds: float) -> tuple:
    """Records a visit with the real snippet; returns (site, live samples)."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), body, title="Real")}
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(SAMPLER_JS)
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(seconds * 1000)
    samples = page.evaluate("window.__samples")
    page.close()
    assert not errors, errors
    return site, samples


@pytest.fixture
def viewer(browser, live_server):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


def replayed(viewer, live_server, site, samples: list[dict]) -> tuple[list[dict], list[dict]]:
    """The samples taken while recording, and the player seeked to each one's moment."""
    stored_events(site, until=lambda events: events[-1]["timestamp"] >= samples[-1]["t"])
    login(viewer, live_server, "owner")
    open_player(viewer, live_server, site, Session.objects.get(site=site))
    viewer.evaluate(STATE_JS + "\nvoid 0;")
    start = viewer.evaluate("window.__hsPlayer.replayer.service.state.context.events[0].timestamp")
    samples = [s for s in samples if s["t"] > start + 20]
    states = [viewer.evaluate("""(t) => {
        const P = window.__hsPlayer;
        P.controller.seek(t - 1 - P.replayer.service.state.context.events[0].timestamp);
        return window.__realState(P.replayer.iframe.contentDocument);
    }""", s["t"]) for s in samples]
    return [s["s"] for s in samples], states


def assert_same(live: list[dict], shown: list[dict]) -> None:
    wrong = [(i, [(x, y) for x, y in zip(a[k].split("\n"), b[k].split("\n")) if x != y][:3])
             for i, (a, b) in enumerate(zip(live, shown)) for k in ("dom", "probes", "scroll") if a[k] != b[k]]
    assert not wrong, f"{len(wrong)} differences in {len(live)} samples: {wrong[:4]}"


# Charts and sparklines: canvases sized by their attributes (inline, on a line of text), one the page's CSS
# makes a block half as wide (its height follows its attributes' shape), one sized by its style.
CANVASES = """<style>.half { display: block; width: 50%; }</style>
<h1>Sales</h1>
<p><canvas id="spark" width="120" height="40" data-p="rect"></canvas> <b id="trend" data-p="rect">+4%</b></p>
<canvas id="chart" class="half" width="400" height="200" data-p="rect"></canvas>
<canvas id="styled" style="width: 200px; height: 100px" data-p="rect"></canvas><i id="legend" data-p="rect">Legend</i>
<canvas id="plain" data-p="rect"></canvas>
<p id="below" data-p="rect">Below the charts</p>
<script>
for (const c of document.querySelectorAll('canvas')) { const g = c.getContext('2d'); g.fillStyle = 'teal'; g.fillRect(0, 0, 30, 20); }
let k = 0;
setInterval(() => { k++; document.getElementById('trend').textContent = '+' + k + '%'; }, 300);
</script>"""


def test_canvases_keep_their_size_in_the_replay(live_server, celery_worker, customer, page, viewer):
    """The replay frame runs no scripts, and there a canvas is laid out as its fallback content: no box at
    all. A chart sized by its attributes vanished and the page below it moved up (the player gives a
    canvas the box its attributes give it; its pixels stay blank, as rrweb's recordCanvas is off)."""
    site, samples = record(live_server, customer, page, CANVASES, seconds=2)
    live, shown = replayed(viewer, live_server, site, samples)
    assert len(live) >= 3 and "spark: rect=8,80,120,40" in live[-1]["probes"], live[-1]["probes"]
    assert_same(live, shown)


# CSS-in-JS as styled-components and emotion write it: rules inserted into a <style> with no text (also into
# @media, @supports and @layer rules), emotion's development mode appending text nodes, a rule's style changed
# through the CSSOM, a custom property on :root set by script, and constructed sheets adopted by the document
# and by a shadow root, changed after adoption (insertRule, replaceSync).
CSS_IN_JS = """<style id="sc" data-styled="active"></style><style id="em" data-emotion="css"></style>
<div id="a" class="sc-a" data-p="color,background-color,padding-left">Styled</div>
<div id="m" class="media" data-p="color">Media</div>
<div id="sup" class="sup" data-p="color">Supports</div>
<div id="lay" class="lay" data-p="color">Layer</div>
<div id="var" class="var" data-p="color">Var</div>
<div id="em1" class="css-1" data-p="color">Emotion dev</div>
<div id="ad" class="ad" data-p="color,border-top-width">Adopted</div>
<div id="ruled" class="ruled" data-p="color">Rule style</div>
<x-card id="card"></x-card>
<script>
const sc = document.getElementById('sc').sheet;
sc.insertRule('.sc-a { color: rgb(1, 2, 3) }', 0);
sc.insertRule('@media (min-width: 100px) { .media { color: rgb(0, 100, 0) } }', sc.cssRules.length);
sc.insertRule('@supports (display: grid) { .sup { color: rgb(0, 0, 100) } }', sc.cssRules.length);
sc.insertRule('@layer base { .lay { color: rgb(100, 0, 0) } }', sc.cssRules.length);
sc.insertRule('.var { color: var(--accent, rgb(9, 9, 9)) }', sc.cssRules.length);
sc.insertRule('.ruled { color: rgb(5, 5, 5) }', sc.cssRules.length);
const doc = new CSSStyleSheet();
doc.replaceSync('.ad { color: rgb(50, 50, 50) }');
document.adoptedStyleSheets = [doc];
const shadow = new CSSStyleSheet();
shadow.replaceSync('p { color: rgb(7, 7, 7) }');
customElements.define('x-card', class extends HTMLElement {
  connectedCallback() { const r = this.attachShadow({ mode: 'open' }); r.adoptedStyleSheets = [shadow]; r.innerHTML = '<p id="inner" data-p="color">Card</p>'; }
});
let k = 0;
setInterval(() => {
  k++;
  sc.insertRule('.sc-a' + k + ' { background-color: rgb(' + k + ', 0, 0); padding-left: ' + k + 'px }', sc.cssRules.length);
  document.getElementById('a').className = 'sc-a sc-a' + k;
  sc.cssRules[1].insertRule('.media { color: rgb(0, ' + (100 + k) + ', 0) }', sc.cssRules[1].cssRules.length);
  document.documentElement.style.setProperty('--accent', 'rgb(' + (k * 10) + ', 0, 0)');
  document.getElementById('em').appendChild(document.createTextNode('.css-1 { color: rgb(0, ' + k + ', 9) }'));
  doc.insertRule('.ad { border-top: ' + (k % 5) + 'px solid red }', doc.cssRules.length);
  if (k % 3 === 0) doc.replaceSync('.ad { color: rgb(' + k + ', 50, 50) }');
  if (k % 2 === 0) shadow.replaceSync('p { color: rgb(7, ' + k + ', 7) }');
  sc.cssRules[5].style.setProperty('color', 'rgb(' + k + ', 5, 5)');
}, 300);
</script>"""


def test_css_in_js_rules_and_constructed_sheets_replay_as_the_visitor_saw_them(
    live_server, celery_worker, customer, page, viewer
):
    site, samples = record(live_server, customer, page, CSS_IN_JS, seconds=3)
    live, shown = replayed(viewer, live_server, site, samples)
    assert len(live) >= 5 and "inner: color=rgb(7, " in live[-1]["probes"] and "padding-left=0px" not in live[-1]["probes"]
    assert_same(live, shown)


# What front-end frameworks do to the DOM: an app root re-rendered on every tick, keyed list items moved with
# insertBefore, text nodes added, merged (normalize) and split, a table's innerHTML set 4 times a second,
# <template> content cloned in, a custom element whose shadow root slots light-DOM children, and at last the
# whole <body> replaced by a mount.
FRAMEWORKS = """<div id="app"></div>
<ul id="list"><li id="i0">zero</li><li id="i1">one</li><li id="i2">two</li><li id="i3">three</li><li id="i4">four</li></ul>
<p id="txt">start</p>
<table id="tbl"></table>
<template id="tpl"><div class="row"><span class="name"></span><em>tpl</em></div></template>
<div id="rows"></div>
<x-slotted id="xs"><span slot="title">Title</span><span>Body text</span></x-slotted>
<script>
customElements.define('x-slotted', class extends HTMLElement {
  constructor() { super(); const r = this.attachShadow({ mode: 'open' });
    r.innerHTML = '<h3><slot name="title"></slot></h3><div class="b"><slot></slot></div><b id="n">0</b>'; }
});
let k = 0;
function render() {
  const app = document.getElementById('app') || document.getElementById('after');
  const fresh = document.createElement('section');
  fresh.innerHTML = '<h2>Page ' + (k % 3) + '</h2><p class="c' + k + '">Rendered ' + k + '</p>';
  app.replaceChildren(fresh);
}
render();
setInterval(() => {
  k++;
  render();
  const list = document.getElementById('list');
  if (!list) return;
  list.insertBefore(list.lastElementChild, list.firstElementChild);
  if (k % 2) list.appendChild(list.children[1]);
  const p = document.getElementById('txt');
  p.appendChild(document.createTextNode(' +' + k));
  if (k % 3 === 0) p.normalize();
  if (k % 4 === 0) p.firstChild.splitText(3);
  const rows = [];
  for (let i = 0; i < 10; i++) rows.push('<tr><td>' + i + '</td><td>' + ((i * k) % 17) + '</td></tr>');
  document.getElementById('tbl').innerHTML = rows.join('');
  const t = document.getElementById('tpl').content.cloneNode(true);
  t.querySelector('.name').textContent = 'row ' + k;
  document.getElementById('rows').appendChild(t);
  const xs = document.getElementById('xs');
  xs.shadowRoot.getElementById('n').textContent = String(k);
  const s = document.createElement('span'); s.textContent = ' more ' + k; xs.appendChild(s);
  if (k % 3 === 0) xs.querySelector('[slot=title]').textContent = 'Title ' + k;
}, 250);
setTimeout(() => {  // a whole-body re-render, as an app that mounts on body
  const keep = Array.from(document.body.children).filter((n) => n.tagName === 'SCRIPT');
  const main = document.createElement('main'); main.innerHTML = '<h1>Mounted</h1><p id="after">after mount</p>';
  document.body.replaceChildren(main, ...keep);
}, 2600);
</script>"""


def test_framework_rendering_habits_replay_as_the_visitor_saw_them(live_server, celery_worker, customer, page, viewer):
    site, samples = record(live_server, customer, page, FRAMEWORKS, seconds=4)
    live, shown = replayed(viewer, live_server, site, samples)
    assert len(live) >= 8 and '"Mounted' in live[-1]["dom"] and '"zero' in live[0]["dom"]
    assert_same(live, shown)


# Several scrollers moved in one task, as a route change resetting the window and a sidebar does, or a
# carousel beside a list: the browser sends each its scroll event in the same frame. (The changes come
# 200 ms after each sample, so that every sample sees their events sent.)
SCROLLERS = """<style>.box { width: 200px; height: 80px; overflow: auto; } .tall { height: 600px; }
.wide { width: 900px; height: 20px; } body { height: 3000px; }</style>
<div id="a" class="box"><div class="tall">a</div></div>
<div id="b" class="box"><div class="tall">b</div></div>
<div id="c" class="box"><div class="wide">c</div></div>
<script>
let k = 0;
setTimeout(() => setInterval(() => {
  k++;
  document.getElementById('a').scrollTop = 37 * k % 500;
  document.getElementById('b').scrollTop = 53 * k % 500;
  document.getElementById('c').scrollLeft = 71 * k % 700;
  window.scrollTo(0, 113 * k % 2000);
}, 400), 200);
</script>"""


def test_every_element_scrolled_in_one_frame_replays_at_its_place(live_server, celery_worker, customer, page,
                                                                 viewer):
    """rrweb's one throttle for all scroll events kept two of them a frame: the window stayed at the top."""
    site, samples = record(live_server, customer, page, SCROLLERS, seconds=3)
    live, shown = replayed(viewer, live_server, site, samples)
    assert len(live) >= 5 and live[-1]["scroll"] != "0,0" and "scroll=" in live[-1]["dom"]
    assert_same(live, shown)
