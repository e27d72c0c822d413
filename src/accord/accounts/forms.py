"""The login form: Django's, with one answer for every refused password and a clear one for a
paused address."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

__all__ = ["LoginForm"]


class LoginForm(AuthenticationForm):
    """Django's authentication form behind the sign-in throttles.

    An unknown user, a wrong password, an inactive account and an account whose password
    sign-in is paused get the same message (which says that a pause exists, without saying
    whether one applies), so the page tells nobody which accounts exist. An address paused
    after repeated failures is told so, with the wait: that pause does not depend on the name
    typed, so saying so gives nothing away.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter a correct %(username)s and password. Note that both fields may be "
            "case-sensitive. After repeated failed sign-ins, password sign-in may pause for a "
            "while; your node administrator can lift the pause."
        ),
        "throttled": (
            "Too many failed sign-ins from your address. Try again in %(minutes)s minute(s), "
            "or ask your node administrator."
        ),
    }

    #: Seconds left of this address's pause, when the form was refused for it.
    retry_after = 0

    def clean(self) -> dict[str, Any]:
        from accord.accounts.throttle import client_address, source_pause

        if self.cleaned_data.get("username") and self.cleaned_data.get("password"):
            pause = source_pause(client_address(self.request))
            if pause:
                self.retry_after = pause
                raise forms.ValidationError(
                    self.error_messages["throttled"],
                    code="throttled",
                    params={"minutes": -(-pause // 60)},
                )
        return super().clean()
