from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Interval, Invoice, Plan
from billing.selectors import payments_recorded
from core.common.dates import format_date
from core.common.fields import RupiahField
from tenants.models import Cooperative
from tenants.regions import province_names, regencies_of
from tenants.validators import EMAIL_MAX_LENGTH, EMAIL_TOO_LONG


class TenantFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari"), required=False, help_text=_("Nama, alamat, NIK, e-mail"))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Semua status"))])
    plan = forms.ChoiceField(label=_("Paket"), required=False)
    province = forms.ChoiceField(label=_("Provinsi"), required=False)
    flag = forms.ChoiceField(
        label=_("Tanda"),
        required=False,
        choices=[
            ("", _("Semua")),
            ("trial_soon", _("Uji coba segera berakhir")),
            ("over_limit", _("Melebihi batas paket")),
            ("failed", _("Gagal disiapkan")),
        ],
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, provinces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Semua status"))] + list(Cooperative.Status.choices)
        self.fields["plan"].choices = [("", _("Semua paket"))] + [
            (p.code, p.name) for p in Plan.objects.order_by("sort_order", "pk")
        ]
        self.fields["province"].choices = [("", _("Semua provinsi"))] + [(p, p) for p in provinces]


class ConfirmForm(forms.Form):
    """Every console action: a reason and an explicit confirmation."""

    reason = forms.CharField(
        label=_("Alasan"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        # billing.middleware shows an operator's suspension or archive reason to the
        # cooperative's staff (banner, closed page, e-mail)
        help_text=_(
            "Dicatat di log audit. Alasan penangguhan atau pengarsipan juga ditampilkan "
            "kepada pengurus koperasi."
        ),
    )
    confirm = forms.BooleanField(label=_("Saya yakin dan bertanggung jawab atas tindakan ini"))


class CreditRefundForm(ConfirmForm):
    """A refund of the cooperative's credit, paid out by bank transfer."""

    amount = RupiahField(
        label=_("Jumlah dikembalikan (Rp)"),
        min_value=1,
        help_text=_("Rupiah utuh, mis. 1500000 atau 1.500.000."),
    )


class TrialForm(ConfirmForm):
    days = forms.IntegerField(label=_("Tambah hari"), min_value=1, max_value=365, initial=14)


class ReactivateForm(ConfirmForm):
    days = forms.IntegerField(
        label=_("Masa tenggang (hari)"),
        min_value=1,
        max_value=365,
        initial=14,
        help_text=_(
            "Tanpa periode berbayar yang berjalan, koperasi aktif selama masa ini; setelah "
            "itu berlaku penagihan biasa (menunggak, lalu ditangguhkan)."
        ),
    )


class PlanForm(ConfirmForm):
    plan = forms.ModelChoiceField(label=_("Paket"), queryset=Plan.objects.filter(is_active=True))
    interval = forms.ChoiceField(label=_("Periode"), choices=Interval.choices)


class PaymentForm(ConfirmForm):
    invoice = forms.ModelChoiceField(
        label=_("Tagihan yang dibayar"),
        queryset=Invoice.objects.none(),
        required=False,
        help_text=_("Kosongkan untuk mencatat pembayaran paket di bawah (tagihan baru)."),
    )
    plan = forms.ModelChoiceField(
        label=_("Paket"), queryset=Plan.objects.filter(is_active=True), required=False
    )
    interval = forms.ChoiceField(label=_("Periode"), choices=Interval.choices)
    amount = RupiahField(
        label=_("Jumlah diterima (Rp)"),
        min_value=1,
        help_text=_(
            "Sesuai mutasi rekening, mis. 1.234.567. Kurang dari yang perlu ditransfer: "
            "tagihan tetap terbuka untuk sisanya; lebih: kelebihannya menjadi kredit "
            "koperasi. Paling banyak dua kali tagihan."
        ),
    )
    # What the operator saw when the form was opened: another payment recorded since
    # (a second operator recording the same transfer) refuses this one.
    payments_seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    end_card_subscription = forms.BooleanField(
        label=_("Akhiri langganan kartu (Stripe) koperasi ini"),
        required=False,
        help_text=_(
            "Peringatan: bila koperasi masih membayar dengan kartu, pembayaran manual "
            "ditolak kecuali langganan kartu diakhiri sekarang (kartu tidak ditagih lagi)."
        ),
    )

    def __init__(self, *args, subscription=None, **kwargs):
        super().__init__(*args, **kwargs)
        if subscription is not None:
            self.fields["invoice"].queryset = subscription.invoices.filter(
                status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING]
            )
            if not self.is_bound:
                self.fields["payments_seen"].initial = payments_recorded(subscription=subscription)


class DomainForm(ConfirmForm):
    domain = forms.CharField(label=_("Domain"), max_length=253)


class ExportForm(ConfirmForm):
    dump = forms.BooleanField(
        label=_("Sertakan dump skema (pg_dump)"), required=False, initial=True
    )


class DeleteForm(ConfirmForm):
    confirm_slug = forms.CharField(
        label=_("Ketik alamat koperasi untuk mengonfirmasi"), max_length=40
    )


class SupportForm(ConfirmForm):
    minutes = forms.IntegerField(
        label=_("Lama sesi (menit)"), min_value=5, max_value=240, initial=30
    )


class DeletedFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Cari"),
        required=False,
        max_length=200,
        help_text=_("Nama, NPWP, nomor tagihan atau nota retur"),
    )


class PembinaFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari"), required=False, help_text=_("E-mail, nama, wilayah"))
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Semua")), ("1", _("Aktif")), ("0", _("Nonaktif"))],
    )


class PembinaForm(forms.Form):
    """A new pembina (or a new area for an existing one)."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=EMAIL_MAX_LENGTH,
        error_messages={"max_length": EMAIL_TOO_LONG},
    )
    name = forms.CharField(label=_("Nama"), required=False, max_length=200)
    province = forms.ChoiceField(label=_("Provinsi"))
    regency = forms.ChoiceField(
        label=_("Kabupaten/kota"),
        required=False,
        help_text=_("Kosongkan untuk seluruh provinsi."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        provinces = province_names()
        self.fields["province"].choices = [("", "–")] + [(p, p) for p in provinces]
        # every regency of every province; the service checks it lies in the province
        regencies = sorted({r for p in provinces for r in regencies_of(p)})
        self.fields["regency"].choices = [("", _("Seluruh provinsi"))] + [(r, r) for r in regencies]


class TermsAnnounceForm(forms.Form):
    """Announce a registered version of the terms (lumbung.console.terms): which, and a
    short summary of what changes for the e-mail to every cooperative's admins. The
    service refuses a version too close to its date, or announced already, saying why."""

    version = forms.CharField(label=_("Versi"), widget=forms.Select)
    summary = forms.CharField(  # required: said by the service, in its own words
        label=_("Ringkasan perubahan"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Dikirim dalam e-mail kepada admin setiap koperasi, dengan tautan ke teksnya."),
    )

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].widget.choices = [
            (v.id, _("%(v)s (berlaku mulai %(d)s)") % {"v": v.id, "d": format_date(v.effective_on)})
            for v in versions
        ]
