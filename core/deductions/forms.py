"""Forms of the payroll-deduction screens: they read the posted fields; the services keep
the rules (and raise ``ApplicationError``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.common.fields import IntegerListField


class RunStartForm(forms.Form):
    """A new run: the month and year (a missing one is 0, which the service refuses)."""

    year = forms.IntegerField(required=False)
    month = forms.IntegerField(required=False)


class RunActionForm(forms.Form):
    """The run page's forms: the agency a file is uploaded for, the posting date."""

    agency = forms.IntegerField(required=False, label=_("Instansi"))
    on = forms.CharField(required=False, strip=False, label=_("Tanggal uang diterima"))


class ImportActionForm(forms.Form):
    """The batch page's buttons (``action``): exclude ``rows``, post on ``on``, reverse
    with a ``reason``, discard."""

    action = forms.CharField(required=False)
    rows = IntegerListField(
        required=False, error_messages={"invalid": _("Nomor baris tidak valid.")}
    )
    # "exclude every row with an error" (a file with many rows the cooperative does not know)
    all_rows = forms.BooleanField(required=False)
    on = forms.CharField(required=False, strip=False, label=_("Tanggal uang diterima"))
    reason = forms.CharField(required=False, strip=False, label=_("Alasan"))
    # posting a file of zeros: the treasurer confirms the agency deducted nothing
    nothing_deducted = forms.BooleanField(required=False)


class DeductionSettingsForm(forms.Form):
    cutoff_day = forms.IntegerField(required=False)
    priority = forms.CharField(required=False, strip=False)
    signer_name = forms.CharField(required=False, strip=False)
    signer_title = forms.CharField(required=False, strip=False)
