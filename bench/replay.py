"""Replay benchmark: how fast a 1, 10, 30 and 60-minute recording starts playing and seeks, and what it
costs to store, on an S3 API over HTTP.

    .venv/bin/python bench/replay.py --record     # record the corpus: a 5-minute visit of the SPA page
    .venv/bin/python bench/replay.py              # build the recordings, compact them, time them in Chromium

The recordings are made of a real recorder's batches (the SPA page, which
re-renders four times a second): the 5-minute visit is repeated, shifted in
time, to fill 10, 30 and 60 minutes; each repeat starts with the full
snapshot the visit starts with. Every batch goes through the real ingest
path (gunicorn), is stored by the worker's code, and the finished session is
compacted as in production. The control is the 1-minute recording: the
player should start a 60-minute one as fast.
"""
import argparse
import copy
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import PY, ROOT, dashboard_login, free_port, launch, log, machine, write_json  # noqa: E402
from ingest import corpus_batches, record  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus" / "spa-5min.json.gz"
DATABASE = "hs_bench_replay"
BUCKET = "hindsight-bench"
ORIGIN = "https://shop.example.com"
PASSWORD = "bench-password-123"
LENGTHS = (1, 10, 30, 60)


class Stack:
    """moto's S3 server, a fresh Postgres database, and gunicorn (in-process tasks: ingest stores as it accepts)."""

    def __init__(self):
        self.s3_port, self.port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}", "REDIS_URL": "",
            "CELERY_BROKER_URL": "", "CELERY_TASK_ALWAYS_EAGER": "true", "JOBS_IN_PROCESS": "false", "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}", "S3_ACCESS_KEY_ID": "bench",
            "S3_SECRET_ACCESS_KEY": "bench", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "INGEST_RATE_PER_MINUTE": "1000000", "LOG_LEVEL": "WARNING",
        }
        self.processes = []

    def sh(self, *cmd: str) -> str:
        return subprocess.run(cmd, cwd=ROOT, env=self.env, capture_output=True, text=True, check=True).stdout

    def manage(self, *args: str) -> str:
        return self.sh(PY, "manage.py", *args)

    def start(self) -> int:
        moto = Path(PY).with_name("moto_server")
        self.processes.append(subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(self.s3_port)],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self._wait(f"http://127.0.0.1:{self.s3_port}/moto-api/")
        import boto3

        boto3.client("s3", endpoint_url=self.env["S3_ENDPOINT_URL"], region_name="us-east-1",
                     aws_access_key_id="bench", aws_secret_access_key="bench").create_bucket(Bucket=BUCKET)
        self.sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"DROP DATABASE IF EXISTS {DATABASE}")
        self.sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"CREATE DATABASE {DATABASE}")
        self.manage("migrate", "--noinput")
        site = self.manage("shell", "-c", (
            "from django.contrib.auth.models import User; from sites.services import site_create;"
            f"u = User.objects.create_user('bench', password={PASSWORD!r});"
            "print(site_create(owner=u, name='Bench', domains=['shop.example.com']).pk)"))
        self.processes.append(subprocess.Popen(
            [PY, "-m", "gunicorn", "config.wsgi", "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{self.port}",
             "--timeout", "120"], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self._wait(f"{self.base}/healthz")
        return int(site.strip().splitlines()[-1])

    @staticmethod
    def _wait(url: str):
        for _ in range(200):
            try:
                urllib.request.urlopen(url, timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer")

    def stop(self):
        for process in self.processes:
            process.terminate()
            process.wait(timeout=30)


def recording_batches(batches: list[dict], minutes: int, site_id: int) -> list[dict]:
    """`minutes` of recording from the corpus: the visit repeated, shifted in time, one session."""
    first = min(e["timestamp"] for b in batches for e in b["events"])
    span = max(e["timestamp"] for b in batches for e in b["events"]) - first + 1000
    start = int(time.time() * 1000) - (minutes + 5) * 60_000
    sid, out = str(uuid.uuid4()), []
    for copy_index in range(-(-minutes * 60_000 // span)):
        for batch in batches:
            shifted = copy.deepcopy(batch)
            for event in shifted["events"]:
                event["timestamp"] += start - first + copy_index * span
            if min(e["timestamp"] for e in shifted["events"]) >= start + minutes * 60_000:
                continue
            shifted.update(sid=sid, wid=site_id, seq=len(out))
            out.append(shifted)
    return out


def store(stack: Stack, batches: list[dict]) -> dict:
    """Post every batch to ingest, finish the session, compact it; what it cost to store."""
    for batch in batches:
        request = urllib.request.Request(
            f"{stack.base}/api/v1/ingest?wid={batch['wid']}", data=gzip.compress(json.dumps(batch).encode()),
            headers={"Origin": ORIGIN, "Content-Type": "text/plain"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert answer.status == 202, answer.status
    sid = batches[0]["sid"]
    code = (
        "import json; from recorder.models import Chunk, Segment, Session; from django.db.models import Sum;"
        f"c = Chunk.objects.filter(session_id='{sid}');"
        "print(json.dumps({'chunks': c.count(), 'chunk_bytes': c.aggregate(s=Sum('stored_bytes'))['s'],"
        f" 'pending': c.exclude(status='stored').count()}}))"
    )
    before = json.loads(stack.manage("shell", "-c", code).strip().splitlines()[-1])
    stack.manage("shell", "-c", f"from recorder.models import Session; Session.objects.filter(pk='{sid}').update(status='finished')")
    started = time.perf_counter()
    stack.manage("compactsessions", "--session", sid)
    compact_s = time.perf_counter() - started
    code = (
        "import json; from recorder.models import Segment; from django.db.models import Sum;"
        f"s = Segment.objects.filter(session_id='{sid}', state='ready');"
        "print(json.dumps({'segments': s.count(), 'segment_bytes': s.aggregate(x=Sum('stored_bytes'))['x'],"
        " 'raw_bytes': s.aggregate(x=Sum('raw_bytes'))['x']}))"
    )
    after = json.loads(stack.manage("shell", "-c", code).strip().splitlines()[-1])
    return {"sid": sid, **before, **after, "compact_seconds": round(compact_s, 2),
            "ratio": round(after["segment_bytes"] / before["chunk_bytes"], 3)}


def time_player(browser, stack: Stack, site_id: int, sid: str, rounds: int) -> dict:
    """Navigation to the first rebuilt frame, and seeks, each in a fresh page of a logged-in context."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    dashboard_login(page, stack.base, "bench", PASSWORD)
    starts, seeks, completes = [], [], []
    for _ in range(rounds):
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(f"{stack.base}/sites/{site_id}/sessions/{sid}/", wait_until="commit")
        ready = "window.__hsPlayer && window.__hsPlayer.state.status === 'ready'"
        while not page.evaluate(f"!!({ready}) && !!document.querySelector('#hs-player iframe')"):
            page.wait_for_timeout(5)
        starts.append((time.perf_counter() - t0) * 1000)
        while not page.evaluate("window.__hsPlayer.state.complete === true"):
            page.wait_for_timeout(20)
        completes.append((time.perf_counter() - t0) * 1000)
        for fraction in (0.9, 0.5, 0.1, 0.95):
            seeks.append(page.evaluate(f"""() => new Promise((done) => {{
                const ctl = window.__hsPlayer.controller;
                const t = performance.now();
                ctl.seek(ctl.total() * {fraction});
                requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t)));
            }})"""))
        page.close()
    context.close()
    return {"first_frame_ms": _stats(starts), "all_parts_ms": _stats(completes), "seek_ms": _stats(seeks)}


def _stats(values: list[float]) -> dict:
    values = sorted(values)
    return {"median": round(statistics.median(values)), "max": round(values[-1]), "n": len(values)}


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    corpus = corpus_batches(CORPUS)
    stack = Stack()
    results = {"lengths": {}, "machine": machine(), "corpus_batches": len(corpus)}
    try:
        site_id = stack.start()
        stored = {}
        for minutes in LENGTHS:
            log(f"storing a {minutes}-minute recording")
            stored[minutes] = store(stack, recording_batches(corpus, minutes, site_id))
            log(f"  {stored[minutes]}")
        with sync_playwright() as playwright:
            browser = launch(playwright)
            for minutes in LENGTHS:
                timing = time_player(browser, stack, site_id, stored[minutes]["sid"], args.rounds)
                results["lengths"][minutes] = {**stored[minutes], **timing}
                log(f"{minutes} min: {timing}")
            browser.close()
    finally:
        stack.stop()
    control = results["lengths"][LENGTHS[0]]["first_frame_ms"]["median"]
    for entry in results["lengths"].values():
        entry["first_frame_vs_1min"] = round(entry["first_frame_ms"]["median"] / control, 2)
    write_json("replay-latest.json", results)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="record the corpus (Chromium, about 6 minutes)")
    parser.add_argument("--rounds", type=int, default=3, help="page loads per recording")
    args = parser.parse_args()
    if args.record:
        record(5, pages_to_visit=("spa",), path=CORPUS)
    else:
        run(args)


if __name__ == "__main__":
    main()
