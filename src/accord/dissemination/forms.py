"""Forms of the dissemination pages.

The share form carries the records to share (the ones already chosen, each a checkbox the
analyst can untick, plus ids pasted to add more), the recipients, the purpose of the
disclosure and the assurance reference. Every record id is read through the restricted record
service (:func:`accord.intel.services.get_record`), as everywhere: an id the analyst may not
see is refused with exactly the message of an id that does not exist, and the refused attempt
is audited by that service.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.http import QueryDict

from accord.engine.stix.markings import HANDLING_CODES, PURPOSES

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.intel.models import Record

__all__ = [
    "MAX_SHARE_RECORDS",
    "ApprovalForm",
    "ConsentAnswerForm",
    "PersonRecordForm",
    "RevokeForm",
    "ShareForm",
]

#: The most records one share may carry (one page of decisions an analyst can still read).
MAX_SHARE_RECORDS = 50

_ID_SPLIT = re.compile(r"[\s,;]+")


def _not_found(stix_id: str) -> str:
    return f"No record you may see has the id {stix_id!r}. Check the id on the record's page."


class ShareForm(forms.Form):
    """Records, recipients, purpose of the disclosure and assurance reference of one share.

    ``user`` and ``purpose`` (the working purpose) say under which rights the record ids are
    checked; ``records`` are the ids already chosen (from ``?record=`` on GET)."""

    records = forms.MultipleChoiceField(
        label="Records to share",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Untick a record to leave it out.",
    )
    add_records = forms.CharField(
        label="Add more records",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Paste record ids (shown on each record's page), one per line.",
    )
    recipients = forms.MultipleChoiceField(label="Recipients", widget=forms.CheckboxSelectMultiple)
    purpose = forms.ChoiceField(
        label="Purpose of this disclosure",
        choices=[(k, v) for k, v in PURPOSES.items() if k != "oversight-review"],
        help_text=(
            "Set from your working purpose (top bar); change it here for this disclosure only. "
            "The recipients receive it and may use the records for this purpose only."
        ),
    )
    assurance_reference = forms.CharField(
        label="Assurance reference",
        max_length=200,
        required=False,
        help_text="Needed where a recipient retains the death penalty (e.g. a DOJ assurance).",
    )

    def __init__(
        self,
        data: Any = None,
        *,
        user: User,
        purpose: str,
        records: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        from accord.federation.models import Peer

        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("purpose", purpose)
        if records is not None:
            kwargs["initial"]["records"] = records
        super().__init__(data, **kwargs)
        self.user = user
        self.working_purpose = purpose
        #: The visible records by id (filled as ids are checked), for labels and the preview.
        self.record_objects: dict[str, Record] = {}
        #: Refusals of ``?record=`` ids on GET (see :meth:`check_linked`).
        self.linked_errors: list[str] = []
        if data is not None and data.get("action") == "add":
            self.fields["recipients"].required = False  # adding records needs no recipient yet
        self._choice_field("recipients").choices = [
            (p.node_id, f"{p.name or p.node_id} ({p.jurisdiction})")
            for p in Peer.objects.filter(enabled=True).order_by("name", "node_id")
        ]
        chosen = data.getlist("records") if data is not None else list(records or [])
        self._choice_field("records").choices = [
            (sid, self._label(sid)) for sid in dict.fromkeys(chosen)
        ]

    def _choice_field(self, name: str) -> forms.ChoiceField:
        """The choice field ``name`` (django-stubs types a form's fields as plain Fields)."""
        return cast(forms.ChoiceField, self.fields[name])

    def _record_choices(self) -> list[tuple[str, str]]:
        """The records offered, (stix id, label), as set above (django-stubs types a field's
        choices as anything they may be set to)."""
        return cast("list[tuple[str, str]]", self._choice_field("records").choices)

    def _visible(self, stix_id: str) -> Record | None:
        """The record if the user may see it under the working purpose, else ``None``."""
        from accord.intel.services import RecordNotFound, get_record

        if stix_id not in self.record_objects:
            try:
                self.record_objects[stix_id] = get_record(
                    self.user, stix_id, purpose=self.working_purpose
                )
            except RecordNotFound:
                return None
        return self.record_objects[stix_id]

    def check_linked(self) -> None:
        """On GET: refuse the ``?record=`` ids the user may not see (or that do not exist),
        next to the records field, as a submission would."""
        offered = self._record_choices()
        hidden = [sid for sid, _ in offered if self._visible(sid) is None]
        self.linked_errors = [_not_found(sid) for sid in hidden]
        self._choice_field("records").choices = [c for c in offered if c[0] not in hidden]

    def _label(self, stix_id: str) -> str:
        record = self._visible(stix_id)
        if record is None:
            return stix_id
        marking = f"TLP:{record.tlp.upper()}" if record.tlp else "unmarked"
        if record.handling_code:
            marking += f", {record.handling_code}"
        name = record.display_name or record.stix_id
        return f"{name} ({record.stix_type}, {marking})"

    def clean_records(self) -> list[str]:
        ids: list[str] = self.cleaned_data.get("records") or []
        hidden = [sid for sid in ids if self._visible(sid) is None]
        if hidden:
            raise forms.ValidationError([_not_found(sid) for sid in hidden])
        return ids

    def clean_add_records(self) -> list[str]:
        raw = self.cleaned_data.get("add_records") or ""
        ids = list(dict.fromkeys(x for x in _ID_SPLIT.split(raw) if x))
        hidden = [sid for sid in ids if self._visible(sid) is None]
        if hidden:
            raise forms.ValidationError([_not_found(sid) for sid in hidden])
        return ids

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns
        if "records" in data and "add_records" in data:
            ids = list(dict.fromkeys([*data["records"], *data["add_records"]]))
            if not ids:
                self.add_error("records", "Choose at least one record to share.")
            elif len(ids) > MAX_SHARE_RECORDS:
                self.add_error(
                    "add_records",
                    f"At most {MAX_SHARE_RECORDS} records per share; this asks for {len(ids)}.",
                )
            data["all_records"] = ids
        return data

    def merge_added(self) -> None:
        """After a valid submission: the added ids join the ticked records (shown checked) and
        the "add" box is emptied, so that the next submission carries them all."""
        ids = self.cleaned_data["all_records"]
        posted = cast(QueryDict, self.data).copy()  # a submission: the POST's QueryDict
        posted.setlist("records", ids)
        posted["add_records"] = ""
        self.data = posted
        self._choice_field("records").choices = [(sid, self._label(sid)) for sid in ids]
        self._bound_fields_cache.clear()  # type: ignore[attr-defined]  # Django's, not in the stubs

    def selected(self) -> list[Record]:
        """The chosen visible records in order (after ``is_valid``, or the GET's records)."""
        ids = self.cleaned_data.get("all_records") if hasattr(self, "cleaned_data") else None
        if ids is None:
            ids = [sid for sid, _ in self._record_choices()]
        return [r for r in (self._visible(sid) for sid in ids) if r is not None]


class ApprovalForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision", choices=[("approve", "Approve"), ("deny", "Deny")]
    )
    reason = forms.CharField(
        label="Reason (required, audited)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


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


#: Scripts offered for a name written in another script (ISO 15924 codes).
SCRIPTS = [
    ("Arab", "Arabic"),
    ("Cyrl", "Cyrillic"),
    ("Hebr", "Hebrew"),
    ("Hans", "Chinese (simplified)"),
    ("Hant", "Chinese (traditional)"),
    ("Deva", "Devanagari"),
    ("Grek", "Greek"),
    ("Geor", "Georgian"),
    ("Armn", "Armenian"),
    ("Ethi", "Ethiopic"),
    ("Thai", "Thai"),
]

_COUNTRY = re.compile(r"^[A-Z]{2}$")


class PersonRecordForm(forms.Form):
    """A new person of interest recorded by this node (names, birth date, nationality, passport)
    with its markings: TLP, handling code and the purposes it may be used for."""

    name = forms.CharField(
        label="Name (Latin script)",
        max_length=300,
        help_text="Required: the full name as in the identity document.",
    )
    other_name = forms.CharField(label="Name in another script", max_length=300, required=False)
    other_script = forms.ChoiceField(
        label="Script of that name", choices=[("", "(none)"), *SCRIPTS], required=False
    )
    aliases = forms.CharField(
        label="Aliases",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line.",
    )
    birth_date = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="YYYY-MM-DD",
    )
    nationality = forms.CharField(
        label="Nationality", max_length=2, required=False, help_text="Two-letter code, e.g. SY."
    )
    passport_number = forms.CharField(label="Passport number", max_length=100, required=False)
    passport_country = forms.CharField(
        label="Passport issued by", max_length=2, required=False, help_text="Two-letter code."
    )
    tlp = forms.ChoiceField(
        label="TLP",
        choices=[
            ("clear", "TLP:CLEAR"),
            ("green", "TLP:GREEN"),
            ("amber", "TLP:AMBER"),
            ("amber+strict", "TLP:AMBER+STRICT"),
            ("red", "TLP:RED"),
        ],
        initial="amber",
    )
    handling_code = forms.ChoiceField(
        label="Handling code",
        choices=[("", "None"), *((k, f"{k}: {v}") for k, v in HANDLING_CODES.items())],
        required=False,
    )
    purposes = forms.MultipleChoiceField(
        label="May be used only for",
        choices=[(k, v) for k, v in PURPOSES.items() if k != "oversight-review"],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave all unticked for no purpose restriction.",
    )

    def _country(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip().upper()
        if value and not _COUNTRY.match(value):
            raise forms.ValidationError("Use the two-letter country code (ISO 3166), e.g. SY.")
        return value

    def clean_nationality(self) -> str:
        return self._country("nationality")

    def clean_passport_country(self) -> str:
        return self._country("passport_country")

    def clean_aliases(self) -> list[str]:
        raw = self.cleaned_data.get("aliases") or ""
        return list(dict.fromkeys(line.strip() for line in raw.splitlines() if line.strip()))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns
        if data.get("other_name") and not data.get("other_script"):
            self.add_error("other_script", "Choose the script of the other name.")
        if data.get("passport_country") and not data.get("passport_number"):
            self.add_error("passport_number", "Give the passport number, or clear its country.")
        return data
