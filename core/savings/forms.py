from django import forms
from django.utils.translation import gettext_lazy as _


class TellerForm(forms.Form):
    account = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(
        label=_("Transaksi"), choices=[("deposit", _("Setoran")), ("withdraw", _("Penarikan"))]
    )
    amount = forms.CharField(
        label=_("Jumlah (Rp)"), help_text=_("Rupiah utuh, mis. 250000 atau 250.000")
    )
    channel = forms.ChoiceField(
        label=_("Cara"), choices=[("cash", _("Tunai")), ("bank", _("Bank / transfer"))]
    )
    memo = forms.CharField(label=_("Keterangan"), max_length=200, required=False)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("Dari"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Sampai"), widget=forms.DateInput(attrs={"type": "date"}))


class InterestForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput)
    year = forms.IntegerField(label=_("Tahun"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=_("Bulan"), min_value=1, max_value=12)
