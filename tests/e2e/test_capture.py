"""Everything a session holds, captured by the real recorder in real Chromium and stored by a real worker."""
import json
import time

import pytest

from recorder.models import Chunk, Session
from replay.recordings import session_all_parts, session_events
from sites.snippet import site_snippet, site_static_tags
from tests.e2e.conftest import RequestLog, UploadSpy, flush_now, login, recorder_started, wait_for, wait_for_js
from tests.factories import SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def make_site(customer, **settings):
    return SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], **settings)


def html(snippet: str, body: str, title: str = "Shop") -> str:
    return f"<!doctype html><html><head><title>{title}</title>{snippet}</head><body>{body}</body></html>"


def stored_events(site, *, until=lambda events: True, timeout: float = 40) -> list[dict]:
    """The site's single session's events, once every chunk is stored and `until(events)` holds."""
    def ready():
        session = Session.objects.filter(site=site, chunk_count__gt=0).first()
        if session is None or Chunk.objects.filter(session=session, status=Chunk.PENDING).exists():
            return None
        events = list(session_events(session_all_parts(session)))
        return events if until(events) else None

    return wait_for(ready, timeout=timeout, interval=0.5, message="the stored events")


def snapshot_of_a_visit(context, live_server, customer, site, page_html: str) -> dict:
    """The stored full snapshot of a short visit to a page (closed 300 ms after the recorder started)."""
    customer.pages = {"/": page_html}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=lambda events: any(e["type"] == 2 for e in events))
    return next(e for e in events if e["type"] == 2)


def replayed_at_end(context, live_server, site, selector: str):
    """The site's session in the owner's player, at its end: the replay's frame, once `selector` is in it."""
    session = Session.objects.get(site=site)
    viewer = context.new_page()
    login(viewer, live_server, site.owner.username)
    viewer.goto(f"{live_server.url}/sites/{site.pk}/sessions/{session.pk}/?t={session.duration_ms / 1000:.1f}")
    wait_for_js(viewer, "window.__hsPlayer && window.__hsPlayer.state.status === 'ready'", timeout=30_000)
    frame = viewer.wait_for_selector("#hs-player iframe").content_frame()
    frame.wait_for_selector(selector, state="attached")
    return frame


def custom(events, tag) -> list[dict]:
    return [e["data"]["payload"] for e in events if e["type"] == 5 and e["data"].get("tag") == tag]


def has(tag, predicate=lambda payload: True):
    return lambda events: any(predicate(p) for p in custom(events, tag))


def test_console_errors_and_rejections_are_timeline_events(live_server, celery_worker, customer, page):
    """(A page that logs what a visitor typed: its card numbers never leave the browser, and neither card
    numbers, credentials in addresses nor e-mail addresses, where the site asks, are stored.)"""
    site = make_site(customer, scrub_emails=True)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Errors</h1>")}
    page.goto(customer.url("/"))
    recorder_started(page)
    uploads = UploadSpy(page)
    page.evaluate("""() => {
        console.error('checkout failed', {code: 42}, 'x'.repeat(5000));
        console.warn('deprecated call');
        console.warn('declined', '4111 1111 1111 1111', 'for', {email: 'ada@example.com'}, '/reset?token=Tok3nSecret9');
        setTimeout(() => { throw new Error('kaboom in handler') }, 0);
        Promise.reject(new Error('promise went wrong'));
    }""")
    page.wait_for_timeout(500)
    flush_now(page)
    uploads.wait(page)
    sent = b"".join(uploads.bodies())
    assert b"declined" in sent and b"4111" not in sent and b"Tok3nSecret9" not in sent
    page.close()
    events = stored_events(site, until=has("hs.error", lambda p: p["kind"] == "rejection"))
    declined = next(p["message"] for p in custom(events, "hs.error") if "declined" in p["message"])
    assert declined == 'declined **** **** **** **** for {"email":"***************"} /reset?token=*'
    errors = custom(events, "hs.error")
    kinds = {p["kind"] for p in errors}
    assert {"console.error", "console.warn", "error", "rejection"} <= kinds
    thrown = next(p for p in errors if p["kind"] == "error")
    assert "kaboom in handler" in thrown["message"] and thrown["line"] and "kaboom" in thrown["stack"]
    logged = next(p for p in errors if p["kind"] == "console.error")
    assert "checkout failed" in logged["message"] and len(logged["message"]) < 3000
    session = Session.objects.get(site=site)
    assert session.error_count == 3  # error, rejection and console.error; a warning is not an error


