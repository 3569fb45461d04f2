"""Dashboard pages about sites: list, create, install, overview, settings, team, audit log."""
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from rest_framework.authtoken.models import Token

from recorder.views import public_base

from .forms import MemberAddForm, MemberRoleForm, SiteCreateForm, SiteSettingsForm
from .install import install_status
from .models import Membership, Site
from .selectors import audit_page, audit_targets_present, members_of_site, membership_get, site_overview, sites_for_user
from .services import (
    MemberError, member_add, member_remove, member_role_set, site_create, site_settings_update, token_create,
    token_revoke,
)
from .snippet import site_snippet, site_static_tags

MEMBER, MANAGER, OWNER = "member", "manager", "owner"
# A page with a form: shown on GET (and HEAD), sent with POST; any other method gets 405.
require_form = require_http_methods(["GET", "HEAD", "POST"])
_REFUSALS = {
    MANAGER: "Only the site's owner and admins can use this page.",
    OWNER: "Only the site's owner can see the audit log.",
}


def site_refuse(request: HttpRequest, membership: Membership, need: str = MANAGER) -> HttpResponse:
    """The 403 page for a member whose role does not allow this, with the site's tabs still there."""
    context = {"site": membership.site, "membership": membership, "reason": _REFUSALS[need]}
    return render(request, "sites/forbidden.html", context, status=403)


def site_page(need: str = MEMBER):
    """Log in, be a member of the site (else 404), and hold the role `need` asks (else a 403 page).

    The view gets the membership in place of the site id.
    """
    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, site_id: int, *args, **kwargs) -> HttpResponse:
            membership = membership_get(request.user, site_id)
            allowed = {MEMBER: True, MANAGER: membership.can_manage, OWNER: membership.role == Membership.OWNER}
            if not allowed[need]:
                return site_refuse(request, membership, need)
            return view(request, membership, *args, **kwargs)
        return wrapper
    return decorate


def _posted(request: HttpRequest):
    """What a form is bound to: the POST's fields, even none (`request.POST or None` left an empty POST unbound, and
    answered it as a GET)."""
    return request.POST if request.method == "POST" else None


@require_safe
@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    sites = sites_for_user(request.user).order_by("name", "id")
    return render(request, "sites/site_list.html", {"sites": sites})


@require_form
@login_required
def site_new(request: HttpRequest) -> HttpResponse:
    form = SiteCreateForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        site = site_create(owner=request.user, **form.cleaned_data)
        return redirect("site-install", site_id=site.pk)
    return render(request, "sites/site_new.html", {"form": form}, status=400 if form.errors else 200)


@require_safe
@login_required
def site_install(request: HttpRequest, site_id: int) -> HttpResponse:
    membership = membership_get(request.user, site_id)
    site = membership.site
    base = public_base(request)
    context = {
        "site": site, "membership": membership, "status": install_status(site), "tab": "install",
        "snippet": site_snippet(site, base), "static_tags": site_static_tags(site, base),
        "settings_url": _settings_url(membership),
    }
    return render(request, "sites/site_install.html", context)


@require_safe
@login_required
def site_install_status(request: HttpRequest, site_id: int) -> JsonResponse:
    membership = membership_get(request.user, site_id)
    return JsonResponse({**install_status(membership.site), "settings_url": _settings_url(membership)})


def _settings_url(membership: Membership) -> str | None:
    """Where a refusal's fix is made, for a member who may make it."""
    return reverse("site-settings", args=[membership.site_id]) if membership.can_manage else None


@require_safe
@site_page(MEMBER)
def site_overview_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    site = membership.site
    context = {"site": site, "membership": membership, "tab": "overview", "overview": site_overview(site)}
    return render(request, "sites/site_overview.html", context)


@require_form
@site_page(MANAGER)
def site_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    site = membership.site
    # The form validates against a copy, so `site` keeps the old values the service compares with.
    form = SiteSettingsForm(_posted(request), instance=Site.objects.get(pk=site.pk))
    if request.method == "POST":
        if form.is_valid():
            changes = site_settings_update(site=site, user=request.user, data=form.cleaned_data)
            messages.success(request, "Settings saved." if changes else "Nothing changed.")
            return redirect("site-settings", site_id=site.pk)
        messages.error(request, "Some settings need fixing; see the messages below each field.")
    context = {"site": site, "membership": membership, "tab": "settings", "form": form}
    return render(request, "sites/site_settings.html", context, status=400 if form.errors else 200)


