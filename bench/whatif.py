"""What-if estimates on the batches a visit really sent (run `bench/run.py --dump` first):
how many bytes per minute other recorder choices would have cost for the same events.

    .venv/bin/python bench/whatif.py [spa checkout article]

- actual: what went over the wire,
- per_flush: one gzipped request per upload burst (no splitting at 60 KB of JSON),
- coalesce_Nms: incremental mutation events merged over N ms windows (adds and
  removes kept in order, only the last text of a node and the last value of an
  attribute kept): what a recorder that emits DOM changes at most every N ms
  would send. This is a size estimate; a real implementation has to keep
  adds/removes/texts consistent.
- no_mousemove: mouse positions left out (to show what they cost).
"""
import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import RESULTS, gz  # noqa: E402


def compact(o) -> bytes:
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode()


def bursts(batches):
    """Batches sent within 1 s of each other, as one list of events per burst."""
    out, last = [], None
    for b in batches:
        ev = b["body"]["events"]
        if out and last is not None and b["t"] - last < 1.0:
            out[-1].extend(ev)
        else:
            out.append(list(ev))
        last = b["t"]
    return out


def is_mutation(e):
    return e.get("type") == 3 and e.get("data", {}).get("source") == 0


def coalesce(events, window_ms):
    out, cur, start = [], None, 0
    for e in events:
        if not is_mutation(e):
            out.append(e)
            continue
        if cur is None or e["timestamp"] - start >= window_ms:
            cur = {"type": 3, "timestamp": e["timestamp"], "data": {"source": 0, "texts": {}, "attributes": {}, "removes": [], "adds": []}}
            start = e["timestamp"]
            out.append(cur)
        d = e["data"]
        cur["data"]["removes"].extend(d.get("removes", []))
        cur["data"]["adds"].extend(d.get("adds", []))
        for t in d.get("texts", []):
            cur["data"]["texts"][t["id"]] = t
        for a in d.get("attributes", []):
            cur["data"]["attributes"].setdefault(a["id"], {}).update(a["attributes"])
        cur["timestamp"] = e["timestamp"]
    for e in out:
        if is_mutation(e) and isinstance(e["data"]["texts"], dict):
            e["data"]["texts"] = list(e["data"]["texts"].values())
            e["data"]["attributes"] = [{"id": i, "attributes": a} for i, a in e["data"]["attributes"].items()]
    return out


def size(groups, head):
    return sum(gz(compact({**head, "events": g})) for g in groups if g)


def main(argv):
    pages = argv or ["article", "checkout", "spa"]
    visits = json.loads((RESULTS / "visits-latest.json").read_text())
    minutes = {p["page"]: p["visit_s"] / 60 for p in visits["pages"]}
    print(f"{'page':<10}{'actual':>9}{'per_flush':>11}{'coalesce 500ms':>16}{'coalesce 1s':>13}{'coalesce 2s':>13}{'no mousemove':>14}   (KB/min)")
    rows = {}
    for page in pages:
        f = RESULTS / f"{page}-batches.json.gz"
        if not f.exists():
            print(f"{page}: no {f.name}; run bench/run.py --dump")
            continue
        batches = [b for b in json.load(gzip.open(f, "rt")) if b["body"]]
        head = {k: v for k, v in batches[0]["body"].items() if k != "events"}
        m = minutes.get(page) or 1
        groups = bursts(batches)
        r = {
            "actual": sum(b["wire"] for b in batches),
            "per_flush": size(groups, head),
            "coalesce_500ms": size([coalesce(g, 500) for g in groups], head),
            "coalesce_1000ms": size([coalesce(g, 1000) for g in groups], head),
            "coalesce_2000ms": size([coalesce(g, 2000) for g in groups], head),
            "no_mousemove": size([[e for e in g if not (e.get("type") == 3 and e["data"].get("source") == 1)] for g in groups], head),
        }
        rows[page] = {k: round(v / 1000 / m, 2) for k, v in r.items()}
        x = rows[page]
        print(f"{page:<10}{x['actual']:>9.1f}{x['per_flush']:>11.1f}{x['coalesce_500ms']:>16.1f}{x['coalesce_1000ms']:>13.1f}"
              f"{x['coalesce_2000ms']:>13.1f}{x['no_mousemove']:>14.1f}")
    (RESULTS / "whatif.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
