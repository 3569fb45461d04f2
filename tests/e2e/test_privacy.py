"""Privacy in real Chromium, proven on what was actually stored."""
import json
import time
import uuid

import pytest

from recorder.models import Chunk, Session
from sites.snippet import site_snippet
from tests.e2e.conftest import RequestLog, UploadSpy, flush_now, recorder_started, stored_bytes_everywhere, wait_for
from tests.factories import SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

SECRETS = {
    "password": "PwSecret-1111",
    "card_field": "4111 1111 1111 1111",
    "card_plain": "5500 0055 5555 5559",
    "ignored": "IgnoredSecret-2222",
    "masked": "MaskedSecret-3333",
    "masked_attr": "MaskedPlaceholder-8888",
    "censored": "CensoredSecret-4444",
    "otp": "OtpQ7Z9X2",
    "hidden": "HiddenSecret-6666",
    "was_password": "ShownPwSecret-1212",
    "unmasked_password": "UnmaskedPw-1313",
    "unmasked_card": "6011 0009 9013 9424",
    "rr_block": "RrBlockSecret-1414",  # rrweb's own classes, as a site that used rrweb has them
    "rr_mask": "RrMaskSecret-1515",
    "rr_mask_later": "RrMaskLater-1616",
    "rr_block_later": "RrBlockLater-1717",
}
VISIBLE = "VisibleOK-7777"


def privacy_page(snippet: str) -> str:
    return f"""<!doctype html><html><head><title>Privacy test</title>{snippet}</head><body>
    <h1>Account</h1>
    <input id="password" type="password">
    <input id="card" name="cardnumber" autocomplete="cc-number">
    <input id="plain" class="hindsight-unmask" name="notes">
    <div class="inspectletIgnore" id="ignored"><p>{SECRETS["ignored"]}</p><input id="in-ignored"></div>
    <div class="hindsight-mask" id="masked"><p>{SECRETS["masked"]}</p>
      <input id="in-masked" placeholder="{SECRETS["masked_attr"]}" title="{SECRETS["masked_attr"]}"></div>
    <input id="censored" name="address">
    <input id="otp" autocomplete="one-time-code">
    <input id="hidden" type="hidden" value="{SECRETS["hidden"]}">
    <select id="select"><option value="a">first</option><option value="b">second</option></select>
    <input id="toggle" type="password">
    <button id="show" onclick="document.getElementById('toggle').type='text'">Show</button>
    <input id="visible" class="inspectlet-whitelist" name="search">
    <input id="pw-unmask" type="password" class="hindsight-unmask">
    <input id="cvv-unmask" name="card_number" class="inspectlet-whitelist">
    <div class="rr-block"><div><p>{SECRETS["rr_block"]}</p></div></div>
    <section class="rr-mask"><div id="rr-masked"><p>{SECRETS["rr_mask"]}</p></div></section>
    <button id="later" onclick="document.getElementById('rr-masked').insertAdjacentHTML('beforeend',
      '<p><b>{SECRETS["rr_mask_later"][:6]}' + '{SECRETS["rr_mask_later"][6:]}</b></p>');
      document.querySelector('.rr-block div').insertAdjacentHTML('beforeend',
      '<p><b>{SECRETS["rr_block_later"][:6]}' + '{SECRETS["rr_block_later"][6:]}</b></p>')">Later</button>
    <p>Public text of the page.</p>
    </body></html>"""


def fill_everything(page):
    page.fill("#password", SECRETS["password"])
    page.click("#card")
    page.keyboard.type(SECRETS["card_field"], delay=5)
    page.click("#plain")
    page.keyboard.type(f"my card {SECRETS['card_plain']} thanks", delay=5)
    page.fill("#in-ignored", "typed-in-ignored")
    page.fill("#in-masked", "typed-in-masked")
    page.fill("#censored", SECRETS["censored"])
    page.fill("#otp", SECRETS["otp"])
    page.select_option("#select", "b")
    page.fill("#toggle", SECRETS["was_password"])
    page.click("#show")
    page.click("#toggle")
    page.keyboard.type("X", delay=5)
    page.click("#visible")
    page.keyboard.type(VISIBLE, delay=5)
    page.fill("#pw-unmask", SECRETS["unmasked_password"])  # the unmask class can never reveal these
    page.fill("#cvv-unmask", SECRETS["unmasked_card"])
    page.click("#later")
    page.click("h1")


