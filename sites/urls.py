"""Dashboard pages about sites, under /sites/."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.site_list, name="site-list"),
    path("new/", views.site_new, name="site-new"),
    path("<int:site_id>/install/", views.site_install, name="site-install"),
    path("<int:site_id>/install/status/", views.site_install_status, name="site-install-status"),
    path("<int:site_id>/overview/", views.site_overview_page, name="site-overview"),
    path("<int:site_id>/settings/", views.site_settings, name="site-settings"),
    path("<int:site_id>/team/", views.site_team, name="site-team"),
    path("<int:site_id>/team/token/", views.site_team_token, name="site-team-token"),
    path("<int:site_id>/team/<int:member_id>/role/", views.site_member_role, name="site-member-role"),
    path("<int:site_id>/team/<int:member_id>/remove/", views.site_member_remove, name="site-member-remove"),
    path("<int:site_id>/audit/", views.site_audit, name="site-audit"),
]
