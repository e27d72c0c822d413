"""Forms of the web shell: the working context and API tokens."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from accord.intel.forms import PURPOSE_CHOICES

__all__ = ["TokenForm", "WorkingContextForm"]


class WorkingContextForm(forms.Form):
    """The purpose (and case) every read made from now on is done for."""

    purpose = forms.ChoiceField(choices=PURPOSE_CHOICES)
    case = forms.ChoiceField(required=False, choices=[("", "No case")])
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        cases: list[str] | None = None,
        purposes: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        case_field = cast(forms.ChoiceField, self.fields["case"])
        case_field.choices = [("", "No case")] + [(c, c) for c in cases or []]
        if purposes is not None:  # the purposes this user's role may declare
            cast(forms.ChoiceField, self.fields["purpose"]).choices = [
                (k, label) for k, label in PURPOSE_CHOICES if k in purposes
            ]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name", help_text="What will use it.")
    expires_in_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=366,
        initial=90,
        label="Expires after (days)",
        help_text="Leave empty for a token that does not expire.",
    )
