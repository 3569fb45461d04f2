"""The REST API's session list: the dashboard's filters as query parameters, cursor pages, cost, limits, docs."""
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.throttling import UserRateThrottle

from sites.models import Membership
from tests.factories import SessionFactory, SiteFactory, UserFactory
from tests.test_session_list import FILTER_CASES, catalog, many_sessions, names_of, query_of

pytestmark = pytest.mark.django_db


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def api_list(site) -> str:
    return reverse("api-site-sessions", args=[site.pk])


@pytest.mark.parametrize("params, expected", FILTER_CASES)
def test_the_api_filters_with_the_dashboards_parameters(client, site, owner, params, expected):
    sessions = catalog(client, site)

    response = client.get(api_list(site), query_of(params), **auth(owner))

    assert response.status_code == 200
    assert names_of([row["id"] for row in response.json()["results"]], sessions) == expected


def test_an_api_row_carries_identity_tags_device_and_links(client, site, owner):
    sessions = catalog(client, site)

    rows = client.get(api_list(site), {"identity": "alice@example.com"}, **auth(owner)).json()["results"]

    (alice,) = rows
    assert alice["tags"] == {"plan": "gold", "role": "admin"}
    assert (alice["browser"], alice["os"], alice["device_type"]) == ("Chrome", "Windows", "desktop")
    assert (alice["duration"], alice["page_count"], alice["error_count"]) == (40, 2, 1)
    assert alice["is_live"] is True
    assert alice["replay_url"] == reverse("session-player", args=[site.pk, sessions["alice"].pk])


def walk_cursor(client, url: str, params: dict, headers: dict) -> list[list[str]]:
    pages, response = [], client.get(url, params, **headers)
    while True:
        assert response.status_code == 200
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        if not body["next"]:
            return pages
        assert len(pages) < 10, "the pages never end"
        response = client.get(body["next"], **headers)


@pytest.mark.parametrize("params, order", [
    pytest.param({}, lambda s: (s.started_at, s.pk), id="newest"),
    pytest.param({"sort": "longest"}, lambda s: (s.duration_ms, s.pk), id="longest"),
    pytest.param({"errors": "1", "sort": "longest"}, lambda s: (s.duration_ms, s.pk), id="filtered"),
])
def test_cursor_pages_have_no_overlap_and_no_gap(client, site, owner, params, order):
    sessions = many_sessions(site, 123)

    pages = walk_cursor(client, api_list(site), params, auth(owner))

    wanted = [s for s in sessions if s.error_count or "errors" not in params]
    assert [len(page) for page in pages[:-1]] == [50] * (len(pages) - 1)
    assert sum(pages, []) == [str(s.pk) for s in sorted(wanted, key=order, reverse=True)]


def test_the_cursor_link_keeps_the_filters(client, site, owner):
    many_sessions(site, 130)

    body = client.get(api_list(site), {"errors": "1", "identity_contains": "user"}, **auth(owner)).json()

    assert "errors=1" in body["next"] and "identity_contains=user" in body["next"]
    assert "cursor=" in body["next"]


def test_a_forged_cursor_is_a_clear_404(client, site, owner):
    many_sessions(site, 3)

    response = client.get(api_list(site), {"cursor": "not-a-cursor"}, **auth(owner))

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("count", [3, 30])
def test_the_api_list_costs_the_same_queries_however_many_sessions(client, site, owner, count,
                                                                   django_assert_num_queries):
    many_sessions(site, count)
    headers = auth(owner)

    # the token with its user, the membership with its site, one page of sessions
    with django_assert_num_queries(3):
        response = client.get(api_list(site), {"identity_contains": "user", "sort": "longest"}, **headers)
    assert len(response.json()["results"]) == count


def test_a_viewer_reads_the_list_and_events_but_cannot_delete(client, site):
    viewer = UserFactory(username="viewer")
    Membership.objects.create(site=site, user=viewer, role=Membership.VIEWER)
    session = SessionFactory(site=site, started_at=timezone.now(), chunk_count=1)

    assert client.get(api_list(site), **auth(viewer)).status_code == 200
    assert client.get(f"/api/v1/sessions/{session.pk}/", **auth(viewer)).status_code == 200
    assert client.get(f"/api/v1/sessions/{session.pk}/events/", **auth(viewer)).status_code == 200
    response = client.delete(f"/api/v1/sessions/{session.pk}/", **auth(viewer))
    assert response.status_code == 403
    assert response.json() == {"error": "permission_denied", "detail": "Only owners and admins delete sessions."}
    assert client.get(f"/api/v1/sessions/{session.pk}/", **auth(viewer)).status_code == 200


