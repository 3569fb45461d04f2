"""Visitor opt-out pages at the root; privacy pages of the dashboard under /sites/."""
from django.urls import path

from . import views

visitor_urlpatterns = [
    path("exclude/<int:site_id>", views.exclude_site, name="exclude-site"),
    path("optout", views.optout_all, name="optout"),
    # The same pages where a link or the visitor's typing ends the address with a slash (each posts to itself).
    path("exclude/<int:site_id>/", views.exclude_site),
    path("optout/", views.optout_all),
]

dashboard_urlpatterns = [
    path("<int:site_id>/privacy/", views.visitor_requests, name="site-privacy"),
    path("<int:site_id>/privacy/forget/", views.visitor_forget_view, name="site-privacy-forget"),
    path("<int:site_id>/privacy/export/", views.visitor_export_view, name="site-privacy-export"),
    path("<int:site_id>/sessions/<uuid:session_id>/delete/", views.session_delete_view, name="session-delete"),
]
