"""Session rules, the on-page notice and the recorder's manners, in real Chromium."""
import json

import pytest

from recorder.models import Session
from sites.snippet import site_snippet
from tests.e2e.conftest import RequestLog, UploadSpy, flush_now, recorder_started, wait_for
from tests.e2e.test_capture import custom, html, make_site, stored_events

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def session_ids(site) -> set[str]:
    return {str(pk) for pk in Session.objects.filter(site=site, chunk_count__gt=0).values_list("pk", flat=True)}


def test_one_session_spans_page_loads_until_the_inactivity_timeout(live_server, celery_worker, customer, context):
    site = make_site(customer)
    customer.pages = {p: html(site_snippet(site, live_server.url), f"<h1>{p}</h1>") for p in ("/a", "/b", "/c")}
    customer.pages["/no-snippet"] = "<!doctype html><title>plain</title><h1>plain</h1>"
    page = context.new_page()
    page.goto(customer.url("/a"))
    recorder_started(page)
    page.click("h1")
    page.goto(customer.url("/b"))
    recorder_started(page)
    page.click("h1")
    flush_now(page)
    first = wait_for(lambda: session_ids(site), message="the first session")
    visitor = page.evaluate("localStorage.getItem('hs_vid')")
    page.goto(customer.url("/no-snippet"))  # /b's last words (at pagehide) are written by now
    # 31 minutes without activity (the site's timeout is 30): the next page load starts a new session.
    page.evaluate(f"""() => {{
        const key = 'hs_ses_{site.pk}';
        const s = JSON.parse(localStorage.getItem(key));
        s.last -= 31 * 60 * 1000; s.start -= 31 * 60 * 1000;
        localStorage.setItem(key, JSON.stringify(s));
    }}""")
    page.goto(customer.url("/c"))
    recorder_started(page)
    page.click("h1")
    flush_now(page)
    both = wait_for(lambda: len(session_ids(site)) == 2 and session_ids(site), message="a second session")
    assert first < both
    sessions = Session.objects.filter(site=site)
    assert {s.visitor_id for s in sessions} == {json.loads(visitor)}  # one visitor id outlives sessions
    assert sorted(s.page_count for s in sessions) == [1, 2]


