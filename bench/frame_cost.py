"""Main-thread cost of recording on the SPA page (bench/pages/spa.html), per frame.

Variants, each in a fresh browser context, same scripted interaction (the SPA
visitor of bench/scenarios.py planned in advance from a fixed seed, each action
started at its planned time, so every variant shows the same view at the same
moment), one browser, one run:
  none       the page alone
  rrweb      plain @rrweb/record with its defaults, events pushed to an array
  rrweb-upload  the same, plus what any deployment of it adds: every 10 s the new events
             as JSON, gzipped (CompressionStream) and POSTed (the byte benchmark's control)
  hindsight  the real snippet, loader and ingest (a live server on embedded defaults)

Method: Chromium's own trace (CDP Tracing; categories `toplevel` and
`devtools.timeline`). A requestAnimationFrame loop injected into every variant
makes the renderer produce a frame every vsync (60 Hz), so the trace has one
`FireAnimationFrame` per frame. A frame is the interval from one rAF callback
to the next; its main-thread time is the union of the renderer main thread's
top-level tasks (`ThreadControllerImpl::RunTask`) that fall inside it, clipped
to it. That counts everything the main thread does for the page and for the
recorder: timers, input handlers, MutationObserver callbacks, style, layout,
paint, GC in tasks, fetch and compression bookkeeping. Rounds rotate the
variant order; percentiles are over every frame of every round.

    .venv/bin/python bench/frame_cost.py [--seconds 60] [--rounds 3]
"""
import argparse
import bisect
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import RECORDER_JS, VIEWPORT, Hindsight, Human, PageServer, launch, log, machine, write_results  # noqa: E402
from scenarios import spa_scheduled  # noqa: E402

VARIANTS = ["none", "rrweb", "rrweb-upload", "hindsight"]
CATEGORIES = ["toplevel", "devtools.timeline"]
RAF_LOOP = "requestAnimationFrame(function __benchFrame() { requestAnimationFrame(__benchFrame); });"
RRWEB_ENTRY = """import { record } from '@rrweb/record';
window.__rrEvents = [];
window.__rrStop = record({ emit: function (e) { window.__rrEvents.push(e); } });
"""
# An uploader as one would write it on rrweb: batches of 10 s, JSON, gzip, POST, the answer read.
RRWEB_UPLOAD_ENTRY = """import { record } from '@rrweb/record';
var pending = [];
window.__rrCount = 0;
window.__rrStop = record({ emit: function (e) { pending.push(e); window.__rrCount++; } });
setInterval(function () {
  if (!pending.length) return;
  var body = JSON.stringify({ events: pending });
  pending = [];
  new Response(new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer()
    .then(function (gz) { return fetch('/bench-upload', { method: 'POST', body: gz }); })
    .then(function (r) { return r.arrayBuffer(); })
    .catch(function () {});
}, 10000);
"""
BUDGET_MS = 1.0


