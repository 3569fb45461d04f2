"""Ingest benchmark: requests per second of POST /api/v1/ingest against a no-op view on the same
gunicorn, with real recorder batches, and how fast one worker process stores them.

    .venv/bin/python bench/ingest.py --record     # record the corpus: 1-minute visits of the 3 reference pages
    .venv/bin/python bench/ingest.py              # the load run (Postgres, Redis, gunicorn -w 1, a load process)

The corpus (bench/corpus/recorder-batches.json.gz) holds the request bodies a
real recorder sent during scripted visits, gzip as they arrived. The load run
gives every request its own session id, so nothing is a repeat. Each round
loads the no-op view and ingest, then one worker stores what that round
queued, so that each drain is compared with the accept rate of minutes
before, not of another speed of the machine. Run it alone:
the server, Postgres, Redis and the load share two cores.
"""
import argparse
import base64
import gzip
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import PY, ROOT, free_port, log, machine, write_json  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus" / "recorder-batches.json.gz"
DATABASE = "hs_bench_ingest"
ORIGIN = "https://shop.example.com"


# ---- the corpus ---------------------------------------------------------------------


def record(minutes: float, *, pages_to_visit=("article", "checkout", "spa"), path: Path = CORPUS) -> None:
    """Scripted visits of reference pages in Chromium; every ingest body as it arrived, saved to `path`."""
    from playwright.sync_api import sync_playwright

    from harness import Hindsight, IngestTap, PageServer, launch
    from run import visit

    pages = PageServer()
    bodies = []
    with Hindsight() as server:
        tap = IngestTap(server.port)
        site = server.create_site("Corpus", pages.domain)
        pages.heads["hindsight"] = server.snippet(site, tap.base)
        with sync_playwright() as p:
            browser = launch(p)
            for i, name in enumerate(pages_to_visit):
                log(f"recording {name}: {minutes} min")
                v = visit(browser, pages, tap, name, minutes, seed=21 + i)
                bodies += [{"page": name, "body": base64.b64encode(r["body"]).decode()} for r in v["requests"]]
            browser.close()
        tap.close()
    pages.close()
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps(bodies).encode(), mtime=0))
    log(f"{len(bodies)} bodies, {sum(len(base64.b64decode(b['body'])) for b in bodies) / 1000:.0f} KB -> {path}")


def corpus_batches(path: Path = CORPUS) -> list[dict]:
    """The corpus's batches, decoded, in the order they arrived."""
    batches = []
    for item in json.loads(gzip.decompress(path.read_bytes())):
        body = base64.b64decode(item["body"])
        batches.append(json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body))
    return batches


def corpus_texts() -> list[str]:
    """The corpus batches as JSON text, with `"sid":"…"` and `"wid":N` left to be replaced."""
    texts = []
    for data in corpus_batches():
        data["sid"], data["wid"], data["seq"] = "SID-PLACEHOLDER", 999_999_999, 888_888_888
        texts.append(json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    return texts


# ---- the load -------------------------------------------------------------------------


def _bodies(texts: list[str], wid: int, count: int, offset: int, per_session: int = 1) -> list[bytes]:
    """`count` gzipped bodies, cycling through the corpus: each run of `per_session` of them one session's
    batches (seq 0, 1, ...), every session new."""
    out = []
    for n in range(count):
        if n % per_session == 0:
            sid = json.dumps(str(uuid.uuid4()))
        text = texts[(n + offset) % len(texts)]
        text = (text.replace('"SID-PLACEHOLDER"', sid).replace("999999999", str(wid), 1)
                .replace('"seq":888888888', f'"seq":{n % per_session}', 1))
        out.append(gzip.compress(text.encode(), compresslevel=6))
    return out


def _load_process(args: tuple) -> list[tuple[float, float, int]]:
    """One load process: `threads` keep-alive connections posting until `until`; (start, seconds, status) each."""
    import http.client
    import threading

    port, path, bodies, threads, until = args
    samples, lock = [], threading.Lock()
    next_body = iter(range(10**9))

    def run():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.time() < until:
            body = bodies[next(next_body) % len(bodies)]
            t = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Origin": ORIGIN, "Content-Type": "text/plain"})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            mine.append((t, time.perf_counter() - t, status))
        with lock:
            samples.extend(mine)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return samples


def load(port: int, path: str, texts: list[str], wid: int, *, seconds: float, processes: int, threads: int,
         per_session: int = 1) -> dict:
    per_process = int(seconds * 1500 / processes) + 50
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        bodies = pool.starmap(_bodies, [(texts, wid, per_process, n * 997, per_session) for n in range(processes)])
        until = time.time() + 1.0 + seconds
        start = until - seconds
        runs = pool.map(_load_process, [(port, path, b, threads, until) for b in bodies])
    samples = [s for run in runs for s in run if s[0] >= time.perf_counter() - 10**6]
    return summarise(samples, seconds, wall=(until - start))


def summarise(samples: list[tuple[float, float, int]], seconds: float, wall: float) -> dict:
    latencies = sorted(s[1] * 1000 for s in samples)
    statuses: dict[int, int] = {}
    for s in samples:
        statuses[s[2]] = statuses.get(s[2], 0) + 1

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 2) if latencies else 0

    return {"requests": len(samples), "rps": round(len(samples) / wall, 1), "p50_ms": pct(50), "p99_ms": pct(99),
            "mean_ms": round(statistics.fmean(latencies), 2) if latencies else 0, "statuses": statuses}


