from django.apps import AppConfig


class RecorderConfig(AppConfig):
    name = "recorder"
