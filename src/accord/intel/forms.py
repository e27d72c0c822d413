"""Forms of the record pages: record search and import upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from accord.engine.stix.markings import HANDLING_CODES, PURPOSES
from accord.intel.presenters import TLP_LABELS

__all__ = ["IMPORT_FORMATS", "PURPOSE_CHOICES", "RECORD_TYPES", "ImportForm", "SearchForm"]

PURPOSE_CHOICES = [(k, f"{k}: {v}") for k, v in PURPOSES.items()]

RECORD_TYPES = [
    "identity",
    "relationship",
    "sighting",
    "indicator",
    "threat-actor",
    "intrusion-set",
    "campaign",
    "malware",
    "tool",
    "attack-pattern",
    "infrastructure",
    "location",
    "report",
    "note",
    "marking-definition",
    "extension-definition",
]

IMPORT_FORMATS = [
    ("auto", "Detect from the file"),
    ("stix", "STIX 2.1 bundle (JSON)"),
    ("ftm", "FollowTheMoney entities (JSON lines)"),
    ("un-xml", "UN Security Council consolidated list (XML)"),
]


class SearchForm(forms.Form):
    """Record search: every field optional, combined with AND."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Name or text",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text="Names in any script; accents and case do not matter.",
    )
    identifier = forms.CharField(
        required=False,
        max_length=200,
        label="Identifier",
        help_text="Document number, phone, e-mail or reference.",
    )
    type = forms.ChoiceField(
        required=False,
        label="Type",
        choices=[("", "Any type")] + [(t, t) for t in RECORD_TYPES],
    )
    tlp = forms.MultipleChoiceField(
        required=False,
        label="TLP",
        choices=list(TLP_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    handling_code = forms.ChoiceField(
        required=False,
        label="Handling code",
        choices=[("", "Any")] + [(k, f"{k}: {v}") for k, v in HANDLING_CODES.items()],
    )
    birth_year = forms.IntegerField(
        required=False, min_value=1800, max_value=2200, label="Birth year"
    )
    personal_only = forms.BooleanField(required=False, label="Persons and organisations only")
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ImportForm(forms.Form):
    """A file to import, its format and the purpose the records are held for."""

    file = forms.FileField(label="File")
    format = forms.ChoiceField(label="Format", choices=IMPORT_FORMATS, initial="auto")
    purpose = forms.ChoiceField(
        label="Purpose the records are held for",
        choices=PURPOSE_CHOICES,
        initial="counter-terrorism",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.ACCORD_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is "
                f"{filesizeformat(limit)}. Split it or ask the node administrator.",
                code="too_big",
            )
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.", code="empty")
        return upload
