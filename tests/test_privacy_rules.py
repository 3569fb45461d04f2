"""Opt-out, GPC/DNT, IP rules and retention, checked at the loader, at ingest and in storage."""
import re
from datetime import timedelta
from io import StringIO

import pytest
from hypothesis import given, strategies as st
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from privacy.ip import client_ip, ip_excluded, ip_truncate
from privacy.services import retention_purge
from recorder.models import Chunk, Session
from recorder.services import sessions_finish_idle
from recorder.tasks import chunk_process
from tests.conftest import make_batch, post_batch, process_pending, stored_parts
from tests.factories import UserFactory

NOOP = "not recording"


@pytest.mark.parametrize("rule, ip, excluded", [
    ("203.0.113.7", "203.0.113.7", True),
    ("203.0.113.7", "203.0.113.8", False),
    ("192.168.*.*", "192.168.44.3", True),
    ("192.168.*.*", "192.169.0.1", False),
    ("10.0.0.0/8", "10.200.3.4", True),
    ("10.0.0.0/8", "11.0.0.1", False),
    ("2001:db8::/32", "2001:db8:abcd::1", True),
    ("2001:db8::/32", "2001:db9::1", False),
    ("::ffff:0:0/96", "::ffff:1.2.3.4", False),
    ("1.2.3.4", "::ffff:1.2.3.4", True),
    ("not a rule", "1.2.3.4", False),
])
def test_ip_rules_match_addresses_wildcards_and_ranges(rule, ip, excluded):
    assert ip_excluded([rule], ip) is excluded


