"""Forms of the dashboard's visitor-requests page."""
from django import forms


class VisitorForm(forms.Form):
    visitor = forms.CharField(
        label="Visitor", max_length=255,
        help_text=(
            "The identity your pages passed to __insp.push(['identify', …]), "
            "or the visitor id shown with a session."
        ),
    )

    def clean_visitor(self) -> str:
        visitor = self.cleaned_data["visitor"].strip()
        if not visitor:
            raise forms.ValidationError("Give an identity or a visitor id.")
        return visitor


class VisitorForgetForm(VisitorForm):
    confirm = forms.BooleanField(
        label="I understand that every recording of this visitor is deleted for good.",
        error_messages={"required": "Tick the box to confirm the deletion."},
    )
