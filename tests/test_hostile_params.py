"""No query parameter gives a 500: hostile values over every parameter of the lists, filters, API, audit and player.

Runs on whichever database the suite runs on (Postgres refuses NUL and
out-of-range values that SQLite takes, so both runs matter).
"""
import base64
import itertools
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from insights.api import HEATMAP_PARAMS
from privacy.audit import audit_record
from recorder.models import PageView
from replay.filters import SESSION_FILTER_PARAMS
from sites.forms import SETTINGS_FIELDS
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


SOME_ID = "0b5f0cf4-2d6e-4a4c-9d59-2b7c5ab1f8a1"
HOSTILE = [
    "²", "١٢", "9" * 5000, "-1", "1e309", "nan", "0", "a\x00b", "\x00", "9999-12-31", "0001-01-01",
    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2025-02-30", "' OR 1=1 --", "%", "_%_", "\\",
    "😀" * 20, "x" * 5000, " ", "[]", "{}", "1_2", f"9999-12-31T23:59:59+14:00_{SOME_ID}", f"-{'9' * 40}_{SOME_ID}",
    "2025-01-01T00:00:00_not-a-uuid", "not base64 !!", b64("abc"), b64(f"2025-01-01T00:00:00_{SOME_ID}"),
    b64(f"99999999999999999999_{SOME_ID}"), b64("\x00_\x00"), "=" * 7,
    # DRF's cursors (the API's site list) are a base64 query string whose `p` is the position.
    b64("p=abc"), b64("p=1.5"), b64("p=1e5"), b64("p=%00"), b64("r=1&p=99999999999999999999"),
    "http://[oops", "///",
]
LIST_PARAMS = [name for name, _ in SESSION_FILTER_PARAMS] + ["after", "cursor", "t", "page"]


@pytest.fixture
def listed(site):
    """A few stored sessions with pages, so the filters and cursors have rows to work on."""
    now = timezone.now()
    sessions = [
        SessionFactory(site=site, started_at=now - timedelta(minutes=n), duration_ms=1000 * n, chunk_count=1,
                       tags={"plan": "pro"}, identity=f"user{n}", browser="Chrome", os="Windows")
        for n in range(3)
    ]
    for session in sessions:
        PageView.objects.create(session=session, site=site, url="https://shop.example.com/checkout", at=now)
    audit_record(user=site.owner, site=site, action="session.view", target=str(sessions[0].pk))
    return sessions


def urls(site, session) -> list[tuple[str, list[str], bool]]:
    """(url, its parameters, whether it answers JSON)."""
    return [
        (reverse("session-list", args=[site.pk]), LIST_PARAMS, False),
        (reverse("session-player", args=[site.pk, session.pk]), LIST_PARAMS, False),
        (reverse("site-overview", args=[site.pk]), ["day", "page"], False),
        (reverse("site-audit", args=[site.pk]), ["before", "page"], False),
        (reverse("api-site-sessions", args=[site.pk]), LIST_PARAMS, True),
        (reverse("api-site-list"), ["cursor", "page"], True),
        (reverse("api-session-detail", args=[session.pk]), ["page"], True),
        (reverse("api-session-events", args=[session.pk]), ["from_seq"], True),
        (reverse("api-session-recording", args=[session.pk]), ["from_seq"], True),
    ]


def check(response, json_answer: bool, what) -> None:
    assert response.status_code < 500, what
    if json_answer:
        assert response["Content-Type"].startswith("application/json"), what
    else:
        assert response["Content-Type"].startswith("text/html"), what


def test_no_hostile_query_value_gives_a_500(client, site, owner, listed):
    client.force_login(owner)
    token = Token.objects.create(user=owner)
    for url, params, json_answer in urls(site, listed[0]):
        headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"} if json_answer else {}
        for value in HOSTILE:
            # Every parameter at once (filters are independent: each parses its own value), in both orders.
            for sort in (("longest", value) if "sort" in params else (value,)):
                query = {name: value for name in params} | ({"sort": sort} if "sort" in params else {})
                check(client.get(url, query, **headers), json_answer, (url, value))


