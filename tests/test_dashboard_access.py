"""Every dashboard page and action added for settings, team, audit, privacy and overview, per persona.

Outsiders always get 404; viewers are refused (403) whatever would change data, and nothing changes.
"""
import re
import uuid
from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.urls import path, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from config import urls as project_urls
from privacy.models import AuditEntry
from recorder.models import PageView, Session
from sites.models import Membership
from tests.factories import SessionFactory, UserFactory
from tests.test_site_settings import settings_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(site, owner):
    viewer = UserFactory(username="viewer")
    admin = UserFactory(username="admin")
    other = UserFactory(username="other-viewer")
    UserFactory(username="carol")
    Membership.objects.create(site=site, user=viewer, role=Membership.VIEWER)
    Membership.objects.create(site=site, user=admin, role=Membership.ADMIN)
    Membership.objects.create(site=site, user=other, role=Membership.VIEWER)
    session = SessionFactory(site=site, visitor_id="visitor-1", started_at=timezone.now() - timedelta(hours=1),
                             duration_ms=5000, chunk_count=1)
    PageView.objects.create(session=session, url="https://shop.example.com/", at=session.started_at)
    return {"site": site, "owner": owner, "viewer": viewer, "admin": admin,
            "other": Membership.objects.get(user=other), "session": session}


def snapshot(site) -> dict:
    site.refresh_from_db()
    return {
        "site": model_to_dict(site),
        "members": set(Membership.objects.filter(site=site).values_list("user__username", "role")),
        "sessions": set(Session.objects.filter(site=site).values_list("id", flat=True)),
        "audit": AuditEntry.objects.count(),
        "tokens": set(Token.objects.values_list("key", flat=True)),
    }


# (method, url name, extra url arguments, POST data); `None` data for GETs.
def endpoints(world) -> list[tuple[str, str, list, dict | None]]:
    site, session, other = world["site"], world["session"], world["other"]
    return [
        ("get", "site-overview", [], None),
        ("get", "site-settings", [], None),
        ("post", "site-settings", [], settings_data(site, name="Taken over", enabled=False)),
        ("get", "site-team", [], None),
        ("post", "site-team", [], {"who": "carol", "role": "admin"}),
        ("post", "site-member-role", [other.pk], {"role": "admin"}),
        ("post", "site-member-remove", [other.pk], {}),
        ("post", "site-team-token", [], {"action": "create"}),
        ("get", "site-audit", [], None),
        ("get", "site-privacy", [], None),
        ("post", "site-privacy-forget", [], {"forget-visitor": "visitor-1", "forget-confirm": "on"}),
        ("post", "site-privacy-export", [], {"export-visitor": "visitor-1"}),
        ("get", "session-delete", [session.pk], None),
        ("post", "session-delete", [session.pk], {}),
    ]


ENDPOINT_IDS = [
    "overview", "settings", "settings-save", "team", "member-add", "member-role", "member-remove", "token",
    "audit", "privacy", "forget", "export", "session-delete-confirm", "session-delete",
]


def call(client, world, index: int):
    method, name, args, data = endpoints(world)[index]
    url = reverse(name, args=[world["site"].pk, *args])
    return client.get(url) if method == "get" else client.post(url, data)


@pytest.mark.parametrize("index", range(len(ENDPOINT_IDS)), ids=ENDPOINT_IDS)
def test_outsider_gets_404_and_changes_nothing(client, world, index):
    outsider = UserFactory(username="outsider")
    Token.objects.create(user=outsider)
    client.force_login(outsider)
    before = snapshot(world["site"])

    assert call(client, world, index).status_code == 404

    assert snapshot(world["site"]) == before


@pytest.mark.parametrize("index", range(len(ENDPOINT_IDS)), ids=ENDPOINT_IDS)
def test_anonymous_is_sent_to_the_login_page(client, world, index):
    response = call(client, world, index)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


VIEWER_REFUSED = {
    "settings", "settings-save", "member-add", "member-role", "member-remove", "audit", "privacy", "forget",
    "export", "session-delete-confirm", "session-delete",
}


@pytest.mark.parametrize("index", range(len(ENDPOINT_IDS)), ids=ENDPOINT_IDS)
def test_viewer_is_refused_what_changes_data_and_owner_only_pages(client, world, index):
    client.force_login(world["viewer"])
    before = snapshot(world["site"])

    response = call(client, world, index)

    if ENDPOINT_IDS[index] in VIEWER_REFUSED:
        assert response.status_code == 403
        assert snapshot(world["site"]) == before
    else:
        assert response.status_code in (200, 302)


@pytest.mark.parametrize("index", range(len(ENDPOINT_IDS)), ids=ENDPOINT_IDS)
def test_admin_may_do_everything_but_read_the_audit_log(client, world, index):
    client.force_login(world["admin"])
    response = call(client, world, index)
    expected = {403} if ENDPOINT_IDS[index] == "audit" else {200, 302}
    assert response.status_code in expected