def test_an_outsider_cannot_list_a_site_even_with_filters(client, site):
    SessionFactory(site=site, started_at=timezone.now(), chunk_count=1)
    outsider = UserFactory(username="outsider")
    SiteFactory(owner=outsider)

    response = client.get(api_list(site), {"sort": "longest", "errors": "1"}, **auth(outsider))

    assert response.status_code == 404
    assert set(response.json()) == {"error", "detail"}


def test_the_dashboards_own_requests_are_not_counted_against_the_api_rate(client, site, owner, settings, monkeypatch):
    """The player asks the API every 3 s while it follows a live session: at API_RATE (1000 an hour) it, the user's
    other replays and their scripts were all refused for the rest of the hour."""
    rates = {"user": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    client.force_login(owner)

    answers = [client.get(api_list(site)) for _ in range(5)]

    assert [a.status_code for a in answers] == [200] * 5
    assert client.get(api_list(site), **auth(owner)).status_code == 200  # a script's budget is untouched


def test_a_client_with_no_login_nor_token_is_still_held_to_the_api_rate(client, settings, monkeypatch):
    """The schema is open to anyone and costs the server a build each time: a client that signs in with nothing
    (no token, no login) is counted by its address, as before the dashboard's requests were let off."""
    rates = {"user": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)

    answers = [client.get(reverse("api-schema")).status_code for _ in range(4)]
    # Nor does a made-up X-Forwarded-For make it another client (only TRUSTED_PROXIES' are believed)
    answers += [client.get(reverse("api-schema"), HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(2)]

    assert answers == [200, 200, 200, 429, 429, 429]


def test_a_wrong_token_is_refused_as_json(client, site):
    response = client.get(api_list(site), HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert response.status_code == 401
    assert response.json()["error"] == "authentication_failed"


def test_too_many_requests_get_a_429_json_error(client, site, owner, settings, monkeypatch):
    # DRF binds the rates to its throttle class when it is imported, so a changed
    # setting alone does not reach it; both are set so the two agree.
    rates = {"user": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    headers = auth(owner)

    answers = [client.get(api_list(site), **headers) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    body = answers[-1].json()
    assert body["error"] == "throttled"
    assert re.fullmatch(r"Request was throttled\. Expected available in \d+ seconds?\.", body["detail"])
    assert 0 < int(answers[-1]["Retry-After"]) <= 60
    # Another user has a budget of their own.
    other = UserFactory(username="teammate")
    Membership.objects.create(site=site, user=other, role=Membership.VIEWER)
    assert client.get(api_list(site), **auth(other)).status_code == 200


# --- schema and docs ---------------------------------------------------------------------------

def test_the_schema_documents_every_filter_of_the_session_list(client, owner):
    response = client.get("/api/v1/schema/", {"format": "json"}, **auth(owner))

    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/sites/{site_id}/sessions/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"date_from", "date_to", "min_duration", "max_duration", "identity", "identity_contains", "tag",
            "tag_value", "url", "errors", "browser", "os", "device", "live", "sort", "cursor"} <= names
    assert set(schema["paths"]) >= {"/api/v1/sites/", "/api/v1/sessions/{id}/", "/api/v1/sessions/{id}/events/"}
    assert "delete" in schema["paths"]["/api/v1/sessions/{id}/"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_docs_page_loads_its_viewer_from_this_server(client, owner):
    client.force_login(owner)

    page = client.get("/api/v1/docs/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "cdn." not in text and "//unpkg" not in text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', text)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_a_length_is_whole_seconds_passed_as_the_player_and_the_length_filter_count_it(client, site, owner):
    """A session of 6.9 s is 6 s long in the API and the list, as the player's clock shows it ("0:06"), and
    not among sessions "at least 7 s" long: rounded, the list said 0:07 of a session the filter left out."""
    session = SessionFactory(site=site, duration_ms=6900, chunk_count=1, started_at=timezone.now())

    (row,) = client.get(api_list(site), **auth(owner)).json()["results"]
    longer = client.get(api_list(site), {"min_duration": 7}, **auth(owner)).json()["results"]

    assert row["id"] == str(session.pk) and row["duration"] == 6
    assert longer == []
    client.force_login(owner)
    assert "0:06" in client.get(reverse("session-list", args=[site.pk])).content.decode()