def _team_page(request, membership, *, add_form=None, status=200) -> HttpResponse:
    site = membership.site
    members = list(members_of_site(site))
    token = Token.objects.filter(user=request.user).first()
    new_token = request.session.pop("new_token", None)
    context = {
        "site": site, "membership": membership, "tab": "team", "members": members,
        "add_form": add_form or MemberAddForm(), "role_choices": MemberRoleForm.base_fields["role"].choices,
        "token": token, "new_token": new_token if token and new_token == token.key else None,
        "api_base": public_base(request),
    }
    response = render(request, "sites/site_team.html", context, status=status)
    # (Kept by no cache, nor shown again from one by the browser's Back: the page shows a new token once.)
    add_never_cache_headers(response)
    return response


@require_form
@site_page(MEMBER)
def site_team(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method != "POST":
        return _team_page(request, membership)
    if not membership.can_manage:
        return site_refuse(request, membership)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            added = member_add(site=membership.site, user=request.user, member=form.cleaned_data["who"],
                               role=form.cleaned_data["role"])
        except MemberError as error:
            form.add_error("who", str(error))
        else:
            messages.success(request, f"{added.user.username} is now {added.get_role_display().lower()} of this site.")
            return redirect("site-team", site_id=membership.site_id)
    return _team_page(request, membership, add_form=form, status=400)


@require_POST
@site_page(MANAGER)
def site_member_role(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    target = get_object_or_404(Membership.objects.select_related("user"), pk=member_id, site=membership.site)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose viewer or admin.")
        return redirect("site-team", site_id=membership.site_id)
    try:
        member_role_set(site=membership.site, user=request.user, membership=target, role=form.cleaned_data["role"])
    except MemberError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{target.user.username} is now {target.get_role_display().lower()}.")
    return redirect("site-team", site_id=membership.site_id)


@require_POST
@site_page(MANAGER)
def site_member_remove(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    target = get_object_or_404(Membership.objects.select_related("user"), pk=member_id, site=membership.site)
    try:
        member_remove(site=membership.site, user=request.user, membership=target)
    except MemberError as error:
        messages.error(request, str(error))
        return redirect("site-team", site_id=membership.site_id)
    messages.success(request, f"{target.user.username} no longer has access to this site.")
    if target.user_id == request.user.id:
        return redirect("site-list")
    return redirect("site-team", site_id=membership.site_id)


@require_POST
@site_page(MEMBER)
def site_team_token(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The signed-in user's own API token: create (or replace) or revoke it."""
    action = request.POST.get("action")
    if action == "revoke":
        if token_revoke(user=request.user):
            messages.success(request, "Your API token is revoked; requests that use it are refused.")
    elif action != "create":
        messages.error(request, "Choose to create or revoke your API token.")
        return _team_page(request, membership, status=400)
    else:
        token = token_create(user=request.user)
        # Shown once, on the next page view, then only its last characters.
        request.session["new_token"] = token.key
        messages.success(request, "Your new API token is ready. Copy it now: it is shown only once.")
    return redirect(f"{reverse('site-team', args=[membership.site_id])}#api-token")


@require_safe
@site_page(OWNER)
def site_audit(request: HttpRequest, membership: Membership) -> HttpResponse:
    site = membership.site
    entries, before = audit_page(site, before=request.GET.get("before"))
    present = audit_targets_present(site, entries)
    rows = [{"entry": e, "detail": _detail_lines(e.detail), "link": _target_link(site, e, present)} for e in entries]
    context = {"site": membership.site, "membership": membership, "tab": "audit", "rows": rows, "before": before}
    return render(request, "sites/site_audit.html", context)


def _target_link(site: Site, entry, present: dict[str, set[str]]) -> str:
    """Where the entry's target can be seen, if the site still has it ("" if not: a deleted session)."""
    kind, target = entry.action.split(".")[0], entry.target
    if kind == "site" and target == str(site.pk):
        return reverse("site-settings", args=[site.pk])
    if target not in present.get(kind, ()):
        return ""
    if kind == "session":
        return reverse("session-player", args=[site.pk, target])
    if kind == "member":
        return reverse("site-team", args=[site.pk])
    return f"{reverse('session-list', args=[site.pk])}?{urlencode({'visitor': target})}"


def _detail_lines(detail) -> list[str]:
    """An audit entry's detail as short lines of text, settings diffs as `field: old → new`."""
    if not isinstance(detail, dict):
        return [str(detail)] if detail else []
    lines = []
    for key, value in detail.items():
        if key == "changes" and isinstance(value, dict):
            lines += [f"{name}: {_short(change.get('old'))} → {_short(change.get('new'))}"
                      for name, change in value.items() if isinstance(change, dict)]
        else:
            lines.append(f"{key}: {_short(value)}")
    return lines


def _short(value, limit: int = 80) -> str:
    text = "—" if value in ("", None, []) else (", ".join(map(str, value)) if isinstance(value, list) else str(value))
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