def test_console_recording_can_be_turned_off(live_server, celery_worker, customer, page):
    site = make_site(customer, record_console=False)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Quiet</h1>")}
    page.goto(customer.url("/"))
    recorder_started(page)
    page.evaluate("console.error('should not be recorded')")
    page.click("h1")
    page.close()
    events = stored_events(site, until=has("hs.page"))
    assert custom(events, "hs.error") == []


API_PAGE = """<h1>Network</h1><script>
async function calls() {
  await fetch('/api/items?token=abc123&page=2').then(r => r.text());
  await fetch('/missing').then(r => r.text());
  await new Promise(done => { const x = new XMLHttpRequest(); x.open('POST', '/api/save?user=jane'); x.onloadend = done; x.send('{"a":1}'); });
  navigator.sendBeacon('/beacon', 'hello');
  await fetch('http://127.0.0.1:1/unreachable').catch(() => null);
}
</script>"""


def api_pages(snippet):
    return {"/": html(snippet, API_PAGE), "/api/items": "[1,2,3]", "/api/save": "ok"}


def test_network_requests_are_recorded_without_bodies_and_with_masked_query_values(live_server, celery_worker, customer, page):
    site = make_site(customer)
    customer.pages = api_pages(site_snippet(site, live_server.url))
    page.goto(customer.url("/"))
    recorder_started(page)
    page.evaluate("calls()")
    page.wait_for_timeout(500)
    page.close()
    events = stored_events(site, until=has("hs.net", lambda p: p["kind"] == "beacon"))
    requests = custom(events, "hs.net")
    by_url = {p["url"].split("?")[0].replace(customer.origin, ""): p for p in requests}
    items = by_url["/api/items"]
    assert items["method"] == "GET" and items["status"] == 200 and items["kind"] == "fetch"
    assert "abc123" not in items["url"] and "token=" in items["url"]
    assert items["duration"] >= 0
    assert by_url["/missing"]["status"] == 404
    saved = by_url["/api/save"]
    assert (saved["kind"], saved["method"], saved["status"]) == ("xhr", "POST", 501)  # the test server has no POST
    assert "jane" not in saved["url"]
    assert by_url["/beacon"]["kind"] == "beacon"
    assert any(p["status"] == 0 for p in requests)  # the unreachable one failed
    assert not any("/api/v1/ingest" in p["url"] for p in requests)  # never our own uploads
    assert '{"a":1}' not in repr(requests)


def test_network_recording_can_be_turned_off(live_server, celery_worker, customer, page):
    site = make_site(customer, record_network=False)
    customer.pages = api_pages(site_snippet(site, live_server.url))
    page.goto(customer.url("/"))
    recorder_started(page)
    page.evaluate("calls()")
    page.click("h1")
    page.close()
    events = stored_events(site, until=has("hs.page"))
    assert custom(events, "hs.net") == []


SPA = """<h1 id="title">Home</h1><a id="go" href="#">go</a><script>
function nav(path, title) { document.getElementById('title').textContent = title; }
</script>"""


