"""A whole Hindsight stack on throwaway services, for breaking things on purpose.

Its own Postgres cluster and Redis on free ports (the shared ones are never
touched), the S3 API of this test run, gunicorn serving ingest and the API,
and a Celery worker with beat running the sweeper every 2 seconds. The tests
kill, stop and restart these processes and check that every batch that got a
202 is replayable through the events API exactly once.
"""
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.run import free_port

ROOT = Path(__file__).resolve().parents[2]
PG_VERSION = "15"
ORIGIN = "https://shop.example.com"
MARK = "test.mark"


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # noqa: BLE001 - not up yet
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Redis:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        _wait(lambda: subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout
              .startswith(b"PONG"), 10, "redis")

    def stop(self):
        """Gone at once and for good: nothing was persisted, as on CI's Redis."""
        self.process.kill()
        self.process.wait()

    def restart(self, down_seconds: float = 3):
        self.stop()
        time.sleep(down_seconds)
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class Postgres:
    """A cluster of its own (pg_createcluster needs root, as CI has)."""

    def __init__(self):
        self.port = free_port()
        self.name = f"hsfault{os.getpid()}"

    def create(self):
        subprocess.run(["pg_createcluster", PG_VERSION, self.name, "-p", str(self.port), "--",
                        "--auth-local=trust", "--auth-host=trust"], check=True, capture_output=True)
        self.start()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c",
                        "CREATE DATABASE hindsight"], check=True, capture_output=True)

    def start(self):
        subprocess.run(["pg_ctlcluster", PG_VERSION, self.name, "start"], check=True, capture_output=True)
        _wait(lambda: subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(self.port)]).returncode == 0,
              30, "postgres")

    def stop(self):
        subprocess.run(["pg_ctlcluster", PG_VERSION, self.name, "stop", "-m", "immediate"], capture_output=True)

    def drop(self):
        subprocess.run(["pg_dropcluster", "--stop", PG_VERSION, self.name], capture_output=True)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/hindsight"


class StorageLink:
    """A TCP relay between the stack and the S3 API that can refuse connections for a while.

    The S3 API (moto) keeps its objects in memory, so it cannot be restarted
    without losing them; refusing connections in front of it is the fault.
    """

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.port = free_port()
        self.listener = None
        self.open()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def open(self):
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=True)
        threading.Thread(target=self._serve, args=(self.listener,), daemon=True).start()

    def refuse(self):
        """From now on connections are refused, and open ones are cut."""
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept(); close alone would not
        self.listener.close()
        for conn in list(self._open):
            conn.close()

    _open: set = set()

    def _serve(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self._open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, target):
                self._open.discard(conn)
                try:
                    conn.close()
                except OSError:
                    pass


class Stack:
    """gunicorn and a Celery worker (with beat) on the throwaway services."""

    def __init__(self, tmp: Path, postgres: Postgres, redis: Redis):
        self.tmp, self.postgres, self.redis = tmp, postgres, redis
        self.storage = StorageLink(os.environ["S3_ENDPOINT_URL"])
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.web = self.worker = None
        self.env = {
            **os.environ,
            "DATABASE_URL": postgres.url, "REDIS_URL": redis.url, "DEBUG": "true", "S3_ENDPOINT_URL": self.storage.url,
            "CELERY_TASK_ALWAYS_EAGER": "false", "CELERY_QUEUE": f"fault-{uuid.uuid4().hex[:8]}",
            "SWEEP_SECONDS": "2", "CHUNK_REQUEUE_SECONDS": "3", "CHUNK_LEASE_SECONDS": "6",
            "DATABASE_CONN_MAX_AGE": "60", "INGEST_RATE_PER_MINUTE": "100000", "JOBS_IN_PROCESS": "false",
            "API_RATE": "1000000/hour",
        }

    def manage(self, *args) -> str:
        out = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                             capture_output=True, text=True, check=True)
        return out.stdout

    def start_web(self):
        log = (self.tmp / "gunicorn.log").open("a")
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "2",
             "--timeout", "30"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        _wait(lambda: requests.get(f"{self.base}/accounts/login/", timeout=2).status_code == 200, 30, "gunicorn")

    def start_worker(self):
        log = (self.tmp / "worker.log").open("a")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-B",
             "-s", str(self.tmp / "beat-schedule"), "-Q", self.env["CELERY_QUEUE"], "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the embedded beat is a child process
        )
        _wait(lambda: "ready." in (self.tmp / "worker.log").read_text(), 60, "the Celery worker")

    def kill_worker(self):
        os.killpg(self.worker.pid, signal.SIGKILL)  # the worker and its beat, as when a machine dies
        self.worker.wait()
        (self.tmp / "worker.log").write_text("")  # so that start_worker waits for the new one's "ready."

    def stop(self):
        for process in (self.web, self.worker):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.worker:
            try:
                os.killpg(self.worker.pid, signal.SIGKILL)  # whatever the worker left behind (its beat)
            except ProcessLookupError:
                pass


