"""Forms of the ledger's HTML screens: they read the posted fields and turn them into
the services' arguments; the services keep the rules (and raise ``ApplicationError``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.common.fields import RupiahField

from .models import Account, JournalLine, LedgerSettings, ManualEntryRequest
from .services import LineSpec


def _max_length(field: str) -> int:
    return Account._meta.get_field(field).max_length


class AccountCreateForm(forms.Form):
    code = forms.CharField(required=False, max_length=_max_length("code"), label=_("Kode"))
    name = forms.CharField(required=False, max_length=_max_length("name"), label=_("Nama"))
    type = forms.ChoiceField(choices=Account.Type.choices, required=False, label=_("Jenis"))
    parent = forms.ModelChoiceField(
        queryset=Account.objects.all(), required=False, label=_("Induk (kelompok)")
    )
    is_group = forms.BooleanField(required=False)
    is_contra = forms.BooleanField(required=False)
    is_cash = forms.BooleanField(required=False)
    cash_flow = forms.ChoiceField(
        choices=Account.CashFlow.choices, required=False, label=_("Kelompok arus kas")
    )

    def service_kwargs(self) -> dict:
        """The arguments of ``services.account_create`` (the service checks the rules)."""
        d = self.cleaned_data
        return {
            "code": d["code"],
            "name": d["name"],
            "type": d["type"],
            "parent": d["parent"],
            "is_group": d["is_group"],
            "is_contra": d["is_contra"],
            "is_cash": d["is_cash"],
            "cash_flow": d["cash_flow"] or Account.CashFlow.OPERATING,
        }


class AccountEditForm(forms.Form):
    name = forms.CharField(
        required=False, strip=False, max_length=_max_length("name"), label=_("Nama")
    )
    type = forms.ChoiceField(choices=Account.Type.choices, required=False, label=_("Jenis"))
    is_active = forms.BooleanField(required=False)
    is_cash = forms.BooleanField(required=False)
    cash_flow = forms.ChoiceField(
        choices=Account.CashFlow.choices, required=False, label=_("Kelompok arus kas")
    )

    def service_kwargs(self) -> dict:
        """The arguments of ``services.account_update``: a field left out of the request
        leaves the account's value (the name) or keeps the choice (type, cash flow)."""
        d = self.cleaned_data
        return {
            "name": d["name"] if "name" in self.data else None,
            "type": d["type"] or None,
            "is_active": d["is_active"],
            "is_cash": d["is_cash"],
            "cash_flow": d["cash_flow"] or None,
        }


class JournalReverseForm(forms.Form):
    """The reversal of a journal entry: its date (default today) and the reason."""

    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label=_("Tanggal"))
    reason = forms.CharField(required=False, strip=False, label=_("Alasan"))


class FiscalYearOpenForm(forms.Form):
    year_number = forms.IntegerField(label=_("Tahun"))


class LedgerSettingsForm(forms.Form):
    manual_entry_approval = forms.BooleanField(required=False)
    capital_savings_as = forms.ChoiceField(
        choices=LedgerSettings.CapitalAs.choices,
        required=False,
        label=_("Simpanan pokok & wajib dicatat sebagai"),
    )

    def service_kwargs(self) -> dict:
        """The arguments of ``services.ledger_settings_update``."""
        d = self.cleaned_data
        return {
            "manual_entry_approval": d["manual_entry_approval"],
            "capital_savings_as": d["capital_savings_as"] or None,
        }


class AccountActionForm(forms.Form):
    """The account page's buttons: ``delete``, or (no action) the edit form."""

    action = forms.CharField(required=False)


class ManualEntryForm(forms.Form):
    """The manual-entry screen: ``rows`` lines of account, debit, credit and memo
    (``account_0``, ``debit_0``, …), then the date and the description. The fields are
    checked in that order, so the first error shown is the one of the first bad line."""

    def __init__(self, *args, rows: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.row_count = rows
        for i in range(rows):
            self.fields[f"account_{i}"] = forms.CharField(required=False, strip=False)
            # the ledger keeps sen: up to two decimals; no label, the message names none
            self.fields[f"debit_{i}"] = RupiahField(whole=False, required=False)
            self.fields[f"credit_{i}"] = RupiahField(whole=False, required=False)
            # as long as the columns hold (the API's limits): refused, never cut short
            self.fields[f"memo_{i}"] = forms.CharField(
                required=False,
                strip=False,
                max_length=JournalLine._meta.get_field("memo").max_length,
                label=_("Keterangan baris %(n)s") % {"n": i + 1},
            )
        self.fields["date"] = forms.CharField(
            required=False, strip=False, initial=lambda: timezone.localdate().isoformat()
        )
        # as long as the approval request's column holds (the entry's holds more: room
        # for a reversal's label and reason)
        self.fields["description"] = forms.CharField(
            required=False,
            strip=False,
            max_length=ManualEntryRequest._meta.get_field("description").max_length,
            label=_("Uraian"),
        )

    def clean_date(self) -> date:
        try:
            return date.fromisoformat(self.cleaned_data["date"])
        except ValueError:
            raise forms.ValidationError(_("Tanggal tidak valid.")) from None

    def rows(self) -> list[dict]:
        """Each line's values as typed (what the screen shows again after an error)."""
        return [
            {k: self[f"{k}_{i}"].value() or "" for k in ("account", "debit", "credit", "memo")}
            for i in range(self.row_count)
        ]

    def lines(self) -> list[LineSpec]:
        """The lines of the entry: every row with an account or an amount typed."""
        d = self.cleaned_data
        zero = Decimal("0")
        return [
            LineSpec(
                account=d[f"account_{i}"],
                debit=d[f"debit_{i}"] or zero,
                credit=d[f"credit_{i}"] or zero,
                memo=d[f"memo_{i}"],
            )
            for i, r in enumerate(self.rows())
            if r["account"] or r["debit"] or r["credit"]
        ]


class ManualRequestDecisionForm(forms.Form):
    """Approving (``action=approve``) or rejecting (with a reason) a manual entry."""

    action = forms.CharField(required=False)
    reason = forms.CharField(required=False, strip=False)


class PeriodActionForm(forms.Form):
    """The periods screen's buttons: close or reopen a month (``period``), close a year
    (``year``), open a year or save the settings (their own forms)."""

    action = forms.CharField(required=False)
    period = forms.IntegerField(required=False)
    year = forms.IntegerField(required=False)
    reason = forms.CharField(required=False, strip=False, label=_("Alasan"))
