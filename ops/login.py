"""Login hardening with django-axes: whose address counts, and the page a locked-out login gets."""
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from privacy.ip import client_ip


def login_client_ip(request: HttpRequest) -> str | None:
    """The address failures are counted for: behind TRUSTED_PROXIES, the visitor's, not the proxy's."""
    return client_ip(request.META)


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The login page again (429), saying that logins are refused for a while."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"locked_out": True, "lockout_minutes": minutes, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)



class _UsernameHeld:
    """The username held to its length before any backend is asked: Django sets the length only for the
    browser, and a failed login's record (django-axes, 255 characters) of a longer one was a database error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class LoginForm(_UsernameHeld, AuthenticationForm):
    """The dashboard's login form."""


class AdminLoginForm(_UsernameHeld, AdminAuthenticationForm):
    """The admin's login form."""
