"""Forms of the legal officer's pages: a jurisdiction profile, an agreement's JSON."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import QueryDict

from accord.engine.policy.profiles import CT_INSTRUMENTS, JurisdictionProfile

__all__ = [
    "DEATH_PENALTY_LABELS",
    "TORTURE_RISK_LABELS",
    "AgreementForm",
    "NewProfileForm",
    "ProfileForm",
]

DEATH_PENALTY_LABELS: dict[str, str] = {
    "abolitionist": "Abolitionist for all crimes",
    "abolitionist_in_practice": "Abolitionist in practice",
    "retentionist": "Retentionist",
}
TORTURE_RISK_LABELS: dict[str, str] = {
    "low": "Low",
    "elevated": "Elevated: disclosures of personal data need approval and an assurance",
    "high": "High: disclosures of personal data need approval and an assurance",
}

#: Maximum size of an uploaded agreement file (an agreement is a few kilobytes).
MAX_AGREEMENT_FILE = 256 * 1024


class _LegalForm(forms.Form):
    """A form whose fields with an error say so to assistive technology: ``aria-invalid`` and
    ``aria-describedby`` pointing at the error message shown next to the field."""

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{name}-error"


class ProfileForm(_LegalForm):
    """One jurisdiction's profile as the legal officer edits it, plus the reason for the change
    (kept in the history and the audit trail) and the version the edit started from."""

    name = forms.CharField(max_length=200, label="Name")
    death_penalty = forms.ChoiceField(
        choices=list(DEATH_PENALTY_LABELS.items()),
        label="Death-penalty status",
        help_text="Amnesty International's classification; cite it under Sources.",
    )
    death_penalty_for_terrorism = forms.BooleanField(
        required=False, label="Terrorist offences are punishable by death"
    )
    ct_instruments = forms.MultipleChoiceField(
        choices=list(CT_INSTRUMENTS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="UN counter-terrorism instruments the jurisdiction is party to",
    )
    torture_risk = forms.ChoiceField(
        choices=list(TORTURE_RISK_LABELS.items()),
        label="Torture-risk assessment",
        help_text="Your assessment (Convention against Torture Art 3; ECHR Art 3).",
    )
    notes = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4}), label="Notes"
    )
    sources = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Sources",
        help_text="One source per line (report, treaty status page, judgment).",
    )
    change_note = forms.CharField(
        max_length=500,
        label="Why this change",
        help_text="Required. Kept in the history and the audit trail.",
        error_messages={"required": "Say why you change the profile (kept in the history)."},
    )
    based_on = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    @classmethod
    def initial_from(cls, profile: JurisdictionProfile, version: int) -> dict[str, Any]:
        """The form's initial values from the current profile and its version."""
        return {
            "based_on": version,
            "name": profile.name,
            "death_penalty": profile.death_penalty,
            "death_penalty_for_terrorism": profile.death_penalty_for_terrorism,
            "ct_instruments": sorted(profile.ct_instruments),
            "torture_risk": profile.torture_risk,
            "notes": profile.notes,
            "sources": "\n".join(profile.sources),
        }

    def profile_data(self, code: str) -> dict[str, Any]:
        """The profile's JSON form (what ``update_profile`` validates) from the cleaned data."""
        data = self.cleaned_data
        return {
            "code": code,
            "name": data["name"].strip(),
            "death_penalty": data["death_penalty"],
            "death_penalty_for_terrorism": bool(data["death_penalty_for_terrorism"]),
            "ct_instruments": sorted(data["ct_instruments"]),
            "torture_risk": data["torture_risk"],
            "notes": data["notes"].strip(),
            "sources": [line.strip() for line in data["sources"].splitlines() if line.strip()],
        }

    def add_profile_error(self, message: str) -> None:
        """Put a service error (``$.field...: text``) next to the field it names (at the top
        for the whole profile or its version)."""
        path, _, text = message.partition(": ")
        name = path.removeprefix("$.").split("[")[0].split(".")[0]
        if name in self.fields and name != "based_on":
            self.add_error(name, text or message)
        else:
            self.add_error(None, text or message)

    def rebase(self, version: int) -> None:
        """After a conflict: the next save starts from ``version`` (the editor has been told)."""
        # A bound form's data is a QueryDict (or a dict): its copy may be changed.
        data = cast(QueryDict, self.data).copy()
        data["based_on"] = str(version)
        self.data = data


class NewProfileForm(ProfileForm):
    """A profile for a jurisdiction Accord ships none for (so that agreements may name it)."""

    code = forms.CharField(
        max_length=16,
        label="Jurisdiction code",
        help_text="ISO 3166-1 alpha-2 country code (e.g. IR), or EU, EUROPOL, INTERPOL.",
    )
    field_order = ["code"]

    def clean_code(self) -> str:
        from accord.engine.jurisdiction import JurisdictionError, validate_jurisdiction

        try:
            return validate_jurisdiction(self.cleaned_data["code"])
        except JurisdictionError as exc:
            raise forms.ValidationError(str(exc)) from None


class AgreementForm(_LegalForm):
    """An agreement's JSON: typed or pasted into the text area, or a file to upload."""

    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false", "class": "code-input"}),
        label="Agreement (JSON)",
        help_text="One agreement object as in docs/schemas/agreement.schema.json.",
        strip=False,
    )
    file = forms.FileField(
        required=False,
        label="Or upload a JSON file",
        help_text="Replaces the text above when given.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_AGREEMENT_FILE:
                self.add_error("file", f"The file is larger than {MAX_AGREEMENT_FILE // 1024} KiB.")
                return data
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", "The file is not UTF-8 text.")
                return data
        if not (data.get("text") or "").strip():
            self.add_error("text", "Paste the agreement's JSON here, or upload a file.")
        return data
