"""Dashboard pages about recorded sessions, under /sites/."""
from django.urls import path

from . import views

urlpatterns = [
    path("<int:site_id>/", views.session_list, name="session-list"),
    path("<int:site_id>/sessions/<uuid:session_id>/", views.session_player, name="session-player"),
    path("<int:site_id>/relay/", views.replay_relay, name="replay-relay"),
]
