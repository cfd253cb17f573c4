"""Forms of the year-end screens: they read the posted fields as typed; the services
parse and check them (and raise ``ApplicationError`` naming the field)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from core.common.fields import IntegerListField

from .models import RatReport
from .services import SETTINGS_FIELDS


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


class YearActionForm(forms.Form):
    """The year page's buttons (``action``): reopen with a ``reason``, post with the RAT's
    date and decision, pay the checked ``member``s by ``method``."""

    action = forms.CharField(required=False)
    reason = forms.CharField(required=False, strip=False)
    rat_date = forms.CharField(required=False, strip=False)
    rat_decision = forms.CharField(required=False, strip=False)
    member = IntegerListField(
        required=False,
        min_value=0,
        error_messages={"invalid": _("Pilihan anggota tidak valid.")},
    )
    method = forms.CharField(required=False, strip=False)
    # ``action=old_books``: the old books' SHU list, a line per member
    rows = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    # ``action=old_books_preview``: the list as an XLSX or CSV file instead (the view
    # reads ``request.FILES``; declared so the form takes it)
    file = forms.FileField(required=False)

    def clean_rat_date(self) -> date | None:
        """An unreadable date is no date: the service asks for one."""
        return _iso_date(self.cleaned_data["rat_date"])


class ShuSettingsForm(forms.Form):
    """The SHU settings as typed (percentages, rounding, rules); ``shu_settings_set``
    reads and checks them."""

    capital_includes_sukarela = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for f in SETTINGS_FIELDS:
            if f != "capital_includes_sukarela":
                self.fields[f] = forms.CharField(required=False, strip=False)


class RatHeldForm(forms.Form):
    """The day the RAT was held (``action=held``); empty clears it."""

    action = forms.CharField(required=False)
    held_on = forms.CharField(required=False)

    def clean_held_on(self) -> date | None:
        raw = self.cleaned_data["held_on"]
        held_on = _iso_date(raw)
        if raw and held_on is None:
            raise forms.ValidationError(_("Tanggal RAT tidak sah."))
        return held_on


class RatTextsForm(forms.Form):
    """The RAT pack's texts (agenda, reports, policies)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for f in RatReport.TEXT_FIELDS:  # multi-line (the page's textareas)
            self.fields[f] = forms.CharField(required=False, strip=False, widget=forms.Textarea)
