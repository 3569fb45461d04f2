"""<select> fields in real Chromium: which options are chosen never leaks where the privacy rules mask the
field.

Pages record with the real snippet; what left the browser is read back through the DevTools protocol and
decoded as the server decodes it, and what was stored through the worker.
"""
import json

import pytest

from recorder.processing import events_restore
from sites.snippet import site_snippet
from tests.e2e.conftest import UploadSpy, flush_now, recorder_started
from tests.e2e.test_capture import html, make_site, stored_events

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def sent_events(uploads: UploadSpy) -> list[dict]:
    """What left the browser, decoded as the server decodes it (node ids, columns), before any scrubbing."""
    events = []
    for body in uploads.bodies():
        events += events_restore(json.loads(body)["events"])
    return events


def nodes(events: list[dict]):
    """Every serialized node of the events' snapshots and added nodes."""
    for event in events:
        data = event["data"]
        stack = [data["node"]] if event["type"] == 2 else [a["node"] for a in data.get("adds", [])] if data.get("source") == 0 else []
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.get("childNodes", []))


def field_ids(events: list[dict], field: str) -> tuple[int, set[int]]:
    """The id of the select whose id attribute is `field` in the first snapshot, and its options' ids."""
    snapshot = next(e for e in events if e["type"] == 2)
    select = next(n for n in nodes([snapshot]) if n.get("tagName") == "select" and n["attributes"].get("id") == field)
    options = {n["id"] for n in nodes([{"type": 2, "data": {"node": select}}]) if n.get("tagName") == "option"}
    return select["id"], options


def attribute_changes(events: list[dict]) -> list[dict]:
    return [c for e in events if e["type"] == 3 and e["data"]["source"] == 0 for c in e["data"]["attributes"]]


def inputs(events: list[dict], node_id: int) -> list[str]:
    return [e["data"]["text"] for e in events if e["type"] == 3 and e["data"]["source"] == 5 and e["data"]["id"] == node_id]


CHECKOUT = """<h1>Checkout</h1>
<select id="plan"><option value="basic">Basic</option><option value="gold">Gold</option>
  <optgroup label="Top"><option value="platinum">Platinum</option></optgroup></select>
<select id="month" name="cc-exp-month"><option>01</option><option>02</option><option>03</option><option>04</option>
  <option>05</option><option>06</option><option>07</option><option>08</option><option>09</option><option>10</option>
  <option>11</option><option>12</option></select>
<select id="size"><option>S</option><option>M</option><option>L</option></select>"""


def test_which_option_a_script_marks_selected_in_a_masked_select_never_leaves_the_browser(
    live_server, celery_worker, customer, context
):
    """A script choosing an option by its `selected` attribute (setAttribute, toggleAttribute, removeAttribute)
    changes no property that rrweb watches: the change went out as the option's attribute, unmasked, naming
    the chosen option of a select the owner masks, or of a card field's. The unmasked select's still goes."""
    site = make_site(customer, mask_all_inputs=False, mask_selectors="#plan")
    customer.pages = {"/": html(site_snippet(site, live_server.url), CHECKOUT)}
    page = context.new_page()
    uploads = UploadSpy(page)
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(300)
    page.evaluate("""() => {
        const option = (id, i) => document.getElementById(id).options[i];
        option('plan', 2).setAttribute('selected', '');
        option('month', 8).setAttribute('selected', 'selected');
        option('size', 2).setAttribute('selected', '');
    }""")
    page.wait_for_timeout(300)
    page.evaluate("""() => {
        const option = (id, i) => document.getElementById(id).options[i];
        option('plan', 2).removeAttribute('selected');
        option('plan', 1).toggleAttribute('selected');
        option('month', 8).removeAttribute('selected');
        option('month', 10).toggleAttribute('selected');
        document.getElementById('month').setAttribute('value', '11');
    }""")
    page.wait_for_timeout(300)
    page.click("h1")
    flush_now(page)
    uploads.wait(page)
    sent = sent_events(uploads)
    page.close()
    stored = stored_events(site, until=lambda events: len(attribute_changes(events)) >= 1)

    for events, where in ((sent, "sent"), (stored, "stored")):
        plan, plan_options = field_ids(events, "plan")
        month, month_options = field_ids(events, "month")
        _, size_options = field_ids(events, "size")
        secret = plan_options | month_options
        chosen = [c for c in attribute_changes(events) if c["id"] in secret and "selected" in c["attributes"]]
        assert not chosen, f"{where}: which masked option is chosen: {chosen}"
        assert not [n for n in nodes(events) if n["id"] in secret and "selected" in n.get("attributes", {})], where
        assert all(set(text) <= {"*"} for text in inputs(events, plan) + inputs(events, month)), where
        values = [c["attributes"]["value"] for c in attribute_changes(events) if c["id"] == month and "value" in c["attributes"]]
        assert values and all(set(v) == {"*"} for v in values), f"{where}: the card select's value attribute: {values}"
        # The select nobody masks: its option's attribute still goes, as the page set it.
        assert [c for c in attribute_changes(events) if c["id"] in size_options and "selected" in c["attributes"]], where