def stored_session(site) -> Session:
    session = wait_for(lambda: Session.objects.filter(site=site, chunk_count__gt=0).first(), timeout=40,
                       message="a stored session")
    wait_for(lambda: not Chunk.objects.filter(session=session, status=Chunk.PENDING).exists(), message="all stored")
    return session


def test_no_planted_secret_leaves_the_browser_or_is_stored(live_server, celery_worker, customer, context):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain])
    customer.pages = {"/": privacy_page(site_snippet(site, live_server.url))}
    page = context.new_page()
    uploads = UploadSpy(page)
    page.goto(customer.url("/"))
    recorder_started(page)
    fill_everything(page)
    page.wait_for_timeout(300)
    flush_now(page)
    uploads.wait(page)
    sent = b"\n".join(uploads.bodies())
    page.close()

    stored_session(site)
    assert VISIBLE.encode() in sent
    for name, secret in SECRETS.items():
        assert secret.encode() not in sent and secret.replace(" ", "").encode() not in sent, f"{name} left the browser"
    assert b"typed-in-ignored" not in sent and b"typed-in-masked" not in sent

    everything = stored_bytes_everywhere(site.pk)
    assert b"Public text of the page." in everything
    assert VISIBLE.encode() in everything
    for name, secret in SECRETS.items():
        assert secret.encode() not in everything, name
        assert secret.replace(" ", "").encode() not in everything, name
    assert b"typed-in-ignored" not in everything and b"typed-in-masked" not in everything
    # Typed values are recorded keystroke by keystroke: before a card number is whole (and passes the Luhn
    # check), no more than its first six digits are ever sent or stored, in any field.
    for name in ("card_field", "card_plain", "unmasked_card"):
        seven = SECRETS[name][:8].encode()  # its first seven digits, as typed
        assert seven not in sent and seven not in everything, name


def test_the_server_scrubs_secrets_posted_by_a_client_that_bypasses_the_recorder(live_server, celery_worker, customer, page):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain])
    customer.pages = {"/": "<!doctype html><title>x</title><p>hostile</p>"}
    page.goto(customer.url("/"))
    now = int(time.time() * 1000)
    card = SECRETS["card_field"]
    snapshot = {"type": 2, "timestamp": now, "data": {"initialOffset": {"top": 0, "left": 0}, "node": {
        "type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "input", "attributes": {"type": "password", "value": SECRETS["password"]}, "childNodes": []},
            {"type": 2, "id": 3, "tagName": "input", "attributes": {"autocomplete": "cc-number", "value": "5500005555555559"}, "childNodes": []},
            {"type": 2, "id": 4, "tagName": "input", "attributes": {"autocomplete": "one-time-code", "value": SECRETS["otp"]}, "childNodes": []},
            {"type": 3, "id": 5, "textContent": f"Your card {card} is saved"},
        ]}}}
    events = [
        {"type": 4, "timestamp": now, "data": {"href": customer.url("/"), "width": 800, "height": 600}},
        snapshot,
        {"type": 3, "timestamp": now + 10, "data": {"source": 5, "id": 2, "text": SECRETS["password"] + "x", "isChecked": False}},
        {"type": 3, "timestamp": now + 20, "data": {"source": 0, "texts": [{"id": 5, "value": "card 4242-4242-4242-4242"}],
                                                       "attributes": [], "adds": [], "removes": []}},
        {"type": 5, "timestamp": now + 30, "data": {"tag": "hs.page", "payload": {"url": customer.url("/?card=4111111111111111"), "title": "x", "kind": "load"}}},
    ]
    batch = {"v": 1, "wid": site.pk, "vid": "hostile-client-01", "sid": str(uuid.uuid4()), "seq": 0, "sent": now, "events": events}
    status = page.evaluate(
        "([url, body]) => fetch(url, {method: 'POST', body, credentials: 'include', headers: {'Content-Type': 'text/plain'}}).then(r => r.status)",
        [f"{live_server.url}/api/v1/ingest?wid={site.pk}", json.dumps(batch)],
    )
    assert status == 202
    stored_session(site)
    everything = stored_bytes_everywhere(site.pk)
    assert b"hostile-client-01" in everything  # the batch was stored...
    for secret in (SECRETS["password"], SECRETS["otp"], "5500005555555559", "4111 1111 1111 1111", "4111111111111111",
                   "4242-4242-4242-4242"):
        assert secret.encode() not in everything, secret  # ...without its secrets


