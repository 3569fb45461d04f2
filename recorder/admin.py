import uuid

from django.contrib import admin, messages

from .models import Chunk
from .services import chunks_redrive


class FailedChunk(Chunk):
    """Failed batches, as the admin lists them."""

    class Meta:
        proxy = True
        verbose_name = "failed batch"
        verbose_name_plural = "failed batches"


@admin.register(FailedChunk)
class FailedChunkAdmin(admin.ModelAdmin):
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