def test_a_prerendered_page_records_nothing_until_the_visitor_is_shown_it(live_server, celery_worker, customer,
                                                                          context):
    """Browsers render some pages ahead of a click the visitor may never make (speculation rules, a search
    engine's first result). Headless Chromium here does not prerender, so the page is given the state the
    browser gives one (`document.prerendering`, hidden) and then the activation event."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Ahead</h1><p id='p'>rendered ahead</p>")}
    requests = RequestLog(context)
    page = context.new_page()
    page.add_init_script("""Object.defineProperty(document, 'prerendering', {configurable: true, get: () => true});
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});""")
    page.goto(customer.url("/"))
    recorder_started(page)  # (commands are taken from the start)
    page.evaluate("""() => {
        __insp.push(['identify', 'ahead-1']);
        document.getElementById('p').textContent = 'changed before anyone saw it';
    }""")
    flush_now(page)
    page.wait_for_timeout(1500)
    assert requests.ingest() == []
    shown = page.evaluate("""() => {
        const at = Date.now();
        Object.defineProperty(document, 'prerendering', {configurable: true, get: () => false});
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
        document.dispatchEvent(new Event('prerenderingchange'));
        return at;
    }""")
    page.click("h1")
    flush_now(page)
    events = stored_events(site, until=lambda events: any(e["type"] == 3 and e["data"].get("source") == 2
                                                          for e in events))
    assert min(e["timestamp"] for e in events) >= shown
    assert [p["kind"] for p in custom(events, "hs.page")] == ["load"]
    assert [p["id"] for p in custom(events, "hs.identify")] == ["ahead-1"]
    assert "changed before anyone saw it" in json.dumps(events)


def test_uploads_wait_for_the_minimum_session_length(live_server, celery_worker, customer, context):
    site = make_site(customer, min_session_sec=4)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Short</h1>")}
    requests = RequestLog(context)
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    page.click("h1")
    flush_now(page)
    page.wait_for_timeout(1000)
    assert requests.ingest() == []  # a bounce costs no upload
    page.wait_for_timeout(3500)
    page.click("h1")
    flush_now(page)
    wait_for(lambda: session_ids(site), message="the session once it is long enough")


def test_notice_is_shown_when_the_site_asks_and_dismissal_is_remembered(live_server, customer, context):
    site = make_site(customer, notice=True, notice_text="We record visits to improve this shop.")
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Hi</h1>")}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    notice = page.get_by_role("status").filter(has_text="We record visits to improve this shop.")
    notice.wait_for()
    notice.get_by_role("button", name="Dismiss").click()
    assert notice.count() == 0
    page.reload()
    recorder_started(page)
    page.wait_for_timeout(300)
    assert page.get_by_text("We record visits").count() == 0


def test_no_notice_by_default(live_server, customer, page):
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Hi</h1>")}
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    assert page.get_by_role("status").count() == 0


def test_mask_all_text_masks_every_text_node(live_server, celery_worker, customer, context):
    site = make_site(customer, mask_all_text=True)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Private heading</h1><p>Private paragraph</p>")}
    page = context.new_page()
    spy = UploadSpy(page)
    page.goto(customer.url("/"))
    recorder_started(page)
    page.click("h1")
    flush_now(page)
    spy.wait(page)
    sent = b"".join(spy.bodies())
    assert b"Private heading" not in sent and b"Private paragraph" not in sent
    assert b"******* *******" in sent


def test_the_recorder_never_throws_into_the_page(live_server, customer, context):
    site = make_site(customer)
    hostile = """<h1>Hostile</h1><script>
      // A page that breaks what the recorder relies on.
      Storage.prototype.setItem = function () { throw new Error('quota exceeded') };
      window.CompressionStream = function () { throw new Error('no compression') };
      JSON.stringify = (function (original) { let n = 0; return function () { if (++n % 7 === 0) throw new Error('odd'); return original.apply(this, arguments) } })(JSON.stringify);
    </script>"""
    customer.pages = {"/": html(site_snippet(site, live_server.url), hostile)}
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(customer.url("/"))
    page.wait_for_load_state("networkidle")
    page.click("h1")
    page.keyboard.type("still working")
    page.evaluate("__insp.push(['identify', 'x']); __insp.push(['tagSession', {a: 1}]); __insp.push(['no-such-command'])")
    page.wait_for_timeout(1500)
    assert errors == []
    assert page.evaluate("document.querySelector('h1').textContent") == "Hostile"


def test_starting_adds_no_element_to_the_page_unless_the_page_replaced_the_dom_s_own_methods(
        live_server, customer, context):
    """rrweb takes the DOM's methods from a fresh hidden iframe when the page replaced them, and until
    our build corrected its list of what to check, it did so on every page: an iframe that the page's
    own observers saw added and removed, and 10-25 ms of the main thread (BENCHMARKS.md)."""
    site = make_site(customer)
    watch = """<script>
      window.added = [];
      new MutationObserver((records) => records.forEach((record) => record.addedNodes.forEach(
        (node) => window.added.push(node.nodeName)))).observe(document.documentElement, {childList: true, subtree: true});
    </script>"""
    replaced = """<script>
      const own = Element.prototype.querySelector;
      Element.prototype.querySelector = function (selector) { return own.call(this, selector) };
    </script>"""
    snippet = site_snippet(site, live_server.url)
    # The page's scripts in its head before the snippet, so that they run first.
    customer.pages = {"/": html(watch + snippet, "<h1>Shop</h1>"),
                      "/replaced": html(watch + replaced + snippet, "<h1>Shop</h1>")}
    seen = {}
    for path in ("/", "/replaced"):
        page = context.new_page()
        page.goto(customer.url(path))
        recorder_started(page)
        page.click("h1")  # an event: the full snapshot has been taken
        page.wait_for_timeout(500)
        seen[path] = page.evaluate("window.added")
        page.close()
    assert "IFRAME" not in seen["/"]
    assert "IFRAME" in seen["/replaced"]  # the check itself still works
