"""Privacy rules hold inside web components: text, attributes and fields in open shadow roots.

A site owner marks a container `hindsight-mask` or `hindsight-ignore`; what a
custom element inside it renders into its shadow root is part of that
container to the visitor, so it must be masked or left out like the rest, at
first sight and when it changes later. Recorded in real Chromium through the
real recorder, ingest and worker; scanned on what left the browser and on
every stored byte.
"""
import pytest

from tests.e2e.test_privacy_holes import record
from tests.factories import SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

SHADOW_PAGE = """<!doctype html><html><head><title>Components</title>{snippet}</head><body>
<h1>Account</h1>
<div class="hindsight-mask"><user-card id="masked" data-text="MaskedName-3131"></user-card></div>
<div class="hindsight-ignore"><user-card id="ignored" data-text="IgnoredName-3232"></user-card></div>
<div><user-card id="shown" data-text="ShownNameOK-3333"></user-card></div>
<div class="hindsight-mask"><nested-card></nested-card></div>
<login-form></login-form>
<div class="hindsight-mask"><login-form id="masked-form"></login-form></div>
<button id="later">Later</button>
<script>
customElements.define('user-card', class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = '<p title="T-' + this.dataset.text + '"><b>' + this.dataset.text + '</b></p><span class="late"></span>';
  }
  later(text) {
    this.shadowRoot.querySelector('.late').textContent = text;
    this.shadowRoot.querySelector('b').firstChild.data = text + '-changed';
    this.shadowRoot.querySelector('p').setAttribute('aria-label', text + '-attr');
  }
});
// A component inside a component: the text sits two shadow roots deep.
customElements.define('nested-card', class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = '<user-card data-text="DeepName-3434"></user-card>';
  }
});
customElements.define('login-form', class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = '<input id="user" class="hindsight-unmask"><input id="pw" type="password">';
  }
});
document.getElementById('later').onclick = () => {
  document.getElementById('masked').later('MaskedLater-4141');
  document.getElementById('ignored').later('IgnoredLater-4242');
  document.getElementById('shown').later('ShownLaterOK-4343');
  document.querySelector('nested-card').shadowRoot.querySelector('user-card').later('DeepLater-4444');
};
</script>
</body></html>"""


def test_masked_and_ignored_areas_cover_the_shadow_roots_of_components_inside_them(
        live_server, celery_worker, customer, context):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], mask_all_inputs=False)

    def act(page):
        page.click("#later")
        page.click("login-form #user")
        page.keyboard.type("UserShownOK-5151", delay=5)
        page.click("login-form #pw")
        page.keyboard.type("Password-5252", delay=5)
        page.click("#masked-form #user")
        page.keyboard.type("MaskedField-5353", delay=5)

    sent, stored = record(live_server, customer, context, site, SHADOW_PAGE, act)
    # What is not covered by a rule is recorded, in the shadow roots too.
    for shown in (b"ShownNameOK-3333", b"ShownLaterOK-4343", b"UserShownOK-5151"):
        assert shown in stored, shown
    for secret in (b"MaskedName", b"IgnoredName", b"DeepName", b"MaskedLater", b"IgnoredLater", b"DeepLater", b"Password-",
                   b"MaskedField-"):
        assert secret not in sent, f"{secret} left the browser"
        assert secret not in stored, f"{secret} was stored"


TICKER_PAGE = """<!doctype html><html><head><title>Ticker</title>{snippet}</head><body>
<h1>Ticker</h1>
<live-ticker></live-ticker>
<button id="tick">Tick</button>
<script>
customElements.define('live-ticker', class extends HTMLElement {
  connectedCallback() {
    // Text right in the shadow root, with no element around it.
    this.attachShadow({ mode: 'open' }).textContent = 'FirstTick-6161';
  }
});
document.getElementById('tick').onclick = () => {
  const root = document.querySelector('live-ticker').shadowRoot;
  root.firstChild.data = 'SecondTick-6262';
  root.appendChild(document.createTextNode(' AddedTick-6363'));
};
</script>
</body></html>"""


def test_with_all_text_masked_text_placed_right_in_a_shadow_root_is_masked_when_it_changes(
        live_server, celery_worker, customer, context):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], mask_all_text=True)
    sent, stored = record(live_server, customer, context, site, TICKER_PAGE, lambda page: page.click("#tick"))
    assert b"hs.page" in stored
    for secret in (b"FirstTick", b"SecondTick", b"AddedTick"):
        assert secret not in sent, f"{secret} left the browser"
        assert secret not in stored, f"{secret} was stored"


FRAME_PAGE = """<!doctype html><html><head><title>Frames</title>{snippet}</head><body>
<h1>Frames</h1>
<div class="hindsight-mask"><iframe id="masked" srcdoc="<p id=t>FrameSecret-7171</p><input id=f>"></iframe></div>
<div class="hindsight-mask" id="later-box"></div><div id="later-shown"></div>
<iframe id="shown" srcdoc="<p id=t>FrameShownOK-7272</p>"></iframe>
<button id="later">Later</button>
<script>
document.getElementById('later').onclick = () => {
  document.getElementById('masked').contentDocument.getElementById('t').textContent = 'FrameLater-7373';
  document.getElementById('shown').contentDocument.getElementById('t').textContent = 'FrameLaterOK-7474';
  // A frame that arrives after the first snapshot.
  document.getElementById('later-box').innerHTML = '<iframe srcdoc="<p>LateFrame-7676</p>"></iframe>';
  document.getElementById('later-shown').innerHTML = '<iframe srcdoc="<p>LateShownOK-7777</p>"></iframe>';
};
</script>
</body></html>"""


def test_a_same_origin_iframe_inside_a_masked_area_is_masked_too(live_server, celery_worker, customer, context):
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain], mask_all_inputs=False)

    def act(page):
        page.wait_for_timeout(500)
        page.click("#later")
        page.frame_locator("#masked").locator("#f").click()
        page.keyboard.type("FrameField-7575", delay=5)
        page.wait_for_timeout(300)

    sent, stored = record(live_server, customer, context, site, FRAME_PAGE, act)
    for shown in (b"FrameShownOK-7272", b"FrameLaterOK-7474", b"LateShownOK-7777"):
        assert shown in stored, shown
    for secret in (b"FrameSecret", b"FrameLater-", b"FrameField", b"LateFrame"):
        assert secret not in sent, f"{secret} left the browser"
        assert secret not in stored, f"{secret} was stored"
