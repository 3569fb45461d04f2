"""Shared pieces of the benchmarks: the real Hindsight server on embedded defaults,
a second origin serving the reference pages, Chromium, and human-like input."""
import functools
import gzip
import http.client
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PAGES = BENCH / "pages"
RESULTS = BENCH / "results"
RECORDER_JS = ROOT / "static" / "recorder-js"
RECORDER_BUNDLE = ROOT / "static" / "build" / "recorder.js"
PLACEHOLDER = "<!--HINDSIGHT_SNIPPET-->"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


# ---- the Hindsight server -------------------------------------------------------


class Hindsight:
    """`manage.py runserver` on a temporary DATA_DIR (SQLite, local files, in-process tasks)."""

    def __init__(self, keep: bool = False, env: dict | None = None):
        self.keep = keep
        self.data_dir = Path(tempfile.mkdtemp(prefix="hindsight-bench-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATA_DIR": str(self.data_dir),
            "DEBUG": "true",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SUPERUSER_PASSWORD": "bench-password-123",
            **(env or {}),
        }
        for k in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "S3_BUCKET", "PUBLIC_URL"):
            self.env.pop(k, None)
        self.proc = None

    def manage(self, *args: str) -> str:
        out = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def start(self):
        self.manage("migrate", "--noinput")
        self.manage("createsuperuser", "--noinput", "--username", "bench", "--email", "bench@example.com")
        self.log = open(self.data_dir / "server.log", "w")
        self.proc = subprocess.Popen(
            [PY, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.base + "/recorder.js?wid=0", timeout=2).read()
                break
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {self.data_dir / 'server.log'}")
                time.sleep(0.3)
        return self

    def create_site(self, name: str, domain: str) -> int:
        out = self.manage("createsite", "--name", name, "--domain", domain)
        return int(out.strip().splitlines()[-1])

    def snippet(self, site_id: int, base: str | None = None) -> str:
        """The site's real install snippet, as the install page shows it."""
        code = (
            "from sites.models import Site; from sites.snippet import site_snippet; "
            f"print(site_snippet(Site.objects.get(pk={site_id}), {(base or self.base)!r}))"
        )
        return self.manage("shell", "--no-imports", "-c", code).strip()

    def chunks(self, sids: list[str]) -> dict:
        """What the server stored for these sessions: per session, its chunks' received bytes."""
        code = (
            "import json; from recorder.models import Chunk; "
            f"rows = Chunk.objects.filter(session_id__in={list(sids)!r}).values_list("
            "'session_id', 'seq', 'received_bytes', 'stored_bytes', 'event_count', 'status'); "
            "print(json.dumps([[str(r[0])] + list(r[1:]) for r in rows]))"
        )
        rows = json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])
        out = {}
        for sid, seq, received, stored, events, status in rows:
            s = out.setdefault(sid, {"chunks": 0, "received_bytes": 0, "stored_bytes": 0, "events": 0, "pending": 0})
            s["chunks"] += 1
            s["received_bytes"] += received
            s["stored_bytes"] += stored
            s["events"] += events
            s["pending"] += status != "stored"
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if not self.keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class IngestTap:
    """A reverse proxy in front of the server that records every ingest request body
    exactly as it arrived: fetches and the pagehide beacons alike (Playwright's
    request events miss a beacon sent by a page that is going away). Snippets and
    the loader point at the tap: the loader builds its endpoint from the Host header."""

    def __init__(self, upstream_port: int):
        self.records: list[dict] = []
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        tap = self

        class Handler(BaseHTTPRequestHandler):
            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                t = time.monotonic()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    status, resp_headers = resp.status, resp.getheaders()
                finally:
                    conn.close()
                if self.command == "POST" and self.path.startswith("/api/v1/ingest"):
                    with tap.lock:
                        head = len(self.requestline) + 2 + len(self.headers.as_bytes())
                        tap.records.append({"t": t, "body": body or b"", "status": status, "head": head})
                self.send_response(status)
                for k, v in resp_headers:
                    if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_OPTIONS = do_DELETE = forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def since(self, t: float) -> list[dict]:
        with self.lock:
            return [r for r in self.records if r["t"] >= t]

    def close(self):
        self.server.shutdown()


