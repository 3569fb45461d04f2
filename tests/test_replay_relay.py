"""The replay relay: a site's web fonts and SVG sprites, fetched from the site and served from our origin for
replays.

The site is a real HTTP server on this machine; what it answers is chosen per path.
"""
import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from django.urls import reverse

from replay import relay as relay_module
from replay.relay import RelayRefused, pool_manager, reachable_address
from sites.models import Membership, Site
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

TTF = b"\x00\x01\x00\x00" + bytes(range(256)) * 8
WOFF2 = b"wOF2" + b"\x07" * 3000
EOT = b"\x00" * 34 + b"LP" + b"\x01" * 100
SPRITE = (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- icons -->\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg">'
          b'<symbol id="cart"><rect width="9" height="9"/></symbol><script>alert(1)</script></svg>')


class FontSite:
    """A site's server: `answers[path]` is (status, headers, body); every request is counted by path."""

    def __init__(self):
        self.answers: dict[str, tuple[int, dict, bytes]] = {}
        self.hits: dict[str, int] = {}
        self.hosts: list[str] = []  # the Host header of each request
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                site.hits[path] = site.hits.get(path, 0) + 1
                site.hosts.append(self.headers.get("Host"))
                status, headers, body = site.answers.get(path, (404, {}, b"not here"))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.domain = f"127.0.0.1:{self.server.server_address[1]}"
        self.origin = "http://" + self.domain
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def font_site():
    s = FontSite()
    s.answers = {
        "/f.ttf": (200, {"Content-Type": "font/ttf"}, TTF),
        "/f.woff2": (200, {"Content-Type": "application/octet-stream"}, WOFF2),
        "/f.eot": (200, {}, EOT),
        "/page.html": (200, {"Content-Type": "text/html"}, b"<!doctype html><p>secret page</p>"),
        "/icons.svg": (200, {"Content-Type": "image/svg+xml"}, SPRITE),
        "/svg.html": (200, {"Content-Type": "text/html"}, b"<html><svg><p>secret page</p></svg></html>"),
        "/moved": (302, {"Location": "/f.woff2"}, b""),
        "/away": (302, {"Location": "http://elsewhere.example/f.woff2"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/gone": (500, {}, b"oops"),
    }
    yield s
    s.close()


@pytest.fixture
def relay(client, font_site):
    """The owner of a site on the font site's domain, signed in; returns a GET of the relay for a URL."""
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, domains=[font_site.domain], replay_resources=True)
    client.force_login(owner)

    def get(url: str, site_id: int | None = None):
        return client.get(reverse("replay-relay", args=[site_id or site.pk]) + "?url=" + quote(url, safe=""))

    get.site = site
    return get


@pytest.mark.parametrize("path, kind, body", [("/f.ttf", "font/ttf", TTF), ("/f.woff2", "font/woff2", WOFF2),
                                             ("/f.eot", "application/vnd.ms-fontobject", EOT)])
def test_a_font_of_the_sites_own_domain_is_served_from_our_origin_as_its_kind(relay, font_site, path, kind, body):
    response = relay(font_site.origin + path)
    assert response.status_code == 200
    assert response["Content-Type"] == kind
    assert response.content == body
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]


def test_a_font_is_fetched_from_the_site_once_a_day_not_at_every_replay(relay, font_site):
    for _ in range(3):
        assert relay(font_site.origin + "/f.woff2").status_code == 200
    assert font_site.hits["/f.woff2"] == 1


def test_a_redirect_within_the_site_is_followed(relay, font_site):
    response = relay(font_site.origin + "/moved")
    assert response.status_code == 200 and response.content == WOFF2


@pytest.mark.parametrize("path, status, code", [
    ("/page.html", 502, "not_relayed"),  # fonts and SVGs only, never a page of the site for whoever asks
    ("/svg.html", 502, "not_relayed"),  # a page with an SVG in it is not an SVG
    ("/missing", 502, "upstream_status"),
    ("/gone", 502, "upstream_status"),
    ("/away", 403, "not_site_domain"),  # a redirect leaves the site's domains: not followed
    ("/loop", 502, "too_many_redirects"),
])
def test_what_is_not_a_font_of_the_site_is_refused_with_a_json_error(relay, font_site, path, status, code):
    response = relay(font_site.origin + path)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert "secret page" not in response.content.decode()