@pytest.mark.parametrize("path", [
    "/api/v1/sessions/not-a-uuid/", "/api/v1/sessions/²/", "/api/v1/sessions/not-a-uuid/events/",
    "/api/v1/sessions/not-a-uuid/recording/", "/api/v1/sites/²/", "/api/v1/sites/99999999999999999999999/",
    "/api/v1/sites/99999999999999999999999/sessions/",
])
def test_a_hostile_id_in_the_api_path_is_a_json_404(client, owner, path):
    token = Token.objects.create(user=owner)
    response = client.get(path, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_a_hostile_site_id_in_a_dashboard_path_is_a_404(client, owner):
    client.force_login(owner)
    for name in ("session-list", "site-overview", "site-audit"):
        assert client.get(reverse(name, args=[99999999999999999999999])).status_code == 404
    assert client.get(reverse("session-player", args=[99999999999999999999999, uuid.uuid4()])).status_code == 404


@pytest.mark.parametrize("params", [
    {"date_to": "9999-12-31"}, {"date_from": "9999-12-31"}, {"min_duration": "9" * 5000}, {"max_duration": "²"},
    {"url": "a\x00b"}, {"identity_contains": "\x00"}, {"tag": "plan", "tag_value": "\x00"},
])
def test_a_hostile_filter_is_ignored_or_matches_nothing_and_the_list_still_answers(client, site, owner, listed, params):
    token = Token.objects.create(user=owner)
    response = client.get(reverse("api-site-sessions", args=[site.pk]), params, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert len(response.json()["results"]) in (0, 3)


def test_no_hostile_heatmap_parameter_gives_a_500(client, site, owner):
    """Each parameter hostile in turn, beside a real page's URL (without one the page asks for it)."""
    client.force_login(owner)
    client.raise_request_exception = False
    token = Token.objects.create(user=owner)
    for (name, _), value in itertools.product(HEATMAP_PARAMS, HOSTILE):
        params = {"url": "https://shop.example.com/", name: value}
        page = client.get(reverse("site-heatmaps", args=[site.pk]), params)
        check(page, False, (name, value))
        api = client.get(reverse("api-site-heatmaps", args=[site.pk]), params, HTTP_AUTHORIZATION=f"Token {token.key}")
        check(api, True, (name, value))


def test_a_heatmap_of_a_day_before_any_recording_is_refused_as_a_bad_query(client, site, owner):
    token = Token.objects.create(user=owner)
    params = {"url": "https://shop.example.com/", "date_to": "0001-01-01"}
    response = client.get(reverse("api-site-heatmaps", args=[site.pk]), params, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 400 and response.json()["error"] == "bad_query"


def test_no_hostile_form_value_gives_a_500(client, site, owner):
    """The dashboard's forms: settings (each field in turn), team, visitor requests, a new site."""
    client.force_login(owner)
    client.raise_request_exception = False
    posts = [
        (reverse("site-privacy-forget", args=[site.pk]), lambda v: {"forget-visitor": v, "forget-confirm": "on"}),
        (reverse("site-privacy-export", args=[site.pk]), lambda v: {"export-visitor": v}),
        (reverse("site-team", args=[site.pk]), lambda v: {"who": v, "role": v}),
        (reverse("site-member-role", args=[site.pk, owner.pk]), lambda v: {"role": v}),
        (reverse("site-new"), lambda v: {"name": v, "domains": v}),
    ] + [
        (reverse("site-settings", args=[site.pk]),
         lambda v, field=field: {"name": "Shop", "domains": "shop.example.com", field: v})
        for field in SETTINGS_FIELDS
    ]
    for (url, form), value in itertools.product(posts, HOSTILE):
        assert client.post(url, form(value)).status_code < 500, (url, value)


def test_options_of_the_api_docs_and_a_date_drilled_past_the_last_year_are_not_a_500(client, site, admin_client):
    assert client.options("/api/v1/docs/").status_code == 405
    assert client.get("/api/v1/docs/").status_code == 200
    for path in ("/admin/recorder/session/?started_at__year=9999", "/admin/recorder/session/?started_at__year=9999&started_at__month=12",
                 "/admin/privacy/auditentry/?at__year=9999&at__month=12&at__day=31", "/admin/sites/site/?created_at__year=9999"):
        response = admin_client.get(path)
        assert response.status_code == 302 and response["Location"].endswith("?e=1"), path


def test_a_domain_that_cannot_be_read_is_a_form_error_and_a_name_in_another_script_is_its_ascii_form(client, owner, site):
    client.force_login(owner)
    for domains in ("http://[oops", "///", "shop.example.com\nnot a domain"):
        response = client.post(reverse("site-new"), {"name": "B", "domains": domains})
        assert response.status_code in (200, 400) and "Not a domain" in response.content.decode(), domains
        response = client.post(reverse("site-settings", args=[site.pk]), {"name": "Shop", "domains": domains})
        assert response.status_code in (200, 400) and "Not a domain" in response.content.decode(), domains
    response = client.post(reverse("site-new"), {"name": "Bücher", "domains": "bücher.de\nhttps://Shop.Example.com/x"})
    assert response.status_code == 302
    from sites.domains import origin_allowed
    from sites.models import Site

    created = Site.objects.get(name="Bücher")
    assert created.domains == ["xn--bcher-kva.de", "shop.example.com"]
    assert origin_allowed(created.domains, "https://xn--bcher-kva.de")  # what a browser's Origin header says