def test_spa_navigations_are_page_views_of_one_session(live_server, celery_worker, customer, page):
    site = make_site(customer)
    customer.pages = {"/app": html(site_snippet(site, live_server.url), SPA)}
    page.goto(customer.url("/app"))
    recorder_started(page)
    page.evaluate("history.pushState({}, '', '/app/products'); nav('', 'Products')")
    page.wait_for_timeout(100)
    page.evaluate("history.replaceState({}, '', '/app/products?sort=price')")  # a sort kept in the URL
    page.wait_for_timeout(100)
    page.evaluate("history.replaceState({}, '', '/app/catalog?sort=price')")  # a router's redirect
    page.wait_for_timeout(100)
    page.evaluate("history.replaceState({}, '', '/app/catalog?sort=price#shoes')")  # a scroll-spy's
    page.wait_for_timeout(100)
    page.evaluate("history.pushState({}, '', '/app/cart')")
    page.wait_for_timeout(100)
    page.go_back()
    page.wait_for_timeout(100)
    page.evaluate("location.hash = '#reviews'")
    page.wait_for_timeout(100)
    page.evaluate("__insp.push(['virtualPage', {url: '/app/wizard/step-2', title: 'Step 2'}])")
    page.click("h1")
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=has("hs.page", lambda p: p["kind"] == "virtual"))
    pages = custom(events, "hs.page")
    assert [p["kind"] for p in pages] == ["load", "push", "state", "replace", "fragment", "push", "pop", "hash", "virtual"]
    assert pages[1]["url"] == customer.url("/app/products")
    assert pages[2]["url"] == customer.url("/app/products?sort=price")
    assert pages[4]["url"] == customer.url("/app/catalog?sort=price#shoes")
    assert pages[-1]["url"].endswith("/app/wizard/step-2") and pages[-1]["title"] == "Step 2"
    session = Session.objects.get(site=site)
    assert session.page_count == 7 and Session.objects.filter(site=site).count() == 1


@pytest.mark.parametrize("temporal", [True, False], ids=["temporal", "intl"])
def test_identity_tags_device_and_visibility(live_server, celery_worker, customer, browser, temporal):
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Hello</h1>")}
    context = browser.new_context(viewport={"width": 1024, "height": 700}, locale="de-DE", timezone_id="Europe/Berlin",
                                  user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36")
    if not temporal:  # a browser without Temporal: the zone comes from Intl
        context.add_init_script("delete window.Temporal")
    page = context.new_page()
    page.goto(customer.url("/"))
    page.evaluate("__insp.push(['identify', 'anon']); __insp.push(['tagSession', {plan: 'free', role: 'admin'}])")
    recorder_started(page)
    page.evaluate("__insp.push(['identify', 'user-42']); __insp.push(['tagSession', {plan: 'pro'}]); __insp.push(['tagSession', 'vip'])")
    page.set_viewport_size({"width": 800, "height": 600})
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.click("h1")
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=has("hs.tag", lambda p: "vip" in p["tags"]))
    session = Session.objects.get(site=site)
    assert session.identity == "user-42"
    assert session.tags["plan"] == "pro" and session.tags["role"] == "admin" and "vip" in session.tags
    assert (session.browser, session.os, session.device_type) == ("Chrome", "Windows", "desktop")
    assert (session.language, session.timezone) == ("de-DE", "Europe/Berlin")
    device = custom(events, "hs.device")[0]
    assert device["vpW"] == 1024 and device["dpr"] >= 1 and "touch" in device
    assert any(e["type"] == 3 and e["data"]["source"] == 4 and e["data"]["width"] == 800 for e in events)
    assert custom(events, "hs.visibility")
    context.close()


def test_cross_origin_iframes_are_boxes_and_file_inputs_keep_no_names(live_server, celery_worker, customer, context, tmp_path):
    site = make_site(customer)
    secret_file = tmp_path / "medical-report-jane.pdf"
    secret_file.write_bytes(b"%PDF secret-file-content")
    body = f"""<h1>Upload</h1><iframe id="pay" src="{live_server.url}/accounts/login/" width="300" height="150"></iframe>
               <input id="file" type="file">"""
    customer.pages = {"/": html(site_snippet(site, live_server.url), body)}
    page = context.new_page()
    uploads = UploadSpy(page)
    page.goto(customer.url("/"))
    recorder_started(page)
    page.set_input_files("#file", str(secret_file))
    page.click("h1")
    page.wait_for_timeout(300)
    flush_now(page)
    uploads.wait(page)
    sent = b"".join(uploads.bodies())
    page.close()
    events = stored_events(site, until=has("hs.file"))
    assert custom(events, "hs.file") == [{"chosen": 1}]
    dump = repr(events)
    assert "medical-report-jane" not in dump and "secret-file-content" not in dump
    assert "Log in to Hindsight" not in dump  # the iframe's own content is not recorded
    assert b"hs.file" in sent
    assert b"medical-report-jane" not in sent  # the name never left the browser