def test_a_session_of_another_site_cannot_be_deleted_through_this_site(client, world):
    other = SessionFactory()
    client.force_login(world["owner"])
    url = reverse("session-delete", args=[world["site"].pk, other.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Session.objects.filter(pk=other.pk).exists()


def test_audit_log_shows_newest_first_fifty_a_page(client, world):
    site, owner = world["site"], world["owner"]
    for number in range(55):
        AuditEntry.objects.create(site=site, user=owner, username="owner", action="session.view", target=f"s{number}")
    AuditEntry.objects.create(site=site, user=owner, username="owner", action="site.settings", target=str(site.pk),
                              detail={"changes": {"sample_rate": {"old": 100, "new": 25}}})
    AuditEntry.objects.create(site=None, username="someone", action="session.view", target="elsewhere")
    client.force_login(owner)

    first = client.get(reverse("site-audit", args=[site.pk]))
    second = client.get(reverse("site-audit", args=[site.pk]), {"before": first.context["before"]})

    first_rows = [row["entry"] for row in first.context["rows"]]
    assert len(first_rows) == 50
    assert first_rows[0].action == "site.settings"
    assert first.context["rows"][0]["detail"] == ["sample_rate: 100 → 25"]
    assert "sample_rate: 100 → 25" in first.content.decode()
    second_rows = [row["entry"] for row in second.context["rows"]]
    assert [e.target for e in second_rows] == [f"s{n}" for n in range(5, -1, -1)]
    assert second.context["before"] is None
    assert "elsewhere" not in first.content.decode() + second.content.decode()


def test_an_audit_page_past_the_logs_end_says_so_and_leads_back_to_the_newest(client, world):
    """`?before=` the oldest entry (a bookmark, an address edited by hand) said "Nothing recorded yet", with no way
    back, of a log that has entries."""
    site, owner = world["site"], world["owner"]
    oldest = AuditEntry.objects.create(site=site, user=owner, username="owner", action="session.view", target="s1")
    client.force_login(owner)

    page = client.get(reverse("site-audit", args=[site.pk]), {"before": oldest.pk}).content.decode()

    assert "Nothing recorded yet" not in page and "No older entries" in page
    assert f'href="{reverse("site-audit", args=[site.pk])}">Back to the newest entries' in page


def test_audit_page_query_count_does_not_grow_with_entries(client, world, django_assert_num_queries):
    site, owner = world["site"], world["owner"]
    client.force_login(owner)
    url = reverse("site-audit", args=[site.pk])
    actions = ["session.view", "member.add", "visitor.export"]
    AuditEntry.objects.bulk_create(
        AuditEntry(site=site, user=owner, username="owner", action=actions[n % 3], target=str(uuid.uuid4()))
        for n in range(60)
    )
    # session, user, membership, one page of entries, and the sessions, members and visitors it names
    with django_assert_num_queries(7):
        client.get(url)


def test_audit_log_links_each_target_the_site_still_has(client, world):
    site, owner, session = world["site"], world["owner"], world["session"]
    gone = SessionFactory(site=site, visitor_id="visitor-gone")
    gone_id = str(gone.pk)
    gone.delete()
    elsewhere = SessionFactory()  # another site's session, however its id got into the log
    for action, target in [
        ("session.view", str(session.pk)), ("session.delete", gone_id), ("session.view", str(elsewhere.pk)),
        ("site.settings", str(site.pk)), ("member.add", "viewer"), ("member.remove", "carol"),
        ("visitor.export", "visitor-1"), ("visitor.forget", "visitor-gone"),
    ]:
        AuditEntry.objects.create(site=site, user=owner, username="owner", action=action, target=target)
    client.force_login(owner)

    page = client.get(reverse("site-audit", args=[site.pk]))

    links = {row["entry"].target: row["link"] for row in page.context["rows"]}
    assert links == {
        str(session.pk): reverse("session-player", args=[site.pk, session.pk]),
        gone_id: "", str(elsewhere.pk): "",
        str(site.pk): reverse("site-settings", args=[site.pk]),
        "viewer": reverse("site-team", args=[site.pk]), "carol": "",
        "visitor-1": reverse("session-list", args=[site.pk]) + "?visitor=visitor-1", "visitor-gone": "",
    }
    html = page.content.decode()
    for link in filter(None, links.values()):
        assert f'href="{link}"' in html
    assert html.count('data-testid="audit-target"') == 4


# Every dashboard page that shows something, by url name and extra url arguments; none takes another method.
def dashboard_pages(world) -> list[tuple[str, list]]:
    session, other = world["session"], world["other"]
    return [
        ("site-list", None), ("site-new", None), ("site-install", []), ("site-install-status", []),
        ("site-overview", []), ("site-settings", []), ("site-team", []), ("site-audit", []),
        ("session-list", []), ("session-player", [session.pk]), ("site-heatmaps", []),
        ("site-privacy", []), ("session-delete", [session.pk]),
        ("site-team-token", []), ("site-member-role", [other.pk]), ("site-member-remove", [other.pk]),
        ("site-privacy-forget", []), ("site-privacy-export", []),
    ]


@pytest.mark.parametrize("method", ["delete", "put", "patch", "options"])
def test_dashboard_pages_answer_other_methods_with_405_and_change_nothing(client, world, method):
    client.force_login(world["owner"])
    before = snapshot(world["site"])

    answers = {}
    for name, args in dashboard_pages(world):
        url = reverse(name) if args is None else reverse(name, args=[world["site"].pk, *args])
        answers[name] = getattr(client, method)(url).status_code

    assert answers == {name: 405 for name in answers}
    assert snapshot(world["site"]) == before


@pytest.mark.parametrize("name, with_site", [
    ("site-new", False), ("site-settings", True), ("site-team", True), ("site-privacy", True),
])
def test_each_fields_help_is_what_the_field_says_it_is_described_by(client, world, name, with_site):
    """The team, privacy and new-site forms pointed their fields at `id_who_helptext` and the like, which no element
    had (the help was `id_who_help`): a screen reader read the field without its help."""
    client.force_login(world["owner"])
    html = client.get(reverse(name, args=[world["site"].pk] if with_site else [])).content.decode()

    described_by = re.findall(r'aria-describedby="([^"]+)"', html)
    assert described_by
    for ids in described_by:
        for id_ in ids.split():
            assert html.count(f'id="{id_}"') == 1, id_


def test_dashboard_pages_answer_head_as_get(client, world):
    client.force_login(world["owner"])
    for name, args in dashboard_pages(world)[:13]:
        url = reverse(name) if args is None else reverse(name, args=[world["site"].pk, *args])
        assert client.head(url).status_code == 200, name
    assert Session.objects.filter(pk=world["session"].pk).exists()


def test_a_page_not_found_says_what_may_have_happened_and_leads_back(client, world, settings):
    """With DEBUG off, a deleted session's link (from a chat, the audit log) answered Django's bare "Not Found",
    with no words for why and no way back; the same page for another site's session tells nothing of it."""
    settings.DEBUG = False
    site = world["site"]
    client.force_login(world["viewer"])

    gone = client.get(reverse("session-player", args=[site.pk, uuid.uuid4()]))
    client.force_login(UserFactory(username="outsider"))
    elsewhere = client.get(reverse("session-player", args=[site.pk, world["session"].pk]))

    for response in (gone, elsewhere):
        page = response.content.decode()
        assert response.status_code == 404
        assert "deleted" in page and f'href="{reverse("site-list")}"' in page
        assert site.name not in page


def _broken_view(request):
    raise RuntimeError("a bug in a view")


# This module is the URL configuration of the tests below, with the project's error handler.
urlpatterns = [path("broken/", _broken_view), path("api/v1/broken/", _broken_view)]
handler500 = getattr(project_urls, "handler500", "django.views.defaults.server_error")


def test_a_server_error_says_what_happened_and_leads_back_even_with_the_database_down(
        client, settings, django_db_blocker):
    """With DEBUG off, a bug answered Django's bare "Server Error (500)": no words, no way back, no dashboard."""
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False

    with django_db_blocker.block():  # any query while the page renders fails, as it would with the database down
        response = client.get("/broken/")

    page = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong on our side</h1>" in page
    assert '<a class="button primary" href="/">Go to your sites</a>' in page
    assert 'href="/static/app.css"' in page and "a bug in a view" not in page


def test_a_server_error_under_the_api_answers_json(client, settings):
    """With DEBUG off, an API client got the dashboard's HTML page, which it cannot parse."""
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False

    response = client.get("/api/v1/broken/")

    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["error"] == "server_error" and "a bug in a view" not in response.content.decode()


def test_an_unknown_api_address_answers_json(client, world, settings):
    settings.DEBUG = False
    client.force_login(world["owner"])
    response = client.post("/api/v1/ingest/", data=b"{}", content_type="application/json")  # a slash too many
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}


def test_every_dashboard_page_names_an_icon_that_is_served(client, world):
    """Without one, a browser asked `/favicon.ico` on every page: a 404 in the log and the console each time."""
    client.force_login(world["owner"])
    page = client.get(reverse("site-list")).content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    icon = client.get(href)
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)


def test_a_head_of_the_player_writes_no_view_to_the_audit_log(client, world):
    """A link checker's HEAD shows nobody the recording; the log said the member had watched it."""
    client.force_login(world["viewer"])
    url = reverse("session-player", args=[world["site"].pk, world["session"].pk])
    assert client.head(url).status_code == 200
    assert not AuditEntry.objects.filter(action="session.view").exists()
    assert client.get(url).status_code == 200
    assert AuditEntry.objects.filter(action="session.view", target=str(world["session"].pk)).count() == 1
