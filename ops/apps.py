from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What operators rely on: health probes, metrics, request and task logs, the dashboard's CSP."""

    name = "ops"
    verbose_name = "Operations"
