"""Dashboard pages and API of the insights app."""
from django.urls import path

from . import api, views

urlpatterns = [
    path("<int:site_id>/heatmaps/", views.site_heatmaps, name="site-heatmaps"),
]

api_urlpatterns = [
    path("sites/<int:site_id>/heatmaps/", api.site_heatmap, name="api-site-heatmaps"),
]
