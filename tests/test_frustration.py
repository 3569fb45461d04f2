"""The frustration detector (insights/detect.py): pure, table-driven; and its fold into sessions by the worker."""
import pytest

from insights.detect import friction_score, marks_extract, marks_fold, state_settle

T = 1_700_000_000_000


def click(ts, x=100, y=100, sel="button#buy", quiet=False):
    return {"type": 5, "timestamp": ts, "data": {"tag": "hs.click", "payload": {
        "s": sel, "rx": 500, "ry": 500, "w": 80, "h": 30, "x": x, "y": y, "q": quiet}}}


def page(ts, url, kind="load", nav="navigate"):
    payload = {"url": url, "kind": kind, **({"nav": nav} if kind == "load" else {})}
    return {"type": 5, "timestamp": ts, "data": {"tag": "hs.page", "payload": payload}}


def back(ts, url):
    """A full load of `url` from the tab's history (the browser's back button)."""
    return page(ts, url, nav="back_forward")


def mutation(ts):
    return {"type": 3, "timestamp": ts, "data": {"source": 0, "texts": [], "attributes": [], "removes": [], "adds": []}}


def error(ts, kind="error"):
    return {"type": 5, "timestamp": ts, "data": {"tag": "hs.error", "payload": {"kind": kind, "message": "x"}}}


def net(ts, duration):
    return {"type": 5, "timestamp": ts, "data": {"tag": "hs.net", "payload": {"url": "/api", "duration": duration}}}


def scroll(ts):
    return {"type": 3, "timestamp": ts, "data": {"source": 3, "id": 1, "x": 0, "y": 300}}


def kinds(*batches, settle=True):
    """The signals' kinds found in these batches, folded one after another, then settled."""
    state, found = None, []
    for events in batches:
        findings, state = marks_fold(marks_extract(events), state)
        found += findings.signals
    if settle:
        found += state_settle(state).signals
    return sorted(signal.kind for signal in found)


@pytest.mark.parametrize("events, expected", [
    # rage: three clicks within a second, within 30 px of the first, one signal (not also dead)
    ([page(T, "/a"), click(T + 100), click(T + 300, 110, 95), click(T + 500, 120, 120)], ["rage"]),
    # six rapid clicks are still one rage click
    ([page(T, "/a")] + [click(T + 100 + 100 * i) for i in range(6)], ["rage"]),
    # too slow: three dead clicks
    ([page(T, "/a"), click(T + 100), click(T + 700), click(T + 1200)], ["dead", "dead", "dead"]),
    # too far apart for a rage click, and the page answered each
    ([page(T, "/a"), click(T + 100), mutation(T + 150), click(T + 200, 200), mutation(T + 250),
      click(T + 300, 300), mutation(T + 350)], []),
    # dead: nothing within 2.5 s
    ([page(T, "/a"), click(T + 100), mutation(T + 2700)], ["dead"]),
    # the page answered with a DOM change, a scroll, a request started, a new page
    ([page(T, "/a"), click(T + 100), mutation(T + 2500)], []),
    ([page(T, "/a"), click(T + 100), scroll(T + 900)], []),
    ([page(T, "/a"), click(T + 100), net(T + 4000, 3000)], []),
    ([page(T, "/a"), click(T + 100), page(T + 800, "/b", "push")], []),
    # a request started before the click is not an answer
    ([page(T, "/a"), click(T + 1000), net(T + 1500, 1000)], ["dead"]),
    # inputs, labels and text selections are never dead clicks
    ([page(T, "/a"), click(T + 100, quiet=True)], []),
    # error click: an error within a second; console.error too, but not a warning
    ([page(T, "/a"), click(T + 100), error(T + 600)], ["error"]),
    ([page(T, "/a"), click(T + 100), error(T + 600, "console.error"), mutation(T + 700)], ["error"]),
    ([page(T, "/a"), click(T + 100), error(T + 600, "console.warn"), mutation(T + 700)], []),
    ([page(T, "/a"), click(T + 100), error(T + 1200), mutation(T + 1300)], []),
    # quick back: /b left within 7 s by going back to /a (full load or SPA), but not a replace or a slow one
    ([page(T, "/a"), page(T + 1000, "/b"), back(T + 5000, "/a")], ["quick_back"]),
    ([page(T, "/a"), page(T + 1000, "/b", "push"), page(T + 3000, "/a", "pop")], ["quick_back"]),
    ([page(T, "/a"), page(T + 1000, "/b", "push"), page(T + 3000, "/a", "replace")], []),
    # /a opened again in a new tab, or by a link (full load or SPA), is no going back
    ([page(T, "/a"), page(T + 1000, "/b"), page(T + 3000, "/a")], []),
    ([page(T, "/a"), page(T + 1000, "/b", "push"), page(T + 3000, "/a", "push")], []),
    # back to /a kept in the back-forward cache is a quick back; a switch back to the tab /a is open in is not
    ([page(T, "/a"), page(T + 1000, "/b"), page(T + 3000, "/a", "back")], ["quick_back"]),
    ([page(T, "/a"), page(T + 1000, "/b"), page(T + 3000, "/a", "tab")], []),
    # a scroll-spy's fragment on /a leaves the visitor on /a: back to /a from /c is a quick back
    ([page(T, "/a"), page(T + 500, "/a#usage", "fragment"), page(T + 1000, "/c"), back(T + 3000, "/a")], ["quick_back"]),
    # so does a search box keeping its query in /a's URL
    ([page(T, "/a"), page(T + 500, "/a?q=tea", "state"), page(T + 1000, "/c"), back(T + 3000, "/a")], ["quick_back"]),
    ([page(T, "/a"), page(T + 1000, "/b"), page(T + 9000, "/a")], []),
    ([page(T, "/a"), page(T + 1000, "/b"), page(T + 3000, "/c")], []),
])
def test_detector_finds_exactly_the_signals_of_a_visit(events, expected):
    assert kinds(events) == expected


