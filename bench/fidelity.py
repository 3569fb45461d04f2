"""Does the replay show what the visitor saw? Scripted visits in Chromium, the live
page sampled every second, the stored recording replayed at each sample's moment.

For each bench page, two visits with the same script and seed:
  hindsight  the real snippet, loader and ingest (a live server on embedded defaults);
             the recording is replayed in the dashboard's own player page, which
             fetches it through the events API (static/build/player.js)
  rrweb      plain @rrweb/record with its defaults (the control); its events are
             replayed by the same Replayer class the player uses

During a visit a sampler in the page records, once a second, the page's visible
state: the body's structure (tags, ids, classes, inline styles, hidden, element
scroll offsets, input values' lengths: the replay masks inputs with one * per
character), its text, and the document's scroll position. After the visit the
recording is replayed at each sample's moment in three ways:
  player   the player's controller seeking forward sample after sample (a viewer
           scrubbing; for rrweb, one Replayer paused at later and later offsets
           with our player's seek fix applied the same way)
  forward  one Replayer paused at later and later offsets, rrweb as it comes
  fresh    a new Replayer per sample
In each way, and for both recordings, the player's own marks go on the frame
before it is read: which element has focus, which popovers are open (rrweb
shows neither; static/player-js/src/focus.js, popover.js).
A sample counts as identical when structure, text (focus and popovers
included) and scroll all match.

    .venv/bin/python bench/fidelity.py [--seconds 60] [--only article,spa]

Results go to bench/results/fidelity-latest.json; a table is printed (BENCHMARKS.md).
"""
import argparse
import itertools
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from frame_cost import build_rrweb_plain  # noqa: E402
from harness import (  # noqa: E402
    VIEWPORT, Hindsight, PageServer, dashboard_login, launch, log, machine, write_results,
)
from scenarios import SCENARIOS, scripted_visit  # noqa: E402

PAGES = ["article", "checkout", "spa", "trading", "unkeyed", "widgets", "apidocs", "redoc", "dash"]
PASSWORD = "bench-password-123"

# The page's visible state, the same function on the live page and in the replay's frame.
STATE_JS = (Path(__file__).resolve().parent / "pagestate.js").read_text()
SAMPLER_JS = STATE_JS + r"""
window.__samples = [];
setInterval(function () {
  // At the start of a millisecond: a change stamped in the sample's own millisecond could have come
  // before or after it, while rrweb paused at t shows the changes stamped before t, as the player's seek to
  // t - 1 does (tests/e2e/test_fidelity.py).
  var before = Date.now(), t = before;
  while (t === before) t = Date.now();
  try { window.__samples.push({ t: t, s: window.__hsState(document) }); } catch (e) {}
}, 1000);
"""
RRWEB_ENTRY = """import { record } from '@rrweb/record';
window.__rrEvents = [];
record({ emit: function (e) { window.__rrEvents.push(e); } });
"""

