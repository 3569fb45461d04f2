"""The dashboard under its Content-Security-Policy in real Chromium: the player still replays, and a site
that blocks its resources in replays gets no request from the viewer's browser."""
import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from recorder.models import Chunk, Session
from sites.snippet import site_snippet
from tests.e2e.conftest import flush_now, login, recorder_started, wait_for
from tests.factories import SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

HEADLINE = "Spring teas have arrived"
# A 1x1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
CSS = "h1 { color: rgb(1, 2, 3); }"


class Cdn:
    """The recorded site's static files on an origin of their own; every request it gets is kept."""

    FILES = {"/logo.png": (PNG, "image/png"), "/hero.png": (PNG, "image/png"), "/style.css": (CSS.encode(), "text/css")}

    def __init__(self):
        self.requests: list[str] = []
        cdn = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                cdn.requests.append(self.path)
                body, kind = cdn.FILES.get(self.path.split("?")[0], (b"", "text/plain"))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class CountedPages(dict):
    """The customer site's pages, counting every request for one (CustomerSite looks each path up here)."""

    def __init__(self, pages: dict):
        super().__init__(pages)
        self.asked: list[str] = []

    def get(self, path, default=None):
        self.asked.append(path)
        return super().get(path, default)


@pytest.fixture
def cdn():
    server = Cdn()
    yield server
    server.server.shutdown()


def record_a_visit(live_server, customer, cdn, page, **site_settings) -> Session:
    """A visitor's view of a page whose image, background and stylesheet come from the CDN."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], **site_settings)
    customer.pages = CountedPages({"/": f"""<!doctype html><html><head><title>Teas</title>
        {site_snippet(site, live_server.url)}<link rel="stylesheet" href="{cdn.origin}/style.css"></head><body>
        <h1>{HEADLINE}</h1><img id="logo" src="{cdn.origin}/logo.png" width="40" height="40" alt="logo">
        <div id="hero" style="width: 200px; height: 50px; background-image: url({cdn.origin}/hero.png)"></div>
        <p><a href="/about">About us</a></p></body></html>"""})
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(500)
    # The batch goes as the tab is hidden: this test is about replays, not about a closing page's
    # beacon (tests/e2e/test_delivery.py), which once did not leave a loaded CI machine's browser.
    with page.expect_request(lambda request: "/api/v1/ingest" in request.url, timeout=20_000):
        flush_now(page)
    page.close()
    session = wait_for(lambda: Session.objects.filter(site=site).first(), timeout=40, message="the session")
    wait_for(lambda: not Chunk.objects.filter(session=session, status=Chunk.PENDING).exists(), message="stored")
    return session


def open_replay(browser, live_server, session: Session):
    """The owner's player page, the replay frame showing the headline, and the CSP messages of the console."""
    viewer = browser.new_page(viewport={"width": 1280, "height": 800})
    violations: list[str] = []
    viewer.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    login(viewer, live_server, "owner")
    viewer.goto(f"{live_server.url}/sites/{session.site_id}/sessions/{session.pk}/")
    frame = viewer.wait_for_selector("#hs-player iframe", timeout=20_000).content_frame()
    frame.wait_for_selector(f"text={HEADLINE}", state="attached", timeout=20_000)
    viewer.wait_for_timeout(1500)  # time for images, fonts and styles to be asked for
    return viewer, frame, violations


def test_the_player_replays_under_the_csp_with_the_recorded_sites_images_and_styles(
    live_server, celery_worker, customer, cdn, browser, page,
):
    # Given a recorded visit of a site whose replays load its resources (the default)
    session = record_a_visit(live_server, customer, cdn, page)
    cdn.requests.clear()
    # When the owner replays it
    viewer, frame, violations = open_replay(browser, live_server, session)
    # Then the page shows with the site's image and stylesheet, and nothing was refused by the policy
    assert frame.eval_on_selector("#logo", "img => img.complete && img.naturalWidth") == 1
    assert frame.eval_on_selector("h1", "h1 => getComputedStyle(h1).color") == "rgb(1, 2, 3)"
    assert {"/logo.png", "/style.css", "/hero.png"} <= set(cdn.requests)
    assert violations == []
    viewer.close()


def test_a_site_that_blocks_its_resources_gets_no_request_from_a_replay(
    live_server, celery_worker, customer, cdn, browser, page,
):
    # Given a recorded visit of a site that blocks its resources in replays
    session = record_a_visit(live_server, customer, cdn, page, replay_resources=False)
    cdn.requests.clear()
    customer.pages.asked.clear()
    # When the owner replays it
    viewer, frame, violations = open_replay(browser, live_server, session)
    # Then the page's text shows, and no request left for the site or its CDN
    assert frame.eval_on_selector("#logo", "img => img.naturalWidth") == 0
    assert cdn.requests == [] and customer.pages.asked == []
    # And what the policy refused were the site's resources only, never our own scripts
    assert violations and all(cdn.origin in text for text in violations)
    viewer.close()


def test_dashboard_pages_run_their_scripts_with_no_policy_violation(live_server, browser):
    site = SiteFactory(owner=UserFactory(username="owner"))
    viewer = browser.new_page()
    violations: list[str] = []
    viewer.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    login(viewer, live_server, "owner")
    for path in (f"/sites/{site.pk}/", f"/sites/{site.pk}/install/", f"/sites/{site.pk}/settings/", "/api/v1/docs/"):
        viewer.goto(f"{live_server.url}{path}")
        viewer.wait_for_load_state("networkidle")
    assert viewer.locator(".swagger-ui").count() == 1  # Swagger UI started from its script file
    assert violations == []
    viewer.close()
