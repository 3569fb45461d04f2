"""Privacy holes found by planting secrets in a real page, proven closed on what was actually stored.

Each test records a planted page in real Chromium through the real recorder,
ingest and worker, then scans what left the browser and every stored byte.
"""
import re

import pytest

from recorder.models import Chunk, Session
from replay.recordings import session_all_parts, session_events
from sites.snippet import site_snippet
from tests.e2e.conftest import UploadSpy, flush_now, recorder_started, stored_bytes_everywhere, wait_for
from tests.factories import SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# Between the digits of a stored card number: whitespace, dots, dashes, and the
# no-break and thin spaces raw (UTF-8) or escaped by JSON.
SEPARATOR = rb"(?:[\s.\-]|\xc2\xa0|\xe2\x80[\x80-\x8f\xaf]|\\u[0-9a-fA-F]{4})*"


def card_pattern(number: str) -> re.Pattern:
    return re.compile(SEPARATOR.join(re.escape(d.encode()) for d in number.replace(" ", "")))


def record(live_server, customer, context, site, html: str, act, address: str = "/") -> tuple[bytes, bytes]:
    """Record `html`, served at `address`, while `act(page)` runs; answer what left the browser and what was stored."""
    customer.pages = {address.split("?")[0]: html.replace("{snippet}", site_snippet(site, live_server.url))}
    page = context.new_page()
    uploads = UploadSpy(page)
    page.goto(customer.url(address))
    recorder_started(page)
    act(page)
    page.click("h1")
    page.wait_for_timeout(300)
    flush_now(page)
    uploads.wait(page)
    sent = b"\n".join(uploads.bodies())
    page.close()
    session = wait_for(lambda: Session.objects.filter(site=site, chunk_count__gt=0).first(), timeout=40,
                       message="a stored session")
    wait_for(lambda: not Chunk.objects.filter(session=session, status=Chunk.PENDING).exists(), message="all stored")
    return sent, stored_bytes_everywhere(site.pk)


CARD_PAGE = """<!doctype html><html><head><title>Cards</title>{snippet}</head><body>
<h1>Billing</h1>
<p>Split: <span>4012 8888</span><span> 8888 1881</span></p>
<p>Split by markup: <b>5105 1051 </b>
   <i>0510 5100</i></p>
<p>Dots: 4000.0566.5566.5556</p>
<p>No-break: 3530&nbsp;1113&nbsp;3330&nbsp;0000</p>
<p>Thin: 6011&#x202F;1111&#x2009;1111&#x2009;1117</p>
<div id="later"></div>
<button id="add" onclick="document.getElementById('later').innerHTML = '<span>37' + '82 822463</span><span> 10005</span>'">Add</button>
<input id="notes" class="hindsight-unmask" name="notes">
<input id="memo" class="hindsight-unmask" name="memo">
<p>Page 1 2 3 4 5 6 7 8 9 10 11 12 13 14</p>
</body></html>"""
PAGE_CARDS = ["4012 8888 8888 1881", "5105 1051 0510 5100", "4000 0566 5566 5556", "3530 1113 3330 0000",
              "6011 1111 1111 1117", "3782 822463 10005"]
TYPED_CARDS = {"#notes": "pay 5555.5555.5555.4444 ok", "#memo": "2223\u00a00031\u00a02200\u00a03222"}


def test_card_numbers_split_across_elements_or_written_with_dots_or_odd_spaces_are_never_stored(
        live_server, celery_worker, customer, context):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain])

    def act(page):
        page.click("#add")
        for selector, text in TYPED_CARDS.items():
            page.click(selector)
            page.keyboard.type(text, delay=5)

    sent, stored = record(live_server, customer, context, site, CARD_PAGE, act)
    assert b"Billing" in stored and b"Page 1 2 3 4 5 6 7 8 9 10 11 12 13 14" in stored  # a pager is not a card
    for number in PAGE_CARDS + ["5555 5555 5555 4444", "2223 0031 2200 3222"]:
        assert not card_pattern(number).search(sent), f"{number} left the browser"
        assert not card_pattern(number).search(stored), f"{number} was stored"
    for half in (b"4012 8888", b"8888 1881", b"5105 1051", b"0510 5100", b"3782 822463"):
        assert half not in sent and half not in stored, half


EDITOR_PAGE = """<!doctype html><html><head><title>Editors</title>{snippet}</head><body>
<h1>Compose</h1>
<div id="editor" contenteditable="true"><p>Draft kept private</p></div>
<div id="plain-editor" contenteditable="plaintext-only"></div>
<div id="masked-editor" contenteditable class="hindsight-mask"></div>
<div class="inspectletIgnore"><div id="ignored-editor" contenteditable="true"></div></div>
<div id="shown-editor" contenteditable="true" class="hindsight-unmask"></div>
</body></html>"""


