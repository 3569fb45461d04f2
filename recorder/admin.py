"""Admin: recorded sessions, read-only (deleting one goes through the dashboard or the API, which also
delete its stored recording and write the audit log), and the batches the worker could not store."""
import uuid

from django.contrib import admin, messages

from ops.admin import ReadOnlyAdmin

from .models import Chunk, PageView, Session
from .services import chunks_redrive


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


class FailedChunk(Chunk):
    """Failed batches, as the admin lists them."""

    class Meta:
        proxy = True
        verbose_name = "failed batch"
        verbose_name_plural = "failed batches"


@admin.register(FailedChunk)
class FailedChunkAdmin(admin.ModelAdmin):
    """Looked at and re-driven (after a fix), never edited; deleted with the site's retention."""

    list_display = ["id", "site", "session_id", "seq", "created_at", "attempts", "reason"]
    list_filter = ["site"]
    # Not the session: a failed batch may have no session row to join.
    list_select_related = ["site"]
    search_fields = ["error"]
    search_help_text = "A session id, or words of the reason."
    ordering = ["-created_at", "-id"]
    actions = ["redrive"]
    readonly_fields = [f.name for f in Chunk._meta.fields if f.name not in ("body", "data")]
    exclude = ["body", "data"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Chunk.FAILED).defer("body", "data")

    def get_search_results(self, request, queryset, search_term):
        try:
            return queryset.filter(session_id=uuid.UUID(search_term.strip())), False
        except ValueError:
            return super().get_search_results(request, queryset, search_term)

    @admin.display(description="reason")
    def reason(self, chunk: Chunk) -> str:
        return chunk.error.splitlines()[0][:200] if chunk.error else ""

    @admin.action(description="Queue the selected batches again")
    def redrive(self, request, queryset):
        count = chunks_redrive(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Queued {count} failed batches again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