# Replays `events` at each offset; returns each way's states. In the player page.
REPLAY_JS = r"""
async ({ events, offsets, usePlayer }) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const P = window.__hsPlayer;
  const R = P.replayer.constructor;
  const opts = (root) => ({ root, showWarning: false, triggerFocus: false, skipInactive: false, UNSAFE_replayCanvas: false, mouseTail: false });
  const box = () => {
    const d = document.createElement('div');
    d.style.cssText = 'position:absolute;left:-20000px;top:0;width:1280px;height:800px;overflow:hidden';
    document.body.appendChild(d);
    return d;
  };
  // rrweb's Replayer changes the events it applies: each replayer gets its own copy.
  const copy = () => JSON.parse(json);
  const json = JSON.stringify(events);
  // What the player adds to any replayer's frame (src/focus.js, src/popover.js: rrweb shows neither focus nor
  // popovers), then the state. `t` is the offset from the first event.
  const read = (r, t) => {
    P.showFocusAt(r, events[0].timestamp + t);
    P.popoversSync(r.iframe.contentDocument);
    return window.__hsState(r.iframe.contentDocument);
  };
  const out = { player: [], forward: [], fresh: [] };
  // The player: its controller's seek, forward sample after sample.
  if (usePlayer) {
    const start = P.replayer.service.state.context.events[0].timestamp;
    for (const t of offsets) {
      P.controller.seek(t - 1 + events[0].timestamp - start);
      await sleep(20);
      out.player.push(read(P.replayer, t));
    }
  } else {
    // The control's events in a replayer driven by the player's own controller.
    const root = box();
    const r = new R(copy(), opts(root));
    const was = P.controller.swap(r);
    await sleep(100);
    for (const t of offsets) {
      P.controller.seek(t - 1);
      await sleep(20);
      out.player.push(read(r, t));
    }
    P.controller.swap(was);
    r.destroy(); root.remove();
  }
  // rrweb as it comes: one replayer, later and later offsets.
  {
    const root = box();
    const r = new R(copy(), opts(root));
    await sleep(100);
    for (const t of offsets) {
      r.pause(t);
      await sleep(20);
      out.forward.push(read(r, t));
    }
    r.destroy(); root.remove();
  }
  // A fresh replayer per sample.
  for (const t of offsets) {
    const root = box();
    const r = new R(copy(), opts(root));
    r.pause(t); // before the constructor's own timers build the first snapshot: the seek builds the page
    await sleep(60);
    out.fresh.push(read(r, t));
    r.destroy(); root.remove();
  }
  return out;
}
"""


def visit(browser, pages: PageServer, name: str, variant: str, seconds: float, seed: int) -> dict:
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(SAMPLER_JS)
    page = ctx.new_page()
    page.on("pageerror", lambda e: log(f"  {name}/{variant}: page error: {e}"))
    scripted_visit(page, pages.url(SCENARIOS[name][0], variant), name, seconds, seed)
    samples = page.evaluate("window.__samples")
    events = page.evaluate("window.__rrEvents || null")
    page.goto(pages.url("/bye.html"))  # pagehide: the recorder sends what is left
    page.wait_for_timeout(2500)
    ctx.close()
    return {"samples": samples, "events": events}


def session_of(server: Hindsight, site: int) -> str:
    code = ("from recorder.models import Session; "
            f"print(Session.objects.filter(site_id={site}).order_by('-created_at').values_list('pk', flat=True)[0])")
    return server.manage("shell", "-c", code).strip().splitlines()[-1]


def open_player(page, server: Hindsight, site: int, sid: str, last_t: int):
    page.goto(f"{server.base}/sites/{site}/sessions/{sid}/")
    until(page, "window.__hsPlayer && window.__hsPlayer.state.status === 'ready'")
    # The player streams what follows the first part: wait until it reaches the last sample.
    try:
        until(page, f"(() => {{ const e = window.__hsPlayer.replayer.service.state.context.events; return e[e.length - 1].timestamp >= {last_t}; }})()")
    except RuntimeError:
        log("the player stopped short of the last sample (events, first and last timestamp; last sample):", page.evaluate("(() => { const e = window.__hsPlayer.replayer.service.state.context.events; return [e.length, e[0].timestamp, e[e.length-1].timestamp]; })()"), last_t)
        log("what the server holds:", server.chunks([sid]))
        raise
    page.evaluate(STATE_JS + "\nvoid 0;")  # (a script whose value is a function would be called)


