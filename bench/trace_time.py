"""Where a recorder's main-thread script time goes, task by task, from a Chrome trace (issue 10, item 3).

bench/script_time.py says how much script time a recorder adds; a V8 CPU profile
(bench/profile.py) says which functions its samples fell in, but can credit one
recorder's copy of rrweb with less than the other's for the same work. This
traces the same scripted visit (devtools.timeline) and sums, on the page's main
thread, the CPU (a trace event's thread time) of:
  - each kind of top-level task: timers, event dispatches by type, script evaluation, ...
  - inside timer tasks (the page's own updates), the calls into each script: the
    page's, and the recorder's (its mutation observer callback runs there)
for the page alone, plain @rrweb/record and Hindsight, visits alternating.

    .venv/bin/python bench/trace_time.py [--page trading] [--seconds 20] [--rounds 2]

Run it alone. Results go to bench/results/trace_time-latest.json.
"""
import argparse
import collections
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from frame_cost import build_rrweb_plain, script_seconds  # noqa: E402
from harness import Hindsight, PageServer, launch, log, machine, write_results  # noqa: E402
from scenarios import SCENARIOS, scripted_visit  # noqa: E402
from script_time import measured_page  # noqa: E402

VARIANTS = ["none", "rrweb", "hindsight"]
CATEGORIES = ["devtools.timeline", "v8", "disabled-by-default-devtools.timeline"]
TASKS = {"FunctionCall", "EvaluateScript", "TimerFire", "FireAnimationFrame", "EventDispatch", "RunMicrotasks",
         "XHRReadyStateChange", "FireIdleCallback", "ParseHTML"}


def script_of(event: dict) -> str:
    data = (event.get("args") or {}).get("data") or {}
    url = data.get("url") or ""
    if "recorder.js" in url or "bench-rrweb" in url:
        return "recorder"
    return "page" if url else "(none)"


def task_cpu(trace: dict) -> dict:
    """ms of thread time on the renderer's main thread: by top-level task, and inside timer tasks by script."""
    events = trace["traceEvents"]
    mains = {(e["pid"], e["tid"]) for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
    tasks, in_timers = collections.Counter(), collections.Counter()
    for thread in mains:
        spans = sorted((e for e in events if (e.get("pid"), e.get("tid")) == thread and e.get("ph") == "X" and "dur" in e),
                       key=lambda e: (e["ts"], -e["dur"]))
        end, timer_end = -1, -1
        for e in spans:
            cpu = e.get("tdur", 0) / 1000
            if e["ts"] >= end and e["name"] in TASKS:
                end = e["ts"] + e["dur"]
                kind = e["name"]
                if kind == "EventDispatch":
                    kind += " " + ((e.get("args") or {}).get("data") or {}).get("type", "")
                elif kind in ("EvaluateScript", "FunctionCall"):
                    kind += " " + script_of(e)
                tasks[kind] += cpu
                if e["name"] == "TimerFire":
                    timer_end = end
            elif e["ts"] < timer_end and e["name"] == "FunctionCall":
                in_timers[script_of(e)] += cpu
    return {"tasks": dict(tasks), "in_timers": dict(in_timers)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--page", default="trading", help="a page of bench/scenarios.py")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    pages = PageServer()
    pages.files["/bench-rrweb.js"] = (build_rrweb_plain(), "application/javascript")
    pages.heads["rrweb"] = '<script async src="/bench-rrweb.js"></script>'
    runs = {v: [] for v in VARIANTS}
    with Hindsight() as server, sync_playwright() as p:
        pages.heads["hindsight"] = server.snippet(server.create_site("Trace time", pages.domain))
        browser = launch(p)
        for rnd in range(args.rounds):
            for variant in VARIANTS[rnd % len(VARIANTS):] + VARIANTS[:rnd % len(VARIANTS)]:
                ctx, page, cdp, before = measured_page(browser, pages)
                browser.start_tracing(page=page, categories=CATEGORIES)
                elapsed = scripted_visit(page, pages.url(SCENARIOS[args.page][0], variant), args.page, args.seconds, 31)
                script_ms = (script_seconds(cdp) - before) * 1000
                row = task_cpu(json.loads(browser.stop_tracing()))
                ctx.close()
                per_min = 60 / elapsed
                row = {"script_ms_per_min": script_ms * per_min,
                       "tasks": {k: v * per_min for k, v in row["tasks"].items()},
                       "in_timers": {k: v * per_min for k, v in row["in_timers"].items()}}
                runs[variant].append(row)
                log(f"{args.page} round {rnd + 1}/{args.rounds} {variant}: script {row['script_ms_per_min']:.0f} ms/min, "
                    f"in timers: recorder {row['in_timers'].get('recorder', 0):.0f}, page {row['in_timers'].get('page', 0):.0f}")

    def median(variant, pick):
        return statistics.median(pick(r) for r in runs[variant])

    print(f"\n{args.page}: ms of main-thread CPU per minute of visit, median of {args.rounds} visits")
    kinds = sorted({k for rows in runs.values() for r in rows for k in r["tasks"]},
                   key=lambda k: -median("hindsight", lambda r: r["tasks"].get(k, 0)))
    print(f"{'':<34}" + "".join(f"{v:>11}" for v in VARIANTS))
    print(f"{'ScriptDuration':<34}" + "".join(f"{median(v, lambda r: r['script_ms_per_min']):>11.0f}" for v in VARIANTS))
    for script in ("recorder", "page"):
        print(f"{'in timer tasks, calls into ' + script:<34}"
              + "".join(f"{median(v, lambda r: r['in_timers'].get(script, 0)):>11.1f}" for v in VARIANTS))
    for kind in kinds[:12]:
        print(f"{kind[:33]:<34}" + "".join(f"{median(v, lambda r: r['tasks'].get(kind, 0)):>11.1f}" for v in VARIANTS))
    path = write_results("trace_time", {"machine": machine(), "page": args.page, "seconds": args.seconds,
                                        "rounds": args.rounds, "runs": runs})
    log(f"results: {path}")


if __name__ == "__main__":
    main()
