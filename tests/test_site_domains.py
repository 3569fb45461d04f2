"""A site's domains in the dashboard (many of them, names in other scripts) and at ingest."""
import re

import pytest
from django.urls import reverse

import sites.domains
from sites.domains import domain_readable, domains_clean, origin_allowed
from sites.models import Site
from tests.conftest import make_batch, post_batch
from tests.factories import SiteFactory
from tests.test_site_settings import settings_data

pytestmark = pytest.mark.django_db

MANY = [f"shop{i}.example.com" for i in range(1999)] + ["shop.example.com"]


def shown_domains(html: str) -> list[str]:
    return re.findall(r'<bdi[^>]*class="domain">([^<]*)</bdi>', html)


def test_a_site_with_thousands_of_domains_lists_five_and_counts_the_rest_while_settings_keep_all(client, owner):
    site = SiteFactory(owner=owner, domains=MANY)
    client.force_login(owner)

    for page in (reverse("site-list"), reverse("site-install", args=[site.pk])):
        html = client.get(page).content.decode()
        assert shown_domains(html) == MANY[:5], page
        assert "and 1995 more" in html, page
        assert "shop1999.example.com" not in html and "shop1998.example.com" not in html, page

    settings_form = client.get(reverse("site-settings", args=[site.pk])).content.decode()
    assert "\n".join(MANY) in settings_form


def test_ingest_reads_a_sites_domains_once_however_many_batches_and_preflights_come(client, owner, monkeypatch):
    site = SiteFactory(owner=owner, domains=MANY)  # the batches' origin is the last one
    read = []

    def counted(entry: str) -> str:
        read.append(entry)
        return normalise(entry)

    normalise = sites.domains.domain_normalise
    monkeypatch.setattr(sites.domains, "domain_normalise", counted)
    for seq in range(3):
        preflight = client.options(f"/api/v1/ingest?wid={site.pk}", HTTP_ORIGIN="https://shop.example.com",
                                   HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
        assert preflight.status_code == 204
        assert post_batch(client, make_batch(site.pk, sid="0" * 31 + "1", seq=seq)).status_code == 202

    assert len(read) == len(MANY)  # once, for the site's cached rules, not once a batch or a preflight


@pytest.mark.parametrize(("origin", "allowed"), [
    ("https://shop.example.com", True),
    ("https://shop.example.com:8443", True),
    ("https://a.b.example.org", True),
    ("https://example.org", True),
    ("https://badexample.org", False),
    ("https://example.org.evil.com", False),
    ("http://localhost:3000", True),
    ("http://localhost:3001", False),
    ("http://localhost", False),
    ("http://[::1]:8080", True),
    ("http://[::1]:8081", False),
    ("https://[2001:db8::1]", True),
    ("https://xn--r8jz45g.jp", True),
    ("ftp://shop.example.com", False),
    ("null", False),
    (None, False),
    ("https://[oops", False),
])
def test_an_origin_is_allowed_by_its_host_and_port(origin, allowed):
    domains = domains_clean(["shop.example.com", "*.example.org", "localhost:3000", "[::1]:8080", "[2001:db8::1]", "例え.jp"])
    assert origin_allowed(domains, origin) is allowed


@pytest.mark.parametrize(("stored", "readable"), [
    ("xn--r8jz45g.jp", "例え.jp"),
    ("*.xn--bcher-kva.de:8080", "*.bücher.de:8080"),
    ("xn--mgbh0fb.xn--kgbechtv", "مثال.إختبار"),
    ("shop.example.com", "shop.example.com"),
    ("xn--strae-oqa.de", "straße.de"),
    ("xn--evilx-g33b.com", "xn--evilx-g33b.com"),  # evil⁄x.com: a fraction slash that reads as /
    ("xn--n3h.net", "xn--n3h.net"),  # a symbol
    ("xn--zz.com", "xn--zz.com"),  # not punycode
    ("[::1]:8080", "[::1]:8080"),
])
def test_a_stored_domain_reads_decoded_only_where_that_is_safe(stored, readable):
    assert domain_readable(stored) == readable
    if readable != stored:
        assert domains_clean([readable]) == [stored]


def test_names_in_other_scripts_read_decoded_with_the_stored_form_at_hand_and_save_unchanged(client, site, owner):
    site.domains = ["xn--r8jz45g.jp", "xn--n3h.net", "shop.example.com"]
    site.save()
    client.force_login(owner)

    for page in (reverse("site-list"), reverse("site-install", args=[site.pk])):
        html = client.get(page).content.decode()
        assert '<bdi title="xn--r8jz45g.jp" class="domain">例え.jp</bdi>' in html, page
        assert '<bdi class="domain">xn--n3h.net</bdi>' in html, page  # ☃.net: a symbol is shown as kept

    html = client.get(reverse("site-settings", args=[site.pk])).content.decode()
    assert "例え.jp\nxn--n3h.net\nshop.example.com</textarea>" in html
    assert "例え.jp is xn--r8jz45g.jp" in html

    response = client.post(reverse("site-settings", args=[site.pk]), settings_data(site), follow=True)
    assert "Nothing changed." in response.content.decode()
    assert Site.objects.get(pk=site.pk).domains == ["xn--r8jz45g.jp", "xn--n3h.net", "shop.example.com"]


@pytest.mark.parametrize(("typed", "stored", "origin"), [
    # Chromium's Origin for each (new URL('https://straße.de').host): UTS 46 nontransitional, not IDNA 2003.
    ("straße.de", "xn--strae-oqa.de", "https://xn--strae-oqa.de"),
    ("faß.de", "xn--fa-hia.de", "https://xn--fa-hia.de"),
    ("Bücher.DE", "xn--bcher-kva.de", "https://xn--bcher-kva.de"),
    ("☃.net", "xn--n3h.net", "https://xn--n3h.net"),  # IDNA 2008 refuses a symbol; browsers do not
    ("*.straße.de:8080", "*.xn--strae-oqa.de:8080", "https://shop.xn--strae-oqa.de:8080"),
])
def test_a_name_in_another_script_is_kept_as_the_ascii_a_browser_sends(typed, stored, origin):
    """straße.de was kept as IDNA 2003's strasse.de: the browser on it sends xn--strae-oqa.de, refused."""
    assert domains_clean([typed]) == [stored]
    assert origin_allowed([stored], origin)
