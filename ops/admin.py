"""What several apps' admins share."""
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


class DatesBoundedChangeList(ChangeList):
    """A date drill-down past the last day a date can hold (`?started_at__year=9999`) is a bad lookup, which
    the admin answers with the list and `?e=1`, not a 500 (Django computes the next year or day for it)."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class DatesAdmin(admin.ModelAdmin):
    """An admin with a `date_hierarchy`."""

    def get_changelist(self, request, **kwargs):
        return DatesBoundedChangeList


class ReadOnlyAdmin(DatesAdmin):
    """Looked at, never changed, added or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
