"""The install page's live check: waiting, recording, and why visits were refused, in the owner's words.

Refusals are made the way a visitor makes them: a batch posted to ingest from a page that the site's
rules turn away. The page and its status JSON must say what happened and what to do.
"""
import html
import json

import pytest

from recorder import refusals
from recorder.models import Chunk
from recorder.tasks import chunk_process
from sites.install import install_refusals, install_status, refusal_explain
from sites.models import Membership
from sites.snippet import site_static_tags
from tests.conftest import make_batch, post_batch
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _notes_start_afresh(monkeypatch):
    """Ingest notes one refusal per site and reason every 5 s in each process; each test starts clean."""
    monkeypatch.setattr(refusals, "_noted", {})


def refuse(client, site, *, origin: str | None, **extra) -> dict:
    response = post_batch(client, make_batch(site.pk), origin=origin, **extra)
    assert response.status_code == 403
    return response.json()


def status_json(client, site) -> dict:
    response = client.get(f"/sites/{site.pk}/install/status/")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def shop(owner):
    return SiteFactory(owner=owner, name="Shop", domains=["shop.test"])


def test_a_page_on_a_domain_the_site_lacks_shows_its_origin_and_the_fix(client, owner, shop):
    assert refuse(client, shop, origin="https://www.shop.test")["error"] == "origin_not_allowed"

    client.force_login(owner)
    status = status_json(client, shop)
    assert (status["state"], status["label"]) == ("refused", "Visits arrive but are refused: see why below")
    (refusal,) = status["refusals"]
    assert refusal["reason"] == "origin_not_allowed" and refusal["origin"] == "https://www.shop.test"
    assert refusal["what"] == "A page on https://www.shop.test sent a recording, but the site's domains are shop.test."
    assert refusal["fix"] == ("Add www.shop.test to the site's domains in Settings "
                              "(or *.shop.test for all its subdomains).")
    assert refusal["setting"] == "domains"
    assert status["settings_url"] == f"/sites/{shop.pk}/settings/"

    page = client.get(f"/sites/{shop.pk}/install/").content.decode()
    assert "A page on https://www.shop.test sent a recording" in page
    assert f'href="/sites/{shop.pk}/settings/#id_domains"' in page


def test_a_viewer_reads_the_reason_but_gets_no_settings_link(client, shop):
    viewer = UserFactory(username="viewer")
    Membership.objects.create(site=shop, user=viewer, role=Membership.VIEWER)
    refuse(client, shop, origin="https://blog.example.org")
    client.force_login(viewer)

    status = status_json(client, shop)

    assert status["settings_url"] is None
    assert status["refusals"][0]["fix"] == "Add blog.example.org to the site's domains in Settings (or *.example.org for all its subdomains)."
    assert "#id_domains" not in client.get(f"/sites/{shop.pk}/install/").content.decode()


@pytest.mark.parametrize("setup, request_extra, reason, words, setting", [
    ({}, {"HTTP_COOKIE": "hs_optout=1"}, "opted_out", "opted out of recording", ""),
    ({}, {"HTTP_SEC_GPC": "1"}, "privacy_signal", "Global Privacy Control or Do Not Track", "honor_dnt"),
    ({"ip_rules": "127.0.0.1"}, {}, "ip_excluded", "excluded IP addresses", "ip_rules"),
    ({"sample_rate": 0}, {}, "not_sampled", "0% of visitors are recorded", "sample_rate"),
    ({"include_urls": "/checkout/*"}, {}, "url_not_targeted", "the site records only /checkout/*", "include_urls"),
])
def test_each_rule_that_turns_a_visit_away_is_told_with_what_to_do(client, owner, setup, request_extra, reason,
                                                                   words, setting):
    site = SiteFactory(owner=owner, domains=["shop.example.com"], **setup)
    assert refuse(client, site, origin="https://shop.example.com", **request_extra)["error"] == reason

    client.force_login(owner)
    (refusal,) = status_json(client, site)["refusals"]

    assert refusal["reason"] == reason and words in refusal["what"]
    assert refusal["fix"] and refusal["setting"] == setting


@pytest.mark.parametrize("domains, origin, what, fix", [
    (["shop.test:8080"], "http://shop.test:3000",
     "A page on http://shop.test:3000 sent a recording, but the site's domains allow shop.test only as shop.test:8080, "
     "not on port 3000.",
     "Add shop.test:3000 (or shop.test alone, for every port) to the site's domains in Settings."),
    (["shop.test"], "http://127.0.0.1:8000",
     "A page on http://127.0.0.1:8000 sent a recording, but the site's domains are shop.test.",
     "Add 127.0.0.1 to the site's domains in Settings."),
    (["shop.test"], "null",
     "A page without an address of its own (a local file, or a page whose origin the browser hides) sent a "
     "recording. Only pages on the site's domains can record; the site's domains are shop.test.",
     "Serve the page from one of the site's domains."),
    ([], "https://shop.test",
     "A page on https://shop.test sent a recording, but the site's domains are none yet.",
     "Add shop.test to the site's domains in Settings."),
])
def test_a_refused_origin_says_which_entry_to_add(domains, origin, what, fix):
    site = SiteFactory.build(domains=domains)
    assert refusal_explain(site, "origin_not_allowed", origin) == (what, fix, "domains")


