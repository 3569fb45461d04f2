import ipaddress
import re

from django import forms
from django.contrib.auth import get_user_model

from privacy.ip import ip_rules_parse
from privacy.scrub import PARAM_NAME

from .domains import domain_readable, domains_clean
from .models import Membership, Site
from .services import SETTINGS_FIELDS

_IPV4_WILDCARD = re.compile(r"(\d{1,3}|\*)(\.(\d{1,3}|\*)){3}")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def ip_rule_valid(rule: str) -> bool:
    """An address, a CIDR range, or an IPv4 wildcard such as 192.168.*.* (what privacy.ip matches)."""
    if "*" in rule:
        return _IPV4_WILDCARD.fullmatch(rule) is not None and all(
            part == "*" or int(part) <= 255 for part in rule.split(".")
        )
    try:
        ipaddress.ip_network(rule, strict=False)
    except ValueError:
        return False
    return True


def domains_field_clean(text: str) -> list[str]:
    """A site's domains as the form gives them, one a line, normalised (sites.domains)."""
    try:
        domains = domains_clean(text.splitlines())
    except ValueError as error:
        raise forms.ValidationError(f"{error} (a host name such as shop.example.com, *.example.com or localhost:3000).")
    if not domains:
        raise forms.ValidationError("Give at least one domain.")
    return domains


class SiteCreateForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="A name for your dashboard, e.g. “Shop”.")
    domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Host names whose pages may record, one per line: example.com, *.example.com, localhost:3000.",
    )

    def clean_domains(self) -> list[str]:
        return domains_field_clean(self.cleaned_data["domains"])