@pytest.mark.parametrize("ip, kept", [
    ("203.0.113.77", "203.0.113.0"), ("2001:db8:abcd:1234::5", "2001:db8:abcd::"), ("junk", None),
])
def test_stored_ip_is_truncated(ip, kept):
    assert ip_truncate(ip) == kept


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    assert client_ip({"REMOTE_ADDR": "10.1.1.1", "HTTP_X_FORWARDED_FOR": "198.51.100.9, 10.2.2.2"}) == "198.51.100.9"
    assert client_ip({"REMOTE_ADDR": "198.51.100.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}) == "198.51.100.1"


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["site-cookie", "all-cookie", "gpc", "dnt", "ip"])
def test_refused_visitors_get_a_noop_loader_and_ingest_refuses_them(client, site, how):
    site.ip_rules = "127.0.0.0/8"
    site.save()
    extra = {}
    if how == "site-cookie":
        client.get(f"/exclude/{site.pk}")
    elif how == "all-cookie":
        client.get("/optout")
    elif how == "gpc":
        extra = {"HTTP_SEC_GPC": "1"}
    elif how == "dnt":
        extra = {"HTTP_DNT": "1"}
    if how != "ip":
        site.ip_rules = ""
        site.save()
    assert NOOP in client.get(f"/recorder.js?wid={site.pk}", **extra).content.decode()
    response = post_batch(client, make_batch(site.pk), **extra)
    assert response.status_code == 403
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_gpc_is_ignored_when_the_site_does_not_honour_it(client, site):
    site.honor_dnt = False
    site.save()
    assert NOOP not in client.get(f"/recorder.js?wid={site.pk}", HTTP_SEC_GPC="1").content.decode()
    assert post_batch(client, make_batch(site.pk), HTTP_SEC_GPC="1").status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_exclude_page_can_be_undone(client, site, slash):
    """(Also where the address ends with a slash, as links and visitors write it: that was a 404.)"""
    response = client.get(f"/exclude/{site.pk}{slash}")
    assert response.status_code == 200 and b"opted out" in response.content
    assert client.cookies[f"hs_optout_{site.pk}"].value == "1"
    client.post(f"/exclude/{site.pk}{slash}", {"action": "undo"})
    assert NOOP not in client.get(f"/recorder.js?wid={site.pk}").content.decode()


@pytest.mark.django_db
def test_the_optout_page_answers_with_a_slash_too(client, site):
    assert client.get("/optout/").status_code == 200 and client.cookies["hs_optout"].value == "1"
    assert NOOP in client.get(f"/recorder.js?wid={site.pk}").content.decode()


@pytest.mark.django_db
def test_the_public_exclude_page_does_not_show_the_sites_name(client, site):
    """A site's name is "shown in the dashboard only" (its help text says so), yet /exclude/1, /exclude/2, ... showed
    every site's name on the server to anyone, and to a logged-in outsider a link to the site's sessions."""
    site.name = "Acme internal staging"
    site.save(update_fields=["name"])
    client.force_login(UserFactory(username="outsider"))

    for response in (client.get(f"/exclude/{site.pk}"), client.post(f"/exclude/{site.pk}", {"action": "undo"})):
        page = response.content.decode()
        assert response.status_code == 200 and "the site that linked here" in page
        assert "Acme" not in page and f'href="/sites/{site.pk}/"' not in page


@pytest.mark.django_db
def test_exclude_page_of_an_unknown_site_is_404(client):
    assert client.get("/exclude/987654").status_code == 404


@pytest.mark.django_db
def test_ip_is_truncated_or_not_stored(client, site):
    batch = make_batch(site.pk)
    post_batch(client, batch, REMOTE_ADDR="203.0.113.77")
    process_pending()
    assert Session.objects.get(pk=batch["sid"]).ip == "203.0.113.0"
    site.ip_storage = "none"
    site.save()
    other = make_batch(site.pk)
    post_batch(client, other, REMOTE_ADDR="203.0.113.77")
    process_pending()
    assert Session.objects.get(pk=other["sid"]).ip is None


@pytest.mark.django_db
def test_unsampled_visitor_is_refused_and_sampling_is_stable(client, site):
    from sites.targeting import visitor_sampled

    site.sample_rate = 50
    site.save()
    visitors = [f"visitor-{n:04d}" for n in range(200)]
    sampled = [v for v in visitors if visitor_sampled(v, 50)]
    assert 60 < len(sampled) < 140
    assert all(visitor_sampled(v, 50) for v in sampled)  # stable
    out = next(v for v in visitors if v not in sampled)
    assert post_batch(client, make_batch(site.pk, vid=out)).status_code == 403
    assert post_batch(client, make_batch(site.pk, vid=sampled[0])).status_code == 202


@pytest.mark.django_db
def test_excluded_url_is_refused_at_ingest(client, site):
    site.exclude_urls = "/"
    site.save()
    response = post_batch(client, make_batch(site.pk))
    assert (response.status_code, response.json()["error"]) == (403, "url_not_targeted")


@given(pattern=st.text("ab/*", max_size=8), text=st.text("ab/", max_size=10))
def test_a_wildcard_pattern_matches_as_the_regular_expression_it_replaced(pattern, text):
    from sites.targeting import wildcard_match

    expected = re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), text, re.S) is not None
    assert wildcard_match(pattern, text) == expected


@pytest.mark.django_db
def test_targeting_a_hostile_page_address_answers_at_once_and_never_a_500(client, site):
    """A URL of 57,000 `/admin/` held the request 25 s against `*/admin/*/edit` (tried at every placing); an
    address urlsplit cannot read (`http://[oops/x`) gave a 500 against a pattern starting with `/`."""
    from sites.targeting import url_matches

    assert not url_matches("*/admin/*/edit", "http://a.test" + "/admin/" * 57_142)  # at once: linear
    assert url_matches("*/admin/*/edit", "http://a.test/admin/users/7/edit")
    assert not url_matches("/private*", "http://[oops/x")
    site.exclude_urls = "/private*\n*/admin/*/edit"
    site.save()
    for url, status in (("http://[oops/x", 202), ("http://a.test" + "/admin/" * 5_000 + "x/edit", 403)):
        batch = make_batch(site.pk)
        for event in batch["events"]:
            if event["type"] == 4:
                event["data"]["href"] = url
            elif event["type"] == 5 and event["data"]["tag"] == "hs.page":
                event["data"]["payload"]["url"] = url
        assert post_batch(client, batch).status_code == status, url


