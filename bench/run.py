"""Hindsight benchmarks: bytes uploaded per recorded minute on three reference pages,
plus (with flags) the bundle size and the main-thread cost per frame.

    .venv/bin/python bench/run.py                      # visits (5 min each) + bundle size
    .venv/bin/python bench/run.py --minutes 1 --only article,spa
    .venv/bin/python bench/run.py --frame-cost [--seconds 60 --rounds 3]
    .venv/bin/python bench/run.py --bundle
    .venv/bin/python bench/run.py --all                # everything

Results go to bench/results/*.json; tables are printed (see BENCHMARKS.md).
"""
import argparse
import base64
import gzip
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    RECORDER_BUNDLE, RESULTS, VIEWPORT, Hindsight, Human, IngestTap, PageServer, gz, launch, log, machine, write_results,
)
from scenarios import SCENARIOS  # noqa: E402

KB = 1000  # bytes; every KB in these results is 1000 bytes
BUDGET_KB_MIN = 25.0

INCREMENTAL_SOURCES = {
    0: "Mutation", 1: "MouseMove", 2: "MouseInteraction", 3: "Scroll", 4: "ViewportResize", 5: "Input",
    6: "TouchMove", 7: "MediaInteraction", 8: "StyleSheetRule", 9: "CanvasMutation", 10: "Font", 11: "Log",
    12: "Drag", 13: "StyleDeclaration", 14: "Selection", 15: "AdoptedStyleSheet", 16: "CustomElement",
}
EVENT_TYPES = {0: "DomContentLoaded", 1: "Load", 2: "FullSnapshot", 3: "Incremental", 4: "Meta", 5: "Custom", 6: "Plugin"}


def category(e: dict) -> str:
    t = e.get("type")
    if t == 3:
        return "3 " + INCREMENTAL_SOURCES.get(e.get("data", {}).get("source"), "?")
    if t == 5:
        return "5 " + str(e.get("data", {}).get("tag"))
    return f"{t} {EVENT_TYPES.get(t, '?')}"


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def decode_body(buf: bytes) -> dict | None:
    try:
        if buf[:2] == b"\x1f\x8b":
            buf = gzip.decompress(buf)
        return json.loads(buf)
    except Exception:  # noqa: BLE001
        return None


# ---- one visit ----------------------------------------------------------------------


def visit(browser, pages: PageServer, tap: IngestTap, name: str, minutes: float, seed: int, variant: str = "hindsight") -> dict:
    """One scripted visit in a fresh context. Bytes are counted at the tap (every
    request body as it arrived); the page's own request events are a cross-check."""
    path, script = SCENARIOS[name]
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    seen = []

    def on_request(r):
        if r.method == "POST" and "/api/v1/ingest" in r.url:
            seen.append(len(r.post_data_buffer or b""))

    page.on("request", on_request)
    page.on("pageerror", lambda e: log(f"  {name}: page error: {e}"))
    total = minutes * 60
    speed = 1.0
    if name == "checkout":
        speed = max(0.3, (total - 55) / 80)  # the buyer's pauses stretch to fill the visit
    t0 = time.monotonic()
    page.goto(pages.url(path, None if variant == "hindsight" else variant))
    h = Human(page, seed=seed, speed=speed)
    script(h, t0 + total)
    # Leave: pagehide makes the recorder beacon what is still unsent.
    visit_s = time.monotonic() - t0
    control_events = page.evaluate("window.__rrEvents || null") if variant == "rrweb" else None
    page.goto(pages.url("/bye.html"))
    page.wait_for_timeout(3000)
    ctx.close()
    reqs = [{"t": round(r["t"] - t0, 3), "bytes": len(r["body"]), "body": r["body"], "status": r["status"], "head": r["head"]}
            for r in tap.since(t0)]
    return {"page": name, "visit_s": round(visit_s, 1), "requests": reqs, "control_events": control_events,
            "page_seen": {"requests": len(seen), "bytes": sum(seen)}}


