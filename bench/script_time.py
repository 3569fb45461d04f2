"""Main-thread script time a recorder adds, on every bench page (issue 10, item 3).

For each page, the same scripted visit (bench/scenarios.py, the same seed) in
four variants, each in a fresh browser context, the order rotating from round
to round:
  none          the page alone
  rrweb         plain @rrweb/record with its defaults, events pushed to an array
  rrweb-upload  the same, plus what any deployment of it adds: every 10 s the
                new events as JSON, gzipped (CompressionStream) and POSTed
  hindsight     the real snippet, loader and ingest (a live server on embedded defaults)

The measure is CDP's ScriptDuration of the page's main thread (a Worker's time
is not in it) from before the page is opened to the end of the visit: the
first snapshot is counted, as a visitor pays for it. What a recorder adds is
its variant's time minus the page alone's, in the same round; the table gives
the median over rounds of each, and Hindsight's ratio to each control.
bench/frame_cost.py measures the SPA dashboard frame by frame as well.

    .venv/bin/python bench/script_time.py [--seconds 60] [--rounds 3] [--only article,checkout]
    .venv/bin/python bench/script_time.py --load-only 4 --rounds 8   # a page load and 4 s left alone
    .venv/bin/python bench/script_time.py --only trading --other-bundle /tmp/a.js --other-bundle /tmp/b.js
    .venv/bin/python bench/script_time.py --only trading --behind 30   # the page left behind another tab

--other-bundle (repeatable): another recorder build, served by a server of its own and measured as the
variant `hindsight-<its file name>` in the same rounds: an A/B of a recorder change, page by page.

Run it alone: two cores shared with anything else make the figures noise.
Results go to bench/results/script_time-latest.json (script_time-load-latest.json with --load-only).
"""
import argparse
import contextlib
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fidelity import PAGES  # noqa: E402
from frame_cost import RRWEB_UPLOAD_ENTRY, build_rrweb_plain, script_seconds  # noqa: E402
from harness import VIEWPORT, Hindsight, PageServer, launch, log, machine, write_results  # noqa: E402
from scenarios import SCENARIOS, scripted_visit  # noqa: E402

VARIANTS = ["none", "rrweb", "rrweb-upload", "hindsight"]


def measured_page(browser, pages: PageServer):
    """A fresh context with a page on the pages' origin (the visit then stays in this renderer) and
    CDP's metrics on: (context, page, CDP session, the main thread's script seconds so far)."""
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.goto(pages.url("/bye.html"))
    cdp = ctx.new_cdp_session(page)
    cdp.send("Performance.enable")
    return ctx, page, cdp, script_seconds(cdp)


