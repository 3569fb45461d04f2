"""Cost of the server scrubber (privacy/scrub.py) on recorded batches, against a control.

    .venv/bin/python bench/scrub.py [--rounds 15] [--baseline REV]

The worker scrubs every chunk. Per corpus (bench/corpus/*.json.gz: real
recorder batches) this times, on the same events and in the same run:

- parse: the batch's events read from JSON text (orjson), the control;
- scrub: parse + events_restore + events_scrub (today's scrubber);
- baseline: the same with privacy/scrub.py as it was at REV (default: main),
  when that revision differs.

and two hostile inputs (100 KB of digits in one string; a snapshot of
20,000 text nodes). Absolute times depend on the machine and its load; read
the ratios to the control, which are measured side by side.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import orjson  # noqa: E402

from ingest import corpus_batches  # noqa: E402

CORPORA = sorted((ROOT / "bench" / "corpus").glob("*.json.gz"))


def scrubber_at(rev: str):
    """privacy/scrub.py as it was at `rev`, imported under another name (None if unavailable)."""
    try:
        source = subprocess.run(["git", "show", f"{rev}:privacy/scrub.py"], cwd=ROOT, capture_output=True,
                                check=True, text=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    if source == (ROOT / "privacy" / "scrub.py").read_text():
        return None
    path = Path(tempfile.mkdtemp()) / "scrub_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("scrub_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(works: dict, texts: list[bytes], rounds: int) -> dict[str, float]:
    """Median milliseconds of one pass over all texts, per work; the works take turns in each
    round so that a change in the machine's load falls on all of them."""
    samples = {name: [] for name in works}
    for _ in range(rounds):
        for name, work in works.items():
            started = time.perf_counter()
            for text in texts:
                work(text)
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def scrub_work(module, restore):
    return lambda text: module.events_scrub(restore(orjson.loads(text)), module.ScrubState())


def hostile_texts() -> dict[str, bytes]:
    digits = [{"type": 3, "timestamp": 1, "data": {"source": 5, "id": 1, "text": "7" * 100_000, "isChecked": False}}]
    nodes = [{"type": 2, "id": 2 + 2 * i, "tagName": "span", "attributes": {"data-n": str(i)},
              "childNodes": [{"type": 3, "id": 3 + 2 * i, "textContent": f"row {i} costs {i * 7} EUR "}]}
             for i in range(20_000)]
    snapshot = [{"type": 2, "timestamp": 1, "data": {"node": {"type": 0, "id": 1, "childNodes": nodes}}}]
    return {"100 KB of digits": orjson.dumps(digits), "20,000 text nodes": orjson.dumps(snapshot)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--baseline", default="main")
    args = parser.parse_args()
    import django

    django.setup()
    from privacy import scrub
    from recorder.processing import events_restore

    baseline = scrubber_at(args.baseline)
    workloads = {path.name.removesuffix(".json.gz"): [orjson.dumps(b["events"]) for b in corpus_batches(path)]
                 for path in CORPORA}
    workloads.update({name: [text] for name, text in hostile_texts().items()})
    rows = []
    for name, texts in workloads.items():
        rounds = args.rounds if len(texts) > 1 else max(3, args.rounds // 5)
        works = {"parse": orjson.loads, "scrub": scrub_work(scrub, events_restore)}
        if baseline:
            works["baseline"] = scrub_work(baseline, events_restore)
        times = timed(works, texts, rounds)
        rows.append({"workload": name, "batches": len(texts), "bytes": sum(map(len, texts)),
                     **{f"{work}_ms": ms for work, ms in times.items()}})
    print(f"| workload | batches | JSON bytes | parse (control) ms | scrub ms | scrub / parse |"
          + (f" {args.baseline} scrub ms | {args.baseline} / parse |" if baseline else ""))
    print("| --- | ---: | ---: | ---: | ---: | ---: |" + (" ---: | ---: |" if baseline else ""))
    for row in rows:
        line = (f"| {row['workload']} | {row['batches']} | {row['bytes']:,} | {row['parse_ms']:.1f} | "
                f"{row['scrub_ms']:.1f} | {row['scrub_ms'] / row['parse_ms']:.1f}x |")
        if baseline:
            line += f" {row['baseline_ms']:.1f} | {row['baseline_ms'] / row['parse_ms']:.1f}x |"
        print(line)
    print(json.dumps(rows), file=sys.stderr)


if __name__ == "__main__":
    main()