def test_url_rules_and_sampling_decide_in_the_browser(live_server, celery_worker, customer, browser):
    site = make_site(customer, exclude_urls="/admin*", sample_rate=100)
    snippet = site_snippet(site, live_server.url)
    customer.pages = {"/admin/users": html(snippet, "<h1>Admin</h1>"), "/shop": html(snippet, "<h1>Shop</h1>")}
    context = browser.new_context()
    requests = RequestLog(context)
    page = context.new_page()
    page.goto(customer.url("/admin/users"))
    page.wait_for_load_state("networkidle")
    page.click("h1")
    page.wait_for_timeout(1000)
    assert requests.ingest() == []
    context.close()
    site.sample_rate = 0
    site.exclude_urls = ""
    site.save()
    context = browser.new_context()  # a new browser: the loader is cached for an hour
    requests = RequestLog(context)
    page = context.new_page()
    page.goto(customer.url("/shop"))
    page.wait_for_load_state("networkidle")
    page.click("h1")
    page.wait_for_timeout(1000)
    page.close()
    assert requests.ingest() == []
    assert not Session.objects.filter(site=site).exists()
    context.close()


@pytest.mark.parametrize("csp", ["", "worker-src 'none'"])
def test_batches_are_gzipped_in_a_worker_or_on_the_main_thread_where_the_page_refuses_workers(
    live_server, celery_worker, customer, page, csp
):
    site = make_site(customer)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}">' if csp else ""
    customer.pages = {"/": html(meta + site_snippet(site, live_server.url), "<h1>Ledger</h1>")}
    page.goto(customer.url("/"))
    recorder_started(page)
    page.evaluate("""() => {
        const block = document.createElement('pre');
        block.textContent = 'ledger line, the same again and again\\n'.repeat(1500);
        document.body.appendChild(block);
    }""")
    page.wait_for_timeout(800)
    workers = len(page.workers)
    page.close()
    events = stored_events(site, until=lambda events: "ledger line" in json.dumps(events))
    as_json = len(json.dumps(events, separators=(",", ":")))
    received = sum(Chunk.objects.filter(site=site).values_list("received_bytes", flat=True))
    assert workers == (0 if csp else 1)
    assert received < as_json / 5, (received, as_json)


def test_a_page_that_requires_trusted_types_records_from_the_two_static_tags(live_server, celery_worker, customer,
                                                                           page):
    """A page whose policy requires Trusted Types refuses the snippet's `script.src` (the install page and
    README give two static tags instead) and the recorder's gzip Worker from a string URL: the recorder then compresses on the page's
    thread, throws nothing into the page, and the visit is stored with what the visitor did."""
    site = make_site(customer)
    tags = site_static_tags(site, live_server.url)  # as the install page shows them
    policy = '<meta http-equiv="Content-Security-Policy" content="require-trusted-types-for \'script\'">'
    customer.pages = {"/": html(policy + tags, '<h1>Ledger</h1><button onclick="this.textContent = \'paid\'">pay</button>')}
    thrown = []
    page.on("pageerror", lambda error: thrown.append(str(error)))
    page.goto(customer.url("/"))
    # (wait_for_function evaluates a string, which the policy refuses)
    wait_for_js(page, "!!window.__insp && !Array.isArray(window.__insp)", timeout=10_000)  # the recorder runs
    page.click("button")
    page.wait_for_timeout(300)
    workers = len(page.workers)
    page.close()
    events = stored_events(site, until=lambda events: "paid" in json.dumps(events))
    assert "Ledger" in json.dumps(events)
    assert (workers, thrown) == (0, [])


