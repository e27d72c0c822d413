"""The feed form of the web UI. The password or token field is write-only: it is never filled
in from the stored value; left empty it keeps the stored secret."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.engine.stix.markings import PURPOSES, TLP_LEVELS

__all__ = ["FeedForm"]


class FeedForm(forms.Form):
    name = forms.SlugField(max_length=64, help_text="Letters, digits, '-' or '_'.")
    url = forms.CharField(
        label="Server URL",
        max_length=500,
        help_text="The discovery URL (…/taxii2/) or an API root URL; its host must be in "
        "ACCORD_FEED_ALLOWED_HOSTS.",
    )
    api_root = forms.CharField(
        label="API root", max_length=300, required=False, help_text="Blank: the server's default."
    )
    collection_id = forms.CharField(label="Collection id", max_length=100)
    username = forms.CharField(
        label="User name",
        max_length=150,
        required=False,
        help_text="With a user name the secret is a password (HTTP Basic); without, a token.",
    )
    secret = forms.CharField(
        label="Password or token",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_secret = forms.BooleanField(label="Remove the stored password or token", required=False)
    enabled = forms.BooleanField(required=False, initial=True)
    interval_minutes = forms.IntegerField(
        label="Pull every (minutes)", min_value=0, initial=60, help_text="0: only on demand."
    )
    page_size = forms.IntegerField(label="Objects per page", min_value=1, max_value=10_000,
                                   initial=100)  # fmt: skip
    purpose = forms.ChoiceField(choices=[(k, f"{k}: {v}") for k, v in PURPOSES.items()])
    default_tlp = forms.ChoiceField(
        label="TLP for unmarked objects",
        required=False,
        choices=[("", "None (leave unmarked)")] + [(t, f"TLP:{t.upper()}") for t in TLP_LEVELS],
    )
    origin = forms.CharField(
        label="Origin", max_length=64, required=False, help_text="Peer node id; blank: feed:<name>."
    )

    def __init__(self, *args: Any, has_secret: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_secret:
            self.fields["secret"].help_text = "A secret is stored. Leave empty to keep it."
        else:
            self.fields["secret"].help_text = "No secret stored."
            del self.fields["clear_secret"]

    def secret_change(self) -> str | None:
        """None: keep the stored secret; '': remove it; otherwise the new one."""
        if self.cleaned_data.get("clear_secret"):
            return ""
        return self.cleaned_data.get("secret") or None

    def feed_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("secret", None)
        data.pop("clear_secret", None)
        return data