def build_rrweb_plain(minify: bool = False, entry: str = RRWEB_ENTRY) -> bytes:
    """@rrweb/record with its defaults, bundled by the recorder's own esbuild."""
    out = Path(tempfile.mkdtemp(prefix="bench-rrweb-")) / "rrweb-plain.js"
    cmd = [str(RECORDER_JS / "node_modules" / ".bin" / "esbuild"), "--bundle", "--format=iife",
           f"--outfile={out}", "--log-level=warning", "--target=es2019"] + (["--minify"] if minify else [])
    subprocess.run(cmd, input=entry.encode(), cwd=RECORDER_JS, check=True)
    return out.read_bytes()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def frames_from_trace(raw: bytes) -> dict:
    """Per-frame main-thread busy time (ms) of the renderer running the SPA."""
    data = json.loads(raw)
    events = data["traceEvents"] if isinstance(data, dict) else data
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"}
    # The page's renderer main thread: the one whose page logs the SPA's ticks.
    ticks_by_thread = {}
    for e in events:
        if e.get("name") == "TimeStamp" and (e.get("args", {}).get("data", {}).get("message") == "spa-tick"):
            key = (e["pid"], e["tid"])
            ticks_by_thread[key] = ticks_by_thread.get(key, 0) + 1
    if not ticks_by_thread:
        raise RuntimeError("no spa-tick in the trace: is the page running?")
    main = max(ticks_by_thread, key=ticks_by_thread.get)
    assert names.get(main) == "CrRendererMain", names.get(main)
    mine = [e for e in events if (e.get("pid"), e.get("tid")) == main]
    tasks = sorted((e["ts"], e["ts"] + e.get("dur", 0)) for e in mine
                   if e.get("name") == "ThreadControllerImpl::RunTask" and e.get("ph") == "X")
    # Union (nested run loops would otherwise count twice).
    busy = []
    for s, t in tasks:
        if busy and s <= busy[-1][1]:
            busy[-1][1] = max(busy[-1][1], t)
        else:
            busy.append([s, t])
    starts = [b[0] for b in busy]

    def busy_between(a: float, b: float) -> float:
        """Busy microseconds in [a, b): each task clipped to the interval."""
        total = 0.0
        k = max(0, bisect.bisect_right(starts, a) - 1)
        while k < len(busy) and busy[k][0] < b:
            s, t = busy[k]
            total += max(0.0, min(t, b) - max(s, a))
            k += 1
        return total

    raf = sorted(e["ts"] for e in mine if e.get("name") == "FireAnimationFrame" and e.get("ph") == "X")
    frames = [busy_between(a, b) / 1000 for a, b in zip(raf, raf[1:])]
    intervals = [(b - a) / 1000 for a, b in zip(raf, raf[1:])]
    # The tasks that ran the SPA's render tick (including microtasks: MutationObserver callbacks).
    tick_ts = sorted(e["ts"] for e in mine if e.get("name") == "TimeStamp" and e.get("args", {}).get("data", {}).get("message") == "spa-tick")
    # Frames in which a render tick ran (4 a second), and the others.
    tick_frame = [False] * len(frames)
    for ts in tick_ts:
        i = bisect.bisect_right(raf, ts) - 1
        if 0 <= i < len(frames):
            tick_frame[i] = True
    tick_tasks = []
    for ts in tick_ts:
        i = bisect.bisect_right(starts, ts) - 1
        if i >= 0 and busy[i][1] >= ts:
            tick_tasks.append((busy[i][1] - busy[i][0]) / 1000)
    span = (raf[-1] - raf[0]) / 1e6 if len(raf) > 1 else 0
    busy_total = busy_between(raf[0], raf[-1]) / 1000 if len(raf) > 1 else 0
    return {"frames": frames, "intervals": intervals, "tick_tasks": tick_tasks, "span_s": span, "busy_ms": busy_total,
            "tick_frames": [f for f, t in zip(frames, tick_frame) if t], "other_frames": [f for f, t in zip(frames, tick_frame) if not t]}


def measure(browser, pages: PageServer, variant: str, seconds: float, seed: int) -> dict:
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.add_init_script(RAF_LOOP)
    uploads = []
    page.on("request", lambda r: uploads.append(len(r.post_data_buffer or b""))
            if r.method == "POST" and ("/api/v1/ingest" in r.url or "/bench-upload" in r.url) else None)
    page.goto(pages.url("/spa/dashboard", variant))
    if variant.startswith("hindsight"):
        page.wait_for_function("window.__hindsight !== undefined", timeout=30000)
    elif variant == "rrweb":
        page.wait_for_function("window.__rrEvents && window.__rrEvents.length > 1", timeout=30000)
    elif variant == "rrweb-upload":
        page.wait_for_function("window.__rrCount > 1", timeout=30000)
    page.wait_for_timeout(3000)  # past the load and the first full snapshot
    n0 = page.evaluate("window.__tickMs.length")
    up0 = len(uploads)
    cdp = ctx.new_cdp_session(page)
    cdp.send("Performance.enable")
    script0 = script_seconds(cdp)
    browser.start_tracing(page=page, categories=CATEGORIES)
    t = time.monotonic()
    spa_scheduled(Human(page, seed=seed), seconds, seed)
    raw = browser.stop_tracing()
    elapsed = time.monotonic() - t
    # The page's main-thread script time (CDP ScriptDuration; a Worker's time is not in it), per minute.
    script_ms_min = (script_seconds(cdp) - script0) * 1000 / elapsed * 60
    tick_ms = page.evaluate(f"window.__tickMs.slice({n0})")
    extra = {}
    if variant == "rrweb":
        extra["rrweb_events"] = page.evaluate("window.__rrEvents.length")
    ctx.close()
    r = frames_from_trace(raw)
    r.update(variant=variant, seconds=round(elapsed, 1), script_ms_per_min=round(script_ms_min, 1), trace_bytes=len(raw), page_tick_ms=tick_ms,
             uploads=len(uploads) - up0, upload_bytes=sum(uploads[up0:]), **extra)
    return r


