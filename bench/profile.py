"""Where the recorder's main-thread time goes on the SPA page: a V8 CPU profile
(CDP Profiler, 100 us sampling) of the same scripted SPA visit with plain
@rrweb/record and with Hindsight, both bundled unminified so that samples map
to functions and source modules (esbuild's `// node_modules/...`, `// src/...`
markers). Hindsight is served by the real server with RECORDER_BUNDLE pointing
at an unminified build of static/recorder-js made with its own build options.

    .venv/bin/python bench/profile.py [--seconds 30] [--page checkout]

With --page, another bench page's scripted visit (bench/scenarios.py), profiled
from before the page opens: its load and first snapshot are counted.
"""
import argparse
import bisect
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from frame_cost import RAF_LOOP, build_rrweb_plain  # noqa: E402
from harness import RECORDER_JS, VIEWPORT, Hindsight, Human, PageServer, launch, log, write_json  # noqa: E402
from scenarios import SCENARIOS, scripted_visit, spa_scheduled  # noqa: E402

MARKER = re.compile(r"^\s*// ((?:node_modules|src)/\S+)$")


def build_recorder_unminified() -> Path:
    out = Path(tempfile.mkdtemp(prefix="bench-rec-")) / "recorder.js"
    code = ("import { build } from 'esbuild'; const m = await import('./build.mjs'); "
            f"await build({{ ...m.options, minify: false, outfile: {str(out)!r} }})")
    subprocess.run(["node", "--input-type=module", "-e", code], cwd=RECORDER_JS, check=True)
    return out


def module_map(source: str):
    lines, names = [], []
    for i, line in enumerate(source.splitlines()):
        m = MARKER.match(line)
        if m:
            lines.append(i)
            names.append(m.group(1))
    return lambda ln: names[bisect.bisect_right(lines, ln) - 1] if lines and ln >= lines[0] else "(bundle)"


def profile(browser, pages, variant, seconds, modules, name: str = "spa") -> dict:
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.add_init_script(RAF_LOOP)
    if name == "spa":  # the dashboard past its load and first snapshot
        page.goto(pages.url("/spa/dashboard", variant))
        page.wait_for_timeout(4000)
    else:  # the whole visit, the load and first snapshot included (as bench/script_time.py measures)
        page.goto(pages.url("/bye.html"))
    cdp = ctx.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 100})
    cdp.send("Profiler.start")
    if name == "spa":
        spa_scheduled(Human(page, seed=27), seconds, 27)
    else:
        seconds = scripted_visit(page, pages.url(SCENARIOS[name][0], variant), name, seconds, seed=31)
    prof = cdp.send("Profiler.stop")["profile"]
    ctx.close()
    nodes = {n["id"]: n for n in prof["nodes"]}
    parent = {c: n["id"] for n in prof["nodes"] for c in n.get("children", [])}
    self_us = defaultdict(float)
    for sid, dt in zip(prof["samples"], prof["timeDeltas"]):
        self_us[sid] += dt

    def module_of(cf):
        url = cf.get("url", "")
        if "recorder.js" in url or "bench-rrweb.js" in url:
            return modules[variant](cf.get("lineNumber", 0))
        return "page (" + url.rsplit("/", 1)[-1].split("?")[0] + ")"

    by_fn, by_mod, by_owner, by_owner_fn = defaultdict(float), defaultdict(float), defaultdict(float), defaultdict(float)
    for nid, us in self_us.items():
        cf = nodes[nid]["callFrame"]
        url, fn = cf.get("url", ""), cf.get("functionName") or "(anonymous)"
        mod = module_of(cf) if url else fn  # (program), (garbage collector), (idle), native
        by_mod[mod] += us
        by_fn[(mod, fn)] += us
        # Native functions (closest, Blob, fetch, ...) belong to the JS that called them.
        n, owner = nid, None
        while n is not None:
            c = nodes[n]["callFrame"]
            if c.get("url"):
                owner = module_of(c)
                by_owner_fn[(owner, c.get("functionName") or "(anonymous)")] += us
                break
            n = parent.get(n)
        by_owner[owner or fn] += us
    total = sum(self_us.values())
    return {"variant": variant, "seconds": seconds, "total_ms": total / 1000,
            "owners": {k: v / 1000 for k, v in sorted(by_owner.items(), key=lambda kv: -kv[1])},
            "modules": {k: v / 1000 for k, v in sorted(by_mod.items(), key=lambda kv: -kv[1])},
            "functions": [[m, f, v / 1000] for (m, f), v in sorted(by_fn.items(), key=lambda kv: -kv[1])[:40]],
            # Each function with the native calls it made (closest, matches, postMessage, ...).
            "functions_with_natives": [[m, f, v / 1000] for (m, f), v in sorted(by_owner_fn.items(), key=lambda kv: -kv[1])[:60]]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--page", default="spa", help="a page of bench/scenarios.py (default spa: its scheduled visitor)")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    rec = build_recorder_unminified()
    rr = build_rrweb_plain()
    modules = {"hindsight": module_map(rec.read_text()), "rrweb": module_map(rr.decode())}
    pages = PageServer()
    pages.files["/bench-rrweb.js"] = (rr, "application/javascript")
    pages.heads["rrweb"] = '<script async src="/bench-rrweb.js"></script>'
    out = {}
    with Hindsight(env={"RECORDER_BUNDLE": str(rec)}) as server:
        site = server.create_site("Profile", pages.domain)
        pages.heads["hindsight"] = server.snippet(site)
        with sync_playwright() as p:
            browser = launch(p)
            for v in ("none", "rrweb", "hindsight"):
                log(f"profiling {v}, {args.seconds:.0f} s")
                out[v] = profile(browser, pages, v, args.seconds, modules | {"none": lambda ln: "?"}, args.page)
            browser.close()
    pages.close()
    print("\nJS and the native calls it makes, by the module that made them (ms per second of visit):")
    for v, r in out.items():
        own = {k: ms for k, ms in r["owners"].items() if k.startswith(("node_modules", "src", "page"))}
        rec = sum(ms for k, ms in own.items() if not k.startswith("page"))
        print(f"  {v:<10} recorder total {rec / r['seconds']:.2f} ms/s; " + ", ".join(f"{k} {ms / r['seconds']:.2f}" for k, ms in list(own.items())[:8]))
    for v, r in out.items():
        busy = {k: ms for k, ms in r["modules"].items() if k != "(idle)"}
        print(f"\n{v}: {sum(busy.values()) / r['seconds']:.1f} ms of JS/GC/program per second")
        for k, ms in list(busy.items())[:10]:
            print(f"  {k:<45}{ms / r['seconds']:>8.2f} ms/s")
        if v != "none":
            for title, key, count in (("top functions in recorder code", "functions", 12),
                                      ("the same, each with the native calls it made", "functions_with_natives", 16)):
                print(f"  {title}:")
                own = [(m, f, ms) for m, f, ms in r[key] if m.startswith(("node_modules", "src"))]
                for m, f, ms in own[:count]:
                    print(f"    {m:<40}{f:<32}{ms / r['seconds']:>8.2f} ms/s")
    write_json("profile-latest.json", out)


if __name__ == "__main__":
    main()
