"""Admin: the audit log, read-only."""
from django.contrib import admin

from ops.admin import ReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "site", "action", "target"]
    list_filter = ["action", "site"]
    search_fields = ["username", "action", "target"]
    search_help_text = "Who, what (e.g. session.view) or the target (a session id, a username)."
    list_select_related = ["site"]
    date_hierarchy = "at"
