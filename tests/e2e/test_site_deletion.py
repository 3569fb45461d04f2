"""The admin's delete of a site, carried out by a real Celery worker."""
import pytest

from recorder.models import Session
from sites.models import Site
from tests.conftest import s3_objects
from tests.e2e.conftest import wait_for
from tests.factories import UserFactory
from tests.test_site_deletion import recorded_site

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_deletes_a_site_the_admin_deleted(celery_worker, client):
    # Given a site with recordings
    site, keys = recorded_site()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    # When an admin deletes it
    assert client.post(f"/admin/sites/site/{site.pk}/delete/", {"post": "yes"}).status_code == 302
    # Then the worker deletes its sessions, its objects and the site
    wait_for(lambda: not Site.objects.filter(pk=site.pk).exists(), message="the site deleted")
    assert not Session.objects.filter(site_id=site.pk).exists() and s3_objects(f"sites/{site.pk}/") == {}
