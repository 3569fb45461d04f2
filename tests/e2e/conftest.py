"""Real Chromium, a live Django server, a customer site on a second origin and a real Celery worker."""
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _Requests:
    """How many requests the live server is answering, and when it last answered one."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.last = time.monotonic()

    def counting(self, call):
        requests = self

        def counted(handler, environ, start_response):
            with requests.lock:
                requests.running += 1
            try:
                return call(handler, environ, start_response)
            finally:
                with requests.lock:
                    requests.running -= 1
                    requests.last = time.monotonic()

        return counted

    def wait_quiet(self, *, quiet: float = 0.15, timeout: float = 10) -> None:
        """Until no request has run for `quiet` seconds: a closing page's last upload lands in its own test."""
        start = time.monotonic()
        while time.monotonic() < start + timeout:
            now = time.monotonic()
            with self.lock:
                if not self.running and now - max(self.last, start) >= quiet:
                    return
            time.sleep(0.02)


REQUESTS = _Requests()
WSGIHandler.__call__ = REQUESTS.counting(WSGIHandler.__call__)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()
    # The test's database is flushed next; an upload still arriving would either deadlock with the flush or
    # be stored into the next test's data.
    REQUESTS.wait_quiet()


@pytest.fixture
def page(context):
    return context.new_page()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


class CustomerSite:
    """A customer's web site on its own origin: pages are HTML strings (or any file's bytes) by path."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        self.delays: dict[str, float] = {}  # seconds a path's answer waits (a slow image keeps `load` away)
        self.types: dict[str, str] = {}  # a path's Content-Type, where it is not HTML
        self.headers: dict[str, dict] = {}  # a path's other response headers
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                time.sleep(site.delays.get(path, 0))
                body = site.pages.get(path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = body if isinstance(body, bytes) else body.encode()
                self.send_response(200)
                self.send_header("Content-Type", site.types.get(path, "text/html; charset=utf-8"))
                self.send_header("Content-Length", str(len(data)))
                for name, value in site.headers.get(path, {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.domain = f"127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return self.origin + path

    def close(self):
        self.server.shutdown()


@pytest.fixture
def customer():
    site = CustomerSite()
    yield site
    site.close()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real Celery worker process consuming this run's queue from Redis, on the test database."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    name = f"celery-worker{os.environ.get('TEST_LANE', '')}.log"  # each lane of tests.run --lanes its own
    log = artifact(name).open("w")
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready." not in artifact(name).read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start; see test-artifacts/{name}")
        time.sleep(0.2)
    yield process
    process.terminate()
    process.wait(timeout=20)
    log.close()


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.25, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


def wait_for_js(page, expression: str, *, timeout: float = 30_000) -> None:
    """Wait until `expression` is truthy in the page: page.wait_for_function for our own pages.

    wait_for_function polls with eval(), which the dashboard's CSP forbids;
    page.evaluate goes through the DevTools protocol, which no CSP governs.
    """
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(100)


def login(page, live_server, username: str, password: str = "secret-pass-123"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/sites/**")


def stored_bytes_everywhere(site_id: int) -> bytes:
    """Every stored object (raw and decompressed) and every database row of the app, as bytes."""
    from django.db import connection

    from tests.conftest import s3_objects

    from recorder.models import Chunk
    from recorder.processing import GZIP_MAGIC, ZSTD_MAGIC, chunk_text

    def inflated(blob: bytes) -> bytes:
        return chunk_text(blob) if blob[:2] == GZIP_MAGIC or blob[:4] == ZSTD_MAGIC else blob

    blobs = []
    for blob in s3_objects(f"sites/{site_id}/").values():
        blobs += [blob, inflated(blob)]
    for body, data in Chunk.objects.filter(site_id=site_id).values_list("body", "data"):
        for blob in (bytes(body or b""), bytes(data or b"")):
            blobs += [blob, inflated(blob)]
    with connection.cursor() as cursor:
        for table in ("recorder_session", "recorder_pageview", "recorder_chunk", "privacy_auditentry"):
            cursor.execute(f"SELECT * FROM {table}")
            blobs.append(repr(cursor.fetchall()).encode())
    return b"\n".join(blobs)


def recorder_started(page):
    """Wait until the recorder has taken over the __insp queue."""
    page.wait_for_function("window.__insp && !Array.isArray(window.__insp)")


class RequestLog:
    """Every request a page makes, to check what left the browser."""

    def __init__(self, context):
        self.urls: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))

    def ingest(self) -> list[str]:
        return [url for url in self.urls if "/api/v1/ingest" in url]

    def to(self, origin: str) -> list[str]:
        return [url for url in self.urls if url.startswith(origin)]


class UploadSpy:
    """The bodies of the recorder's uploads as they left the browser (read through the DevTools protocol).

    Playwright does not expose Blob request bodies, so this asks Chromium for
    them by request id. Read them before the page closes.
    """

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.ids: list[str] = []
        self.cdp.on("Network.requestWillBeSent", self._seen)

    def _seen(self, event):
        request = event["request"]
        if request["method"] == "POST" and "/api/v1/ingest" in request["url"]:
            self.ids.append(event["requestId"])

    def wait(self, page, timeout_ms: int = 15_000) -> None:
        """Wait for at least one upload; Playwright delivers events only inside its own calls."""
        waited = 0
        while not self.ids and waited < timeout_ms:
            page.wait_for_timeout(100)
            waited += 100
        assert self.ids, "no upload left the browser"
        page.wait_for_timeout(500)

    def bodies(self) -> list[bytes]:
        import base64
        import gzip

        found = []
        for request_id in self.ids:
            answer = self.cdp.send("Network.getRequestPostData", {"requestId": request_id})
            body = base64.b64decode(answer["postData"]) if answer.get("base64Encoded") else answer["postData"].encode()
            found.append(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)
        return found


def flush_now(page):
    """Make the recorder send what it holds, as when the tab is hidden."""
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
