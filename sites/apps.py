from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"
    verbose_name = "Sites"

    def ready(self):
        from . import rules  # noqa: F401  (connects the cache's invalidation)
