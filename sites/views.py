"""Dashboard pages about sites: list, create, install."""
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from recorder.views import public_base

from .forms import SiteCreateForm
from .install import install_status
from .selectors import membership_get, sites_for_user
from .services import site_create
from .snippet import site_snippet


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    sites = sites_for_user(request.user).order_by("name", "id")
    return render(request, "sites/site_list.html", {"sites": sites})


@login_required
def site_new(request: HttpRequest) -> HttpResponse:
    form = SiteCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        site = site_create(owner=request.user, **form.cleaned_data)
        return redirect("site-install", site_id=site.pk)
    return render(request, "sites/site_new.html", {"form": form})


@login_required
def site_install(request: HttpRequest, site_id: int) -> HttpResponse:
    membership = membership_get(request.user, site_id)
    site = membership.site
    context = {
        "site": site, "membership": membership, "status": install_status(site), "tab": "install",
        "snippet": site_snippet(site, public_base(request)),
    }
    return render(request, "sites/site_install.html", context)


@login_required
def site_install_status(request: HttpRequest, site_id: int) -> JsonResponse:
    site = membership_get(request.user, site_id).site
    return JsonResponse(install_status(site))