def visit(page, customer, path="/"):
    page.goto(customer.url(path))
    page.wait_for_load_state("networkidle")  # the loader has been fetched and run (or was a no-op)
    page.click("h1")
    page.keyboard.type("hello")
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(300)


def assert_nothing_left_after_the_loader(requests: RequestLog, live_server, site):
    assert requests.ingest() == []
    # (/optout and /exclude/ID are dashboard pages: their own icon may load once the log has begun)
    assert all("/recorder.js" in url or url.endswith("/static/icon.svg") for url in requests.to(live_server.url))
    assert not Session.objects.filter(site=site).exists()


@pytest.mark.parametrize("how", ["site-optout", "global-optout", "gpc-header", "gpc-script", "dnt-script", "ip-rule", "js-optout"])
def test_refused_visitors_send_nothing_after_the_loader(live_server, customer, browser, how):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain])
    customer.pages = {"/": f"<!doctype html><html><head>{site_snippet(site, live_server.url)}</head><body><h1>Hi</h1><p>text</p></body></html>"}
    headers = {"Sec-GPC": "1"} if how == "gpc-header" else {}
    context = browser.new_context(extra_http_headers=headers)
    if how == "gpc-script":
        context.add_init_script("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})")
    if how == "dnt-script":
        context.add_init_script("Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})")
    if how == "ip-rule":
        site.ip_rules = "127.0.0.1"
        site.save()
    page = context.new_page()
    if how == "site-optout":
        page.goto(f"{live_server.url}/exclude/{site.pk}")
        assert page.get_by_test_id("optout-page").is_visible()
    if how == "global-optout":
        page.goto(f"{live_server.url}/optout")
    if how == "js-optout":
        page.goto(customer.url("/"))
        recorder_started(page)
        page.evaluate("__insp.push(['optOut'])")
    requests = RequestLog(context)
    visit(page, customer)
    page.reload()
    visit(page, customer)
    page.close()
    time.sleep(1)
    assert_nothing_left_after_the_loader(requests, live_server, site)
    context.close()


def test_consent_mode_records_nothing_until_consent_and_stops_on_refusal(live_server, celery_worker, customer, context):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], consent_required=True)
    customer.pages = {"/": f"<!doctype html><html><head>{site_snippet(site, live_server.url)}</head><body><h1>Hi</h1><input id='q'></body></html>"}
    requests = RequestLog(context)
    page = context.new_page()
    visit(page, customer)
    page.wait_for_timeout(500)
    assert requests.ingest() == []
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('hs_'))") == []

    recorder_started(page)
    page.evaluate("__insp.push(['consent', true])")
    page.click("h1")
    page.mouse.move(50, 50)
    page.mouse.move(200, 120)
    session = stored_session(site)

    page.evaluate("__insp.push(['consent', false])")
    sent = len(requests.ingest())
    page.click("h1")
    page.keyboard.type("after refusal")
    page.reload()
    recorder_started(page)
    page.click("h1")
    page.wait_for_timeout(1500)
    page.close()
    time.sleep(1)
    assert len(requests.ingest()) == sent
    assert Session.objects.filter(site=site).count() == 1 and Session.objects.get().pk == session.pk
