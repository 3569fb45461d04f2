"""Visitor opt-out pages at the root; privacy pages of the dashboard under /sites/."""
from django.urls import path

from . import views

visitor_urlpatterns = [
    path("exclude/<int:site_id>", views.exclude_site, name="exclude-site"),
    path("optout", views.optout_all, name="optout"),
]

dashboard_urlpatterns = []
