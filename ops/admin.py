"""What several apps' admins share."""
from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Looked at, never changed, added or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
