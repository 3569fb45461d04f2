from django import forms

from .models import Site


class SiteCreateForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="A name for your dashboard, e.g. “Shop”.")
    domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Host names whose pages may record, one per line: example.com, *.example.com, localhost:3000.",
    )

    def clean_domains(self) -> list[str]:
        domains = [line.strip() for line in self.cleaned_data["domains"].splitlines() if line.strip()]
        if not domains:
            raise forms.ValidationError("Give at least one domain.")
        return domains


class SiteSettingsForm(forms.ModelForm):
    domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Host names whose pages may record, one per line.",
    )

    class Meta:
        model = Site
        fields = [
            "name", "domains", "enabled",
            "sample_rate", "include_urls", "exclude_urls", "min_session_sec", "session_timeout_min",
            "record_console", "record_network", "network_query_allow",
            "mask_all_inputs", "mask_all_text", "mask_selectors", "ignore_selectors", "unmask_selectors",
            "scrub_emails", "consent_required", "honor_dnt", "notice", "notice_text",
            "ip_rules", "ip_storage", "retention_days",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("include_urls", "exclude_urls", "mask_selectors", "ignore_selectors", "unmask_selectors", "ip_rules")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["domains"] = "\n".join(self.instance.domains)

    def clean_domains(self) -> list[str]:
        from .services import domains_clean

        domains = domains_clean(self.cleaned_data["domains"].splitlines())
        if not domains:
            raise forms.ValidationError("Give at least one domain.")
        return domains