class SiteSettingsForm(forms.ModelForm):
    domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Host names whose pages may record, one per line: example.com, *.example.com, localhost:3000.",
    )

    # The settings page shows the form in these groups, in this order.
    FIELDSETS = [
        ("General", ["name", "domains", "enabled"]),
        ("Targeting", ["sample_rate", "include_urls", "exclude_urls", "min_session_sec", "session_timeout_min"]),
        ("Capture", ["record_console", "record_network", "network_query_allow"]),
        ("Privacy", [
            "mask_all_inputs", "mask_all_text", "mask_selectors", "ignore_selectors", "unmask_selectors",
            "scrub_emails", "url_mask_params", "consent_required", "honor_dnt", "notice", "notice_text", "ip_rules",
            "ip_storage",
        ]),
        ("Retention", ["retention_days"]),
        ("Replay", ["replay_resources"]),
    ]

    class Meta:
        model = Site
        fields = SETTINGS_FIELDS
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "include_urls", "exclude_urls", "mask_selectors", "ignore_selectors", "unmask_selectors", "url_mask_params",
                "ip_rules",
            )
        }
        labels = {
            "enabled": "Recording enabled",
            "sample_rate": "Sample rate (%)",
            "include_urls": "Record only these pages",
            "exclude_urls": "Never record these pages",
            "min_session_sec": "Minimum session length (seconds)",
            "session_timeout_min": "Session timeout (minutes)",
            "record_console": "Record console messages",
            "record_network": "Record network requests",
            "network_query_allow": "Keep query strings",
            "mask_all_inputs": "Mask all inputs",
            "mask_all_text": "Mask all text",
            "mask_selectors": "Mask these elements",
            "ignore_selectors": "Ignore these elements",
            "unmask_selectors": "Unmask these inputs",
            "scrub_emails": "Scrub e-mail addresses",
            "url_mask_params": "Mask these URL parameters",
            "consent_required": "Require consent",
            "honor_dnt": "Honour Global Privacy Control and Do Not Track",
            "notice": "Show a recording notice",
            "notice_text": "Notice text",
            "ip_rules": "Excluded IP addresses",
            "ip_storage": "Visitor IP storage",
            "retention_days": "Keep recordings for (days)",
            "replay_resources": "Load the site's images, styles and fonts in replays",
        }
        help_texts = {
            "name": "Shown in the dashboard only.",
            "enabled": "When off, the snippet loads a no-op script and nothing is recorded.",
            "mask_selectors": "CSS selectors whose text and values are masked, one per line (e.g. .account-number).",
            "ignore_selectors": "CSS selectors never recorded at all, one per line; they replay as empty boxes.",
            "unmask_selectors": (
                "CSS selectors of inputs shown despite input masking, one per line. "
                "Password and card fields stay masked whatever this says."
            ),
            "notice_text": "The words of the notice, at most 200 characters.",
            "ip_storage": "What is kept of a visitor's IP address with each session.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk and not self.is_bound:
            self._domains_initial(self.instance.domains)
        for name in ("mask_selectors", "ignore_selectors", "unmask_selectors"):
            self.fields[name].widget.attrs["data-css-selectors"] = ""  # checked by the browser (dashboard.js)

    def _domains_initial(self, domains: list[str]) -> None:
        """Names in other scripts shown as read (`例え.jp`), the stored ASCII form in the help; saving gives back
        the stored form (domain_readable decodes only what encodes back the same)."""
        readable = [domain_readable(d) for d in domains]
        self.initial["domains"] = "\n".join(readable)
        decoded = [f"{shown} is {d}" for shown, d in zip(readable, domains) if shown != d]
        if decoded:
            more = f" and {len(decoded) - 3} more" if len(decoded) > 3 else ""
            self.fields["domains"].help_text += f" Browsers send names in other scripts in ASCII: {'; '.join(decoded[:3])}{more}."

    def fieldsets(self) -> list[tuple[str, list]]:
        return [(title, [self[name] for name in names]) for title, names in self.FIELDSETS]

    def clean_domains(self) -> list[str]:
        return domains_field_clean(self.cleaned_data["domains"])

    def clean_url_mask_params(self) -> str:
        names = _lines(self.cleaned_data["url_mask_params"])
        bad = [n for n in names if not re.fullmatch(PARAM_NAME, n)]
        if bad:
            raise forms.ValidationError(f"Not a parameter name: {bad[0][:64]} (one name a line, without = & # ? ;).")
        if len(names) > 100:
            raise forms.ValidationError("At most 100 names.")
        return "\n".join(names)

    def _clean_patterns(self, name: str) -> str:
        patterns = _lines(self.cleaned_data[name])
        spaced = [p for p in patterns if any(ch.isspace() for ch in p)]
        if spaced:
            raise forms.ValidationError(f"A URL pattern cannot contain spaces: “{spaced[0]}”.")
        return "\n".join(patterns)

    def clean_include_urls(self) -> str:
        return self._clean_patterns("include_urls")

    def clean_exclude_urls(self) -> str:
        return self._clean_patterns("exclude_urls")

    def clean_mask_selectors(self) -> str:
        return "\n".join(_lines(self.cleaned_data["mask_selectors"]))

    def clean_ignore_selectors(self) -> str:
        return "\n".join(_lines(self.cleaned_data["ignore_selectors"]))

    def clean_unmask_selectors(self) -> str:
        return "\n".join(_lines(self.cleaned_data["unmask_selectors"]))

    def clean_ip_rules(self) -> str:
        bad = [rule for rule in ip_rules_parse(self.cleaned_data["ip_rules"]) if not ip_rule_valid(rule)]
        if bad:
            raise forms.ValidationError(
                f"Not an IP address, wildcard (192.168.*.*) or CIDR range (10.0.0.0/8): {', '.join(bad[:5])}."
            )
        return "\n".join(_lines(self.cleaned_data["ip_rules"]))


class MemberAddForm(forms.Form):
    who = forms.CharField(
        label="Username or e-mail", max_length=254,
        help_text="The person needs an account on this server already.",
    )
    role = forms.ChoiceField(
        choices=[(Membership.VIEWER, "Viewer"), (Membership.ADMIN, "Admin")], initial=Membership.VIEWER,
        help_text="Viewers watch sessions; admins also change settings, the team and privacy requests.",
    )

    def clean_who(self):
        who = self.cleaned_data["who"].strip()
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=who).first()
        if user is None:
            matches = list(users.filter(email__iexact=who)[:2])
            if len(matches) > 1:
                raise forms.ValidationError("Several accounts use this e-mail address; give the username instead.")
            user = matches[0] if matches else None
        if user is None:
            raise forms.ValidationError("No account has this username or e-mail address.")
        return user


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(Membership.VIEWER, "Viewer"), (Membership.ADMIN, "Admin")])