def test_an_unknown_reason_is_still_told(owner):
    site = SiteFactory(owner=owner)
    what, fix, setting = refusal_explain(site, "something_new", "https://a.test")
    assert what == "A page on https://a.test sent a recording that was refused (something_new)."
    assert (fix, setting) == ("", "")


def test_refusals_show_one_entry_per_reason_and_origin_newest_first(owner, monkeypatch):
    site = SiteFactory(owner=owner, domains=["shop.test"])
    notes = [
        {"at": "2026-11-02T10:00:09+00:00", "reason": "origin_not_allowed", "origin": "https://www.shop.test"},
        {"at": "2026-11-02T10:00:08+00:00", "reason": "not_sampled", "origin": "https://shop.test"},
        {"at": "2026-11-02T10:00:03+00:00", "reason": "origin_not_allowed", "origin": "https://www.shop.test"},
        {"at": "not a time", "reason": "opted_out", "origin": "https://shop.test"},
        *({"at": f"2026-11-02T09:00:0{n}+00:00", "reason": "origin_not_allowed", "origin": f"https://s{n}.test"}
          for n in range(9, 0, -1)),
    ]
    monkeypatch.setattr("sites.install.refusals_recent", lambda site_id: notes)

    shown = install_refusals(site)

    assert [(r["reason"], r["origin"], r["when"]) for r in shown] == [
        ("origin_not_allowed", "https://www.shop.test", "10:00:09"),
        ("not_sampled", "https://shop.test", "10:00:08"),
        ("origin_not_allowed", "https://s9.test", "09:00:09"),
        ("origin_not_allowed", "https://s8.test", "09:00:08"),
        ("origin_not_allowed", "https://s7.test", "09:00:07"),
    ]


def test_the_check_turns_to_recording_with_the_first_session_and_says_when_recording_is_off(client, owner, site):
    assert install_status(site)["state"] == "waiting"
    assert post_batch(client, make_batch(site.pk)).status_code == 202
    chunk_process.apply(args=[Chunk.objects.get(site=site).pk])
    assert (install_status(site)["state"], install_status(site)["label"]) == ("recording", "Recording")
    site.enabled = False
    site.save()
    assert install_status(site)["state"] == "disabled"


def test_a_hostile_origin_reaches_the_page_as_text(client, owner, shop):
    hostile = 'https://x.test"><script>alert(1)</script>'
    post_batch(client, make_batch(shop.pk), origin=hostile)
    client.force_login(owner)

    page = client.get(f"/sites/{shop.pk}/install/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert json.dumps(status_json(client, shop))  # and the JSON is plain data


def test_an_outsider_sees_neither_the_page_nor_the_refusals(client, shop):
    refuse(client, shop, origin="https://www.shop.test")
    outsider = UserFactory(username="outsider")
    SiteFactory(owner=outsider)
    client.force_login(outsider)

    assert client.get(f"/sites/{shop.pk}/install/").status_code == 404
    assert client.get(f"/sites/{shop.pk}/install/status/").status_code == 404


def test_the_page_gives_two_static_tags_for_sites_that_require_trusted_types(client, owner, shop):
    client.force_login(owner)
    page = client.get(f"/sites/{shop.pk}/install/").content.decode()
    tags = html.escape(site_static_tags(shop, "http://testserver"))
    assert f'<pre id="static-tags" tabindex="0" aria-label="The two tags">{tags}</pre>' in page
    assert "/recorder.js?wid=%d" % shop.pk in site_static_tags(shop, "http://testserver")


def test_two_processes_noting_refusals_at_once_lose_none_of_them(shop):
    """Two web processes refuse batches of one site at the same moment: every note is kept (up to KEEP)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    per_writer = refusals.KEEP // 2
    start = Barrier(2)

    def writer(name: str) -> None:
        start.wait()
        for n in range(per_writer):
            refusals.refusal_note(site_id=shop.pk, code=f"{name}-{n}", origin=f"https://{name}.test")

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(writer, ["a", "b"]))

    kept = refusals.refusals_recent(shop.pk)
    assert sorted(note["reason"] for note in kept) == sorted(f"{w}-{n}" for w in "ab" for n in range(per_writer))
    for name in "ab":  # each writer's notes, newest first
        assert [n["reason"] for n in kept if n["origin"] == f"https://{name}.test"] == [
            f"{name}-{n}" for n in reversed(range(per_writer))]
