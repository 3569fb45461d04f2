from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from insights import urls as insights_urls
from ops.login import AdminLoginForm, LoginForm
from privacy import urls as privacy_urls
from recorder import views as recorder_views
from replay import api as replay_api
from sites import demo

admin.site.login_form = AdminLoginForm
router = SimpleRouter()
router.register("sites", replay_api.SiteViewSet, basename="api-site")
router.register("sessions", replay_api.SessionViewSet, basename="api-session")

api = [
    path("ingest", recorder_views.ingest, name="ingest"),
    path("sites/<int:site_id>/sessions/", replay_api.SiteSessionList.as_view(), name="api-site-sessions"),
    *insights_urls.api_urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's setup as a script file: the CSP allows no inline script.
    # (GET and HEAD only: DRF answers OPTIONS through the view's HTML renderer, which has no template for it.)
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
         name="api-docs"),
    *router.urls,
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="site-list", permanent=False)),
    # `site` would be Django's RequestSite here, which the dashboard's header cannot link to.
    path("accounts/login/", auth_views.LoginView.as_view(extra_context={"site": None}, authentication_form=LoginForm),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("recorder.js", recorder_views.loader, name="loader"),
    path("api/v1/", include(api)),
    path("sites/", include("sites.urls")),
    path("sites/", include("replay.urls")),
    path("sites/", include(insights_urls.urlpatterns)),
    path("sites/", include(privacy_urls.dashboard_urlpatterns)),
    *privacy_urls.visitor_urlpatterns,
    path("demo/", demo.demo_page, name="demo"),
    path("demo/<slug:page>/", demo.demo_page, name="demo-page"),
    path("admin/", admin.site.urls),
]
handler404 = "config.api.not_found"
handler500 = "config.api.server_error"
