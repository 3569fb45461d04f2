"""The team page: members and roles, and each user's own API token."""
import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from privacy.models import AuditEntry
from sites.models import Membership
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(site):
    user = UserFactory(username="admin")
    Membership.objects.create(site=site, user=user, role=Membership.ADMIN)
    return user


@pytest.fixture
def viewer(site):
    user = UserFactory(username="viewer")
    Membership.objects.create(site=site, user=user, role=Membership.VIEWER)
    return user


def roles(site) -> dict[str, str]:
    return dict(Membership.objects.filter(site=site).values_list("user__username", "role"))


def test_team_page_lists_members_with_roles(client, site, owner, viewer, django_assert_max_num_queries):
    client.force_login(owner)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("site-team", args=[site.pk]))
    assert response.status_code == 200
    members = [(m.user.username, m.role) for m in response.context["members"]]
    assert members == [("owner", "owner"), ("viewer", "viewer")]


def test_owner_adds_a_member_by_username(client, site, owner):
    UserFactory(username="carol")
    client.force_login(owner)

    response = client.post(reverse("site-team", args=[site.pk]), {"who": "carol", "role": "viewer"}, follow=True)

    assert "carol is now viewer of this site." in response.content.decode()
    assert roles(site)["carol"] == "viewer"
    entry = AuditEntry.objects.get(action="member.add")
    assert (entry.user, entry.target, entry.detail) == (owner, "carol", {"role": "viewer"})


def test_admin_adds_a_member_by_email_whatever_its_case(client, site, admin):
    UserFactory(username="dave", email="Dave@Example.com")
    client.force_login(admin)
    client.post(reverse("site-team", args=[site.pk]), {"who": "dave@example.COM", "role": "admin"})
    assert roles(site)["dave"] == "admin"


@pytest.mark.parametrize("who, role, message", [
    ("nobody", "viewer", "No account has this username or e-mail address."),
    ("viewer", "viewer", "viewer is already a member of this site."),
    ("carol", "owner", "Select a valid choice."),
])
def test_adding_an_unknown_user_an_existing_member_or_an_owner_is_refused(
    client, site, owner, viewer, who, role, message,
):
    UserFactory(username="carol")
    client.force_login(owner)
    before = roles(site)

    response = client.post(reverse("site-team", args=[site.pk]), {"who": who, "role": role})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert roles(site) == before
    assert not AuditEntry.objects.exists()


def test_owner_changes_a_role(client, site, owner, viewer):
    client.force_login(owner)
    membership = Membership.objects.get(user=viewer)

    client.post(reverse("site-member-role", args=[site.pk, membership.pk]), {"role": "admin"})

    assert roles(site)["viewer"] == "admin"
    entry = AuditEntry.objects.get(action="member.role")
    assert (entry.target, entry.detail) == ("viewer", {"old": "viewer", "new": "admin"})


def test_nobody_can_grant_or_change_the_owner_role(client, site, owner, admin, viewer):
    client.force_login(admin)
    client.post(reverse("site-member-role", args=[site.pk, Membership.objects.get(user=viewer).pk]), {"role": "owner"})
    client.post(reverse("site-member-role", args=[site.pk, Membership.objects.get(user=owner).pk]), {"role": "viewer"})
    assert roles(site) == {"owner": "owner", "admin": "admin", "viewer": "viewer"}
    assert not AuditEntry.objects.exists()


def test_admin_removes_a_member(client, site, admin, viewer):
    client.force_login(admin)
    client.post(reverse("site-member-remove", args=[site.pk, Membership.objects.get(user=viewer).pk]))
    assert "viewer" not in roles(site)
    entry = AuditEntry.objects.get(action="member.remove")
    assert (entry.user, entry.target, entry.detail) == (admin, "viewer", {"role": "viewer"})


def test_owner_membership_cannot_be_removed(client, site, owner, admin):
    for user in (admin, owner):
        client.force_login(user)
        response = client.post(
            reverse("site-member-remove", args=[site.pk, Membership.objects.get(user=owner).pk]), follow=True,
        )
        assert "The owner cannot be removed from the site." in response.content.decode()
    assert roles(site)["owner"] == "owner"
    assert not AuditEntry.objects.exists()


def test_viewer_sees_the_team_read_only_and_cannot_change_it(client, site, owner, viewer):
    UserFactory(username="carol")
    client.force_login(viewer)
    html = client.get(reverse("site-team", args=[site.pk])).content.decode()
    assert "owner" in html and "Add a member" not in html and "Remove" not in html
    owner_membership = Membership.objects.get(user=owner)
    own_membership = Membership.objects.get(user=viewer)

    responses = [
        client.post(reverse("site-team", args=[site.pk]), {"who": "carol", "role": "admin"}),
        client.post(reverse("site-member-role", args=[site.pk, own_membership.pk]), {"role": "admin"}),
        client.post(reverse("site-member-remove", args=[site.pk, owner_membership.pk])),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert roles(site) == {"owner": "owner", "viewer": "viewer"}


def test_outsider_gets_404_for_the_team_page_and_its_actions(client, site, viewer):
    client.force_login(UserFactory(username="outsider"))
    membership = Membership.objects.get(user=viewer)
    assert client.get(reverse("site-team", args=[site.pk])).status_code == 404
    assert client.post(reverse("site-team", args=[site.pk]), {"who": "outsider", "role": "admin"}).status_code == 404
    assert client.post(reverse("site-member-remove", args=[site.pk, membership.pk])).status_code == 404
    assert roles(site) == {"owner": "owner", "viewer": "viewer"}


def test_a_membership_of_another_site_is_a_404(client, site, owner):
    other = SiteFactory()
    foreign = Membership.objects.get(site=other)
    client.force_login(owner)
    assert client.post(reverse("site-member-remove", args=[site.pk, foreign.pk])).status_code == 404
    assert client.post(reverse("site-member-role", args=[site.pk, foreign.pk]), {"role": "viewer"}).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk, role=Membership.OWNER).exists()


