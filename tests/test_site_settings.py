"""The settings page: owners and admins change a site's settings, every change is audited once."""
import pytest
from django import forms
from django.urls import reverse

from privacy.models import AuditEntry
from sites.forms import SiteSettingsForm, ip_rule_valid
from sites.models import Membership, Site
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def settings_data(site: Site, **changes) -> dict:
    """What the settings page posts when the user changes only `changes`."""
    form = SiteSettingsForm(instance=site)
    data = {}
    for name, field in form.fields.items():
        value = changes.get(name, form.initial.get(name))
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    return data


def member(site, role: str, username: str):
    user = UserFactory(username=username)
    Membership.objects.create(site=site, user=user, role=role)
    return user


def test_settings_page_shows_every_group_with_help_text(client, site, owner):
    client.force_login(owner)
    response = client.get(reverse("site-settings", args=[site.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for legend in ("General", "Targeting", "Capture", "Privacy", "Retention"):
        assert f"<legend>{legend}</legend>" in html
    assert "Percentage of visitors recorded" in html
    assert 'aria-describedby="id_ip_rules_helptext"' in html and 'id="id_ip_rules_helptext"' in html


def test_owner_saves_a_change_and_one_audit_entry_lists_the_diff(client, site, owner):
    client.force_login(owner)
    data = settings_data(site, sample_rate=25, mask_all_text=True, ip_rules="10.0.0.0/8\n\n192.168.*.*\n")

    response = client.post(reverse("site-settings", args=[site.pk]), data, follow=True)

    assert response.status_code == 200
    assert "Settings saved." in response.content.decode()
    site.refresh_from_db()
    assert (site.sample_rate, site.mask_all_text, site.ip_rules) == (25, True, "10.0.0.0/8\n192.168.*.*")
    (entry,) = AuditEntry.objects.filter(site=site)
    assert (entry.action, entry.user, entry.target) == ("site.settings", owner, str(site.pk))
    assert entry.detail == {"changes": {
        "sample_rate": {"old": 100.0, "new": 25.0},
        "mask_all_text": {"old": False, "new": True},
        "ip_rules": {"old": "", "new": "10.0.0.0/8\n192.168.*.*"},
    }}


def test_admin_may_change_settings_too(client, site):
    admin = member(site, Membership.ADMIN, "admin")
    client.force_login(admin)
    response = client.post(reverse("site-settings", args=[site.pk]), settings_data(site, name="Renamed"))
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.name == "Renamed"
    assert AuditEntry.objects.get(site=site).user == admin


def test_saving_without_changes_writes_no_audit_entry(client, site, owner):
    client.force_login(owner)
    response = client.post(reverse("site-settings", args=[site.pk]), settings_data(site), follow=True)
    assert "Nothing changed." in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_invalid_ip_rule_is_a_form_error_and_nothing_is_saved(client, site, owner):
    client.force_login(owner)
    data = settings_data(site, sample_rate=10, ip_rules="10.0.0.1\n300.1.2.3\n")

    response = client.post(reverse("site-settings", args=[site.pk]), data)

    assert response.status_code == 400
    assert "300.1.2.3" in response.context["form"].errors["ip_rules"][0]
    site.refresh_from_db()
    assert (site.sample_rate, site.ip_rules) == (100, "")
    assert not AuditEntry.objects.exists()


def test_url_patterns_with_spaces_are_refused_and_blank_lines_dropped(client, site, owner):
    client.force_login(owner)
    url = reverse("site-settings", args=[site.pk])
    response = client.post(url, settings_data(site, exclude_urls="/admin/*\n/my account\n"))
    assert response.status_code == 400
    assert "exclude_urls" in response.context["form"].errors

    client.post(url, settings_data(site, include_urls="\n  /shop/*  \n\n/cart\n"))
    site.refresh_from_db()
    assert site.include_urls == "/shop/*\n/cart"


def test_url_parameter_names_are_one_a_line_without_the_characters_that_end_a_name(client, site, owner):
    client.force_login(owner)
    url = reverse("site-settings", args=[site.pk])
    for bad in ("q=1", "a b", "token&x", "#frag", "x" * 65):
        response = client.post(url, settings_data(site, url_mask_params=f"q\n{bad}"))
        assert response.status_code == 400 and "url_mask_params" in response.context["form"].errors, bad
    client.post(url, settings_data(site, url_mask_params="\n  q  \n\nX-Order-Ref\n*\n"))
    site.refresh_from_db()
    assert site.url_mask_params == "q\nX-Order-Ref\n*"


@pytest.mark.parametrize("rule, valid", [
    ("203.0.113.7", True),
    ("2001:db8::1", True),
    ("10.0.0.0/8", True),
    ("2001:db8::/32", True),
    ("192.168.*.*", True),
    ("*.*.*.*", True),
    ("192.168.*", False),
    ("192.168.1.256", False),
    ("300.*.*.*", False),
    ("10.0.0.0/33", False),
    ("example.com", False),
    ("10.0.0.1 10.0.0.2", False),
])
def test_ip_rules_accept_addresses_wildcards_and_cidr_ranges_only(rule, valid):
    assert ip_rule_valid(rule) is valid


def test_comment_lines_in_ip_rules_are_allowed():
    site = Site(name="x", domains=["a.example"])
    form = SiteSettingsForm(settings_data(site, ip_rules="# office\n10.0.0.0/8"), instance=site)
    assert "ip_rules" not in form.errors


def test_viewer_gets_a_403_page_and_cannot_change_settings(client, site):
    client.force_login(member(site, Membership.VIEWER, "viewer"))
    url = reverse("site-settings", args=[site.pk])

    assert client.get(url).status_code == 403
    response = client.post(url, settings_data(site, name="Hijacked", enabled=False))

    assert response.status_code == 403
    site.refresh_from_db()
    assert (site.name, site.enabled) != ("Hijacked", False)
    assert not AuditEntry.objects.exists()


def test_outsider_gets_a_404_for_the_settings_page(client, site):
    client.force_login(UserFactory(username="outsider"))
    url = reverse("site-settings", args=[site.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, settings_data(site, name="Hijacked")).status_code == 404
    site.refresh_from_db()
    assert site.name != "Hijacked"


@pytest.mark.parametrize("role, settings_tab, privacy_tab, audit_tab", [
    (Membership.OWNER, True, True, True),
    (Membership.ADMIN, True, True, False),
    (Membership.VIEWER, False, False, False),
])
def test_site_tabs_show_only_the_pages_the_role_may_open(
    client, site, owner, role, settings_tab, privacy_tab, audit_tab,
):
    user = owner if role == Membership.OWNER else member(site, role, role)
    client.force_login(user)
    html = client.get(reverse("site-team", args=[site.pk])).content.decode()
    assert (f'href="{reverse("site-settings", args=[site.pk])}"' in html) is settings_tab
    assert (f'href="{reverse("site-privacy", args=[site.pk])}"' in html) is privacy_tab
    assert (f'href="{reverse("site-audit", args=[site.pk])}"' in html) is audit_tab
    assert f'href="{reverse("site-overview", args=[site.pk])}"' in html


@pytest.mark.parametrize("domain", ["localhost:99999", "shop.example.com:0", "[::1]:65536"])
def test_a_new_site_with_a_port_no_origin_can_have_is_refused_with_a_400_and_nothing_is_made(client, owner, domain):
    """`localhost:80000` (a typo) made a site whose every visit was refused: no browser sends such a port."""
    client.force_login(owner)
    sites = Site.objects.count()

    response = client.post(reverse("site-new"), {"name": "Shop", "domains": f"shop.example.com\n{domain}"})

    assert response.status_code == 400
    assert "a port is a number from 1 to 65535" in response.content.decode()
    assert Site.objects.count() == sites


def test_a_new_site_with_the_highest_port_is_made(client, owner):
    client.force_login(owner)
    response = client.post(reverse("site-new"), {"name": "Shop", "domains": "localhost:65535\n[::1]:1"})
    assert response.status_code == 302
    assert Site.objects.get(name="Shop").domains == ["localhost:65535", "[::1]:1"]


@pytest.mark.parametrize("name, with_site", [("site-new", False), ("site-settings", True)])
def test_an_empty_post_is_refused_with_a_400_naming_the_fields_it_lacks(client, site, owner, name, with_site):
    """A POST without fields (a script sending the CSRF token as a header) got 200, the settings page's message "see
    the messages below each field" and none below any field: `request.POST or None` left the form unbound."""
    client.force_login(owner)
    before = Site.objects.count(), Site.objects.get(pk=site.pk).name

    response = client.post(reverse(name, args=[site.pk] if with_site else []), {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert (Site.objects.count(), Site.objects.get(pk=site.pk).name) == before