# ---- the customer site ----------------------------------------------------------


@functools.lru_cache(maxsize=1)
def vendor_files() -> dict[str, tuple[bytes, str]]:
    """Third-party front ends for the pages none of us wrote (apidocs.html, redoc.html): Swagger UI and Redoc
    as drf-spectacular-sidecar ships them, showing this project's own OpenAPI schema."""
    import drf_spectacular_sidecar

    static = Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar"
    js, css = "text/javascript; charset=utf-8", "text/css; charset=utf-8"
    files = {f"/vendor/{f.name}": (f, js if f.suffix == ".js" else css) for f in (
        static / "swagger-ui-dist" / "swagger-ui-bundle.js", static / "swagger-ui-dist" / "swagger-ui.css",
        static / "redoc" / "bundles" / "redoc.standalone.js")}
    out = {path: (f.read_bytes(), ctype) for path, (f, ctype) in files.items()}
    schema = subprocess.run([PY, "manage.py", "spectacular", "--format", "openapi-json"], cwd=ROOT, capture_output=True,
                            check=True, env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"})
    out["/vendor/openapi.json"] = (schema.stdout, "application/json")
    return out


class PageServer:
    """The reference pages on their own origin. `heads[variant]` replaces the snippet
    placeholder; the variant is the `v` query parameter (default "hindsight").
    /spa/<route> serves spa.html (client-side routing); `files` holds extra assets."""

    def __init__(self):
        self.heads: dict[str, str] = {"none": ""}
        self.files: dict[str, tuple[bytes, str]] = {
            "/bye.html": (b"<!doctype html><title>bye</title><p>bye</p>", "text/html; charset=utf-8"),
        }
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path, _, query = self.path.partition("?")
                params = dict(p.partition("=")[::2] for p in query.split("&") if p)
                if path.startswith("/dash/"):
                    return self.dash("GET", params)
                if path in srv.files:
                    body, ctype = srv.files[path]
                elif path.startswith("/vendor/") and path in vendor_files():
                    body, ctype = vendor_files()[path]
                else:
                    name = "spa.html" if path.startswith("/spa/") or path == "/spa" else path.lstrip("/")
                    f = PAGES / name
                    if "/" in name or not name.endswith(".html") or not f.exists():
                        self.send_response(404)
                        self.end_headers()
                        return
                    body = f.read_text(encoding="utf-8").replace(PLACEHOLDER, self.head(params)).encode()
                    ctype = "text/html; charset=utf-8"
                self.reply(200, ctype, body, {"Cache-Control": "no-store"})

            def head(self, params) -> str:
                """What replaces the snippet placeholder for the page's variant."""
                return srv.heads.get(params.get("v", "hindsight"), "")

            def reply(self, status, ctype, body, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def dash(self, method, params):
                """The Dash app (bench/dashapp.py), in process; its page gets the variant's head."""
                from dashapp import app

                size = int(self.headers.get("Content-Length") or 0)
                res = app(PLACEHOLDER).server.test_client().open(
                    self.path, method=method, data=self.rfile.read(size) if size else None,
                    headers={"Content-Type": self.headers.get("Content-Type", "")})
                body, ctype = res.get_data(), res.headers.get("Content-Type", "")
                if ctype.startswith("text/html"):
                    body = body.replace(PLACEHOLDER.encode(), self.head(params).encode())
                self.reply(res.status_code, ctype, body)

            def do_POST(self):
                if self.path.startswith("/dash/"):
                    return self.dash("POST", {})
                # A control's uploads (bench/frame_cost.py): read and answered, kept nowhere.
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.domain = f"127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, variant: str | None = None) -> str:
        return self.origin + path + (f"?v={variant}" if variant else "")

    def close(self):
        self.server.shutdown()


# ---- Chromium -----------------------------------------------------------------


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def dashboard_login(page, base: str, username: str, password: str) -> None:
    """Sign in through the dashboard's login form, as an owner would."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/sites/**")


def chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20).stdout
        return out.strip()
    except Exception as e:  # noqa: BLE001
        return f"unknown ({e})"


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "free_h": free,
        "chromium": chromium_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def write_json(name: str, data) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=1))
    return path


def write_results(kind: str, data) -> Path:
    """A run's results, kept as `<kind>-<time>.json` and as `<kind>-latest.json` (the path returned)."""
    write_json(f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json", data)
    return write_json(f"{kind}-latest.json", data)


def gz(data: bytes, level: int = 6) -> int:
    return len(gzip.compress(data, compresslevel=level, mtime=0))


# ---- a person at the keyboard and mouse --------------------------------------------


class Human:
    """Input with human timing: mouse paths at ~60 Hz, wheel notches, typing with
    variable delays. All waits go through page.wait_for_timeout so that Playwright
    keeps dispatching events (requests) while we wait."""

    def __init__(self, page, seed: int = 1, speed: float = 1.0):
        self.page = page
        self.rnd = random.Random(seed)
        self.speed = speed  # scales think pauses, not typing or mouse physics
        self.x, self.y = 640.0, 400.0

    def wait(self, ms: float):
        if ms > 0:
            self.page.wait_for_timeout(ms)

    def think(self, lo: float, hi: float):
        """A pause of lo..hi seconds (scaled by speed)."""
        self.wait(1000 * self.speed * self.rnd.uniform(lo, hi))

    def move(self, x: float, y: float, ms: float | None = None):
        """Move along a gentle arc with ease-in-out, one event per ~16 ms."""
        dx, dy = x - self.x, y - self.y
        dist = math.hypot(dx, dy)
        if ms is None:
            ms = 250 + dist * 0.9 + self.rnd.uniform(0, 150)
        steps = max(2, int(ms / 16))
        bend = self.rnd.uniform(-0.15, 0.15) * dist
        nx, ny = (-dy / dist, dx / dist) if dist else (0, 0)
        x0, y0 = self.x, self.y
        t_start = time.monotonic()
        for i in range(1, steps + 1):
            t = i / steps
            e = t * t * (3 - 2 * t)
            arc = math.sin(math.pi * t) * bend
            px = x0 + dx * e + nx * arc + self.rnd.uniform(-0.6, 0.6)
            py = y0 + dy * e + ny * arc + self.rnd.uniform(-0.6, 0.6)
            self.page.mouse.move(px, py)
            lag = t_start + i * 0.016 - time.monotonic()
            if lag > 0.002:
                self.page.wait_for_timeout(lag * 1000)
        self.page.mouse.move(x, y)
        self.x, self.y = x, y

    def jiggle(self, n: int = 3):
        """Idle hand on the mouse: a few small drifts."""
        for _ in range(n):
            self.move(
                min(1260, max(20, self.x + self.rnd.uniform(-120, 120))),
                min(780, max(20, self.y + self.rnd.uniform(-80, 80))),
            )
            self.think(0.2, 1.2)

    def box(self, selector: str):
        loc = self.page.locator(selector).first
        loc.scroll_into_view_if_needed()
        return loc.bounding_box()

    def move_to(self, selector: str):
        b = self.box(selector)
        x = b["x"] + b["width"] * self.rnd.uniform(0.3, 0.7)
        y = b["y"] + b["height"] * self.rnd.uniform(0.35, 0.65)
        self.move(x, y)
        return b

    def click(self, selector: str):
        self.move_to(selector)
        self.wait(self.rnd.uniform(60, 200))
        self.page.mouse.down()
        self.wait(self.rnd.uniform(50, 120))
        self.page.mouse.up()

    def wheel(self, dy: float):
        """Scroll by wheel notches of 100 px, ~40-90 ms apart."""
        notches = max(1, int(abs(dy) / 100))
        for _ in range(notches):
            self.page.mouse.wheel(0, 100 if dy > 0 else -100)
            self.wait(self.rnd.uniform(40, 90))

    def type(self, text: str, fast: bool = False):
        """Type with 70-220 ms between keys and the odd longer hesitation."""
        for ch in text:
            self.page.keyboard.type(ch)
            d = self.rnd.uniform(50, 120) if fast else self.rnd.uniform(70, 220)
            if ch == " " and self.rnd.random() < 0.15:
                d += self.rnd.uniform(200, 700)
            self.wait(d)

    def key(self, name: str, times: int = 1):
        for _ in range(times):
            self.page.keyboard.press(name)
            self.wait(self.rnd.uniform(90, 200))