# ---- the stack ------------------------------------------------------------------------


class Stack:
    """A fresh Postgres database, Redis db 13, gunicorn with one sync worker, and (for the drain) a worker."""

    def __init__(self, threads: int, pool: list[str]):
        self.threads = threads
        self.pool = pool
        self.port = free_port()
        self.queue = f"bench-ingest-{os.getpid()}"
        self.env = {
            **os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
            "REDIS_URL": "redis://127.0.0.1:6379/13", "CELERY_QUEUE": self.queue, "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
            "DJANGO_SETTINGS_MODULE": "ingest_settings", "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
            "INGEST_RATE_PER_MINUTE": "1000000", "LOG_LEVEL": "WARNING", "JOBS_IN_PROCESS": "false",
        }
        self.web = None

    def sh(self, *cmd: str) -> str:
        return subprocess.run(cmd, cwd=ROOT, env=self.env, capture_output=True, text=True, check=True).stdout

    def setup(self) -> int:
        self.sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"DROP DATABASE IF EXISTS {DATABASE}")
        self.sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"CREATE DATABASE {DATABASE}")
        self.sh("redis-cli", "-n", "13", "flushdb")
        self.sh(PY, "manage.py", "migrate", "--noinput")
        out = self.sh(PY, "manage.py", "shell", "-c", (
            "from django.contrib.auth.models import User; from sites.services import site_create;"
            "u = User.objects.create_user('bench');"
            "print(site_create(owner=u, name='Bench', domains=['shop.example.com']).pk)"))
        return int(out.strip().splitlines()[-1])

    def start_web(self):
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        self.log = open(ROOT / "bench" / "results" / "ingest-gunicorn.log", "w")
        self.web = subprocess.Popen(
            [PY, "-m", "gunicorn", "config.wsgi", "-w", "1", "--threads", str(self.threads), "-b", f"127.0.0.1:{self.port}",
             "--keep-alive", "30"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/recorder.js?wid=0", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop_web(self):
        self.web.terminate()
        self.web.wait(timeout=30)

    def pending(self) -> tuple[int, int]:
        """Pending and stored chunks, counted by psql (a Django shell here would take a core from the worker)."""
        out = self.sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DATABASE, "-Atc",
                      "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'stored') "
                      "FROM recorder_chunk")
        pending, stored = out.strip().split("|")
        return int(pending), int(stored)

    def drain(self, timeout: float) -> dict:
        """One worker process (solo pool, or --worker-pool) stores what the load left pending; stored chunks
        per second, and the share of that time the worker was on a CPU."""
        pending0, stored0 = self.pending()
        worker = subprocess.Popen(
            [PY, "-m", "celery", "-A", "config", "worker", *self.pool, "-Q", self.queue, "--loglevel=WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env={**self.env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        t0 = time.monotonic()
        first = None
        cpu0 = None
        try:
            while time.monotonic() - t0 < timeout:
                pending, stored = self.pending()
                if first is None and stored > stored0:
                    first = (time.monotonic(), stored)
                    cpu0 = _cpu_seconds(worker.pid)
                if pending == 0:
                    break
                time.sleep(0.25)
            cpu1 = _cpu_seconds(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        end = time.monotonic()
        start_t, start_n = first or (t0, stored0)
        done = stored - start_n
        busy = (cpu1 - cpu0) / max(end - start_t, 0.001) if cpu0 is not None else None
        return {"pending_before": pending0, "left": pending, "stored": stored - stored0,
                "per_second": round(done / max(end - start_t, 0.001), 1),
                "worker_cpu_share": round(busy, 2) if busy is not None else None}


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(args) -> dict:
    texts = corpus_texts()
    stack = Stack(args.gunicorn_threads, args.worker_pool.split())
    wid = stack.setup()
    stack.start_web()
    results = {"noop": [], "ingest": [], "drain": []}
    # As the recorder posts: the URL says the client's clock (one reading is enough for the server's work).
    paths = {"noop": "/bench/noop", "ingest": f"/api/v1/ingest?wid={wid}&t={int(time.time() * 1000)}"}
    try:
        for name in ("noop", "ingest"):
            results[f"{name}_unloaded"] = load(stack.port, paths[name], texts, wid, seconds=args.unloaded_seconds,
                                               processes=1, threads=1)
            log(f"{name} unloaded: {results[name + '_unloaded']}")
        # Stored before the rounds (one session per batch there, the worker's worst case): each round's
        # drain then stores what that round queued, and only that.
        results["drain_unloaded"] = stack.drain(timeout=args.drain_timeout)
        for round_ in range(args.rounds):
            for name in (("noop", "ingest") if round_ % 2 == 0 else ("ingest", "noop")):
                r = load(stack.port, paths[name], texts, wid, seconds=args.seconds, processes=args.processes,
                         threads=args.threads, per_session=args.chunks_per_session)
                results[name].append(r)
                log(f"round {round_ + 1} {name}: {r}")
            # Drained right after the load that queued it: this machine's speed drifts by a quarter within
            # minutes, so a drain measured after every round would compare rates of different machines.
            drain = stack.drain(timeout=args.drain_timeout)
            drain["of_accepted"] = round(drain["per_second"] / results["ingest"][-1]["rps"], 2)
            results["drain"].append(drain)
            log(f"round {round_ + 1} drain: {drain}")
    finally:
        stack.stop_web()
    noop = statistics.fmean(r["rps"] for r in results["noop"])
    ingest = statistics.fmean(r["rps"] for r in results["ingest"])
    results.update(corpus={"bodies": len(texts), "mean_json_bytes": round(statistics.fmean(len(t) for t in texts))},
                   ratio=round(ingest / noop, 3),
                   drain_of_accepted=[d["of_accepted"] for d in results["drain"]], machine=machine(), args=vars(args))
    log(f"ingest / no-op {results['ratio']}; stored / accepted per round {results['drain_of_accepted']}")
    write_json("ingest-latest.json", results)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="record the corpus (Chromium, about 4 minutes)")
    parser.add_argument("--minutes", type=float, default=1.0, help="visit length when recording")
    parser.add_argument("--seconds", type=float, default=15, help="length of each loaded run")
    parser.add_argument("--unloaded-seconds", type=float, default=10, help="length of the one-connection run")
    parser.add_argument("--rounds", type=int, default=2, help="loaded runs per variant, alternating the order")
    parser.add_argument("--processes", type=int, default=2, help="load processes")
    parser.add_argument("--threads", type=int, default=4, help="connections per load process")
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--chunks-per-session", type=int, default=1,
                        help="batches of one session in the loaded runs (1: every batch its own session, the worst case "
                             "for the worker; a real visit sends about six a minute)")
    parser.add_argument("--worker-pool", default="--pool=solo", help="the drain's worker pool options")
    parser.add_argument("--gunicorn-threads", type=int, default=8, help="threads of the one gunicorn worker (gthread)")
    args = parser.parse_args()
    if args.record:
        record(args.minutes)
    else:
        run(args)


if __name__ == "__main__":
    main()
