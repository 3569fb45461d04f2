"""A page that rewrites itself with document.open() after load (old ad and widget scripts, legacy pages)."""
import json

import pytest

from recorder.models import Session
from sites.snippet import site_snippet
from tests.e2e.conftest import recorder_started
from tests.e2e.test_capture import custom, html, make_site, stored_events

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

BODY = """<button id="before">before</button><button id="rewrite">rewrite</button><script>
document.getElementById('before').onclick = () => {
  const p = document.createElement('p'); p.textContent = 'marker-before'; document.body.appendChild(p);
};
document.getElementById('rewrite').onclick = () => setTimeout(() => {
  document.open();
  document.write('<!doctype html><title>Rewritten</title><p>written-after-load</p><button id="after">after</button>'
    + '<input type="checkbox" id="all"><script>document.getElementById("all").indeterminate = true<' + '/script>');
  document.close();
});
</script>"""


def node_id(node, element_id: str):
    """The rrweb id of the element with this id attribute in a snapshot's tree, or None."""
    if node.get("attributes", {}).get("id") == element_id:
        return node["id"]
    for child in node.get("childNodes", []):
        found = node_id(child, element_id)
        if found:
            return found
    return None


def test_a_page_rewritten_by_document_open_after_load_keeps_what_came_before_and_is_recorded_after(
        live_server, celery_worker, customer, page):
    """document.open() erases every listener of the document and the window: the recorder's pagehide
    went with them (the batch it held was never sent), and so did rrweb's (nothing after was recorded)."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), BODY)}
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    page.click("#before")
    page.click("#rewrite")
    page.wait_for_selector("#after")
    page.wait_for_timeout(300)
    page.click("#after")
    page.click("#all")  # (clears the box's indeterminate: seen by a listener of the rewritten document's)
    page.wait_for_timeout(300)
    page.close()  # well within the 10 s upload interval: only pagehide sends the batch

    def clicked_after(events):
        snapshot = next((e for e in events if e["type"] == 2 and "written-after-load" in json.dumps(e)), None)
        after = snapshot and node_id(snapshot["data"]["node"], "after")
        return after and any(e["type"] == 3 and e["data"]["source"] == 2 and e["data"]["type"] == 2
                             and e["data"]["id"] == after and e["timestamp"] >= snapshot["timestamp"] for e in events)

    events = stored_events(site, until=clicked_after)
    text = [json.dumps(e) for e in events]
    before = next(i for i, t in enumerate(text) if "marker-before" in t)
    rewritten = next(i for i, e in enumerate(events) if e["type"] == 2 and "written-after-load" in text[i])
    assert before < rewritten
    box = node_id(events[rewritten]["data"]["node"], "all")
    assert [a["attributes"]["data-hindsight-indeterminate"] for e in events[rewritten:] if e["type"] == 3 and e["data"]["source"] == 0
            for a in e["data"]["attributes"] if a["id"] == box and "data-hindsight-indeterminate" in a["attributes"]] == ["", None]


NOTICE = ".hindsight-ignore[role=status]"


def test_a_page_rewritten_by_document_open_says_its_new_title_and_shows_the_notice_again(
        live_server, celery_worker, customer, page):
    """The rewritten page went on being recorded, but no hs.page said what it now was: the Pages panel and
    the timeline kept the old title. And the visitor notice went with the old DOM, never shown again."""
    site = make_site(customer, notice=True, notice_text="We record this visit")
    customer.pages = {"/": html(site_snippet(site, live_server.url), BODY)}
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_selector(NOTICE)
    page.click("#rewrite")
    page.wait_for_selector("#after")
    page.wait_for_selector(NOTICE)
    assert page.text_content(NOTICE).startswith("We record this visit")
    page.click(f"{NOTICE} button")  # its dismiss button still works
    assert page.locator(NOTICE).count() == 0
    assert page.evaluate("() => Object.keys(localStorage).some((key) => key.endsWith('notice'))")
    page.close()

    def rewritten(events):
        return any(p["title"] == "Rewritten" for p in custom(events, "hs.page"))

    events = stored_events(site, until=rewritten)
    snapshots = [e["timestamp"] for e in events if e["type"] == 2 and "written-after-load" in json.dumps(e)]
    pages = [(p["kind"], p["title"], p["url"]) for p in custom(events, "hs.page")]
    assert pages == [("load", "Shop", customer.url("/")), ("open", "Rewritten", customer.url("/"))]
    opened = next(e["timestamp"] for e in events if e["type"] == 5 and e["data"]["payload"].get("kind") == "open")
    assert snapshots and snapshots[0] <= opened
    session = Session.objects.get(site=site)
    assert session.page_count == 1  # the same address, no navigation: no page view
    assert list(session.pageviews.values_list("title", flat=True)) == ["Shop"]


def test_a_notice_the_visitor_dismissed_stays_away_after_document_open(live_server, customer, page):
    site = make_site(customer, notice=True)
    customer.pages = {"/": html(site_snippet(site, live_server.url), BODY)}
    page.goto(customer.url("/"))
    recorder_started(page)
    page.click(f"{NOTICE} button")
    page.click("#rewrite")
    page.wait_for_selector("#after")
    page.wait_for_timeout(300)
    assert page.locator(NOTICE).count() == 0
