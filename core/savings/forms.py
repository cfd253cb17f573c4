from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.common.fields import PercentField, RupiahField
from core.common.money import RupiahError, format_rupiah, parse_percent, parse_rupiah
from core.ledger.models import Account

from .models import MAX_TERM_MONTHS, TERM_TOO_LONG, SavingsProduct


class TellerForm(forms.Form):
    # chosen with the radio buttons of the member's accounts; never pre-selected
    account = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": _("Pilih rekening tujuan transaksi.")},
    )
    action = forms.ChoiceField(
        label=_("Transaksi"), choices=[("deposit", _("Setoran")), ("withdraw", _("Penarikan"))]
    )
    amount = RupiahField(
        label=_("Jumlah (Rp)"),
        min_value=1,
        help_text=_("Rupiah utuh, mis. 250000 atau 250.000"),
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


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Nama produk"), max_length=120)
    amount = RupiahField(
        label=_("Nominal (pokok / wajib tetap / setoran bulanan berjangka)"), min_value=0
    )
    amount_by_grade = forms.BooleanField(label=_("Wajib menurut golongan"), required=False)
    effective_from = forms.DateField(
        label=_("Berlaku mulai"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    minimum_balance = RupiahField(label=_("Saldo minimum"), min_value=0)
    interest_enabled = forms.BooleanField(label=_("Berbunga (jasa simpanan)"), required=False)
    interest_auto = forms.BooleanField(
        label=_("Jasa dihitung otomatis tiap awal bulan"),
        required=False,
        help_text=_("Jasa bulan lalu diposting otomatis sejak tanggal 1."),
    )
    interest_rate_annual = PercentField(label=_("Jasa per tahun (%)"), places=3)
    interest_basis = forms.ChoiceField(
        label=_("Dasar jasa"),
        choices=[("minimum", _("Saldo terendah")), ("average", _("Saldo rata-rata harian"))],
    )
    tax_threshold = RupiahField(label=_("Batas bebas PPh jasa per bulan"), min_value=0)
    tax_rate = PercentField(label=_("Tarif PPh (%)"), places=2)
    term_months = forms.IntegerField(
        label=_("Jangka (bulan)"),
        required=False,
        min_value=1,
        max_value=MAX_TERM_MONTHS,
        error_messages={"max_value": TERM_TOO_LONG},
    )
    payout_date = forms.DateField(
        label=_("Tanggal pencairan"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    early_penalty_type = forms.ChoiceField(
        label=_("Denda pencairan dini (berjangka)"),
        choices=SavingsProduct.PenaltyType.choices,
        required=False,
        initial=SavingsProduct.PenaltyType.NONE,
        help_text=_("Dipotong bila simpanan berjangka dicairkan sebelum tanggal pencairannya."),
    )
    early_penalty_value = forms.CharField(
        label=_("Besar denda (% atau Rp)"),
        required=False,
        max_length=30,
        help_text=_(
            "Persen dari saldo, mis. 2,5 (dibulatkan ke bawah ke rupiah utuh), atau rupiah "
            "utuh, mis. 25.000."
        ),
    )
    is_active = forms.BooleanField(label=_("Aktif"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        value = self.initial.get("early_penalty_value")
        if isinstance(value, Decimal):  # shown as typed: 2,5 or 25.000
            fixed = self.initial.get("early_penalty_type") == SavingsProduct.PenaltyType.FIXED
            self.initial["early_penalty_value"] = (
                format_rupiah(value).removeprefix("Rp ")
                if fixed
                else f"{value.normalize():f}".replace(".", ",")
            )

    def clean(self):
        data = super().clean()
        penalty_type = data.get("early_penalty_type") or SavingsProduct.PenaltyType.NONE
        data["early_penalty_type"] = penalty_type
        raw = (data.get("early_penalty_value") or "").strip()
        data["early_penalty_value"] = Decimal(0)
        if penalty_type == SavingsProduct.PenaltyType.NONE or not raw:
            return data
        try:
            if penalty_type == SavingsProduct.PenaltyType.PERCENT:
                data["early_penalty_value"] = parse_percent(raw, places=2)
            else:
                data["early_penalty_value"] = parse_rupiah(raw, whole=False)
        except RupiahError as e:
            self.add_error("early_penalty_value", e.text)
        except forms.ValidationError as e:
            self.add_error("early_penalty_value", e)
        return data


class ProductCreateForm(ProductForm):
    """A new product: its code, kind and ledger account, then the settings of
    ``ProductForm``. An empty account means the chart's account for the kind."""

    code = forms.CharField(
        label=_("Kode"), max_length=30, help_text=_("Huruf besar, angka, tanda hubung; mis. SPD")
    )
    kind = forms.ChoiceField(label=_("Jenis"))
    account = forms.ModelChoiceField(
        label=_("Akun buku besar (kontrol)"),
        queryset=None,
        required=False,
        empty_label=_("Akun bawaan untuk jenis ini"),
    )
    field_order = ["code", "name", "kind", "account"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = SavingsProduct.Kind.choices
        self.fields["account"].queryset = Account.objects.filter(
            type=Account.Type.LIABILITY, is_group=False, is_active=True
        ).order_by("code")
        self.fields["is_active"].initial = True
        self.fields["interest_auto"].initial = True
        for name, value in (
            ("amount", 0),
            ("minimum_balance", 0),
            ("interest_rate_annual", 0),
            ("interest_basis", "minimum"),
            ("tax_threshold", 240000),
            ("tax_rate", 10),
        ):
            self.fields[name].initial = value


class WajibRateForm(forms.Form):
    grade = forms.ChoiceField(
        label=_("Golongan"), choices=[(g, g) for g in ("I", "II", "III", "IV", "PPPK")]
    )
    amount = RupiahField(label=_("Wajib per bulan"), min_value=1)
    effective_from = forms.DateField(
        label=_("Berlaku mulai"), widget=forms.DateInput(attrs={"type": "date"})
    )
