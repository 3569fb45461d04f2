"""What-if estimates on the batches a visit really sent (run `bench/run.py --dump` first):
how many bytes per minute other recorder choices would have cost for the same events.

    .venv/bin/python bench/whatif.py [spa checkout article]

- actual: what went over the wire,
- per_burst: one gzipped request per upload burst (batches sent within 1 s of
  each other merged, every body gzipped whole),
- plain_ids: as per_burst, with node ids written as they are instead of as
  differences (docs/protocol.md, "Node ids"): what that encoding saves,
- no_mousemove: as per_burst, mouse positions left out (to show what they cost),
- primed: each request as sent, deflated with a preset dictionary of 16 KB of other
  pages' batches (bench/corpus, the page itself left out), as a share of the same
  requests deflated without one: what a dictionary shipped with the recorder and
  the server could save (a browser's CompressionStream takes no dictionary).

The recorder's coalescing of DOM changes cannot be undone after the fact; its
effect shows in the number of mutation events of the visit itself.
"""
import base64
import copy
import gzip
import json
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from harness import RESULTS, gz  # noqa: E402
from recorder.wire import node_ids_restore  # noqa: E402


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


def plain_ids(event):
    if event.get("ids") != "delta":
        return event
    event = copy.deepcopy(event)
    node_ids_restore(event)
    return event


def is_mousemove(e):
    return e.get("type") == 3 and e.get("data", {}).get("source") == 1


def plain(raw: bytes) -> bytes:
    """A request's body as JSON (gzip.decompress undoes its members, one after another)."""
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def deflated(data: bytes, zdict: bytes = b"") -> int:
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, **({"zdict": zdict} if zdict else {}))
    return len(c.compress(data) + c.flush())


def primed(batches, page) -> float:
    corpus = json.load(gzip.open(HERE / "corpus" / "recorder-batches.json.gz", "rt"))
    zdict = b"".join(plain(base64.b64decode(x["body"])) for x in corpus if x["page"] != page)[:16384]
    bodies = [plain(base64.b64decode(b["raw"])) for b in batches]
    return sum(deflated(b, zdict) for b in bodies) / sum(deflated(b) for b in bodies)


def size(groups, head):
    return sum(gz(compact({**head, "events": g})) for g in groups if g)


def main(argv):
    pages = argv or ["article", "checkout", "spa"]
    visits = json.loads((RESULTS / "visits-latest.json").read_text())
    minutes = {p["page"]: p["visit_s"] / 60 for p in visits["pages"]}
    print(f"{'page':<10}{'actual':>9}{'per_burst':>11}{'plain_ids':>11}{'no_mousemove':>14}   (KB/min){'primed':>9}")
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
            "per_burst": size(groups, head),
            "plain_ids": size([[plain_ids(e) for e in g] for g in groups], head),
            "no_mousemove": size([[e for e in g if not is_mousemove(e)] for g in groups], head),
        }
        rows[page] = x = {k: round(v / 1000 / m, 2) for k, v in r.items()}
        x["primed"] = round(primed(batches, page), 3)
        print(f"{page:<10}{x['actual']:>9.1f}{x['per_burst']:>11.1f}{x['plain_ids']:>11.1f}{x['no_mousemove']:>14.1f}{x['primed']:>19.2f}")
    (RESULTS / "whatif.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
