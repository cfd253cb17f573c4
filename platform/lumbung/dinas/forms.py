from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import Cooperative

from .models import BANDS


class TableFilterForm(forms.Form):
    regency = forms.ChoiceField(label=_("Kabupaten/kota"), required=False)
    kind = forms.ChoiceField(label=_("Jenis"), required=False)
    band = forms.ChoiceField(
        label=_("Tingkat kesehatan"), required=False, choices=[("", _("Semua"))] + BANDS
    )
    rat_overdue = forms.BooleanField(label=_("RAT terlambat"), required=False)

    def __init__(self, *args, regencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regency"].choices = [("", _("Semua kabupaten/kota"))] + [
            (r, r) for r in regencies
        ]
        self.fields["kind"].choices = [("", _("Semua jenis"))] + list(Cooperative.Kind.choices)


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Tahun buku"), min_value=2000, max_value=2100)