@pytest.mark.parametrize("url, status, code", [
    ("", 400, "invalid_url"),
    ("not a url", 400, "invalid_url"),
    ("file:///etc/passwd", 400, "invalid_url"),
    ("javascript:alert(1)", 400, "invalid_url"),
    ("http://127.0.0.1:99999/f.ttf", 400, "invalid_url"),
    ("http://[::1/f.ttf", 400, "invalid_url"),
    ("http://example.com/" + "a" * 3000, 400, "invalid_url"),
    ("http://169.254.169.254/latest/meta-data/", 403, "not_site_domain"),
    ("http://localhost/f.ttf", 403, "not_site_domain"),
])
def test_addresses_off_the_sites_domains_are_refused_before_anything_is_fetched(relay, font_site, url, status, code):
    response = relay(url)
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    assert not font_site.hits


def test_a_site_that_is_down_gives_a_502_not_a_500(relay):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    Site.objects.filter(pk=relay.site.pk).update(domains=[f"127.0.0.1:{port}"])
    response = relay(f"http://127.0.0.1:{port}/f.ttf")
    assert response.status_code == 502
    assert response.json()["error"] == "unreachable"


def test_a_site_that_blocks_its_resources_in_replays_has_no_relay(relay, font_site, client):
    Site.objects.filter(pk=relay.site.pk).update(replay_resources=False)
    response = relay(font_site.origin + "/f.ttf")
    assert response.status_code == 403
    assert response.json()["error"] == "resources_blocked"
    assert not font_site.hits


def test_only_the_sites_members_may_use_its_relay(relay, font_site, client):
    other = SiteFactory(owner=UserFactory(username="other"), domains=[font_site.domain], replay_resources=True)
    assert relay(font_site.origin + "/f.ttf", site_id=other.pk).status_code == 404
    viewer = UserFactory(username="viewer")
    Membership.objects.create(site=relay.site, user=viewer, role=Membership.VIEWER)
    client.force_login(viewer)
    assert relay(font_site.origin + "/f.ttf").status_code == 200
    client.logout()
    assert relay(font_site.origin + "/f.ttf").status_code == 302  # to the login page
    assert font_site.hits["/f.ttf"] == 1


def test_the_relay_only_reads(relay, font_site, client):
    url = reverse("replay-relay", args=[relay.site.pk]) + "?url=" + quote(font_site.origin + "/f.ttf", safe="")
    assert client.post(url).status_code == 405


def test_the_player_and_the_heatmap_are_told_of_the_relay_only_where_the_site_loads_its_resources(relay, client):
    from tests.factories import SessionFactory

    session = SessionFactory(site=relay.site, chunk_count=1)
    player = reverse("session-player", args=[relay.site.pk, session.pk])
    page = client.get(player).content.decode()
    assert f'data-relay="{reverse("replay-relay", args=[relay.site.pk])}"' in page
    assert "data-relay-hosts=" in page
    Site.objects.filter(pk=relay.site.pk).update(replay_resources=False)
    assert "data-relay" not in client.get(player).content.decode()


def test_a_font_the_site_failed_to_give_is_not_asked_for_again_at_every_replay(relay, font_site):
    for _ in range(3):
        response = relay(font_site.origin + "/gone")
        assert response.status_code == 502 and response.json()["error"] == "upstream_status"
    assert font_site.hits["/gone"] == 1


def test_an_svg_sprite_of_the_site_is_served_as_one_that_runs_nothing_opened_on_its_own(relay, font_site):
    response = relay(font_site.origin + "/icons.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content == SPRITE
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"


# What the server's own network holds, and a name that resolves there: the relay refuses all of them unless
# RELAY_PRIVATE_ADDRESSES (on with DEBUG, as tests run) says the sites live there.
@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "::ffff:127.0.0.1", "fd00::1", "fe80::1", "localhost"])
def test_no_address_inside_a_private_network_is_reached(settings, address):
    settings.RELAY_PRIVATE_ADDRESSES = False
    with pytest.raises(RelayRefused) as refused:
        reachable_address(address, 80)
    assert (refused.value.status, refused.value.code) == (403, "private_address")
    settings.RELAY_PRIVATE_ADDRESSES = True  # (a site on this machine, in development)
    assert ipaddress.ip_address(reachable_address(address, 80))


def test_a_public_address_is_reached(settings):
    settings.RELAY_PRIVATE_ADDRESSES = False
    assert reachable_address("93.184.215.14", 443) == "93.184.215.14"
    assert reachable_address("[2606:2800:21f:cb07:6820:80da:af6b:8b2c]", 443) == "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


