"""The admin: sites, members, sessions (read-only) and the audit log, with search and filters."""
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from privacy.models import AuditEntry
from recorder.models import Session
from sites.models import Membership
from tests.factories import SessionFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

LISTS = ["/admin/sites/site/", "/admin/sites/membership/", "/admin/recorder/session/", "/admin/privacy/auditentry/"]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def rows(count: int) -> None:
    """`count` sites, each with a member, a session and an audit entry."""
    for n in range(count):
        site = SiteFactory(name=f"Shop {n}", domains=[f"shop{n}.example.com"])
        Membership.objects.create(site=site, user=UserFactory(), role=Membership.VIEWER)
        SessionFactory(site=site, identity=f"buyer{n}@example.com")
        AuditEntry.objects.create(username=site.owner.username, site=site, action="session.view", target=str(n))


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", LISTS)
def test_each_list_costs_the_same_queries_for_two_rows_as_for_twelve(admin_client, url):
    rows(2)
    few = queries(admin_client, url)
    rows(10)
    assert queries(admin_client, url) == few


@pytest.mark.parametrize(
    ("url", "query", "found", "missed"),
    [
        ("/admin/sites/site/", "q=shop1.example", "Shop 1", "Shop 2"),
        ("/admin/sites/site/", "enabled__exact=1&q=%22Shop+2%22", "Shop 2", "Shop 1"),
        ("/admin/sites/membership/", "role__exact=owner&q=%22Shop+1%22", "Shop 1", "Shop 2"),
        ("/admin/recorder/session/", "q=buyer1%40example.com", "buyer1@example.com", "buyer2@example.com"),
        ("/admin/recorder/session/", "status__exact=active&q=buyer2", "buyer2@example.com", "buyer1@example.com"),
        ("/admin/privacy/auditentry/", "action=session.view&q=Shop", "session.view", "nothing-else"),
    ],
)
def test_lists_search_and_filter(admin_client, url, query, found, missed):
    rows(3)
    page = admin_client.get(f"{url}?{query}").content.decode()
    assert found in page and missed not in page


def test_a_session_is_shown_but_cannot_be_changed_added_or_deleted(admin_client):
    session = SessionFactory(identity="carol@example.com")
    page = admin_client.get(f"/admin/recorder/session/{session.pk}/change/")
    assert page.status_code == 200 and "carol@example.com" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(f"/admin/recorder/session/{session.pk}/change/", {"identity": "x"}).status_code == 403
    assert admin_client.get("/admin/recorder/session/add/").status_code == 403
    assert admin_client.post(f"/admin/recorder/session/{session.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Session.objects.get(pk=session.pk).identity == "carol@example.com"


def test_the_audit_log_cannot_be_rewritten(admin_client):
    entry = AuditEntry.objects.create(username="alice", action="session.view", target=str(uuid.uuid4()))
    assert admin_client.post(f"/admin/privacy/auditentry/{entry.pk}/change/", {"action": "x"}).status_code == 403
    assert admin_client.post(f"/admin/privacy/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "session.view"


def test_a_site_owner_who_is_not_staff_is_sent_to_the_admin_login(client):
    site = SiteFactory()
    client.force_login(site.owner)
    for url in LISTS:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def site_admin_form(admin_user, site, **changes):
    """The admin's form for a site, sent with these changes (the rest as the change page shows it)."""
    form_class, data = site_admin_data(admin_user, site, **changes)
    return form_class(data=data, instance=site)


def site_admin_data(admin_user, site, **changes):
    """The admin's form class for a site, and what its change page sends with these changes."""
    from django import forms
    from django.contrib import admin
    from django.test import RequestFactory

    from sites.models import Site

    request = RequestFactory().get("/")
    request.user = admin_user
    form_class = admin.site._registry[Site].get_form(request, obj=site)
    shown = form_class(instance=site)
    data = {}
    for name, field in shown.fields.items():
        value = changes.get(name, shown[name].value())
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return form_class, data


@pytest.mark.parametrize("domains, error", [
    ("42", "a list of host names"), ('"shop.example.com"', "a list of host names"), ('{"a": 1}', "a list of host names"),
    ("[1, 2]", "a list of host names"), ('["shop example"]', "Not a domain: shop example"), ("[]", "at least one domain"),
])
def test_the_admin_holds_a_sites_domains_to_the_dashboards_rules(db, domains, error):
    """A number or a string saved as the domains was a 500 for every batch of the site and its settings page; a
    string refused every batch in silence (each of its letters taken for a domain)."""
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    site = SiteFactory(domains=["shop.example.com"])

    form = site_admin_form(root, site, domains=domains)

    assert not form.is_valid() and error in " ".join(form.errors["domains"])
    site.refresh_from_db()
    assert site.domains == ["shop.example.com"]


def test_the_admin_saves_domains_as_the_dashboard_writes_them(db):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    site = SiteFactory(domains=["shop.example.com"])

    form = site_admin_form(root, site, domains='["https://Shop.Example.com/cart", "*.example.org", "bücher.de"]')

    assert form.is_valid(), form.errors
    assert form.save().domains == ["shop.example.com", "*.example.org", "xn--bcher-kva.de"]


def test_changing_a_sites_owner_in_the_admin_moves_the_owner_membership_and_audits_it(db, client):
    """The old owner kept the owner's rights and the new one got none."""
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    site = SiteFactory()
    old, new = site.owner, UserFactory(username="newowner")
    _, data = site_admin_data(root, site, owner=new.pk)
    data.update({"memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0})
    client.force_login(root)

    assert client.post(f"/admin/sites/site/{site.pk}/change/", data).status_code == 302

    roles = dict(Membership.objects.filter(site=site).values_list("user__username", "role"))
    assert roles == {old.username: Membership.ADMIN, new.username: Membership.OWNER}
    entry = AuditEntry.objects.get(site=site, action="site.owner")
    assert entry.username == "root" and entry.detail["old"] == old.username and entry.target == new.username