def type_into(page, selector: str, text: str) -> None:
    page.click(selector)
    page.keyboard.type(text, delay=5)


def test_text_typed_into_a_rich_text_editor_is_masked_like_an_input(live_server, celery_worker, customer, context):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], mask_all_inputs=True)

    def act(page):
        type_into(page, "#editor", " EditorSecret-5151")
        page.keyboard.press("Enter")
        page.keyboard.type("EditorLine-5252", delay=5)
        type_into(page, "#plain-editor", "PlainEditor-5353")
        type_into(page, "#masked-editor", "MaskedEditor-5454")
        type_into(page, "#ignored-editor", "IgnoredEditor-5555")
        type_into(page, "#shown-editor", "ShownEditorOK-5656")

    sent, stored = record(live_server, customer, context, site, EDITOR_PAGE, act)
    assert b"ShownEditorOK-5656" in stored  # the unmask class shows an editor, as it shows an input
    for secret in (b"Draft kept private", b"EditorSecret", b"EditorLine", b"PlainEditor", b"MaskedEditor", b"IgnoredEditor"):
        assert secret not in sent and secret not in stored, secret


def test_editors_follow_the_mask_and_ignore_classes_when_inputs_are_not_masked(live_server, celery_worker, customer, context):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], mask_all_inputs=False)

    def act(page):
        type_into(page, "#editor", " EditorShownOK-6161")
        type_into(page, "#masked-editor", "MaskedEditor-6262")
        page.keyboard.press("Enter")
        page.keyboard.type("MaskedLine-6363", delay=5)
        type_into(page, "#ignored-editor", "IgnoredEditor-6464")
        type_into(page, "#shown-editor", "card 4111 1111 1111 1111")

    sent, stored = record(live_server, customer, context, site, EDITOR_PAGE, act)
    assert b"EditorShownOK-6161" in stored and b"Draft kept private" in stored
    for secret in (b"MaskedEditor", b"MaskedLine", b"IgnoredEditor"):
        assert secret not in sent and secret not in stored, secret
    # Typed keystroke by keystroke, a card number shows no more than its first six digits, as in an input.
    assert b"4111 111" not in sent and b"4111 111" not in stored



# A mail composer: a draft with a link, then what the visitor pastes (an e-mail address the editor made a
# link of, a mention, an image) and what the editor then changes in it; and notes the site shows.
MAIL_PAGE = """<!doctype html><html><head><title>Mail</title>{snippet}</head><body>
<h1>New message</h1>
<div id="body" contenteditable="true" aria-label="Message body"><p>Hi <a href="mailto:carol.white@example.org" title="Carol White">Carol</a></p></div>
<div id="notes" contenteditable="true" class="hindsight-unmask"></div>
</body></html>"""
MAIL_PASTE = """() => {
    document.execCommand('insertHTML', false, ' <a href="mailto:dave.brown@example.net">dave</a>'
        + ' <span class="mention" data-user="Erin Green">@Erin</span> <img alt="Scan of Frank Ives" width="8" height="8">');
    document.querySelector('#body .mention').setAttribute('data-user', 'Gina Hall');
    document.querySelector('#body a').setAttribute('href', 'mailto:harry.king@example.com');
    document.getElementById('notes').innerHTML = '<span data-user="Shown Person">@Shown</span>';
}"""


def test_what_an_editor_holds_in_attributes_is_masked_as_its_text(live_server, celery_worker, customer, context):
    """With all inputs masked, an editor's text was masked but not its elements' attributes: the address of
    an e-mail link the visitor wrote, a mention's name and an image's alt were stored as they were."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], mask_all_inputs=True)

    def act(page):
        page.click("#body")
        page.keyboard.press("End")
        page.evaluate(MAIL_PASTE)

    sent, stored = record(live_server, customer, context, site, MAIL_PAGE, act)
    assert b"Message body" in stored and b"Shown Person" in stored  # the editor's own label; an unmasked editor
    for secret in (b"carol.white", b"Carol White", b"dave.brown", b"Erin Green", b"Frank Ives", b"Gina Hall", b"harry.king"):
        assert secret not in sent and secret not in stored, secret


DESIGN_MODE_PAGE = """<!doctype html><html><head><title>Design mode</title>{snippet}</head><body>
<h1>Notes</h1>
<p id="note">Start here.</p>
<iframe id="frame" srcdoc="<body><p>Frame text</p></body>" onload="this.contentDocument.designMode = 'on'"></iframe>
<script>document.designMode = 'on'</script>
</body></html>"""


def test_text_typed_into_a_document_in_design_mode_is_masked_like_an_editor(live_server, celery_worker, customer, context):
    """An old rich-text editor is a whole document in design mode, with no contenteditable attribute."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], mask_all_inputs=True)

    def act(page):
        page.wait_for_function("document.getElementById('frame').contentDocument.designMode === 'on'")
        type_into(page, "#note", " DesignSecret-5757")
        page.frame_locator("#frame").locator("p").click()
        page.keyboard.type(" FrameDesignSecret-5858", delay=5)
        # (and what an element pasted there carries in attributes: see MAIL_PAGE)
        page.frame_locator("#frame").locator("p").evaluate(
            """() => document.execCommand('insertHTML', false, '<img alt="FrameDesignAlt-5959" width="8" height="8">')""")

    sent, stored = record(live_server, customer, context, site, DESIGN_MODE_PAGE, act)
    assert b"Design mode" in stored
    for secret in (b"DesignSecret", b"FrameDesignSecret", b"FrameDesignAlt"):
        assert secret not in sent and secret not in stored, secret