def until(page, expression: str, timeout: float = 60):
    """page.wait_for_function polls with eval(), which the dashboard's CSP forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {expression}")
        page.wait_for_timeout(200)


def without_values(dom: str) -> str:
    return re.sub(r" value#\d+", "", dom)


def compare(samples: list[dict], states: list[dict]) -> dict:
    same = [s["s"]["dom"] == r["dom"] and s["s"]["scroll"] == r["scroll"] for s, r in zip(samples, states)]
    # A masked <input type=number> cannot hold the * placeholders: the replay shows it empty.
    same_but_values = [without_values(s["s"]["dom"]) == without_values(r["dom"]) and s["s"]["scroll"] == r["scroll"]
                       for s, r in zip(samples, states)]
    misses = []
    for i, ok in enumerate(same):
        if not ok:
            live, rep = samples[i]["s"], states[i]
            a, b = live["dom"].split("\n"), rep["dom"].split("\n")
            diff = [(x, y) for x, y in zip(a, b) if x != y][:3]
            if not diff and len(a) != len(b):  # one is the other and more: show what the longer one adds
                diff = [(x, y) for x, y in itertools.zip_longest(a[min(len(a), len(b)):], b[min(len(a), len(b)):])][:3]
            misses.append({"sample": i, "scroll": [live["scroll"], rep["scroll"]], "lines": [len(a), len(b)], "first_differences": diff})
    return {"identical": sum(same), "samples": len(same), "share": round(sum(same) / max(1, len(same)), 4),
            "first_miss": misses[0] if misses else None, "misses": misses,
            "share_ignoring_input_values": round(sum(same_but_values) / max(1, len(same)), 4)}


def replay(page, events: list[dict], samples: list[dict], use_player: bool) -> dict:
    start = events[0]["timestamp"]
    offsets = [s["t"] - start for s in samples if s["t"] > start]
    samples = [s for s in samples if s["t"] > start]
    states = page.evaluate(REPLAY_JS, {"events": events, "offsets": offsets, "usePlayer": use_player})
    return {way: compare(samples, states[way]) for way in ("player", "forward", "fresh")}


def stored_events(page, server: Hindsight, sid: str) -> list[dict]:
    """The session's events as the events API serves them (the player's own source)."""
    return page.evaluate("window.__hsPlayer.replayer.service.state.context.events.map((e) => { const c = { ...e }; delete c.delay; return c; })")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--only", default=",".join(PAGES))
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    names = [n for n in args.only.split(",") if n]
    pages = PageServer()
    pages.heads["rrweb"] = "<script>" + build_rrweb_plain(minify=True).decode() + "</script>"
    results = []
    with Hindsight() as server, sync_playwright() as p:
        browser = launch(p)
        viewer = browser.new_context(viewport={"width": 1600, "height": 1000})
        player = viewer.new_page()
        dashboard_login(player, server.base, "bench", PASSWORD)
        for i, name in enumerate(names):
            site = server.create_site(f"Fidelity {name}", pages.domain)
            pages.heads["hindsight"] = server.snippet(site)
            row = {"page": name}
            for variant in ("hindsight", "rrweb"):
                log(f"visit {name} ({variant}): {args.seconds:.0f} s")
                v = visit(browser, pages, name, variant, args.seconds, seed=31 + i)
                if variant == "hindsight":
                    sid = session_of(server, site)
                    open_player(player, server, site, sid, v["samples"][-1]["t"])
                    events = stored_events(player, server, sid)
                    row[variant] = replay(player, events, v["samples"], use_player=True)
                else:
                    events = v["events"]
                    row[variant] = replay(player, events, v["samples"], use_player=False)
                row[variant]["events"] = len(events)
                log("  " + ", ".join(f"{w} {r['share']:.1%} ({r['share_ignoring_input_values']:.1%} ignoring input values)"
                                     for w, r in row[variant].items() if isinstance(r, dict)))
            results.append(row)
        browser.close()
    pages.close()
    out = {"kind": "fidelity", "seconds": args.seconds, "machine": machine(), "pages": results}
    path = write_results("fidelity", out)
    print(f"\n{'page':<10}{'':>3}{'Hindsight player':>18}{'forward':>9}{'fresh':>8}{'':>4}{'rrweb player':>14}{'forward':>9}{'fresh':>8}")
    for r in results:
        h, c = r["hindsight"], r["rrweb"]
        print(f"{r['page']:<10}{'':>3}{h['player']['share']:>18.1%}{h['forward']['share']:>9.1%}{h['fresh']['share']:>8.1%}{'':>4}"
              f"{c['player']['share']:>14.1%}{c['forward']['share']:>9.1%}{c['fresh']['share']:>8.1%}")
    log(f"results: {path}")
    return out


if __name__ == "__main__":
    main()
