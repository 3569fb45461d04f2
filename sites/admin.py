"""Admin: sites and their members."""
from django import forms
from django.contrib import admin

from ops.admin import DatesAdmin

from .forms import domains_field_clean
from .models import Membership, Site
from .services import site_delete, site_delete_counts, site_owner_move


class SiteAdminForm(forms.ModelForm):
    """The domains held to the dashboard's rules: ingest and the settings page read a list of host names."""

    class Meta:
        model = Site
        fields = "__all__"

    def clean_domains(self) -> list[str]:
        domains = self.cleaned_data["domains"]
        if domains in (None, []):
            raise forms.ValidationError("Give at least one domain.")
        if not isinstance(domains, list) or not all(isinstance(entry, str) for entry in domains):
            raise forms.ValidationError('Give a list of host names: ["shop.example.com", "*.example.com"].')
        return domains_field_clean("\n".join(domains))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Site)
class SiteAdmin(DatesAdmin):
    form = SiteAdminForm
    list_display = ["name", "id", "owner", "enabled", "domains", "sample_rate", "retention_days", "created_at"]
    list_filter = ["enabled", "mask_all_inputs", "consent_required", "replay_resources", "ip_storage"]
    search_fields = ["name", "domains", "owner__username", "owner__email"]
    search_help_text = "Name, domain, or the owner's username or e-mail."
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"
    inlines = [MembershipInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if change and "owner" in form.changed_data:  # after the members' rows: they may have been edited too
            site_owner_move(site=form.instance, old_owner_id=form.initial["owner"], user=request.user)

    # Deleting a site goes through site_delete: its sessions are read-only here, their stored recordings
    # must go with them, and a big site has far too many rows to list on the confirmation page.

    def get_deleted_objects(self, objs, request):
        listed, total = [], {}
        for site in objs:
            counts = site_delete_counts(site=site)
            listed += [f"Site: {site}", [f"{count} {name}" for name, count in counts.items()]]
            for name, count in counts.items():
                total[name] = total.get(name, 0) + count
        return listed, total, set(), []

    def delete_view(self, request, object_id, extra_context=None):
        # Not in one transaction, as Django's is: site_delete deletes in batches, objects outside transactions.
        return self._delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj: Site) -> None:
        site_delete(site=obj, user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for site in queryset:
            site_delete(site=site, user=request.user)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "site", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "site__name"]
    search_help_text = "Username, e-mail or site name."
    list_select_related = ["user", "site"]
    autocomplete_fields = ["user", "site"]
