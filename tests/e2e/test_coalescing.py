"""Every change the page makes goes out; only changes no frame ever showed are coalesced.

The recorder records the page's own DOM changes as plain rrweb does (no pacing):
each render is a diff, and within one diff several changes to one node keep
only the last value (recorder.js, lastTextPerNode()).
"""
import pytest

from sites.snippet import site_snippet
from tests.e2e.conftest import recorder_started
from tests.e2e.test_capture import html, make_site, stored_events

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# 200 prices that all change 4 times a second, and a button the visitor uses.
BOARD = """<h1>Board</h1><button id="buy">Buy</button><p id="status">idle</p><table><tbody id="board"></tbody></table>
<script>
const board = document.getElementById('board'), cells = [];
for (let r = 0; r < 50; r++) {
  const tr = board.insertRow();
  for (let c = 0; c < 4; c++) cells.push(tr.insertCell().appendChild(document.createTextNode('0.00')));
}
let tick = 0;
setInterval(() => { tick++; cells.forEach((t, i) => { t.nodeValue = (100 + Math.sin(tick + i) * 50).toFixed(2); }); }, 250);
let bought = 0;
document.getElementById('buy').onclick = () => { document.getElementById('status').textContent = 'bought ' + (++bought); };
</script>"""

# One node written three times in one task: only the last value was ever on screen.
TRIPLE = """<p id="n">start</p><script>
let k = 0;
setInterval(() => { const t = document.getElementById('n').firstChild; k++; t.nodeValue = 'a' + k; t.nodeValue = 'b' + k; t.nodeValue = 'v' + k; }, 300);
</script>"""


def mutations(events) -> list[dict]:
    return [e for e in events if e["type"] == 3 and e["data"]["source"] == 0]


def board_diffs(events) -> list[dict]:
    return [e for e in mutations(events) if len(e["data"]["texts"]) >= 100]


def open_page(live_server, customer, page, body):
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), body, title="Live")}
    page.goto(customer.url("/"))
    recorder_started(page)
    return site


def test_every_render_of_a_busy_page_goes_out_while_the_mouse_moves_and_clicks_are_answered_at_once(
    live_server, celery_worker, customer, page
):
    site = open_page(live_server, customer, page, BOARD)
    started = page.evaluate("Date.now()")
    for i in range(30):  # 6 s of the visitor's hand on the mouse: 24 renders of 200 values
        page.mouse.move(100 + (i % 5) * 120, 200 + (i % 3) * 60, steps=5)
        page.wait_for_timeout(200)
    moved_until = page.evaluate("Date.now()")
    page.click("#buy")
    page.wait_for_timeout(600)
    page.close()
    events = stored_events(site, until=lambda events: "bought 1" in str(mutations(events)))

    while_moving = [e for e in board_diffs(events) if started <= e["timestamp"] <= moved_until]
    renders = (moved_until - started) / 250
    assert len(while_moving) >= renders - 2, (len(while_moving), renders)
    gaps = [b["timestamp"] - a["timestamp"] for a, b in zip(while_moving, while_moving[1:])]
    assert max(gaps) < 600, gaps
    clicked = next(e["timestamp"] for e in events if e["type"] == 3 and e["data"]["source"] == 2 and e["data"]["type"] == 2)
    answer = next(e for e in mutations(events) if "bought 1" in str(e["data"]))
    assert 0 <= answer["timestamp"] - clicked < 200


def test_a_node_changed_several_times_in_one_task_sends_its_last_value_once_per_render(live_server, celery_worker, customer, page):
    site = open_page(live_server, customer, page, TRIPLE)
    page.wait_for_timeout(3000)
    page.close()
    events = stored_events(site, until=lambda events: len(mutations(events)) >= 5)
    values = [t["value"] for e in mutations(events) for t in e["data"]["texts"]]
    assert values and all(v.startswith("v") for v in values), values
    numbers = [int(v[1:]) for v in values]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "every render, in order"