def test_token_is_shown_once_and_authenticates_the_api(client, site, viewer):
    client.force_login(viewer)
    team = reverse("site-team", args=[site.pk])

    client.post(reverse("site-team-token", args=[site.pk]), {"action": "create"})
    first = client.get(team)
    again = client.get(team)

    key = Token.objects.get(user=viewer).key
    assert first.context["new_token"] == key
    assert "no-store" in first["Cache-Control"]  # (the browser's Back does not show it again from a cache)
    assert f'curl -H "Authorization: Token {key}" http://testserver/api/v1/sites/' in first.content.decode()
    assert again.context["new_token"] is None and key not in again.content.decode()
    client.logout()
    api = client.get("/api/v1/sites/", HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code == 200
    assert [s["id"] for s in api.json()["results"]] == [site.pk]


def test_regenerating_replaces_the_token_and_revoking_stops_it(client, site, owner):
    client.force_login(owner)
    url = reverse("site-team-token", args=[site.pk])
    client.post(url, {"action": "create"})
    old = Token.objects.get(user=owner).key

    client.post(url, {"action": "create"})
    new = Token.objects.get(user=owner).key
    assert new != old
    assert client.get("/api/v1/sites/", HTTP_AUTHORIZATION=f"Token {old}").status_code == 401

    client.post(url, {"action": "revoke"})
    assert not Token.objects.filter(user=owner).exists()
    client.logout()
    assert client.get("/api/v1/sites/", HTTP_AUTHORIZATION=f"Token {new}").status_code == 401



@pytest.mark.parametrize("data", [{}, {"action": "delete"}, {"action": "revok"}])
def test_a_token_request_without_a_known_action_changes_nothing_and_gets_a_400(client, site, owner, data):
    """Anything but `revoke` regenerated the token: a POST with no action, or a mistyped one, broke the scripts
    using the old key."""
    client.force_login(owner)
    key = Token.objects.create(user=owner).key

    response = client.post(reverse("site-team-token", args=[site.pk]), data)

    assert response.status_code == 400
    assert "Choose to create or revoke your API token." in response.content.decode()
    assert Token.objects.get(user=owner).key == key


def post_as_another_commits(client, url: str, data: dict, *, sql: str, params: list):
    """The answer to a POST made while another request's transaction has run `sql`, and that commits once
    the POST waits for it (Postgres: a unique index makes the second writer wait for the first)."""
    import threading

    import psycopg
    from django.db import connection

    from tests.conftest import until_waiting_for_locks

    other = psycopg.connect(**connection.get_connection_params())
    answers = []

    def post():
        try:
            answers.append(client.post(url, data))
        except Exception as error:  # noqa: BLE001 - what the tests look at
            answers.append(error)
        finally:
            connection.close()

    try:
        other.execute(sql, params)
        thread = threading.Thread(target=post)
        thread.start()
        until_waiting_for_locks(1, [thread])
        other.commit()
        thread.join(60)
    finally:
        other.close()
    (answer,) = answers
    assert not isinstance(answer, Exception), answer
    return answer


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_adding_a_member_that_another_request_is_adding_at_the_same_moment_is_refused_not_a_500(client, site, owner):
    """Two admins (or one form sent twice) add the same person at once: both found no membership, and the
    second's insert was an IntegrityError's 500."""
    carol = UserFactory(username="carol")
    client.force_login(owner)

    # Given another request's membership of carol, not committed yet, when this request adds her too
    answer = post_as_another_commits(
        client, reverse("site-team", args=[site.pk]), {"who": "carol", "role": "admin"},
        sql="INSERT INTO sites_membership (site_id, user_id, role, created_at) VALUES (%s, %s, 'viewer', now())",
        params=[site.pk, carol.pk],
    )

    # Then this request is told she is a member already, and the other's membership stands
    assert answer.status_code == 400
    assert "carol is already a member of this site." in answer.content.decode()
    assert roles(site)["carol"] == "viewer"
    assert not AuditEntry.objects.filter(action="member.add").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_token_made_while_another_request_makes_one_replaces_it_not_a_500(client, site, owner):
    """The token button pressed in two tabs at once: the second's insert met the first's token (one per user)."""
    client.force_login(owner)

    answer = post_as_another_commits(
        client, reverse("site-team-token", args=[site.pk]), {"action": "create"},
        sql="INSERT INTO authtoken_token (key, user_id, created) VALUES ('other-tab', %s, now())", params=[owner.pk],
    )

    assert answer.status_code == 302
    (token,) = Token.objects.filter(user=owner)
    assert token.key != "other-tab"
    assert client.get(reverse("site-team", args=[site.pk])).context["new_token"] == token.key