def test_a_rage_click_split_across_two_batches_is_one_rage_click():
    assert kinds([page(T, "/a"), click(T + 100)], [click(T + 300), click(T + 500)]) == ["rage"]


def test_a_dead_click_waits_for_the_next_batch_to_know_whether_the_page_answered():
    first = [page(T, "/a"), click(T + 100)]
    findings, state = marks_fold(marks_extract(first), None)
    assert findings.signals == [] and len(state["open"]) == 1
    assert kinds(first, [mutation(T + 2000), mutation(T + 9000)]) == []
    assert kinds(first, [mutation(T + 9000)]) == ["dead"]


def test_a_click_still_open_when_the_session_ends_is_settled_then():
    assert kinds([page(T, "/a"), click(T + 100)], settle=False) == []
    assert kinds([page(T, "/a"), click(T + 100)]) == ["dead"]


def test_a_calm_visit_has_no_signals():
    events = [page(T, "/a"), click(T + 1000), mutation(T + 1100), scroll(T + 3000), page(T + 20000, "/b", "push"),
              click(T + 25000, quiet=True)]
    assert kinds(events) == []


def test_clicks_become_heatmap_facts_on_their_element_and_depth_per_page_view():
    events = [page(T, "/a"), click(T + 100, sel="div.card>a"),
              {"type": 5, "timestamp": T + 200, "data": {"tag": "hs.depth", "payload": {"d": 7}}},
              page(T + 9000, "/b", "push")]
    findings, state = marks_fold(marks_extract(events), None)
    facts = sorted(fact[:6] for fact in findings.facts)
    day = "2023-11-14"
    assert facts == [("click", "/a", day, "div.card>a", 5, 5), ("scroll", "/a", day, "", 7, 0)]


@pytest.mark.parametrize("hostile", [
    {"type": 5, "timestamp": T, "data": {"tag": "hs.click", "payload": {"x": "1", "y": None}}},
    {"type": 5, "timestamp": T, "data": {"tag": "hs.click", "payload": ["x"]}},
    {"type": 5, "timestamp": T, "data": {"tag": "hs.depth", "payload": {"d": 1e300}}},
    {"type": 3, "timestamp": T, "data": {"source": 1, "positions": [{"x": 1}, "x", {"x": 5, "y": 5, "timeOffset": "a"}]}},
    {"type": 5, "timestamp": T, "data": {"tag": "hs.net", "payload": {"duration": -5}}},
])
def test_odd_payloads_are_skipped_not_fatal(hostile):
    marks_fold(marks_extract([page(T, "/a"), hostile]), None)


def test_friction_weighs_signals_and_errors():
    assert friction_score(rage=0, dead=0, error=0, quick_back=0, errors=0) == 0
    assert friction_score(rage=1, dead=1, error=1, quick_back=1, errors=40) == 3 + 2 + 3 + 2 + 5


# ---- the worker folds signals into sessions, heatmap cells, and takes them back out ----

