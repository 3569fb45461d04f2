from django.conf import settings
from django.db import models

from sites.models import Site


class AuditEntry(models.Model):
    """Who viewed, exported or deleted which session, and who changed which setting."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150)  # kept when the user is deleted
    site = models.ForeignKey(Site, null=True, on_delete=models.SET_NULL, related_name="audit_entries")
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
