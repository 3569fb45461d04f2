"""DOM changes the page makes on its own are sampled down by size; the page's answer to the visitor is not.

The recorder freezes rrweb's buffer of DOM changes after each diff, 2 ms per
byte of JSON from 1 s to 60 s; it releases it 50 ms after a click, key press
or input, with the page's answer; scrolls release it too, mouse moves don't.
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

# A clock: a tiny change 4 times a second.
CLOCK = """<h1>Clock</h1><p id="clock">0</p>
<script>let n = 0; setInterval(() => { document.getElementById('clock').textContent = String(++n); }, 250);</script>"""


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


def test_a_busy_page_is_sampled_down_even_while_the_mouse_moves_and_clicks_are_answered_at_once(
    live_server, celery_worker, customer, page
):
    site = open_page(live_server, customer, page, BOARD)
    # 6 s of the visitor's hand on the mouse, over the board: 48 renders of 200 values.
    for i in range(30):
        page.mouse.move(100 + (i % 5) * 120, 200 + (i % 3) * 60, steps=5)
        page.wait_for_timeout(200)
    moved_until = page.evaluate("Date.now()")
    page.click("#buy")
    page.wait_for_timeout(2500)
    page.click("#buy")
    page.wait_for_timeout(1500)
    page.close()
    events = stored_events(site, until=lambda events: "bought 2" in str(mutations(events)))

    start = events[0]["timestamp"]
    while_moving = [e for e in board_diffs(events) if e["timestamp"] <= moved_until]
    # Each diff is ~5 KB of JSON, so ~10 s apart: at most 3 in the first ~7 s (rrweb's own
    # release on every mouse-move batch would give one a second, 7 or more).
    assert 1 <= len(while_moving) <= 3, [e["timestamp"] - start for e in while_moving]
    # Sampling keeps the newest values: the last diff's cells hold real prices.
    assert all(t["value"].replace(".", "").isdigit() for t in board_diffs(events)[-1]["data"]["texts"])

    clicks = [e["timestamp"] for e in events if e["type"] == 3 and e["data"]["source"] == 2 and e["data"]["type"] == 2]
    assert len(clicks) == 2
    for n, clicked in enumerate(clicks, start=1):
        answer = next(e for e in mutations(events) if f"bought {n}" in str(e["data"]))
        assert 0 <= answer["timestamp"] - clicked < 200, f"click {n} answered {answer['timestamp'] - clicked} ms late"


def test_leaving_a_busy_view_does_not_send_its_last_changes(live_server, celery_worker, customer, page):
    site = open_page(live_server, customer, page, BOARD + """<button id="leave">Leave</button><script>
document.getElementById('leave').onclick = () => { document.querySelector('table').remove(); document.getElementById('status').textContent = 'left'; };
</script>""")
    page.wait_for_timeout(4000)  # the board changed 16 times since its first diff
    page.click("#leave")
    page.wait_for_timeout(500)
    page.close()
    events = stored_events(site, until=lambda events: "left" in str(mutations(events)))
    clicked = next(e["timestamp"] for e in events if e["type"] == 3 and e["data"]["source"] == 2)
    answer = next(e for e in mutations(events) if "left" in str(e["data"]))
    assert answer["data"]["removes"], "the table's removal is in the answer"
    assert 0 <= answer["timestamp"] - clicked < 200
    # The board's changes since its last diff went out with the answer, which removed the board:
    # none of them was sent.
    around = [e for e in board_diffs(events) if clicked - 1000 <= e["timestamp"] <= clicked + 1000]
    assert not around and len(answer["data"]["texts"]) < 10, [len(e["data"]["texts"]) for e in around]


def test_a_small_change_still_goes_out_about_once_a_second(live_server, celery_worker, customer, page):
    site = open_page(live_server, customer, page, CLOCK)
    page.wait_for_timeout(6000)
    page.close()
    events = stored_events(site, until=lambda events: len(mutations(events)) >= 4)
    stamps = [e["timestamp"] for e in mutations(events)]
    assert 4 <= len(stamps) <= 8, [t - stamps[0] for t in stamps]  # 24 renders in 6 s, about 1 diff a second