def test_a_page_whose_snapshot_is_megabytes_records_and_replays(live_server, celery_worker, customer, page):
    """A heavy page (a megabyte of inlined CSS, thousands of elements): its snapshot, over 2 MB of JSON,
    is recorded, sent at once and stored whole, not given up on. (The snippet is at the end of the body:
    from the head, the recorder may start while the rows are still being parsed, and they then come as
    DOM changes after a smaller snapshot.)"""
    site = make_site(customer)
    rule = ".c%d { color: rgb(1, 2, 3); margin: 1px 2px 3px 4px; padding: 0 1px; border: 1px solid #abcdef; }\n"
    css = "".join(rule % i for i in range(11000))
    rows = "".join(f'<div class="row c{i}"><span>Item {i}</span> <a href="/p/{i}">details {i}</a></div>' for i in range(3000))
    customer.pages = {"/": html(f"<style>{css}</style>", "<h1>Catalogue</h1>" + rows + site_snippet(site, live_server.url))}
    uploads = UploadSpy(page)
    page.goto(customer.url("/"))
    recorder_started(page)
    # Too large for what a closing page may send, the snapshot's batch goes at once, not at the 10 s tick.
    for _ in range(40):
        if any(len(body) > 2_000_000 for body in uploads.bodies()):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the snapshot's batch did not go at once")
    page.click("h1")
    flush_now(page)
    page.wait_for_timeout(500)
    page.close()
    events = stored_events(site, until=lambda events: any(e["type"] == 2 for e in events))
    snapshot = json.dumps(next(e for e in events if e["type"] == 2))
    assert len(snapshot) > 2_000_000
    assert "Item 2999" in snapshot and ".c10999" in snapshot
    assert any(e["type"] == 3 and e["data"]["source"] == 2 for e in events)  # recording went on after it: the click


# Prototype.js 1.6 (old stores still ship it) gives arrays a toJSON that returns a JSON string.
PROTOTYPE_JS = """<script>
Array.prototype.toJSON = function () { return '[' + this.map(function (x) { return JSON.stringify(x); }).join(', ') + ']'; };
</script>"""


def test_a_page_that_gives_arrays_a_tojson_is_recorded(live_server, celery_worker, customer, page):
    site = make_site(customer)
    body = ("<h1>Old store</h1><ul><li>a</li></ul>"
            "<button onclick=\"document.querySelector('ul').innerHTML += '<li>Added-99</li>'\">Add</button>")
    customer.pages = {"/": html(PROTOTYPE_JS + site_snippet(site, live_server.url), body)}
    page.goto(customer.url("/"))
    recorder_started(page)
    page.click("button")
    page.wait_for_timeout(300)
    assert page.evaluate("JSON.stringify([1])") == '"[1]"'  # the page's toJSON is still there
    page.close()
    events = stored_events(site, until=lambda events: "Added-99" in json.dumps(events))
    assert any(e["type"] == 2 for e in events)


def test_a_same_origin_frame_whose_page_carries_the_snippet_too_is_recorded_as_part_of_that_page(
    live_server, celery_worker, customer, page
):
    """Site-wide templates put the snippet in pages shown in frames too. The parent's recorder records
    a same-origin frame; the frame's own recorder would put a second page, snapshot and all, into the
    same session, and the replay would show the frame's page full size. The frame's commands count."""
    site = make_site(customer)
    snippet = site_snippet(site, live_server.url)
    customer.pages = {
        "/": html(snippet, "<h1>Parent</h1><iframe src='/frame' width=400 height=200></iframe>"),
        "/frame": html(snippet + "<script>__insp.push(['identify', 'framed-user'])</script>",
                       "<h2>Child</h2><button onclick=\"this.textContent='clicked'\">b</button>"),
    }
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(1000)
    page.frame_locator("iframe").locator("button").click()
    page.wait_for_timeout(11000)  # the frame's recorder would have sent its first batch by now (flushMs)
    page.close()
    events = stored_events(site, until=lambda events: "clicked" in json.dumps(events) and custom(events, "hs.identify"))
    assert sum(1 for e in events if e["type"] == 2) == 1
    assert [p["url"] for p in custom(events, "hs.page")] == [customer.url("/")]
    assert custom(events, "hs.identify") == [{"id": "framed-user"}]
    assert Session.objects.filter(site=site).count() == 1