class Client:
    """Posts batches as the recorder does (gzip, retrying 5xx after Retry-After) and remembers what was kept."""

    def __init__(self, stack: Stack, site_id: int, token: str):
        self.stack, self.site_id, self.token = stack, site_id, token
        self.accepted: dict[tuple[str, int], int] = {}  # (sid, seq) -> marker
        self.statuses: list[int] = []
        self.marker = 0

    def batch(self, sid: str, seq: int, *, padding: int = 0) -> dict:
        self.marker += 1
        now = int(time.time() * 1000)
        events = [
            {"type": 4, "data": {"href": "https://shop.example.com/", "width": 1280, "height": 720}, "timestamp": now},
            *({"type": 3, "data": {"source": 1, "positions": [{"x": i % 800, "y": i % 600, "id": 3, "timeOffset": 0}]},
               "timestamp": now + 1} for i in range(padding)),
            {"type": 5, "data": {"tag": MARK, "payload": {"n": self.marker}}, "timestamp": now + 2},
        ]
        if seq == 0:
            events.insert(1, {"type": 2, "timestamp": now, "data": {"node": {"type": 0, "id": 1, "childNodes": [
                {"type": 2, "tagName": "html", "attributes": {}, "id": 2, "childNodes": [
                    {"type": 3, "textContent": "hello", "id": 3}]}]}, "initialOffset": {"left": 0, "top": 0}}})
        return {"v": 1, "wid": self.site_id, "vid": "fault-visitor", "sid": sid, "seq": seq, "sent": now,
                "events": events}

    def post(self, batch: dict, *, retry_for: float = 0) -> int:
        """One post; with retry_for, keep retrying 5xx and network errors that long, as the recorder would."""
        body = gzip.compress(json.dumps(batch).encode())
        deadline = time.monotonic() + retry_for
        while True:
            try:
                status = requests.post(
                    f"{self.stack.base}/api/v1/ingest?wid={self.site_id}", data=body, timeout=10,
                    headers={"Origin": ORIGIN, "Content-Type": "text/plain"},
                ).status_code
            except requests.ConnectionError:
                status = 0
            self.statuses.append(status)
            if status == 202:
                self.accepted[(batch["sid"], batch["seq"])] = batch["events"][-1]["data"]["payload"]["n"]
            if status not in (0, 503) or time.monotonic() > deadline:
                return status
            time.sleep(0.5)

    def session(self, batches: int, *, padding: int = 0, retry_for: float = 0) -> str:
        """A new session of `batches` batches, each with `padding` extra mouse-move events."""
        sid = str(uuid.uuid4())
        for seq in range(batches):
            self.post(self.batch(sid, seq, padding=padding), retry_for=retry_for)
        return sid

    def markers(self, sid: str) -> list[int]:
        response = requests.get(f"{self.stack.base}/api/v1/sessions/{sid}/events/",
                                headers={"Authorization": f"Token {self.token}"}, timeout=30)
        # A session not stored yet is a 404; a dependency down a 503. Anything else is the test's own fault.
        assert response.status_code in (200, 404, 503), (response.status_code, response.text[:300])
        if response.status_code != 200:
            return []
        return [e["data"]["payload"]["n"] for e in response.json() if e.get("type") == 5 and e["data"]["tag"] == MARK]

    def all_replayable_once(self, timeout: float = 60) -> None:
        """Every accepted batch appears exactly once in its session's events, within `timeout`."""
        expected: dict[str, list[int]] = {}
        for (sid, _), marker in self.accepted.items():
            expected.setdefault(sid, []).append(marker)
        deadline = time.monotonic() + timeout
        missing = expected
        while time.monotonic() < deadline:
            missing = {sid: sorted(m) for sid, m in expected.items() if sorted(self.markers(sid)) != sorted(m)}
            if not missing:
                return
            time.sleep(1)
        detail = {sid: (markers, sorted(self.markers(sid))) for sid, markers in list(missing.items())[:3]}
        raise AssertionError(f"{len(missing)} sessions not replayable exactly once (expected, got): {detail}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if os.geteuid() != 0 or not shutil.which("pg_createcluster"):
        pytest.skip("fault tests need root and Debian's postgresql-common to make a throwaway cluster")
    tmp = tmp_path_factory.mktemp("fault-stack")
    postgres, redis = Postgres(), Redis(tmp)
    postgres.create()
    redis.start()
    stack = Stack(tmp, postgres, redis)
    try:
        stack.manage("migrate", "--noinput")
        stack.start_web()
        stack.start_worker()
        yield stack
    finally:
        stack.stop()
        redis.stop()
        postgres.drop()
        print((tmp / "worker.log").read_text()[-3000:] if (tmp / "worker.log").exists() else "")


@pytest.fixture(autouse=True)
def worker_running(stack):
    """Each fault test starts with a worker, whatever the one before left: a test that fails after killing
    the worker would otherwise fail every test after it."""
    if stack.worker.poll() is not None:
        stack.start_worker()


@pytest.fixture(scope="module")
def client(stack) -> Client:
    out = stack.manage("shell", "-c", (
        "from django.contrib.auth.models import User; from rest_framework.authtoken.models import Token;"
        "from sites.services import site_create;"
        "u = User.objects.create_user('fault', password='fault-pass-123');"
        "s = site_create(owner=u, name='Faults', domains=['shop.example.com']);"
        "print(s.pk, Token.objects.create(user=u).key)"
    ))
    site_id, token = out.strip().splitlines()[-1].split()
    return Client(stack, int(site_id), token)