def control_bytes(events: list[dict], visit_s: float, flush_ms: int = 10000) -> dict:
    """Plain @rrweb/record's events uploaded as an uploader on rrweb would: one gzipped JSON
    batch (level 6, as the browser's CompressionStream) per 10 s of events, as the recorder flushes."""
    batches: dict[int, list] = defaultdict(list)
    start = events[0]["timestamp"]
    for e in events:
        batches[(e["timestamp"] - start) // flush_ms].append(e)
    sizes = {k: gz(compact({"events": v})) for k, v in batches.items()}
    wire = sum(sizes.values())
    first = sum(size for k, size in sizes.items() if k * flush_ms < 60000)
    return {"events": len(events), "wire_bytes": wire, "kb_per_min": round(wire / KB / (visit_s / 60), 2),
            "first_minute_kb": round(first / KB, 2)}


# ---- analysis -----------------------------------------------------------------------


def analyse(v: dict) -> dict:
    minutes = v["visit_s"] / 60
    batches = []
    cats = defaultdict(lambda: {"events": 0, "raw": 0, "marginal_gz": 0})
    mut = defaultdict(lambda: {"count": 0, "raw": 0})
    sids = set()
    full_snapshots = 0
    undecodable = 0
    for r in v["requests"]:
        body = decode_body(r["body"])
        if body is None:
            undecodable += 1
            continue
        events = body.get("events", [])
        sids.add(body.get("sid"))
        enc = [compact(e) for e in events]
        raw = b"[" + b",".join(enc) + b"]"
        whole = gz(raw)
        by_cat = defaultdict(list)
        for e, s in zip(events, enc):
            c = category(e)
            by_cat[c].append(s)
            cats[c]["events"] += 1
            cats[c]["raw"] += len(s)
            if e.get("type") == 2:
                full_snapshots += 1
            if e.get("type") == 3 and e.get("data", {}).get("source") == 0:
                d = e["data"]
                for k in ("adds", "removes", "texts", "attributes"):
                    items = d.get(k) or []
                    mut[k]["count"] += len(items)
                    mut[k]["raw"] += len(compact(items)) if items else 0
                # The same changes in the wire's columns (docs/protocol.md), counted with their kind.
                for k, columns, count in (("texts", d.get("textSteps"), lambda c: len(c[0])),
                                          ("attributes", d.get("attrColumns"), lambda c: sum(len(col[1]) for col in c))):
                    if columns:
                        mut[k]["count"] += count(columns)
                        mut[k]["raw"] += len(compact(columns))
        # What each category costs on the wire: the batch gzipped with and without it.
        for c in by_cat:
            rest = [s for e, s in zip(events, enc) if category(e) != c]
            cats[c]["marginal_gz"] += whole - gz(b"[" + b",".join(rest) + b"]")
        ts = [e.get("timestamp", 0) for e in events]
        batches.append({
            "t": r["t"], "wire": r["bytes"], "status": r["status"], "gzip": r["body"][:2] == b"\x1f\x8b",
            "events": len(events), "raw": len(raw), "seq": body.get("seq"), "sid": body.get("sid"),
            "first_ts": min(ts) if ts else None, "last_ts": max(ts) if ts else None,
        })
    wire = sum(b["wire"] for b in batches)
    whatif = batching_whatif(v["requests"])
    raw_total = sum(b["raw"] for b in batches)
    start_ts = min((b["first_ts"] for b in batches if b["first_ts"]), default=0)
    # First minute: batches whose first event is in the first 60 s of the recording
    # (a batch spans at most ~5 s, so this slightly overcounts, never undercounts).
    first_min = sum(b["wire"] for b in batches if b["first_ts"] and b["first_ts"] < start_ts + 60000)
    beacons = [b for b in batches if not b["gzip"]]
    return {
        "page": v["page"],
        "visit_s": v["visit_s"],
        "requests": len(v["requests"]),
        "page_seen": v["page_seen"],
        "statuses": dict(Counter(str(b["status"]) for b in batches)),
        "wire_bytes": wire,
        "header_bytes": sum(r["head"] for r in v["requests"]),
        "raw_bytes": raw_total,
        "kb_per_min": round(wire / KB / minutes, 2),
        "first_minute_kb": round(first_min / KB, 2),
        "full_snapshots": full_snapshots,
        "uncompressed_requests": len(beacons),
        "uncompressed_bytes": sum(b["wire"] for b in beacons),
        "sessions": sorted(s for s in sids if s),
        "undecodable": undecodable,
        "whatif": whatif,
        "categories": {k: dict(v) for k, v in sorted(cats.items(), key=lambda kv: -kv[1]["marginal_gz"])},
        "mutation_parts": {k: dict(v) for k, v in mut.items()},
        "batches": batches,
    }


def dump(v: dict):
    """Every batch of a visit as sent (base64) and decoded, for a closer look (bench/results/<page>-batches.json.gz)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = [{"t": r["t"], "wire": r["bytes"], "raw": base64.b64encode(r["body"]).decode(), "body": decode_body(r["body"])} for r in v["requests"]]
    with gzip.open(RESULTS / f"{v['page']}-batches.json.gz", "wt") as f:
        json.dump(out, f)


def batching_whatif(requests: list[dict]) -> dict:
    """The same events batched differently, gzipped by Python (level 6, calibrated
    against the browser's own gzip on the actual batches):
    - regzip: the actual batches, gzipped by Python (the calibration),
    - per_flush: one request per upload burst (batches sent within 1 s of each other
      merged),
    - beacons_gzipped: the actual batches, each gzipped whole (a closing page's beacon
      is only partly compressed: its pieces gzipped beforehand, the rest stored)."""
    bodies = [(r["t"], r["body"], decode_body(r["body"])) for r in requests]
    bodies = [(t, raw, b) for t, raw, b in bodies if b]
    regzip = sum(gz(compact(b)) if raw[:2] == b"\x1f\x8b" else len(raw) for t, raw, b in bodies)
    beacons_gz = sum(gz(compact(b)) for t, raw, b in bodies)
    groups, last_t = [], None
    for t, raw, b in bodies:
        if groups and raw[:2] == b"\x1f\x8b" and groups[-1]["gzip"] and t - last_t < 1.0:
            groups[-1]["events"].extend(b["events"])
        else:
            groups.append({"gzip": raw[:2] == b"\x1f\x8b", "head": {k: v for k, v in b.items() if k != "events"}, "events": list(b["events"])})
        last_t = t
    per_flush = 0
    for g in groups:
        body = compact({**g["head"], "events": g["events"]})
        per_flush += gz(body) if g["gzip"] else len(body)
    return {"regzip": regzip, "per_flush": per_flush, "per_flush_requests": len(groups), "beacons_gzipped": beacons_gz}


def print_visits(results: list[dict]):
    print()
    print(f"{'page':<10}{'min':>6}{'requests':>10}{'wire KB':>10}{'KB/min':>9}{'1st min KB':>12}{'full snap':>11}{'raw KB':>9}{'server KB':>11}{'hdr KB/min':>12}  budget")
    for r in results:
        ok = "ok" if r["kb_per_min"] <= BUDGET_KB_MIN else f"MISSED x{r['kb_per_min'] / BUDGET_KB_MIN:.1f}"
        srv = r.get("server", {}).get("received_bytes")
        print(f"{r['page']:<10}{r['visit_s'] / 60:>6.2f}{r['requests']:>10}{r['wire_bytes'] / KB:>10.1f}{r['kb_per_min']:>9.2f}"
              f"{r['first_minute_kb']:>12.1f}{r['full_snapshots']:>11}{r['raw_bytes'] / KB:>9.1f}"
              f"{(srv / KB if srv is not None else float('nan')):>11.1f}{r['header_bytes'] / KB / (r['visit_s'] / 60):>12.2f}  {ok}")
    print(f"\n{'page':<10}{'Hindsight KB/min':>18}{'rrweb+gzip KB/min':>19}{'ratio':>7}{'1st min KB':>12}{'control 1st min':>17}")
    for r in results:
        c = r.get("control")
        if c:
            print(f"{r['page']:<10}{r['kb_per_min']:>18.2f}{c['kb_per_min']:>19.2f}{r['kb_per_min'] / max(0.01, c['kb_per_min']):>7.2f}"
                  f"{r['first_minute_kb']:>12.1f}{c['first_minute_kb']:>17.1f}")
    print("\nbatching what-if (Python gzip -6): actual wire / same batches re-gzipped / one request per upload burst / beacons gzipped too")
    for r in results:
        w = r["whatif"]
        print(f"  {r['page']:<10}{r['wire_bytes'] / KB:>9.1f}{w['regzip'] / KB:>9.1f}{w['per_flush'] / KB:>9.1f} ({w['per_flush_requests']} requests)"
              f"{w['beacons_gzipped'] / KB:>9.1f}")
    for r in results:
        print(f"\n{r['page']}: where the bytes go (marginal gzip bytes = batch gzipped with minus without the category)")
        print(f"  {'category':<28}{'events':>8}{'raw KB':>10}{'raw %':>7}{'gz KB':>9}{'gz KB/min':>11}")
        for c, d in list(r["categories"].items())[:12]:
            print(f"  {c:<28}{d['events']:>8}{d['raw'] / KB:>10.1f}{100 * d['raw'] / max(1, r['raw_bytes']):>7.1f}"
                  f"{d['marginal_gz'] / KB:>9.1f}{d['marginal_gz'] / KB / (r['visit_s'] / 60):>11.2f}")
        if r["mutation_parts"]:
            parts = ", ".join(f"{k} {d['count']} ({d['raw'] / KB:.0f} KB raw)" for k, d in r["mutation_parts"].items())
            print(f"  mutation parts: {parts}")


def run_visits(args) -> list[dict]:
    from playwright.sync_api import sync_playwright

    names = [n.strip() for n in args.only.split(",") if n.strip()]
    for n in names:
        if n not in SCENARIOS:
            raise SystemExit(f"unknown page {n!r}; choose from {', '.join(SCENARIOS)}")
    bundle = RECORDER_BUNDLE.stat().st_size if RECORDER_BUNDLE.exists() else 0
    sha_before = bundle_sha()
    if bundle < 50000:
        log(f"warning: {RECORDER_BUNDLE} is {bundle} bytes: a placeholder, not the real recorder?")
    pages = PageServer()
    results = []
    with Hindsight(keep=args.keep) as server:
        tap = IngestTap(server.port)
        site = server.create_site("Bench", pages.domain)
        pages.heads["hindsight"] = server.snippet(site, tap.base)
        from frame_cost import build_rrweb_plain

        pages.heads["rrweb"] = "<script>" + build_rrweb_plain(minify=True).decode() + "</script>"
        log(f"server {server.base} via {tap.base} (DATA_DIR {server.data_dir}), pages {pages.origin}, site {site}")
        with sync_playwright() as p:
            browser = launch(p)
            version = browser.version
            for i, name in enumerate(names):
                log(f"visit {name}: {args.minutes} min")
                v = visit(browser, pages, tap, name, args.minutes, seed=11 + i)
                if args.dump:
                    dump(v)
                r = analyse(v)
                results.append(r)
                log(f"  {r['requests']} requests, {r['wire_bytes'] / KB:.1f} KB, {r['kb_per_min']} KB/min, statuses {r['statuses']}")
                if not args.no_control:
                    log(f"visit {name} (plain rrweb control): {args.minutes} min")
                    c = visit(browser, pages, tap, name, args.minutes, seed=11 + i, variant="rrweb")
                    r["control"] = control_bytes(c["control_events"], c["visit_s"])
                    log(f"  control {r['control']['kb_per_min']} KB/min, first minute {r['control']['first_minute_kb']} KB")
            browser.close()
        time.sleep(1)
        stored = server.chunks([s for r in results for s in r["sessions"]])
        for r in results:
            agg = {"chunks": 0, "received_bytes": 0, "stored_bytes": 0, "events": 0, "pending": 0}
            for s in r["sessions"]:
                for k, val in stored.get(s, {}).items():
                    agg[k] += val
            r["server"] = agg
        tap.close()
    pages.close()
    out = {
        "kind": "visits", "minutes": args.minutes, "machine": machine(), "browser_version": version,
        "recorder_bundle_bytes": bundle, "recorder_bundle_sha256": sha_before, "kb": KB, "budget_kb_per_min": BUDGET_KB_MIN, "pages": results,
    }
    if bundle_sha() != sha_before:
        log("warning: static/build/recorder.js changed during the run; pages may have loaded different builds")
        out["recorder_bundle_changed"] = True
    path = write_results("visits", out)
    print_visits(results)
    log(f"results: {path}")
    return results


def bundle_sha() -> str:
    import hashlib

    return hashlib.sha256(RECORDER_BUNDLE.read_bytes()).hexdigest() if RECORDER_BUNDLE.exists() else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=5, help="length of each scripted visit (default 5)")
    ap.add_argument("--only", default="article,checkout,spa,trading,unkeyed,widgets,apidocs,redoc,dash", help="pages to visit, comma-separated")
    ap.add_argument("--visits", action="store_true", help="run the visits (default when no other part is chosen)")
    ap.add_argument("--frame-cost", action="store_true", help="run bench/frame_cost.py")
    ap.add_argument("--bundle", action="store_true", help="run bench/bundle_size.py")
    ap.add_argument("--all", action="store_true", help="visits, bundle size and frame cost")
    ap.add_argument("--seconds", type=float, default=60, help="frame cost: seconds per variant per round")
    ap.add_argument("--rounds", type=int, default=3, help="frame cost: rounds (variant order rotates)")
    ap.add_argument("--dump", action="store_true", help="save every decoded batch to bench/results/<page>-batches.json.gz")
    ap.add_argument("--no-control", action="store_true", help="skip the plain @rrweb/record + gzip control visits")
    ap.add_argument("--keep", action="store_true", help="keep the temporary DATA_DIR")
    args = ap.parse_args()
    chosen = args.visits or args.frame_cost or args.bundle
    if args.all or not chosen:
        args.visits = args.bundle = True
        args.frame_cost = args.frame_cost or args.all
    if args.bundle:
        import bundle_size
        bundle_size.main([])
    if args.visits:
        run_visits(args)
    if args.frame_cost:
        import frame_cost
        frame_cost.main(["--seconds", str(args.seconds), "--rounds", str(args.rounds)])


if __name__ == "__main__":
    main()