def element_ids(node, found=None) -> dict:
    """The rrweb id of each element with an id attribute in a snapshot's tree."""
    found = {} if found is None else found
    if node.get("attributes", {}).get("id"):
        found[node["attributes"]["id"]] = node["id"]
    for child in node.get("childNodes", []):
        element_ids(child, found)
    return found


SELECTS = """<h1>Plans</h1>
<select id="plan"><option value="basic">Basic</option><option value="pro">Pro</option></select>
<select id="region"><optgroup label="Europe"><option value="eu-west">West</option>
  <option value="eu-north">North</option></optgroup></select>
<select id="month" name="expiry_month"><option value="01">01</option><option value="11">11</option></select>
<button id="choose" onclick="plan.options[1].selected = true; region.querySelector('[value=eu-north]').selected = true;
  month.options[1].selected = true">Choose</button>"""


def test_an_option_a_script_chooses_is_recorded_as_the_selects_new_value_and_masked_as_its_choice(
        live_server, celery_worker, customer, page):
    """rrweb hooks an option's `selected` setter, then took the option for no field: a choice a page made by
    script (restoring a form, a country from the visitor's locale) was never recorded, and the replay kept
    the option chosen before (plain rrweb the same)."""
    site = make_site(customer, mask_all_inputs=False)
    customer.pages = {"/": html(site_snippet(site, live_server.url), SELECTS)}
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    page.click("#choose")
    page.wait_for_timeout(300)
    page.close()

    def chosen(events):
        return sum(1 for e in events if e["type"] == 3 and e["data"]["source"] == 5) >= 3

    events = stored_events(site, until=chosen)
    ids = element_ids(next(e for e in events if e["type"] == 2)["data"]["node"])
    values = {e["data"]["id"]: e["data"]["text"] for e in events if e["type"] == 3 and e["data"]["source"] == 5}
    assert values == {ids["plan"]: "pro", ids["region"]: "eu-north", ids["month"]: "**"}  # a card field's choice: masked


CHOSEN = """<h1>Order</h1>
<select id="size"><option value="s">S</option><option value="m" selected>M</option></select>
<select id="extras" multiple size="3"><option value="milk">Milk</option><option value="sugar" selected>Sugar</option>
  <option value="lemon" selected>Lemon</option></select>
<select id="month" name="expiry_month"><option value="01">01</option><option value="11" selected>11</option></select>
<select id="gift" class="hindsight-mask"><option value="no">No</option><option value="yes" selected>Yes</option></select>"""
REPLAYED_CHOICES = """() => [...document.querySelectorAll('select')].map(s => s.id + ':' +
    [...s.options].filter(o => o.selected && !o.hasAttribute('data-hindsight-mask')).map(o => o.value).join(','))"""


def test_options_chosen_before_a_snapshot_replay_chosen_unless_the_choice_is_masked(
        live_server, celery_worker, customer, context):
    """The recorder wrote no option chosen (rrweb writes them only where no select is masked, and ours lets
    maskInputFn decide for every select), and a select's value chooses none in the replay: a select chosen
    before a snapshot replayed its first option, a `<select multiple>` none."""
    site = make_site(customer, mask_all_inputs=False)
    snapshot = json.dumps(snapshot_of_a_visit(context, live_server, customer, site, html(site_snippet(site, live_server.url), CHOSEN)))
    for kept in ('"value": "m", "selected": true', '"value": "sugar", "selected": true', '"value": "lemon", "selected": true'):
        assert kept in snapshot
    assert snapshot.count('"selected"') == 3  # a card field's choice and a masked one: never
    frame = replayed_at_end(context, live_server, site, "#gift")
    assert frame.evaluate(REPLAYED_CHOICES) == ["size:m", "extras:sugar,lemon", "month:", "gift:"]


