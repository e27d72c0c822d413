"""Versioned agreements and jurisdiction profiles. Rows are never updated in place: every change
is a new version (the history), written by :mod:`accord.agreement.services` with its audit entry.
"""

from __future__ import annotations

from django.db import models

__all__ = ["AgreementVersion", "JurisdictionProfileRecord"]


class JurisdictionProfileRecord(models.Model):
    """One version of a jurisdiction's profile (its JSON form, see
    :class:`accord.engine.policy.profiles.JurisdictionProfile`)."""

    code = models.CharField(max_length=16)
    version = models.PositiveIntegerField()
    data = models.JSONField()
    changed_by = models.CharField(max_length=150)
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="uniq_profile_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class AgreementVersion(models.Model):
    """One version of an agreement (its JSON form, valid against ``AGREEMENT_SCHEMA``)."""

    agreement_id = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=16)
    data = models.JSONField()
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement_id", "version"], name="uniq_agreement_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} v{self.version}"
