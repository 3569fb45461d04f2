"""Admin: sites and their members."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions
from django.http import HttpResponseRedirect
from django.urls import reverse

from ops.admin import DatesAdmin

from .deletion import site_delete_counts, site_delete_queue
from .forms import domains_field_clean
from .models import Membership, Site
from .services import site_owner_move

UNDER_WAY = ("It takes no more batches and is gone from its members' dashboard; its recordings are deleted "
             "in the background, and it leaves this list once they are all gone.")


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
    list_display = ["name", "id", "owner", "enabled", "domains", "sample_rate", "retention_days", "created_at",
                    "deleting_since"]
    list_filter = [
        "enabled", ("deleting_since", admin.EmptyFieldListFilter),
        "mask_all_inputs", "consent_required", "replay_resources", "ip_storage",
    ]
    search_fields = ["name", "domains", "owner__username", "owner__email"]
    search_help_text = "Name, domain, or the owner's username or e-mail."
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at", "deleting_since"]
    date_hierarchy = "created_at"
    inlines = [MembershipInline]
    actions = ["delete_selected"]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if change and "owner" in form.changed_data:  # after the members' rows: they may have been edited too
            site_owner_move(site=form.instance, old_owner_id=form.initial["owner"], user=request.user)

    # Deleting a site goes through sites.deletion: its sessions are read-only here, their stored recordings
    # must go with them, and a big site has far too many rows to list on the confirmation page, or to delete
    # within a request: the delete marks it (disabled, no members) and a worker deletes the rest.

    def get_deleted_objects(self, objs, request):
        if request.POST.get("post"):  # confirmed: Django asks again, but only the summary page shows them
            return [], {}, set(), []
        listed, total = [], {}
        for site in objs:
            counts = site_delete_counts(site=site)
            listed += [f"Site: {site}", [f"{count} {name}" for name, count in counts.items()]]
            for name, count in counts.items():
                total[name] = total.get(name, 0) + count
        return listed, total, set(), []

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and obj.deleting_since)

    def delete_model(self, request, obj: Site) -> None:
        site_delete_queue(site=obj, user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for site in queryset:
            site_delete_queue(site=site, user=request.user)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(request, f"The site “{obj_display}” is being deleted. {UNDER_WAY}", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:sites_site_changelist"))

    @admin.action(permissions=["delete"], description="Delete selected sites")
    def delete_selected(self, request, queryset):
        """Django's action, but its message would say the sites are deleted: they are being deleted."""
        if not request.POST.get("post"):
            return actions.delete_selected(self, request, queryset)  # the confirmation page, with the counts
        count = len(queryset)
        self.log_deletions(request, queryset)
        self.delete_queryset(request, queryset)
        self.message_user(request, f"{count} site{'s are' if count != 1 else ' is'} being deleted. {UNDER_WAY}",
                          messages.SUCCESS)
        return None


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "site", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "site__name"]
    search_help_text = "Username, e-mail or site name."
    list_select_related = ["user", "site"]
    autocomplete_fields = ["user", "site"]