# Fields whose markup checks or fills them, changed before the recorder's snapshot (the inline script runs
# while the page is parsed; the snippet, after it, starts the recorder later): as a visitor leaves them when
# a snapshot is taken after their change (a tab brought back, a new page of the session's checkpoint).
CHANGED_BEFORE_SNAPSHOT = """
<label><input type="checkbox" id="news" checked> News</label>
<label><input type="radio" name="ship" id="fast" value="fast" checked> Fast</label>
<label><input type="radio" name="ship" id="slow" value="slow"> Slow</label>
<input id="mail" type="email" value="prefill@example.com">
<input id="buy" type="submit" value="Buy now">
<script>
document.getElementById('news').checked = false;
document.getElementById('slow').checked = true;
document.getElementById('mail').value = '';
</script>
"""


def test_a_field_changed_from_its_markup_before_a_snapshot_replays_as_changed(
        live_server, celery_worker, customer, context):
    """rrweb's snapshot wrote a field's state over its markup's attributes only where there was a value or a
    check: a box the markup checks, unchecked, replayed checked, and a field the markup fills, emptied,
    replayed filled with the markup's value (unmasked) until the field's next change."""
    site = make_site(customer, mask_all_inputs=False)
    snapshot = snapshot_of_a_visit(context, live_server, customer, site, html("", CHANGED_BEFORE_SNAPSHOT + site_snippet(site, live_server.url)))
    fields = {}
    stack = [snapshot["data"]["node"]]
    while stack:
        node = stack.pop()
        stack.extend(node.get("childNodes", []))
        if node.get("tagName") == "input":
            fields[node["attributes"]["id"]] = node["attributes"]
    assert "checked" not in fields["news"] and "checked" not in fields["fast"] and fields["slow"]["checked"] is True
    assert "value" not in fields["mail"] and "prefill@example.com" not in json.dumps(stored_events(site))
    assert fields["fast"]["value"] == "fast" and fields["buy"]["value"] == "Buy now"  # what the markup says they are

    frame = replayed_at_end(context, live_server, site, "#mail")
    assert frame.evaluate("['news', 'fast', 'slow'].map((id) => document.getElementById(id).checked)") == [False, False, True]
    assert frame.evaluate("document.getElementById('mail').value") == ""


# A script sets a box's state in one task; the next task, queued before the change, keeps the page busy.
SET_THEN_BUSY = """
<label><input type="checkbox" id="auto" checked> Auto-renew</label>
<button id="go" onclick="go()">Go</button>
<script>
function go() {
  setTimeout(() => { document.getElementById('auto').checked = false; window.__setAt = Date.now(); }, 0);
  setTimeout(() => { const t = Date.now(); while (Date.now() - t < 300); }, 0);
}
</script>
"""


def test_a_state_set_by_script_is_recorded_at_its_moment_not_after_the_page_s_next_task(
        live_server, celery_worker, customer, context):
    """rrweb recorded a value, checked state or choice set by script in a timer of its own, after the
    page's tasks already queued: behind a busy one (here 300 ms), a frame could show the change long
    before the recording had it, and the replay showed the old state meanwhile."""
    site = make_site(customer, mask_all_inputs=False)
    customer.pages = {"/": html(site_snippet(site, live_server.url), SET_THEN_BUSY)}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    page.evaluate("go()")
    page.wait_for_timeout(300)
    set_at = page.evaluate("window.__setAt")
    page.close()

    events = stored_events(site, until=lambda events: any(e["data"].get("isChecked") is False for e in events if e["type"] == 3))
    recorded = next(e for e in events if e["type"] == 3 and e["data"].get("isChecked") is False)
    assert recorded["timestamp"] - set_at < 150, recorded["timestamp"] - set_at
