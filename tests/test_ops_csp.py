"""The dashboard's Content-Security-Policy: on every page, no inline script, and the player's exception."""
import re

import pytest

from tests.factories import SessionFactory, UserFactory

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def dashboard_pages(site, session) -> list[str]:
    pages = [
        "/sites/", "/sites/new/", f"/sites/{site.pk}/", f"/sites/{site.pk}/overview/", f"/sites/{site.pk}/install/",
        f"/sites/{site.pk}/settings/", f"/sites/{site.pk}/team/", f"/sites/{site.pk}/audit/",
        f"/sites/{site.pk}/privacy/", f"/sites/{site.pk}/sessions/{session.pk}/",
        f"/sites/{site.pk}/sessions/{session.pk}/delete/", "/api/v1/docs/", "/admin/", "/admin/sites/site/",
        f"/admin/sites/site/{site.pk}/change/", f"/exclude/{site.pk}", "/optout",
    ]
    return pages


@pytest.fixture
def owner_client(client, site):
    site.owner.is_staff = site.owner.is_superuser = True
    site.owner.save()
    client.force_login(site.owner)
    return client


def test_every_dashboard_page_allows_scripts_from_our_origin_only_and_no_framing(owner_client, site):
    session = SessionFactory(site=site)
    for url in [*dashboard_pages(site, session), "/accounts/login/"]:
        response = owner_client.get(url)
        assert response.status_code == 200, url
        directives = policy(response)
        assert directives["script-src"] == ["'self'"], url
        assert directives["default-src"] == ["'self'"], url
        assert directives["frame-ancestors"] == ["'none'"], url
        assert directives["object-src"] == ["'none'"], url
        page = response.content.decode()
        assert not INLINE_SCRIPT.search(page), f"inline <script> on {url}"
        assert not INLINE_HANDLER.search(page), f"inline event handler on {url}"


def test_the_login_page_shown_to_a_signed_out_visitor_has_the_policy(client):
    assert policy(client.get("/accounts/login/"))["script-src"] == ["'self'"]


def test_the_demo_page_stands_for_a_customer_page_and_has_no_dashboard_policy(client):
    assert "Content-Security-Policy" not in client.get("/demo/")


def test_the_player_page_lets_the_replay_load_the_recorded_sites_resources_by_default(owner_client, site):
    session = SessionFactory(site=site)
    directives = policy(owner_client.get(f"/sites/{site.pk}/sessions/{session.pk}/"))
    for name in ("img-src", "style-src", "font-src", "media-src"):
        assert "https:" in directives[name] and "http:" in directives[name], name
    assert directives["script-src"] == ["'self'"]


def test_a_site_that_blocks_its_resources_in_replays_gets_our_origin_and_data_only(owner_client, site):
    site.replay_resources = False
    site.save()
    session = SessionFactory(site=site)
    directives = policy(owner_client.get(f"/sites/{site.pk}/sessions/{session.pk}/"))
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["font-src"] == ["'self'", "data:"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert "media-src" not in directives  # default-src 'self'


def test_other_pages_never_allow_outside_resources(owner_client, site):
    directives = policy(owner_client.get(f"/sites/{site.pk}/"))
    assert directives["img-src"] == ["'self'", "data:"]


def test_an_outsider_gets_404_on_the_player_and_no_site_setting_leaks_through_the_policy(client, site, settings):
    # Given a site whose replays load its resources, and production's error pages (DEBUG off)
    settings.DEBUG = False
    session = SessionFactory(site=site)
    client.force_login(UserFactory())
    # When an outsider asks for one of its sessions
    response = client.get(f"/sites/{site.pk}/sessions/{session.pk}/")
    # Then it is not found, and the policy is the plain one
    assert response.status_code == 404
    assert policy(response)["img-src"] == ["'self'", "data:"]


def test_owners_can_turn_the_replay_resources_off_in_the_settings(owner_client, site):
    page = owner_client.get(f"/sites/{site.pk}/settings/").content.decode()
    assert 'name="replay_resources"' in page
    assert "IP address" in page