PREFILLED_PAGE = """<!doctype html><html><head><title>Mail settings</title>{snippet}</head><body>
<h1>Mail settings</h1>
<div id="form">
  <input id="password" type="password" value="StoredSmtpPass-4646">
  <input id="mail" value="PrefilledMail-4747">
  <textarea id="note">SavedNote-4848</textarea>
  <input id="shown" class="hindsight-unmask" value="ShownDefault-4949">
</div>
<div id="moved"></div>
</body></html>"""


def test_a_prefilled_field_the_visitor_emptied_is_recorded_empty_and_its_served_value_never_sent(
        live_server, celery_worker, customer, context):
    """rrweb writes a field's live value only when it has one: an emptied field went out with the value it
    was served with (a stored password too) whenever it was written again, here moved by a script."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], mask_all_inputs=True)

    def act(page):
        for selector in ("#password", "#mail", "#note", "#shown"):
            page.fill(selector, "")
        page.evaluate("document.getElementById('moved').appendChild(document.getElementById('form'))")
        page.wait_for_timeout(200)

    sent, stored = record(live_server, customer, context, site, PREFILLED_PAGE, act)
    for secret in (b"StoredSmtpPass", b"PrefilledMail", b"SavedNote"):
        assert secret not in sent and secret not in stored, secret
    # The unmasked field was shown when the page loaded; once emptied and moved, the replay shows it empty.
    session = Session.objects.get(site=site)
    move = [event["data"]["adds"] for event in session_events(session_all_parts(session))
            if event["type"] == 3 and event["data"].get("source") == 0
            and any(add["node"].get("attributes", {}).get("id") == "form" for add in event["data"]["adds"])][-1]
    fields = {add["node"]["attributes"]["id"]: add["node"] for add in move if add["node"].get("tagName") in ("input", "textarea")}
    assert fields["shown"]["attributes"].get("value", "") == ""
    note_texts = [add["node"].get("textContent") for add in move if add["parentId"] == fields["note"]["id"]]
    note_texts += [child.get("textContent") for child in fields["note"]["childNodes"]]
    assert not any(note_texts), note_texts


ATTRIBUTE_SECRETS = ["DataSecret-7171", "ContentSecret-7272", "SummarySecret-7373", "DownloadSecret-7474", "AltSecret-7575",
                     "AriaSecret-7676", "PlaceholderSecret-7777", "ButtonValue-7878", "LabelSecret-7979",
                     "CustomAttr-8181", "SvgData-8282", "LateData-8383", "DeepTitle-8484", "DeepAlt-8585",
                     "NewAreaTitle-8686"]
ATTRIBUTE_PAGE = """<!doctype html><html><head><title>Attributes</title>{snippet}</head><body>
<h1>Profile</h1>
<div class="hindsight-mask" id="area" data-user="DataSecret-7171">
  <meta itemprop="email" content="ContentSecret-7272">
  <table summary="SummarySecret-7373"><tr><td>x</td></tr></table>
  <a href="/file" download="DownloadSecret-7474">file</a>
  <img alt="AltSecret-7575" width="10" height="10" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <span aria-roledescription="AriaSecret-7676" user-name="CustomAttr-8181">y</span>
  <textarea placeholder="PlaceholderSecret-7777"></textarea>
  <button value="ButtonValue-7878">Go</button>
  <select><option label="LabelSecret-7979">z</option></select>
  <svg width="20" height="20"><path d="M0 0L10 10" data-owner="SvgData-8282"></path></svg>