def visit(browser, pages: PageServer, name: str, variant: str, seconds: float, seed: int,
          load_only: float = 0, behind: float = 0) -> float:
    """One scripted visit; the main thread's script ms per minute of it. With `load_only`, the page is
    opened and left alone that many seconds instead: the script ms of that load. With `behind`, the page
    is opened, and once another page of the site (the checkout, with the same recorder) has opened in a
    second tab, its script ms per minute over `behind` seconds."""
    ctx, page, cdp, before = measured_page(browser, pages)
    url = pages.url(SCENARIOS[name][0], variant)
    if behind:
        page.goto(url)
        page.wait_for_timeout(3000)
        ctx.new_page().goto(pages.url(SCENARIOS["checkout"][0], variant))
        page.wait_for_timeout(1000)
        before = script_seconds(cdp)
        page.wait_for_timeout(behind * 1000)
        ms = (script_seconds(cdp) - before) * 1000
        ctx.close()
        return ms / behind * 60
    if load_only:
        page.goto(url)
        page.wait_for_timeout(load_only * 1000)
    else:
        elapsed = scripted_visit(page, url, name, seconds, seed)
    ms = (script_seconds(cdp) - before) * 1000
    ctx.close()
    return ms if load_only else ms / elapsed * 60


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60, help="length of each visit (default 60)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per page; the variant order rotates (default 3)")
    ap.add_argument("--only", default=",".join(PAGES))
    ap.add_argument("--load-only", type=float, default=0, metavar="SECONDS",
                    help="open each page and leave it alone this long, no visit: script ms per page load")
    ap.add_argument("--other-bundle", type=Path, action="append", default=[],
                    help="another recorder build, measured as the variant hindsight-<file name> (repeatable)")
    ap.add_argument("--behind", type=float, default=0, metavar="SECONDS",
                    help="open each page, then another page of the site in a second tab: the first page's script "
                         "ms per minute over this long, behind")
    args = ap.parse_args(argv)
    others = {f"hindsight-{path.stem}": path.resolve() for path in args.other_bundle}
    variants = VARIANTS + list(others)
    unit = "ms per load" if args.load_only else "ms/min"
    from playwright.sync_api import sync_playwright

    names = [n for n in args.only.split(",") if n]
    pages = PageServer()
    pages.files["/bench-rrweb.js"] = (build_rrweb_plain(), "application/javascript")
    pages.heads["rrweb"] = '<script async src="/bench-rrweb.js"></script>'
    pages.files["/bench-rrweb-upload.js"] = (build_rrweb_plain(entry=RRWEB_UPLOAD_ENTRY), "application/javascript")
    pages.heads["rrweb-upload"] = '<script async src="/bench-rrweb-upload.js"></script>'
    rows = []
    with Hindsight() as server, contextlib.ExitStack() as stack, sync_playwright() as p:
        site = server.create_site("Script time", pages.domain)
        pages.heads["hindsight"] = server.snippet(site)
        for variant, path in others.items():
            other = stack.enter_context(Hindsight(env={"RECORDER_BUNDLE": str(path)}))
            pages.heads[variant] = other.snippet(other.create_site(f"Script time, {path.name}", pages.domain))
        browser = launch(p)
        for i, name in enumerate(names):
            runs = {v: [] for v in variants}
            for rnd in range(args.rounds):
                order = variants[rnd % len(variants):] + variants[:rnd % len(variants)]
                for v in order:
                    runs[v].append(visit(browser, pages, name, v, args.seconds, seed=31 + i, load_only=args.load_only,
                                         behind=args.behind))
                    log(f"{name} round {rnd + 1}/{args.rounds} {v}: {runs[v][-1]:.0f} {unit}")
            # What each recorder adds, round by round (the page alone of the same round subtracted).
            added = {v: [runs[v][r] - runs["none"][r] for r in range(args.rounds)] for v in variants if v != "none"}
            row = {"page": name, "ms_per_min": runs, "added": added,
                   "added_median": {v: statistics.median(a) for v, a in added.items()}}
            rows.append(row)
        browser.close()
    pages.close()
    print(f"\n{'page':<10}{'page alone':>12}{'rrweb':>9}{'+upload':>9}{'Hindsight':>11}{'/ rrweb':>9}{'/ +upload':>11}"
          f"   (added script {'ms per page load' if args.load_only else 'ms per minute'}, median of rounds)")
    for row in rows:
        a = row["added_median"]
        ratio = lambda control: f"{a['hindsight'] / a[control]:.2f}x" if a[control] > 0 else "n/a"  # noqa: E731
        print(f"{row['page']:<10}{statistics.median(row['ms_per_min']['none']):>12.0f}{a['rrweb']:>+9.0f}{a['rrweb-upload']:>+9.0f}"
              f"{a['hindsight']:>+11.0f}{ratio('rrweb'):>9}{ratio('rrweb-upload'):>11}")
        for variant in others:
            against = f", {a[variant] / a['rrweb']:.2f}x plain rrweb" if a["rrweb"] > 0 else ""
            print(f"  {variant}: {a[variant]:+.0f}{against}")
    out = {"kind": "script_time", "seconds": args.seconds, "load_only": args.load_only, "behind": args.behind,
           "rounds": args.rounds,
           "other_bundles": {v: str(path) for v, path in others.items()},
           "machine": machine(), "pages": rows}
    path = write_results("script_time-load" if args.load_only else "script_time-behind" if args.behind else "script_time",
                         out)
    log(f"results: {path}")
    return out


if __name__ == "__main__":
    main()
