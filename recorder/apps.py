from django.apps import AppConfig


class RecorderConfig(AppConfig):
    name = "recorder"

    def ready(self):
        from .jobs import jobs_in_process_enable

        jobs_in_process_enable()