</div>
<div id="outside" data-visible="DataVisibleOK-9191" class="card">Outside</div>
<button id="late" onclick="document.getElementById('area').setAttribute('data-token', 'Late' + 'Data-8383')">Late</button>
<div id="feed"></div>
<button id="tree" onclick="tree()">Tree</button>
<script>
// Subtrees added in one change: into the masked area, and outside it with a masked area of their own.
function tree() {
  document.getElementById('area').insertAdjacentHTML('beforeend',
    '<section><ul><li><p title="Deep' + 'Title-8484">a</p><img alt="Deep' + 'Alt-8585" width="1" height="1"></li></ul></section>');
  document.getElementById('feed').insertAdjacentHTML('beforeend',
    '<article><div class="hindsight-mask"><p><span title="NewArea' + 'Title-8686">b</span></p></div>' +
    '<p><span title="FeedTitleOK-9292">c</span></p></article>');
}
</script>
</body></html>"""


def test_attributes_that_carry_text_inside_a_masked_area_are_masked(live_server, celery_worker, customer, context):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain])
    sent, stored = record(live_server, customer, context, site, ATTRIBUTE_PAGE,
                          lambda page: (page.click("#late"), page.click("#tree")))
    assert b"DataVisibleOK-9191" in stored and b"FeedTitleOK-9292" in stored  # outside a masked area attributes are kept
    assert b"M0 0L10 10" in stored  # an icon's shape is not text
    for secret in ATTRIBUTE_SECRETS:
        assert secret.encode() not in sent and secret.encode() not in stored, secret


NUMBERS_PAGE = """<!doctype html><html><head><title>Numbers</title>{snippet}</head><body>
<h1>Quotes</h1>
<table><tr>
  <td>
    1800
  </td>
  <td>
    1850
  </td>
  <td>
    1900
  </td>
  <td>
    1950
  </td>
  <td>
    2000
  </td>
