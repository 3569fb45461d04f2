from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from privacy import views as privacy_views
from recorder import views as recorder_views
from replay import api as replay_api
from replay import views as replay_views
from sites import demo
from sites import views as site_views

router = SimpleRouter()
router.register("sites", replay_api.SiteViewSet, basename="api-site")
router.register("sessions", replay_api.SessionViewSet, basename="api-session")

api = [
    path("ingest", recorder_views.ingest, name="ingest"),
    path("sites/<int:site_id>/sessions/", replay_api.SiteSessionList.as_view(), name="api-site-sessions"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *router.urls,
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="site-list", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("recorder.js", recorder_views.loader, name="loader"),
    path("api/v1/", include(api)),
    path("sites/", site_views.site_list, name="site-list"),
    path("sites/new/", site_views.site_new, name="site-new"),
    path("sites/<int:site_id>/", replay_views.session_list, name="session-list"),
    path("sites/<int:site_id>/install/", site_views.site_install, name="site-install"),
    path("sites/<int:site_id>/install/status/", site_views.site_install_status, name="site-install-status"),
    path("sites/<int:site_id>/sessions/<uuid:session_id>/", replay_views.session_player, name="session-player"),
    path("exclude/<int:site_id>", privacy_views.exclude_site, name="exclude-site"),
    path("optout", privacy_views.optout_all, name="optout"),
    path("demo/", demo.demo_page, name="demo"),
    path("demo/<slug:page>/", demo.demo_page, name="demo-page"),
    path("admin/", admin.site.urls),
]
