"""Forms of the payroll-deduction screens: they read the posted fields; the services keep
the rules (and raise ``ApplicationError``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RowNumbersField(forms.Field):
    """Every value of a repeated field (checkboxes ``rows``), each a whole number."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            return [int(v) for v in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Nomor baris tidak valid."), code="invalid") from None


class RunStartForm(forms.Form):
    """A new run: the month and year (a missing one is 0, which the service refuses)."""

    year = forms.IntegerField(required=False)
    month = forms.IntegerField(required=False)


class RunActionForm(forms.Form):
    """The run page's forms: the agency a file is uploaded for, the posting date."""

    agency = forms.IntegerField(required=False)
    on = forms.CharField(required=False, strip=False)


class ImportActionForm(forms.Form):
    """The batch page's buttons (``action``): exclude ``rows``, post on ``on``, reverse
    with a ``reason``, discard."""

    action = forms.CharField(required=False)
    rows = RowNumbersField(required=False)
    on = forms.CharField(required=False, strip=False)
    reason = forms.CharField(required=False, strip=False)


class DeductionSettingsForm(forms.Form):
    cutoff_day = forms.IntegerField(required=False)
    priority = forms.CharField(required=False, strip=False)
    signer_name = forms.CharField(required=False, strip=False)
    signer_title = forms.CharField(required=False, strip=False)