def test_a_site_whose_domain_resolves_into_the_servers_network_gets_a_403_and_nothing_is_asked(
        relay, font_site, settings):
    """A site's member who gave the site a domain inside the server's network (an address, or a name that
    resolves there) had the relay reach into it: its answer was refused unless a font, but it was asked."""
    settings.RELAY_PRIVATE_ADDRESSES = False
    port = font_site.server.server_address[1]
    Site.objects.filter(pk=relay.site.pk).update(domains=[font_site.domain, f"localhost:{port}"])
    for url in (font_site.origin + "/f.ttf", f"http://localhost:{port}/f.woff2"):
        response = relay(url)
        assert response.status_code == 403, response.content
        assert response.json()["error"] == "private_address"
    assert not font_site.hits


def fake_dns(monkeypatch, answers: dict) -> None:
    """DNS as the test says: a name of `answers` resolves to its address, or to the next of its list of them
    at each lookup (the last one again after); any other name as this machine resolves it."""
    resolve = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return resolve(host, port, *args, **kwargs)
        address = answers[host]
        if isinstance(address, list):
            address = address.pop(0) if len(address) > 1 else address[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_redirect_into_the_servers_network_is_refused(relay, font_site, settings, monkeypatch):
    """(The site's public name, then a redirect to one that resolves inside; DNS answers as the test says.)"""
    port = font_site.server.server_address[1]
    font_site.answers["/moved-in"] = (302, {"Location": f"http://intranet.shop.test:{port}/f.ttf"}, b"")
    fake_dns(monkeypatch, {"fonts.shop.test": "127.0.0.1", "intranet.shop.test": "10.0.0.7"})
    Site.objects.filter(pk=relay.site.pk).update(domains=[f"fonts.shop.test:{port}", f"intranet.shop.test:{port}"])
    # The test's "public" site is on this machine: only the redirect's address is judged as in production.
    monkeypatch.setattr("replay.relay.settings.RELAY_PRIVATE_ADDRESSES", False)
    monkeypatch.setattr(ipaddress.IPv4Address, "is_global", property(lambda ip: str(ip) != "10.0.0.7"))
    response = relay(f"http://fonts.shop.test:{port}/moved-in")
    assert response.status_code == 403 and response.json()["error"] == "private_address"
    assert font_site.hits == {"/moved-in": 1}


def test_the_relay_connects_to_the_address_it_checked_and_asks_the_site_by_its_name(relay, font_site, monkeypatch):
    """A name whose next resolution answers another address (DNS rebinding: public when checked, the
    server's network when connected) cannot lead the relay there: it connects to the address it checked."""
    port = font_site.server.server_address[1]
    # (the second: what a connection resolving the name again would reach)
    fake_dns(monkeypatch, {"fonts.shop.test": ["127.0.0.1", "10.255.255.1"]})
    Site.objects.filter(pk=relay.site.pk).update(domains=[f"fonts.shop.test:{port}"])
    response = relay(f"http://fonts.shop.test:{port}/f.ttf")
    assert response.status_code == 200, response.content
    assert response.content == TTF
    assert font_site.hosts == [f"fonts.shop.test:{port}"]


def test_a_site_on_https_is_asked_by_its_name_at_the_address_checked(relay, tmp_path, monkeypatch):
    """The connection goes to the address checked, and TLS still names the site: the certificate is checked
    against its name (SNI too), as the Host header names it."""
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fonts.shop.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("fonts.shop.test")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    site = FontSite()
    site.answers = {"/f.woff2": (200, {}, WOFF2)}
    names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    context.sni_callback = lambda sock, server_name, ctx: names.append(server_name)
    site.server.socket = context.wrap_socket(site.server.socket, server_side=True)
    port = site.server.server_address[1]
    fake_dns(monkeypatch, {"fonts.shop.test": "127.0.0.1"})
    monkeypatch.setattr(relay_module, "_pool", pool_manager(ca_certs=str(tmp_path / "cert.pem")))
    try:
        Site.objects.filter(pk=relay.site.pk).update(domains=[f"fonts.shop.test:{port}"])
        response = relay(f"https://fonts.shop.test:{port}/f.woff2")
        assert response.status_code == 200, response.content
        assert response.content == WOFF2
        assert names == ["fonts.shop.test"] and site.hosts == [f"fonts.shop.test:{port}"]
    finally:
        site.close()
