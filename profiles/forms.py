"""Forms of the owner's curation pages. They parse and bound input;
``profiles.curation`` decides."""

from django import forms

from .curation import CURATED_FIELDS, REASON_MAX_LENGTH


class ProfileEditForm(forms.Form):
    label_suffix = ""

    headline = forms.CharField(
        required=False,
        max_length=CURATED_FIELDS["headline"].max_length,
        help_text="One line under your name. Empty: BZPEER writes one "
        "from your topics.",
    )
    bio = forms.CharField(
        required=False,
        max_length=CURATED_FIELDS["bio"].max_length,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    affiliation_note = forms.CharField(
        required=False,
        max_length=CURATED_FIELDS["affiliation_note"].max_length,
        label="Affiliation note",
        help_text="Shown beside the affiliation the source names, e.g. "
        "“Visiting researcher at … until 2027”.",
    )
    is_open_to_collaborate = forms.BooleanField(
        required=False, label="Open to collaborate"
    )


class WorkHideForm(forms.Form):
    reason = forms.CharField(required=False, max_length=REASON_MAX_LENGTH)


class OwnerMergeForm(forms.Form):
    old = forms.CharField(max_length=32)