</tr></table>
<p id="axis"><span>2050</span><span>2100</span><span>2150</span><span>2200</span><span>2250</span><span>2300</span></p>
<div id="board"></div>
<button id="tick" onclick="document.getElementById('board').innerHTML = ['143.23', '143.19', '143.23', ' then', '19.94', '19.98', '19.96', '20.01', '19.97', '20.03'].map(function (p) { return '<b>' + p + '</b>'; }).join('')">Tick</button>
</body></html>"""
NUMBERS = ["1800", "1850", "1900", "1950", "2000", "2050", "2100", "2150", "2200", "2250", "2300",
           "19.94", "19.98", "19.96", "20.01", "19.97", "20.03", "143.23", "143.19"]


def test_numbers_side_by_side_in_separate_elements_are_kept_as_the_visitor_saw_them(
        live_server, celery_worker, customer, context):
    # Read as one text, these make runs of 20 digits and more, some window of which passes the Luhn check,
    # and 143.23 143.19 143.23 run together are 15 digits that pass it: numbers run on across elements
    # only where the text shows a gap, and only a whole card number across elements is masked.
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain])
    sent, stored = record(live_server, customer, context, site, NUMBERS_PAGE, lambda page: page.click("#tick"))
    for number in NUMBERS:
        assert number.encode() in sent, f"{number} was masked in the browser"
        assert number.encode() in stored, f"{number} was masked on the server"


ADDRESS_SECRETS = {
    "reset_token": "ResetTok3n4ddr",  # in the page's own address
    "search": "GreenTeaSearch",  # a search box's terms in the address: the site names `q`
    "link_sig": "Unsub5ig99",
    "image_sig": "AmzS1gnature77",
    "api_token": "ApiAcc3ssTok",  # a request URL, with "Keep query strings" on
    "fragment": "FragAcc3ssTok",  # an OAuth callback's fragment, pushed into the address
    "later_link": "LaterL1nkTok",
    "jwt_path": "MagicL1nkJwt",  # a magic link whose path is a JSON Web Token
    "csrf_meta": "CsrfT0kenMeta",  # a <meta name="_csrf">, as Spring Security writes one into every page
}
TEXT_SECRET = "TextT0kenInProse"  # a URL written in the page's text: the recorder sends it, the server masks it
# (The page's script is not recorded; its inline handlers would be, with what they say.)
ADDRESS_PAGE = f"""<!doctype html><html><head><title>Reset</title>{{snippet}}
<meta name="_csrf" content="{ADDRESS_SECRETS["csrf_meta"]}"><meta name="theme-color" content="#0b3d5c"></head><body>
<h1>Choose a new password</h1>
<a href="#main">Skip to content</a>
<a href="/unsubscribe?sig={ADDRESS_SECRETS["link_sig"]}&list=news">Unsubscribe</a>
<a href="/verify/eyJhbGciOiJIUzI1NiJ9.eyJ{ADDRESS_SECRETS["jwt_path"]}.c2lnbmF0dXJl/done">Sign in</a>
<img src="/avatar.png?X-Amz-Signature={ADDRESS_SECRETS["image_sig"]}&w=40" alt="">
<p>Your link: https://shop.test/verify?token={TEXT_SECRET}</p>
<main id="main"><p id="later"></p></main>
<button id="go" onclick="go()">Go</button>
<script>
function go() {{
  fetch('/api/me?access_token={ADDRESS_SECRETS["api_token"]}&id=5');
  document.getElementById('later').innerHTML = '<a href="/magic?login_token={ADDRESS_SECRETS["later_link"]}">again</a>';
  setTimeout(function () {{ throw new Error('the reset failed') }});
  history.pushState(null, '', '/callback#access_token={ADDRESS_SECRETS["fragment"]}&token_type=bearer');
}}
</script>
</body></html>"""


def test_secrets_in_addresses_links_requests_and_errors_never_leave_the_browser_or_are_stored(
        live_server, celery_worker, customer, context):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain],
                       network_query_allow=True, url_mask_params="q\nlist")
    address = f"/reset?token={ADDRESS_SECRETS['reset_token']}&q={ADDRESS_SECRETS['search']}&lang=en"
    sent, stored = record(live_server, customer, context, site, ADDRESS_PAGE, lambda page: page.click("#go"), address)

    for name, secret in ADDRESS_SECRETS.items():
        assert secret.encode() not in sent, f"{name} left the browser"
        assert secret.encode() not in stored, f"{name} was stored"
    assert TEXT_SECRET.encode() in sent and TEXT_SECRET.encode() not in stored
    # What carries no credential stays, so that the replay, URL filters and the request list still work.
    for kept in (b"lang=en", b"id=5", b"w=40", b"token_type=*", b"the reset failed", b"list=*", b"#0b3d5c", b"/verify/*/done"):
        assert kept in sent and kept in stored, kept
    urls = list(Session.objects.get(site=site).pageviews.values_list("url", flat=True))
    assert urls == [customer.url("/reset?token=*&q=*&lang=en"), customer.url("/callback#access_token=*&token_type=*")]


# A card number in addresses, its groups apart as an address writes them: `%20` (encodeURIComponent's
# space), `+` (a form's GET), `%2D` (a dash).
ENCODED_CARD = "4012 8888 8888 1881"
ENCODED_CARD_PAGE = """<!doctype html><html><head><title>Pay 4012%208888%208888%201881</title>{snippet}</head><body>
<h1>Pay</h1>
<a href="/receipt?card=4012%2D8888%2D8888%2D1881">Receipt</a>
<button id="go" onclick="go()">Go</button>
<script>
function go() {
  fetch('/api/cards/4012%208888%208888%201881/charge?card=4012+8888+8888+1881&amount=129.99');
  console.error('declined: /pay?card=4012%208888%208888%201881');
  history.pushState(null, '', '/pay/done?card=4012+8888+8888+1881');
}
</script>
</body></html>"""


def test_a_card_number_in_addresses_with_encoded_spaces_or_dashes_is_never_stored(
        live_server, celery_worker, customer, context, client):
    """The scrubber's runs allowed spaces and dashes, not `%20`, `+` or `%2D`: the whole number was stored in
    the page's address, its title, a request's path and query, a console message and a link."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], network_query_allow=True)
    sent, stored = record(live_server, customer, context, site, ENCODED_CARD_PAGE, lambda page: page.click("#go"),
                          "/pay?card=4012%208888%208888%201881")

    digits = re.compile(rb"(?:[\s.\-+]|%[0-9A-Fa-f]{2})*".join(re.escape(d.encode()) for d in ENCODED_CARD.replace(" ", "")))
    assert digits.search(sent), "the recorder masks no card number in an address: the server is the backstop"
    client.force_login(site.owner)
    session = Session.objects.get(site=site)
    answer = client.get(f"/api/v1/sessions/{session.pk}/events/")
    served = b"".join(answer.streaming_content) if answer.streaming else answer.content
    assert answer.status_code == 200 and b"hs.net" in served and b"declined" in served
    assert not digits.search(served) and not digits.search(stored)
    assert b"/api/cards/****%20****%20****%20****/charge?card=****+****+****+****&amount=129.99" in served
    urls = list(session.pageviews.values_list("url", flat=True))
    assert urls == [customer.url("/pay?card=****%20****%20****%20****"), customer.url("/pay/done?card=****+****+****+****")]