def script_seconds(cdp) -> float:
    return next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "ScriptDuration")


def summary(frames: list[float]) -> dict:
    return {"n": len(frames), "p50": pct(frames, 50), "p95": pct(frames, 95), "p99": pct(frames, 99),
            "mean": sum(frames) / max(1, len(frames)), "max": max(frames) if frames else float("nan")}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60, help="measured seconds per variant per round (default 60)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds; the variant order rotates each round (default 3)")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--other-bundle", type=Path, help="a second recorder build (e.g. the previous commit's static/build/"
                    "recorder.js), measured as the variant hindsight-other in the same rounds: an A/B of a recorder change")
    ap.add_argument("--seed", type=int, default=27, help="the visitor's plan (27: dashboard, orders, settings, 6 route changes a minute)")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    variants = list(dict.fromkeys([v for v in args.variants.split(",") if v] + (["hindsight-other"] if args.other_bundle else [])))
    pages = PageServer()
    pages.files["/bench-rrweb.js"] = (build_rrweb_plain(), "application/javascript")
    pages.heads["rrweb"] = '<script async src="/bench-rrweb.js"></script>'
    pages.files["/bench-rrweb-upload.js"] = (build_rrweb_plain(entry=RRWEB_UPLOAD_ENTRY), "application/javascript")
    pages.heads["rrweb-upload"] = '<script async src="/bench-rrweb-upload.js"></script>'
    runs = []
    with Hindsight() as server, contextlib.ExitStack() as stack:
        site = server.create_site("Frame cost", pages.domain)
        pages.heads["hindsight"] = server.snippet(site)
        if args.other_bundle:
            other = stack.enter_context(Hindsight(env={"RECORDER_BUNDLE": str(args.other_bundle.resolve())}))
            pages.heads["hindsight-other"] = other.snippet(other.create_site("Frame cost, other build", pages.domain))
        with sync_playwright() as p:
            browser = launch(p)
            version = browser.version
            log("warm-up (not measured)")
            ctx = browser.new_context(viewport=VIEWPORT)
            wp = ctx.new_page()
            for v in variants:
                wp.goto(pages.url("/spa/dashboard", v))
                wp.wait_for_timeout(3000)
            ctx.close()
            for rnd in range(args.rounds):
                order = variants[rnd % len(variants):] + variants[:rnd % len(variants)]
                for v in order:
                    log(f"round {rnd + 1}/{args.rounds}: {v}, {args.seconds:.0f} s")
                    r = measure(browser, pages, v, args.seconds, seed=args.seed)
                    r["round"] = rnd + 1
                    s = summary(r["frames"])
                    log(f"  {s['n']} frames, p50 {s['p50']:.2f} p95 {s['p95']:.2f} p99 {s['p99']:.2f} ms; "
                        f"busy {100 * r['busy_ms'] / 1000 / max(r['span_s'], 1e-9):.1f}%; uploads {r['uploads']}")
                    runs.append(r)
            browser.close()
    pages.close()

    table = {}
    for v in variants:
        mine = [r for r in runs if r["variant"] == v]
        frames = [f for r in mine for f in r["frames"]]
        ticks = [f for r in mine for f in r["tick_tasks"]]
        page_ticks = [f for r in mine for f in r["page_tick_ms"]]
        table[v] = {
            **summary(frames),
            "per_round_p95": [pct(r["frames"], 95) for r in mine],
            "busy_pct": 100 * sum(r["busy_ms"] for r in mine) / 1000 / max(1e-9, sum(r["span_s"] for r in mine)),
            "fps": sum(len(r["frames"]) for r in mine) / max(1e-9, sum(r["span_s"] for r in mine)),
            "tick_task": summary(ticks),
            "tick_frames": summary([f for r in mine for f in r["tick_frames"]]),
            "other_frames": summary([f for r in mine for f in r["other_frames"]]),
            "page_tick": summary(page_ticks),
            "uploads": sum(r["uploads"] for r in mine),
            "upload_bytes": sum(r["upload_bytes"] for r in mine),
            "script_ms_per_min": sum(r["script_ms_per_min"] for r in mine) / max(1, len(mine)),
        }
    base = table.get("none")
    print()
    print(f"{'variant':<11}{'frames':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'busy %':>8}"
          f"{'fps':>6}{'tick p50':>10}{'tick p95':>10}  p95 per round")
    for v, s in table.items():
        print(f"{v:<11}{s['n']:>8}{s['p50']:>9.2f}{s['p95']:>9.2f}{s['p99']:>9.2f}{s['mean']:>9.2f}{s['busy_pct']:>8.1f}"
              f"{s['fps']:>6.1f}{s['tick_task']['p50']:>10.2f}{s['tick_task']['p95']:>10.2f}  "
              + " ".join(f"{x:.2f}" for x in s["per_round_p95"]))
    print()
    print(f"{'variant':<11}{'tick frames':>12}{'p50':>7}{'p95':>7}{'p99':>7}{'other frames':>14}{'p50':>7}{'p95':>7}{'p99':>7}{'page tick p50':>15}")
    for v, s in table.items():
        a, b = s["tick_frames"], s["other_frames"]
        print(f"{v:<11}{a['n']:>12}{a['p50']:>7.2f}{a['p95']:>7.2f}{a['p99']:>7.2f}{b['n']:>14}{b['p50']:>7.2f}{b['p95']:>7.2f}{b['p99']:>7.2f}"
              f"{s['page_tick']['p50']:>15.2f}")
    deltas = {}
    if base:
        for v in variants:
            if v != "none":
                deltas[v] = {k: table[v][k] - base[k] for k in ("p50", "p95", "p99", "mean")}
                d = deltas[v]
                verdict = "" if v != "hindsight" else ("  within budget" if d["p95"] <= BUDGET_MS else f"  OVER the {BUDGET_MS} ms budget")
                print(f"{v} minus none: p50 {d['p50']:+.2f} ms, p95 {d['p95']:+.2f} ms, p99 {d['p99']:+.2f} ms, mean {d['mean']:+.2f} ms{verdict}")
    if base:
        print("\nmain-thread script time (CDP ScriptDuration), ms per minute, minus the page alone:")
        for v in variants:
            if v != "none":
                print(f"  {v}: {table[v]['script_ms_per_min'] - base['script_ms_per_min']:+.0f} ms/min"
                      f" (per round {[round(r['script_ms_per_min']) for r in runs if r['variant'] == v]},"
                      f" page alone {[round(r['script_ms_per_min']) for r in runs if r['variant'] == 'none']})")
        added = {v: table[v]["script_ms_per_min"] - base["script_ms_per_min"] for v in variants if v != "none"}
        for name in ("hindsight", "hindsight-other"):
            for control in ("rrweb", "rrweb-upload", "hindsight-other"):
                if control != name and name in added and added.get(control, 0) > 0:
                    print(f"  {name} / {control}: {added[name] / added[control]:.2f}x")
    out = {"kind": "frame_cost", "seconds": args.seconds, "rounds": args.rounds, "seed": args.seed, "machine": machine(),
           "browser_version": version, "categories": CATEGORIES, "table": table, "deltas": deltas, "budget_ms": BUDGET_MS,
           "runs": [{k: v for k, v in r.items() if k not in ("frames", "intervals", "tick_tasks", "page_tick_ms", "tick_frames", "other_frames")} |
                    {"p95": pct(r["frames"], 95), "frames": [round(f, 3) for f in r["frames"]]} for r in runs]}
    path = write_results("frame_cost", out)
    log(f"results: {path}")
    return out


if __name__ == "__main__":
    main()
