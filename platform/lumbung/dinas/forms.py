"""The Dinas pages' query strings, validated: a value the page does not know is refused
with its reason (the views answer 400), never dropped — the table shown unfiltered under
a filter the officer asked for would be read as the filtered answer."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Cooperative

from .models import BANDS
from .selectors import SORTS

# The oldest fiscal year the ministry export is asked for.
FIRST_YEAR = 2000


class TableFilterForm(forms.Form):
    regency = forms.ChoiceField(
        label=_("Kabupaten/kota"),
        required=False,
        error_messages={
            "invalid_choice": _("Kabupaten/kota '%(value)s' tidak ada di wilayah Anda.")
        },
    )
    kind = forms.ChoiceField(
        label=_("Jenis"),
        required=False,
        error_messages={"invalid_choice": _("Jenis koperasi '%(value)s' tidak dikenal.")},
    )
    band = forms.ChoiceField(
        label=_("Tingkat kesehatan"),
        required=False,
        choices=[("", _("Semua"))] + BANDS,
        error_messages={"invalid_choice": _("Tingkat kesehatan '%(value)s' tidak dikenal.")},
    )
    rat_overdue = forms.BooleanField(label=_("RAT terlambat"), required=False)
    # Set by the column headers, the pagination and the download link (not shown).
    sort = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[(k, k) for k in SORTS] + [(f"-{k}", f"-{k}") for k in SORTS],
        error_messages={"invalid_choice": _("Urutan '%(value)s' tidak dikenal.")},
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": _("Nomor halaman harus bilangan bulat 1 atau lebih."),
            "min_value": _("Nomor halaman harus bilangan bulat 1 atau lebih."),
        },
    )
    format = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[("", ""), ("xlsx", "xlsx")],
        error_messages={
            "invalid_choice": _("Format '%(value)s' tidak tersedia; yang tersedia: xlsx.")
        },
    )

    def __init__(self, *args, regencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regency"].choices = [("", _("Semua kabupaten/kota"))] + [
            (r, r) for r in regencies
        ]
        self.fields["kind"].choices = [("", _("Semua jenis"))] + list(Cooperative.Kind.choices)

    def error_list(self) -> list[str]:
        """Every error as one line, for the page's alert (most fields are not shown)."""
        return [str(e) for errors in self.errors.values() for e in errors]


class YearForm(forms.Form):
    """``?year=YYYY`` of the ministry export: empty means last year; a year before
    FIRST_YEAR or not begun yet is refused."""

    year = forms.IntegerField(
        label=_("Tahun buku"),
        required=False,
        error_messages={"invalid": _("Tahun buku harus berupa tahun, misalnya 2025.")},
    )

    def clean_year(self) -> int:
        year = self.cleaned_data.get("year")
        this_year = timezone.localdate().year
        if year is None:
            return this_year - 1
        if year < FIRST_YEAR or year > this_year:
            raise ValidationError(
                _("Tahun buku %(y)s tidak tersedia: pilih tahun %(a)s sampai %(b)s."),
                params={"y": year, "a": FIRST_YEAR, "b": this_year},
            )
        return year