def store(client, site, **kwargs) -> Session:
    batch = make_batch(site.pk, **kwargs)
    post_batch(client, batch)
    chunk = Chunk.objects.get(session_id=batch["sid"], seq=batch["seq"])
    chunk_process.apply(args=[chunk.pk])
    return Session.objects.get(pk=batch["sid"])


@pytest.mark.django_db
def test_retention_purge_deletes_rows_and_stored_parts_of_expired_sessions_only(client, site):
    site.retention_days = 7
    site.save()
    old, fresh = store(client, site), store(client, site)
    Session.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=8))
    assert stored_parts(site.pk, old.pk)
    assert retention_purge() == 1
    assert not Session.objects.filter(pk=old.pk).exists()
    assert not Chunk.objects.filter(session_id=old.pk).exists()
    assert stored_parts(site.pk, old.pk) == 0
    assert stored_parts(site.pk, fresh.pk)
    assert retention_purge() == 0


def clock_off(batch: dict, days: int) -> dict:
    """The batch as a browser whose clock is `days` off sends it: every time in it moved."""
    shift = days * 86_400_000
    batch["sent"] += shift
    for event in batch["events"]:
        event["timestamp"] += shift
    return batch


@pytest.mark.django_db
@pytest.mark.parametrize("days", [-400, -31, 400])
def test_retention_counts_from_when_the_server_received_a_session_not_from_the_visitors_clock(client, site, days):
    """A visitor's clock may be a year off (a dead clock battery, a clock set by hand). Behind, the batch
    it just sent must not be purged as old; ahead, the session must still go when its time is up."""
    site.retention_days = 30
    site.save()
    batch = clock_off(make_batch(site.pk), days)
    assert post_batch(client, batch).status_code == 202
    process_pending()
    session = Session.objects.get(pk=batch["sid"])
    # The recording keeps the visitor's times; with no clock said in the URL (an older recorder), the session's
    # start is the visitor's too, but never after the server received it.
    assert Chunk.objects.get(session_id=session.pk).first_ts == batch["events"][0]["timestamp"]
    assert abs((session.started_at - timezone.now()).days - min(days, 0)) <= 1
    assert retention_purge() == 0
    assert stored_parts(site.pk, session.pk)
    later = timezone.now() + timedelta(days=31)
    assert retention_purge(now=later) == 1
    assert not Session.objects.filter(pk=session.pk).exists() and stored_parts(site.pk, session.pk) == 0


@pytest.mark.django_db
def test_sweeper_finishes_idle_sessions_and_drops_those_too_short(client, site):
    site.min_session_sec = 5
    site.save()
    short = store(client, site)  # 0.5 s long
    assert short.duration_ms < 5000
    assert sessions_finish_idle(now=timezone.now() + timedelta(minutes=5)) == 0
    assert sessions_finish_idle(now=timezone.now() + timedelta(minutes=31)) == 1
    assert not Session.objects.filter(pk=short.pk).exists()
    assert stored_parts(site.pk, short.pk) == 0


@pytest.mark.django_db
def test_the_public_pages_answer_get_and_head_and_refuse_what_they_do_not_take(client, site):
    """The opt-out pages take a POST (their undo button); the demo pages take nothing but reads."""
    call_command("setupdemo", stdout=StringIO())
    pages = {f"/exclude/{site.pk}": {"post"}, "/optout": {"post"}, "/demo/": set(), "/demo/checkout/": set()}
    for url, writes in pages.items():
        assert client.head(url).status_code == 200, url
        for method in {"post", "put", "patch", "delete", "options"} - writes:
            assert getattr(client, method)(url).status_code == 405, (url, method)
