"""Dashboard pages about sites, under /sites/."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.site_list, name="site-list"),
    path("new/", views.site_new, name="site-new"),
    path("<int:site_id>/install/", views.site_install, name="site-install"),
    path("<int:site_id>/install/status/", views.site_install_status, name="site-install-status"),
]
