"""Admin: recorded sessions, read-only (deleting one goes through the dashboard or the API, which also
delete its stored recording and write the audit log)."""
from django.contrib import admin

from ops.admin import ReadOnlyAdmin

from .models import PageView, Session


class PageViewInline(admin.TabularInline):
    model = PageView
    fields = ["at", "kind", "url", "title"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "site", "identity", "visitor_id", "started_at", "duration_seconds", "page_count", "error_count",
        "browser", "os", "device_type", "status",
    ]
    list_filter = ["status", "device_type", "site"]
    search_fields = ["=id", "identity", "visitor_id", "entry_url"]
    search_help_text = "The exact session id, an identity, a visitor id or the entry URL."
    list_select_related = ["site"]
    date_hierarchy = "started_at"
    exclude = ["scrub_ids"]
    inlines = [PageViewInline]
