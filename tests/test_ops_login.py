"""Logging in: rate limited per account and per address (django-axes), and the page for a signed-in user."""
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
PASSWORD = "secret-pass-123"


def log_in(client, username: str, password: str, address: str = "198.51.100.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def test_a_signed_in_user_opening_the_login_page_gets_it(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert f"You are logged in as {user.username}" in response.content.decode()


def test_a_right_password_logs_in(client):
    user = UserFactory()
    assert log_in(client, user.username, PASSWORD).status_code == 302


def test_a_wrong_password_keeps_the_username_typed_and_asks_for_the_password_again(client):
    """The page came back with both fields empty: the username had to be typed again as well."""
    user = UserFactory(username="maria.o'neil")
    page = log_in(client, user.username, "wrong").content.decode()
    assert "didn't match" in page
    assert 'name="username" value="maria.o&#x27;neil" autocomplete="username" required' in page
    assert 'name="password" autocomplete="current-password" autofocus required' in page
    first = client.get(LOGIN).content.decode()
    assert 'name="username" value="" autocomplete="username" autofocus required' in first


def test_twenty_wrong_passwords_lock_the_account_from_every_address_with_a_clear_message(client):
    # Given twenty wrong passwords for one account, each from another address
    user = UserFactory()
    statuses = [log_in(client, user.username, "wrong", address=f"203.0.113.{n + 1}").status_code for n in range(20)]
    assert statuses == [200] * 19 + [429]  # the twentieth is already told
    # When the owner then types the right password, from yet another address
    response = log_in(client, user.username, PASSWORD, address="192.0.2.50")
    # Then the login is refused for a while, and the page says so
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many wrong passwords" in page and "15 minutes" in page
    assert "_auth_user_id" not in client.session


def test_nineteen_wrong_passwords_still_let_the_right_one_in(client):
    user = UserFactory()
    for _ in range(19):
        log_in(client, user.username, "wrong")
    assert log_in(client, user.username, PASSWORD).status_code == 302


def test_twenty_wrong_passwords_from_one_address_lock_that_address_only(client):
    # Given twenty wrong passwords from one address, each for another account
    for attempt in range(20):
        log_in(client, f"guess{attempt}", "wrong", address="198.51.100.66")
    user = UserFactory()
    # Then that address cannot log in, even to an account it never tried
    assert log_in(client, user.username, PASSWORD, address="198.51.100.66").status_code == 429
    # And another address can
    assert log_in(client, user.username, PASSWORD, address="198.51.100.67").status_code == 302


def test_behind_a_trusted_proxy_the_visitors_address_is_counted_not_the_proxys(client, settings):
    # Given a proxy we trust, and twenty wrong passwords from one visitor behind it
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    for attempt in range(20):
        log_in(client, f"guess{attempt}", "wrong", address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    user = UserFactory()
    # Then that visitor is refused, and another visitor through the same proxy is not
    assert log_in(client, user.username, PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    assert log_in(client, user.username, PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 302


def test_the_lockout_ends_after_its_cool_off(client):
    # Given a locked account
    user = UserFactory()
    for _ in range(20):
        log_in(client, user.username, "wrong", address="203.0.113.1")
    assert log_in(client, user.username, PASSWORD, address="203.0.113.2").status_code == 429
    # When the cool-off has passed since the last failure
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    # Then the right password logs in again
    assert log_in(client, user.username, PASSWORD, address="203.0.113.2").status_code == 302


@pytest.mark.parametrize("page", [LOGIN, "/admin/login/"])
@pytest.mark.parametrize("username", ["x" * 5000, "😀" * 300])
def test_a_username_longer_than_any_account_is_a_wrong_login_not_a_500(client, page, username):
    """Django's login forms do not hold the username to its length: the failed login's record (django-axes,
    255 characters) was a database error's 500."""
    client.raise_request_exception = False
    response = client.post(page, {"username": username, "password": "whatever"}, HTTP_USER_AGENT="u" * 1000)
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == ["Ensure this value has at most 150 characters (it has %d)."
                                                           % len(username)]
