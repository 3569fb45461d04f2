"""A page left open with constant updates: does the recorder's memory stay flat and its
upload rate steady? An hour simulated faster: bench/pages/unkeyed.html re-renders its
whole list (30 cards, every node removed and created again) `--fast` times as often
as normally (2/s), so `--minutes` of wall time stand for minutes x fast of updates.

Every minute, after a forced garbage collection (CDP HeapProfiler.collectGarbage):
the JS heap in use (Runtime.getHeapUsage) and the DOM nodes alive, detached ones
included (Memory.getDOMCounters): nodes the page removed but the recorder kept
would show as a growing count. Bytes uploaded per minute come from the ingest tap.
The same page with no recorder is the control, in the same run.

    .venv/bin/python bench/longlived.py [--minutes 10 --fast 6]
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import VIEWPORT, Hindsight, IngestTap, PageServer, launch, log, machine, write_json  # noqa: E402

KB = 1000


def sample(cdp) -> dict:
    cdp.send("HeapProfiler.collectGarbage")
    heap = cdp.send("Runtime.getHeapUsage")
    dom = cdp.send("Memory.getDOMCounters")
    return {"heap_mb": round(heap["usedSize"] / 1e6, 2), "nodes": dom["nodes"], "listeners": dom["jsEventListeners"]}


def run(browser, pages: PageServer, tap: IngestTap | None, variant: str, minutes: float, fast: int) -> list[dict]:
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("HeapProfiler.enable")
    t0 = time.monotonic()
    page.goto(f"{pages.origin}/unkeyed.html?v={variant}&fast={fast}")
    rows = []
    for m in range(1, int(minutes) + 1):
        page.wait_for_timeout(max(0, (t0 + 60 * m - time.monotonic()) * 1000))
        s = sample(cdp)
        if tap:
            s["kb"] = round(sum(len(r["body"]) for r in tap.since(t0 + 60 * (m - 1)) if r["t"] < t0 + 60 * m) / KB, 1)
        s["minute"] = m
        rows.append(s)
        log(f"  {variant} minute {m}: {s}")
    ctx.close()
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--fast", type=int, default=6)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    pages = PageServer()
    with Hindsight() as server, sync_playwright() as p:
        tap = IngestTap(server.port)
        site = server.create_site("Long-lived", pages.domain)
        pages.heads["hindsight"] = server.snippet(site, tap.base)
        browser = launch(p)
        out = {"kind": "longlived", "minutes": args.minutes, "fast": args.fast, "machine": machine(),
               "hindsight": run(browser, pages, tap, "hindsight", args.minutes, args.fast),
               "none": run(browser, pages, None, "none", args.minutes, args.fast)}
        browser.close()
        tap.close()
    pages.close()
    path = write_json("longlived-latest.json", out)
    print(f"\n{'minute':>6}{'updates (min)':>15}{'heap MB':>9}{'nodes':>7}{'KB up':>7}{'no recorder: heap MB':>22}{'nodes':>7}")
    for h, n in zip(out["hindsight"], out["none"]):
        print(f"{h['minute']:>6}{h['minute'] * args.fast:>15}{h['heap_mb']:>9.2f}{h['nodes']:>7}{h['kb']:>7.1f}{n['heap_mb']:>22.2f}{n['nodes']:>7}")
    log(f"results: {path}")


if __name__ == "__main__":
    main()
