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
  // At the start of a millisecond, as in test_fidelity.py: a seek to t shows the changes stamped before t.
  const before = Date.now();
  let t = before;
  while (t === before) t = Date.now();
  window.__samples.push({ t: t, s: window.__realState(document) });
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
        P.controller.seek(t - P.replayer.service.state.context.events[0].timestamp);
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
