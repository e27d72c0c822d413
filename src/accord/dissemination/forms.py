"""Forms of the dissemination pages."""

from __future__ import annotations

from django import forms

from accord.engine.stix.markings import PURPOSES

__all__ = ["ApprovalForm", "ConsentAnswerForm", "RevokeForm", "ShareForm"]


class ShareForm(forms.Form):
    recipients = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    purpose = forms.ChoiceField(
        choices=[(k, v) for k, v in PURPOSES.items() if k != "oversight-review"]
    )
    assurance_reference = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        from accord.federation.peers.models import Peer

        super().__init__(*args, **kwargs)
        self.fields["recipients"].choices = [
            (p.node_id, f"{p.name or p.node_id} ({p.jurisdiction})")
            for p in Peer.objects.filter(enabled=True)
        ]


class ApprovalForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class RevokeForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("revoke", "Revoke"), ("delete", "Revoke and order deletion")]
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    confirm = forms.BooleanField(
        required=True,
        label="I confirm: every recipient is told, and this cannot be undone",
    )


class ConsentAnswerForm(forms.Form):
    decision = forms.ChoiceField(choices=[("grant", "Grant"), ("refuse", "Refuse")])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
