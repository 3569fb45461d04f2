"""Markdown tables for BENCHMARKS.md from bench/results/*-latest.json.

    .venv/bin/python bench/report.py
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import RESULTS  # noqa: E402


def load(name):
    f = RESULTS / name
    return json.loads(f.read_text()) if f.exists() else None


def machine_md(m):
    mem = m["free_h"].splitlines()[1].split()[1] if m.get("free_h") else "?"
    return f"- {m['nproc']} CPUs ({m['cpu']}), {mem} RAM; {m['chromium']}; run {m['date']}"


def visits_md(v):
    kb = v["kb"]
    out = [machine_md(v["machine"]) + f"; visits of {v['minutes']:g} min; recorder bundle {v['recorder_bundle_bytes']} bytes", "",
           "| page | visit (min) | requests | on the wire (KB) | **KB per recorded minute** | budget 25 | first minute (KB) | full snapshots | JSON before gzip (KB) | server received (KB) | request headers, HTTP/1.1 (KB/min) |",
           "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for p in v["pages"]:
        ok = "ok" if p["kb_per_min"] <= v["budget_kb_per_min"] else f"missed, x{p['kb_per_min'] / v['budget_kb_per_min']:.1f}"
        out.append(f"| {p['page']} | {p['visit_s'] / 60:.2f} | {p['requests']} | {p['wire_bytes'] / kb:.1f} | **{p['kb_per_min']:.1f}** | {ok} | "
                   f"{p['first_minute_kb']:.1f} | {p['full_snapshots']} | {p['raw_bytes'] / kb:.0f} | {p['server']['received_bytes'] / kb:.1f} | "
                   f"{p.get('header_bytes', 0) / kb / (p['visit_s'] / 60):.1f} |")
    out.append("")
    for p in v["pages"]:
        m = p["visit_s"] / 60
        out += [f"**{p['page']}**: where the bytes go", "",
                "| rrweb event (type, source or tag) | events | JSON (KB) | share of JSON | gzip bytes it adds (KB) | KB/min |",
                "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for c, d in list(p["categories"].items())[:8]:
            out.append(f"| {c} | {d['events']} | {d['raw'] / kb:.1f} | {100 * d['raw'] / max(1, p['raw_bytes']):.0f}% | "
                       f"{d['marginal_gz'] / kb:.1f} | {d['marginal_gz'] / kb / m:.2f} |")
        mp = p.get("mutation_parts") or {}
        if mp:
            out.append("")
            out.append("Inside mutation events: " + ", ".join(f"{k} {d['count']} entries ({d['raw'] / kb:.0f} KB JSON)" for k, d in mp.items()) + ".")
        out.append("")
    return "\n".join(out)


def whatif_md(v, w):
    kb = v["kb"]
    out = ["| page | actual | one request per upload burst | + beacons gzipped | requests now / merged |",
           "| --- | ---: | ---: | ---: | ---: |"]
    for p in v["pages"]:
        x, m = p["whatif"], p["visit_s"] / 60
        out.append(f"| {p['page']} | {p['wire_bytes'] / kb / m:.1f} | {x['per_flush'] / kb / m:.1f} | {x['beacons_gzipped'] / kb / m:.1f} (same batches) | "
                   f"{p['requests']} / {x['per_flush_requests']} |")
    if w:
        out += ["", "| page | actual | per burst, all gzipped | same, node ids written plain | same, without mouse moves |",
                "| --- | ---: | ---: | ---: | ---: |"]
        for page, x in w.items():
            out.append(f"| {page} | {x['actual']:.1f} | {x['per_burst']:.1f} | {x['plain_ids']:.1f} | {x['no_mousemove']:.1f} |")
    return "\n".join(out)


def frame_md(f):
    t = f["table"]
    out = [machine_md(f["machine"]) + f"; {f['rounds']} rounds x {f['seconds']:g} s per variant", "",
           "| variant | frames | p50 (ms) | p95 (ms) | p99 (ms) | mean (ms) | main thread busy | render-tick task p50 / p95 (ms) |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    label = {"none": "no recorder", "rrweb": "@rrweb/record, defaults", "hindsight": "Hindsight"}
    for v, s in t.items():
        out.append(f"| {label.get(v, v)} | {s['n']} | {s['p50']:.2f} | {s['p95']:.2f} | {s['p99']:.2f} | {s['mean']:.2f} | {s['busy_pct']:.1f}% | "
                   f"{s['tick_task']['p50']:.2f} / {s['tick_task']['p95']:.2f} |")
    out += ["", "| difference | p50 | p95 | p99 | mean |", "| --- | ---: | ---: | ---: | ---: |"]
    for v, d in f["deltas"].items():
        out.append(f"| {label.get(v, v)} minus no recorder | {d['p50']:+.2f} | **{d['p95']:+.2f}** | {d['p99']:+.2f} | {d['mean']:+.2f} |")
    out += ["", "| variant | frames with a render tick: p50 / p95 / p99 (ms) | other frames: p50 / p95 / p99 (ms) | p95 per round (ms) |",
            "| --- | --- | --- | --- |"]
    for v, s in t.items():
        a, b = s["tick_frames"], s["other_frames"]
        out.append(f"| {label.get(v, v)} | {a['p50']:.2f} / {a['p95']:.2f} / {a['p99']:.2f} ({a['n']}) | "
                   f"{b['p50']:.2f} / {b['p95']:.2f} / {b['p99']:.2f} ({b['n']}) | {', '.join(f'{x:.2f}' for x in s['per_round_p95'])} |")
    return "\n".join(out)


def bundle_md(b):
    out = ["| file | bytes | gzip -9 | gzip -6 |", "| --- | ---: | ---: | ---: |"]
    for name, s in b["sizes"].items():
        out.append(f"| {name} | {s['raw']} | {s['gzip9']} | {s['gzip6']} |")
    return "\n".join(out)


def main():
    v, f, b, w = load("visits-latest.json"), load("frame_cost-latest.json"), load("bundle_size.json"), load("whatif.json")
    if v:
        print("## Bytes per recorded minute\n")
        print(visits_md(v))
        print("\n### What-if (KB per recorded minute)\n")
        print(whatif_md(v, w))
    if f:
        print("\n## Frame cost\n")
        print(frame_md(f))
    if b:
        print("\n## Bundle size\n")
        print(bundle_md(b))


if __name__ == "__main__":
    main()