def _visit(client, site, *, vid="visitor-0001", seqs=2):
    """A visit in two batches: a rage click split across them, an error click, a dead click, a quick back."""
    import time
    import uuid

    from tests.conftest import make_batch, post_batch

    now = int(time.time() * 1000) - 60_000
    meta = {"type": 4, "data": {"href": "https://shop.example.com/", "width": 1280, "height": 720}, "timestamp": now}
    first = [meta, page(now, "https://shop.example.com/"), click(now + 1000, sel="button#buy"),
             click(now + 1200, sel="button#buy"), mutation(now + 1250)]
    second = [click(now + 1400, sel="button#buy"), click(now + 5000, 400, 400, sel="a#help"), error(now + 5200),
              click(now + 9000, 600, 600, sel="div.promo"), page(now + 20000, "https://shop.example.com/cart", "push"),
              page(now + 22000, "https://shop.example.com/", "pop"), mutation(now + 40000)]
    sid = str(uuid.uuid4())
    for seq, events in enumerate([first, second][:seqs]):
        assert post_batch(client, make_batch(site.pk, sid=sid, seq=seq, vid=vid, events=events)).status_code == 202
    return sid


@pytest.mark.django_db
def test_the_worker_counts_signals_across_batches_and_settles_them_when_the_session_ends(client, site):
    from datetime import timedelta

    from django.utils import timezone

    from insights.models import HeatCell, Signal
    from recorder.models import Session
    from recorder.services import sessions_finish_idle
    from tests.conftest import process_pending

    sid = _visit(client, site)
    process_pending()
    session = Session.objects.get(pk=sid)
    assert (session.rage_clicks, session.dead_clicks, session.error_clicks, session.quick_backs) == (1, 1, 1, 1)
    assert session.friction == 3 + 2 + 3 + 2 + 0.5  # and the one error
    assert sorted(Signal.objects.filter(session=session).values_list("kind", flat=True)) == ["dead", "error", "quick_back", "rage"]
    clicks = dict(HeatCell.objects.filter(kind="click").values_list("selector", "count"))
    assert clicks == {"button#buy": 3, "a#help": 1, "div.promo": 1}
    assert session.signal_state is not None  # the last page view is still open
    sessions_finish_idle(now=timezone.now() + timedelta(hours=2))
    session.refresh_from_db()
    assert session.signal_state is None and session.dead_clicks == 1


@pytest.mark.django_db
def test_a_forgotten_visitor_leaves_the_heatmap_and_a_rebuild_agrees(client, site):
    from insights.models import HeatCell, HeatFact, Signal
    from insights.services import heatmaps_rebuild
    from privacy.services import visitor_forget
    from recorder.models import Session
    from tests.conftest import process_pending

    _visit(client, site, vid="visitor-keep")
    _visit(client, site, vid="visitor-gone")
    process_pending()
    assert HeatCell.objects.get(kind="click", selector="a#help").count == 2
    facts = HeatFact.objects.count()
    gone = list(Session.objects.filter(visitor_id="visitor-gone").values_list("pk", flat=True))
    assert facts and HeatFact.objects.filter(session_id__in=gone).count() == facts / 2
    visitor_forget(site=site, visitor="visitor-gone")
    assert HeatCell.objects.get(kind="click", selector="a#help").count == 1
    # The facts have no database constraint: they go with their sessions because the code deletes them.
    assert not HeatFact.objects.filter(session_id__in=gone).exists() and HeatFact.objects.count() == facts / 2
    assert Signal.objects.count() == 4
    before = sorted(HeatCell.objects.values_list("kind", "selector", "cx", "cy", "count"))
    heatmaps_rebuild(site_id=site.pk)
    assert sorted(HeatCell.objects.values_list("kind", "selector", "cx", "cy", "count")) == before
    visitor_forget(site=site, visitor="visitor-keep")
    assert not HeatCell.objects.exists() and not Signal.objects.exists() and not HeatFact.objects.exists()


@pytest.mark.django_db
def test_deleting_a_site_deletes_its_heatmap_facts(client, site):
    from insights.models import HeatFact
    from tests.conftest import process_pending

    _visit(client, site, vid="visitor-one")
    process_pending()
    assert HeatFact.objects.filter(site_id=site.pk).exists()
    site.delete()
    assert not HeatFact.objects.exists()


def test_an_error_thrown_in_the_same_millisecond_as_the_click_makes_an_error_click():
    assert kinds([page(T, "/a"), click(T + 100), error(T + 100)]) == ["error"]


