"""Management commands and settings that operators rely on."""
import json
import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from recorder.models import Chunk
from recorder.tasks import chunk_process
from sites.models import Membership, Site
from tests.conftest import make_batch, post_batch
from tests.factories import UserFactory
from tests.test_site_settings import settings_data

ROOT = Path(__file__).resolve().parent.parent
# A name with 64 characters between two dots: DNS allows 63.
LONG_LABEL = "a" * 64 + ".example.com"
LONG_NAME = ".".join(["a" * 63] * 3 + ["b" * 60, "test"])  # 257 characters: each part fits, the whole does not


@pytest.mark.django_db
def test_createsite_prints_the_new_id_on_its_own_line():
    UserFactory(username="alice")
    out = StringIO()
    call_command("createsite", "--name", "Shop", "--domain", "shop.example.com:8080", "--owner", "alice", stdout=out)
    site = Site.objects.get()
    assert out.getvalue().strip().splitlines()[-1] == str(site.pk)
    assert site.domains == ["shop.example.com:8080"]
    assert Membership.objects.get(site=site).role == Membership.OWNER


@pytest.mark.django_db
@pytest.mark.parametrize("name, domain, message", [
    ("", "shop.example.com", "--name: This field is required."),
    ("x" * 201, "shop.example.com", "--name: Ensure this value has at most 200 characters"),
    ("Shop", "", "--domain: This field is required."),
    ("Shop", "shop example", "--domain: Not a domain: shop example"),
    ("Shop", LONG_LABEL, f"--domain: Not a domain: {LONG_LABEL}; a part between dots has at most 63 characters"),
    ("Shop", LONG_NAME, f"--domain: Not a domain: {LONG_NAME[:100]}; a host name has at most 253 characters"),
    ("Shop", f"*.{LONG_NAME}:8080", "a host name has at most 253 characters"),
])
def test_createsite_refuses_what_the_dashboard_refuses_and_creates_nothing(name, domain, message):
    """A site without a name or a domain was created (no page could record to it); a name over 200 characters
    was a database error's traceback."""
    UserFactory(username="alice")
    with pytest.raises(CommandError, match=message):
        call_command("createsite", "--name", name, "--domain", domain, "--owner", "alice", stdout=StringIO())
    assert not Site.objects.exists()


@pytest.mark.django_db
def test_the_new_site_form_refuses_a_domain_with_a_part_over_63_characters(client, owner):
    """DNS allows 63 characters between dots: no page on such a name can ever record."""
    client.force_login(owner)
    response = client.post(reverse("site-new"), {"name": "Shop", "domains": LONG_LABEL})
    assert response.status_code == 400
    assert f"Not a domain: {LONG_LABEL}; a part between dots has at most 63 characters" in response.content.decode()
    assert not Site.objects.exists()


@pytest.mark.django_db
def test_the_settings_form_refuses_a_domain_over_253_characters_and_keeps_the_old_ones(client, owner, site):
    """DNS allows 253 characters in a whole name: no page on a longer one can ever record."""
    client.force_login(owner)
    data = settings_data(site, domains=f"shop.example.com\n{LONG_NAME}")
    response = client.post(reverse("site-settings", args=[site.pk]), data)
    assert response.status_code == 400
    assert "a host name has at most 253 characters" in response.content.decode()
    site.refresh_from_db()
    assert site.domains == ["shop.example.com"]


@pytest.mark.django_db
def test_exportsession_prints_the_events_as_a_json_array(client, site, capsys):
    batch = make_batch(site.pk)
    post_batch(client, batch)
    second = make_batch(site.pk, sid=batch["sid"], seq=1)
    post_batch(client, second)
    for chunk, events in zip(Chunk.objects.order_by("seq"), (batch["events"], second["events"])):
        chunk_process.apply(args=[chunk.pk])
    call_command("exportsession", batch["sid"])
    assert json.loads(capsys.readouterr().out) == batch["events"] + second["events"]


@pytest.mark.django_db
def test_setupdemo_is_safe_to_run_twice():
    call_command("setupdemo", stdout=StringIO())
    call_command("setupdemo", stdout=StringIO())
    assert Site.objects.filter(name="Demo site").count() == 1


def test_check_deploy_passes_with_production_values():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "hindsight.example.com", "PUBLIC_URL": "https://hindsight.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": ""}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(("name", "value"), [
    ("S3_MAX_ATTEMPTS", "0"), ("S3_MAX_ATTEMPTS", "-1"), ("S3_CONNECT_TIMEOUT", "0"), ("S3_READ_TIMEOUT", "-5"),
    ("S3_READ_TIMEOUT", "nan"),
])
def test_storage_waits_and_tries_of_zero_or_less_refuse_to_start(name, value):
    """0 tries or a 0 s wait made every object-storage request fail; a negative one, a boto error at the first."""
    env = {**os.environ, name: value}
    result = subprocess.run([sys.executable, "-c", "import config.settings"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0 and f"ImproperlyConfigured: {name} must be" in result.stderr


def test_docker_compose_file_has_the_whole_stack():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"postgres", "redis", "minio", "web", "worker", "beat"} <= set(compose["services"])


@pytest.mark.django_db
def test_deletesite_deletes_the_site_and_its_sessions():
    from tests.factories import SessionFactory, SiteFactory

    site = SiteFactory()
    SessionFactory(site=site)
    out = StringIO()
    call_command("deletesite", "--site", str(site.pk), "--no-input", stdout=out)
    assert "1 session." in out.getvalue() and not Site.objects.filter(pk=site.pk).exists()
    with pytest.raises(CommandError, match="No site"):
        call_command("deletesite", "--site", str(site.pk), "--no-input")
