"""The login form: Django's, saying clearly when an account is locked."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

__all__ = ["LoginForm"]


class LoginForm(AuthenticationForm):
    """Django's authentication form; a refused login of a locked account says so.

    The lockout backend refuses a locked account even with the right password; telling the
    person why (and what to do) saves a call to the help desk. Nothing else is revealed: an
    unknown user and a wrong password get the same message.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": (
            "This account is locked after repeated failed sign-ins. Try again later or ask "
            "your node administrator to unlock it."
        ),
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login" and self._is_locked():
                raise forms.ValidationError(self.error_messages["locked"], code="locked") from None
            raise

    def _is_locked(self) -> bool:
        from accord.accounts.models import User

        username = self.cleaned_data.get("username") or ""
        user = User.objects.filter(username=username).first()
        return bool(user is not None and user.is_locked)