@pytest.mark.parametrize("payload", [
    {"s": "a\x00b\ud800", "x": 1e300, "y": -1e300, "rx": 1e300, "ry": -5, "q": "yes"},
    {"s": ["not", "text"], "x": 2**70, "y": 0},
])
def test_hostile_clicks_become_values_a_database_takes(payload):
    event = {"type": 5, "timestamp": T + 100, "data": {"tag": "hs.click", "payload": payload}}
    mark = marks_extract([event])[0][2]
    assert "\x00" not in mark["s"]
    mark["s"].encode("utf-8")  # no lone surrogate left
    assert abs(mark["x"]) <= 1_000_000 and abs(mark["y"]) <= 1_000_000 and 0 <= mark["rx"] <= 999
    findings, _ = marks_fold(marks_extract([page(T, "/a"), event, click(T + 200), click(T + 300)]), None)
    assert all(abs(signal.x) <= 1_000_000 for signal in findings.signals)


def test_a_pointer_offset_far_from_its_event_is_ignored():
    move = {"type": 3, "timestamp": T, "data": {"source": 1, "positions": [{"x": 5, "y": 5, "id": 1, "timeOffset": -1e18}]}}
    assert marks_extract([move]) == [["m", T, 5, 5]]


@pytest.mark.parametrize("url, page", [
    ("https://docs.example.com/api", "https://docs.example.com/api"),
    ("https://docs.example.com/api#install", "https://docs.example.com/api"),
    ("https://docs.example.com/api?v=2#", "https://docs.example.com/api?v=2"),
    ("https://app.example.com/#/cart", "https://app.example.com/#/cart"),  # a hash router's pages stay apart
    ("https://app.example.com/#!/cart", "https://app.example.com/#!/cart"),
    ("", ""),
])
def test_a_page_is_its_url_without_an_anchor(url, page):
    from insights.services import page_url

    assert page_url(url) == page


@pytest.mark.django_db
def test_clicks_and_signals_at_anchors_of_a_page_count_for_the_page(client, site, owner):
    """A documentation page whose visitor follows its anchors (hashchange page views) is one heatmap and
    one row of frustration per page; a hash router's routes stay pages of their own."""
    import time
    import uuid

    from insights.models import HeatCell, HeatFact, Signal
    from tests.conftest import make_batch, post_batch, process_pending
    from tests.test_api import auth

    docs, app = "https://shop.example.com/docs", "https://shop.example.com/app"
    now = int(time.time() * 1000) - 60_000
    meta = {"type": 4, "data": {"href": docs, "width": 1280, "height": 720}, "timestamp": now}
    events = [meta, page(now, docs), click(now + 1000, sel="a#install"),
              page(now + 2000, docs + "#install", "hash"), click(now + 3000, sel="button#copy"),
              click(now + 3100, sel="button#copy"), click(now + 3200, sel="button#copy"), mutation(now + 3300),
              page(now + 9000, docs + "#faq", "push"), click(now + 10000, sel="a#install"),
              page(now + 12000, app + "#/cart", "push"), click(now + 13000, sel="button#pay"), mutation(now + 13100),
              page(now + 20000, app + "#/done", "hash"), mutation(now + 40000)]
    sid = str(uuid.uuid4())
    assert post_batch(client, make_batch(site.pk, sid=sid, seq=0, events=events)).status_code == 202
    process_pending()
    clicks = {(url, selector): count for url, selector, count
              in HeatCell.objects.filter(kind="click").values_list("url", "selector", "count")}
    assert clicks == {(docs, "a#install"): 2, (docs, "button#copy"): 3, (app + "#/cart", "button#pay"): 1}
    assert set(HeatFact.objects.values_list("url", flat=True)) == {docs, app + "#/cart"}
    assert set(Signal.objects.filter(kind="rage").values_list("url", flat=True)) == {docs}
    # Asked for an anchor of the page, the API and the page answer with the page's heatmap, drawn on a view of it.
    api = client.get(f"/api/v1/sites/{site.pk}/heatmaps/", {"url": docs + "#faq"}, **auth(owner)).json()
    assert api["url"] == docs and api["total"] == 5
    client.force_login(owner)
    shown = client.get(f"/sites/{site.pk}/heatmaps/", {"url": docs})
    assert shown.status_code == 200 and shown.context["view"] is not None
    assert shown.context["view"].url.startswith(docs) and shown.context["pages"] == [app + "#/done", app + "#/cart", docs]
    route = client.get(f"/sites/{site.pk}/heatmaps/", {"url": app})
    assert route.context["view"] is None  # only its routes were seen, no view of the bare page to draw on
